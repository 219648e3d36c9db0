"""The pipeline joined with the equities: listed builders, their capacity, their prices."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lib.returns import rebase_to_100, to_wide
from lib.supply.capacity import stage_totals


def _t(x: float) -> str:
    return f"{x:,.0f}"


def listed_companies(pipe: pd.DataFrame) -> pd.DataFrame:
    """One row per listed company in the pipeline: symbol, company, projects, stages."""
    listed = pipe[pipe["symbol"] != ""]
    rows = []
    for sym, grp in listed.groupby("symbol", sort=False):
        rows.append(
            {
                "symbol": sym,
                "company": grp["company"].iloc[0],
                "projects": len(grp),
                "stages": ", ".join(dict.fromkeys(grp["stage"])),
            }
        )
    return pd.DataFrame(rows, columns=["symbol", "company", "projects", "stages"])


def company_capacity(pipe: pd.DataFrame, symbol: str, year: int = 2028) -> str:
    """ "10,000 t/yr NdFeB magnets (magnets); produced 2,599 t NdPr oxide in 2025 ..." by ``year``.

    Capacity in place (nameplate or phase) per unit; production is named as production.
    """
    own = pipe[pipe["symbol"] == symbol]
    totals = stage_totals(own, year)
    parts = [f"{_t(r.capacity)} {r.unit} ({r.stage})" for r in totals.itertuples()]
    made = own[(own["capacity_basis"] == "production") & own["capacity_value"].notna()]
    parts += [
        f"produced {_t(r.capacity_value)} {str(r.unit).replace('t/yr', 't')} in {r.target_year}"
        for r in made.itertuples()
    ]
    return "; ".join(parts) if parts else "no dated capacity"


def rebased_prices(
    tidy: pd.DataFrame, symbols: Sequence[str], start: pd.Timestamp | None
) -> pd.DataFrame:
    """Each symbol rebased to 100 at its own first close on or after ``start`` (no dropna)."""
    df = tidy[tidy["symbol"].isin(list(symbols))]
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    wide = to_wide(df)
    if wide.empty:
        return pd.DataFrame(columns=["date", "symbol", "rebased"])
    long = rebase_to_100(wide).reset_index().melt("date", var_name="symbol", value_name="rebased")
    return long.dropna(subset=["rebased"]).reset_index(drop=True)


def project_milestones(events: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Dated events tagged with ``symbol`` (from the policy timeline) for a price overlay."""
    if events.empty or "symbol_list" not in events:
        return events.iloc[0:0]
    mask = events["symbol_list"].map(lambda syms: symbol in tuple(syms))
    return events[mask].sort_values("date").reset_index(drop=True)
