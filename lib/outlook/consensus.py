"""Consensus across publications, one scope at a time: min/median/max bands, rebased growth
paths, the start years growth can be followed from, and the user's own scenario.

Each publication votes once per year, and scopes (market definitions) never mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


def consensus_inputs(
    paths: pd.DataFrame,
    *,
    include_unverified: bool = True,
    include_lower_bounds: bool = False,
    include_superseded: bool = False,
) -> pd.DataFrame:
    """The paths a consensus may use: by default the latest edition of point estimates."""
    keep = pd.Series(True, index=paths.index)
    if not include_unverified:
        keep &= ~paths["unverified"]
    if not include_lower_bounds:
        keep &= ~paths["lower_bound"]
    if not include_superseded:
        keep &= ~paths["superseded"]
    return paths[keep]


def _per_series(paths: pd.DataFrame) -> pd.DataFrame:
    """One value per (scope, unit, series, year): overlapping rows of one release are averaged."""
    return paths.groupby(["scope", "unit", "series", "year"], as_index=False)["value"].mean()


def consensus(paths: pd.DataFrame) -> pd.DataFrame:
    """Min / median / max across publications per scope and year. Scopes never mix.

    Each publication counts once per year, so a release split into two windows does
    not get two votes.
    """
    cols = ["scope", "unit", "year", "date", "min", "median", "max", "n"]
    if paths.empty:
        return pd.DataFrame(columns=cols)
    units = paths.groupby("scope")["unit"].nunique()
    if (units > 1).any():
        raise ValueError(f"scope(s) {list(units[units > 1].index)} mix units; cannot combine")
    per = _per_series(paths)
    g = per.groupby(["scope", "unit", "year"])["value"]
    out = g.agg(["min", "median", "max", "count"]).reset_index().rename(columns={"count": "n"})
    out["date"] = pd.to_datetime(out["year"].astype(str) + "-01-01")
    return out[cols]


def rebase_paths(paths: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Each publication's path as an index, 100 in ``start_year``; series not covering it drop.

    Unit becomes "index", so projections of very different sizes compare as growth.
    """
    if paths.empty:
        return paths.assign(unit="index")
    per = _per_series(paths)
    at_start = per.loc[per["year"] == start_year].set_index(["scope", "series"])["value"]
    per = per.join(at_start.rename("start_value"), on=["scope", "series"])
    per = per.dropna(subset=["start_value"])
    per = per[per["year"] >= start_year]
    meta = paths.drop_duplicates(["scope", "series"]).set_index(["scope", "series"])
    keep_meta = ["publisher", "unverified", "lower_bound", "superseded"]
    per = per.join(meta[keep_meta], on=["scope", "series"])
    out = per.assign(value=per["value"] / per["start_value"] * 100.0, unit="index")
    out["date"] = pd.to_datetime(out["year"].astype(str) + "-01-01")
    return out.drop(columns="start_value").reset_index(drop=True)


def growth_years(paths: pd.DataFrame) -> list[int]:
    """Start years from which at least one publication's growth can be followed a year on."""
    per = _per_series(paths)
    years = set()
    for _, g in per.groupby(["scope", "series"]):
        ys = sorted(g["year"])
        years.update(ys[:-1])
    return sorted(int(y) for y in years)


def best_start_year(paths: pd.DataFrame, candidates: list[int]) -> int | None:
    """The candidate year followed by the most publications (earliest on a tie)."""
    if not candidates:
        return None
    per = _per_series(paths)
    covered = per.groupby("year")["series"].nunique()
    return max(candidates, key=lambda y: (int(covered.get(y, 0)), -y))


#: The largest value a scenario may reach: past it the chart's axis would be meaningless, and
#: past about 1e308 the numbers overflow to infinity and Vega draws an empty chart.
MAX_SCENARIO_VALUE = 1e15


class ScenarioError(ValueError):
    """The user's scenario cannot be drawn; the message says why and what to change."""


def scenario_path(
    base_year: int, base_value: float, cagr_pct: float, end_year: int
) -> pd.DataFrame:
    """The user's own projection: a base and a constant growth rate.

    Raises :class:`ScenarioError` (a sentence to show as is) for a scenario that ends before
    it starts, has no positive base, or grows beyond :data:`MAX_SCENARIO_VALUE`.
    """
    if end_year < base_year:
        raise ScenarioError("The scenario must end in or after its base year.")
    if not (math.isfinite(base_value) and base_value > 0):
        raise ScenarioError("The scenario base must be a positive market size.")
    if not math.isfinite(cagr_pct) or cagr_pct <= -100.0:
        raise ScenarioError("The scenario growth rate must be a number above -100% a year.")
    years = np.arange(base_year, end_year + 1)
    with np.errstate(over="ignore"):
        values = base_value * (1.0 + cagr_pct / 100.0) ** (years - base_year).astype(float)
    too_big = ~np.isfinite(values) | (values > MAX_SCENARIO_VALUE)
    if too_big.any():
        year = int(years[np.argmax(too_big)])
        raise ScenarioError(
            f"Your scenario passes {MAX_SCENARIO_VALUE:.0e} by {year} (a base of "
            f"{base_value:.4g} growing {cagr_pct:+g}% a year), too large to chart. "
            "Lower the base or the growth rate."
        )
    return pd.DataFrame(
        {
            "year": years,
            "date": pd.to_datetime(pd.Series(years).astype(str) + "-01-01"),
            "value": values,
            "series": "Your scenario",
        }
    )


# --------------------------------------------------------------------------- one scope, end to end


@dataclass(frozen=True)
class ScopeConsensus:
    """One market definition's yearly paths, the consensus inputs and band (computed once)."""

    scope: str
    unit: str
    paths: pd.DataFrame  # every edition's yearly path in this scope
    inputs: pd.DataFrame  # the paths that count towards the band
    band: pd.DataFrame  # consensus(inputs): year, min, median, max


def scope_consensus(paths: pd.DataFrame, scope: str, *, include_unverified: bool) -> ScopeConsensus:
    """Slice the yearly paths to ``scope`` and build its consensus band."""
    in_scope = paths[paths["scope"] == scope]
    inputs = consensus_inputs(in_scope, include_unverified=include_unverified)
    unit = str(in_scope["unit"].iloc[0]) if not in_scope.empty else ""
    return ScopeConsensus(scope, unit, in_scope, inputs, consensus(inputs))
