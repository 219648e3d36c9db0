"""The Western pipeline: capacity that is capacity, in place by each year, per stage and unit.

Every row's ``capacity_basis`` says what its number is. Only nameplate and phase figures are
capacity: they make the bars and the sums. A production figure (MP's 2025 output) is drawn
as production; a company target or goal (USA Rare Earth's 10,000 t/yr for 2026, Solvay's
4,500 t/yr for 2030) as a marker at its year, never as a bar. Capacities come in different
units (t REO, t NdPr oxide, t magnets...), so sums are per (stage, unit) and
:func:`sum_capacity` refuses to add across units or bases.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lib.supply.schema import CAPACITY, MARKERS, STAGES, STATUSES

#: Years the pipeline chart adds capacity up to (cumulative, if every project is on time).
PIPELINE_YEARS = tuple(range(2025, 2031))
#: How each basis is drawn, in words (the projects table's "charted as" column).
DRAWN_AS = {
    "nameplate": "bar (nameplate capacity)",
    "phase": "bar (phase capacity)",
    "production": "production point",
    "target": "target marker",
    "goal": "goal marker",
    "not comparable": "not charted",
}


class MixedUnitsError(ValueError):
    """Capacities in different units (or figures that are not capacity) were about to be added.

    Tonnes of REO in concentrate, of NdPr oxide and of finished magnets measure different
    things, and a year's production or a target is not installed capacity; a total across
    them means nothing, so the sum is refused instead.
    """


def sum_capacity(rows: pd.DataFrame) -> float:
    """Total capacity of ``rows``: nameplate or phase figures in one unit, else MixedUnitsError."""
    rows = rows[rows["capacity_value"].notna()]
    other = rows[~rows["capacity_basis"].isin(CAPACITY)]
    if len(other):
        named = ", ".join(f"{r.id} is a {r.capacity_basis} figure" for r in other.itertuples())
        raise MixedUnitsError(f"Only nameplate or phase capacity can be added: {named}.")
    units = sorted(set(rows["unit"]))
    if len(units) > 1:
        raise MixedUnitsError(
            "Capacities in different units cannot be added: "
            + ", ".join(units)
            + ". Sum each stage in its own unit."
        )
    return float(rows["capacity_value"].sum()) if len(rows) else 0.0


def counted_by(pipe: pd.DataFrame, year: int) -> pd.DataFrame:
    """Capacity rows in place by ``year`` if every project keeps its target date.

    Only nameplate and phase figures count. Operating plants without a date count from the
    start; a row included in a later total (``included_in``, e.g. MP's Independence inside
    its 10,000 t/yr) drops out once that total is due, so nothing is counted twice. Undated
    plans and on-hold projects never count.
    """
    ty = pipe["target_year"]
    due = (ty.notna() & (ty <= year)) | ((pipe["status"] == "operating") & ty.isna())
    due &= pipe["status"] != "uncertain"
    due &= pipe["capacity_value"].notna() & pipe["capacity_basis"].isin(CAPACITY)
    due = due.fillna(False).astype(bool)
    in_place = set(pipe.loc[due, "id"])
    superseded = pipe["included_in"].isin(in_place) & (pipe["included_in"] != "")
    return pipe[due & ~superseded]


def operating_now(pipe: pd.DataFrame, year: int) -> pd.DataFrame:
    """Capacity of plants operating today (status operating), in place by ``year``."""
    now = counted_by(pipe, year)
    return now[now["status"] == "operating"]


def pipeline_by_year(
    pipe: pd.DataFrame, years: Sequence[int] = PIPELINE_YEARS, include_unverified: bool = True
) -> pd.DataFrame:
    """Cumulative capacity per (stage, unit, year, status, confidence): the chart's bars."""
    if not include_unverified:
        pipe = pipe[pipe["confidence"] != "unverified"]
    rows = []
    for year in years:
        now = counted_by(pipe, year)
        for (stage, unit, status, conf), grp in now.groupby(
            ["stage", "unit", "status", "confidence"]
        ):
            rows.append(
                {
                    "stage": stage,
                    "unit": unit,
                    "year": int(year),
                    "status": status,
                    "confidence": conf,
                    "capacity": sum_capacity(grp),
                    "projects": ", ".join(
                        grp["company"] + " " + grp["project"] + " (" + grp["capacity_basis"] + ")"
                    ),
                    "sources": " ; ".join(grp["source_url"].str.split(" ; ").str[0]),
                }
            )
    cols = ["stage", "unit", "year", "status", "confidence", "capacity", "projects", "sources"]
    out = pd.DataFrame(rows, columns=cols)
    out["panel"] = out["stage"] + " · " + out["unit"]
    return out


def pipeline_markers(pipe: pd.DataFrame, include_unverified: bool = True) -> pd.DataFrame:
    """Production figures and company targets or goals, each at its own year: points and
    markers drawn beside the bars, never added to them."""
    if not include_unverified:
        pipe = pipe[pipe["confidence"] != "unverified"]
    kinds = ["production", *MARKERS]
    df = pipe[pipe["capacity_basis"].isin(kinds) & pipe["capacity_value"].notna()]
    out = pd.DataFrame(
        {
            "id": df["id"],
            "stage": df["stage"],
            "unit": df["unit"],
            "year": df["target_year"].astype(int),
            "value": df["capacity_value"].astype(float),
            "basis": df["capacity_basis"],
            "label": df["target_year"].astype(str) + " " + df["capacity_basis"],
            "project": df["company"] + " " + df["project"],
            "detail": df["basis_detail"],
            "source": df["source_url"].str.split(" ; ").str[0],
            "confidence": df["confidence"],
        }
    )
    return out.reset_index(drop=True)


def pipeline_panels(
    bars: pd.DataFrame, markers: pd.DataFrame | None = None
) -> list[tuple[str, str]]:
    """(stage, unit) pairs in value-chain order: one chart panel each, never merged."""
    pairs = set(zip(bars["stage"], bars["unit"], strict=True))
    if markers is not None:
        pairs |= set(zip(markers["stage"], markers["unit"], strict=True))
    return sorted(pairs, key=lambda p: (STAGES.index(p[0]), p[1]))


def stage_totals(pipe: pd.DataFrame, year: int) -> pd.DataFrame:
    """Capacity in place by ``year`` per (stage, unit): one row per comparable total."""
    now = counted_by(pipe, year)
    rows = [
        {"stage": s, "unit": u, "capacity": sum_capacity(g), "projects": len(g)}
        for (s, u), g in now.groupby(["stage", "unit"])
    ]
    out = pd.DataFrame(rows, columns=["stage", "unit", "capacity", "projects"])
    out["order"] = out["stage"].map(STAGES.index)
    return out.sort_values(["order", "unit"]).drop(columns="order").reset_index(drop=True)


def not_counted(pipe: pd.DataFrame, year: int = PIPELINE_YEARS[-1]) -> pd.DataFrame:
    """Rows the bars leave out by ``year`` (production, targets, no date, on hold...), with why."""
    counted = set(counted_by(pipe, year)["id"])
    inside = set(pipe.loc[pipe["included_in"] != "", "id"])
    out = pipe[~pipe["id"].isin(counted | inside)].copy()
    reason = pd.Series("not due by " + str(year), index=out.index)
    reason[out["target_year"].isna()] = "no target date"
    reason[out["status"] == "uncertain"] = "on hold / uncertain"
    year_txt = out["target_year"].astype("string").fillna("")
    for basis, drawn in (("production", "a point"), ("target", "a marker"), ("goal", "a marker")):
        mask = out["capacity_basis"] == basis
        reason[mask] = year_txt[mask] + f" {basis}, not capacity (drawn as {drawn})"
    reason[out["capacity_basis"] == "not comparable"] = "capacity not published or no unit"
    out["why_not_counted"] = reason
    return out


def timeline_frame(pipe: pd.DataFrame) -> pd.DataFrame:
    """One row per project for the timeline: when (target year or 'in service'/'no date')."""
    df = pipe.copy()
    when = df["target_year"].astype("string")
    when = when.where(df["target_year"].notna() & (df["capacity_basis"] != "production"), None)
    when = when.fillna(pd.Series("no date", index=df.index).where(df["status"] != "operating"))
    df["when"] = when.fillna("in service").astype(str)
    df["label"] = df["company"] + " · " + df["project"]
    # Split rows of one plant (USA Rare Earth's phase 1, nameplate, target) need their own line.
    twin = df["label"].duplicated(keep=False)
    df.loc[twin, "label"] = df["label"] + " (" + df["capacity_basis"] + ")"
    df["capacity_label"] = (
        df["capacity_stated"].where(df["capacity_stated"] != "", "not published")
        + " "
        + df["unit_detail"]
    )
    df["charted_as"] = df["capacity_basis"].map(DRAWN_AS)
    df["stage_order"] = df["stage"].map(STAGES.index)
    df["status_order"] = df["status"].map(STATUSES.index)
    return df.sort_values(["stage_order", "status_order", "id"]).reset_index(drop=True)


def timeline_domain(frame: pd.DataFrame) -> list[str]:
    """x order of the timeline: in service, then years, then 'no date'."""
    years = sorted({w for w in frame["when"] if w.isdigit()})
    return ["in service", *years, "no date"]
