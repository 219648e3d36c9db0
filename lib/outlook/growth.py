"""Has the equity market priced in the forecast growth? An equal-weighted basket against the
consensus path, both 100 in the same start year, annualised over the same overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lib.outlook.consensus import best_start_year, consensus, growth_years, rebase_paths
from lib.returns import equal_weight_index, to_wide, with_base_rows

#: Equity and forecast growth closer than this (pp a year) are called "about the same".
SAME_GROWTH_PP = 1.0


#: The shortest overlap (years) over which an annualised comparison is still worth a sentence.
MIN_OVERLAP_YEARS = 0.5


@dataclass(frozen=True)
class GrowthComparison:
    """Annualised equity return against consensus market growth over the same window."""

    start: pd.Timestamp
    end: pd.Timestamp
    years: float
    equity_cagr: float
    consensus_cagr: float

    @property
    def gap_pp(self) -> float:
        return (self.equity_cagr - self.consensus_cagr) * 100.0

    @property
    def verdict(self) -> str:
        if abs(self.gap_pp) < SAME_GROWTH_PP:
            return "about the same"
        return "more" if self.gap_pp > 0 else "less"


def fractional_year(ts: pd.Timestamp) -> float:
    ts = pd.Timestamp(ts)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts.day_of_year - 1) / days


def index_at(curve: pd.DataFrame, t: float, column: str = "median") -> float:
    """Geometric interpolation of a yearly index at fractional year ``t`` (constant growth)."""
    s = curve.set_index("year")[column].sort_index()
    lo, hi = math.floor(t), math.ceil(t)
    if lo not in s.index or hi not in s.index:
        return math.nan
    if lo == hi:
        return float(s[lo])
    return float(s[lo] * (s[hi] / s[lo]) ** (t - lo))


def compare_growth(
    equity_level: pd.Series, growth_consensus: pd.DataFrame, start_year: int
) -> GrowthComparison | None:
    """Equity index (100 at the last close before ``start_year``) vs the rebased median path.

    The window ends at the earlier of the last price and the last consensus year, so both
    sides are annualised over exactly the same overlapping stretch. None if too short.
    """
    level = equity_level.dropna()
    year_start = pd.Timestamp(start_year, 1, 1)
    base = level.index[level.index < year_start]
    # The last close of the previous year is the level AT the start of ``start_year``.
    level = level[level.index >= (base[-1] if len(base) else year_start)]
    if level.empty or growth_consensus.empty:
        return None
    first = max(level.index[0], year_start)
    last_year = int(growth_consensus["year"].max())
    end_cap = pd.Timestamp(last_year, 1, 1)
    window = level[level.index <= end_cap]
    if window.empty:
        return None
    end = window.index[-1]
    years = (end - first).days / 365.25
    if years < MIN_OVERLAP_YEARS:
        return None
    equity_cagr = (window.iloc[-1] / window.iloc[0]) ** (1.0 / years) - 1.0
    t0, t1 = fractional_year(first), fractional_year(end)
    c0, c1 = index_at(growth_consensus, t0), index_at(growth_consensus, t1)
    if pd.isna(c0) or pd.isna(c1) or t1 <= t0:
        return None
    consensus_cagr = (c1 / c0) ** (1.0 / (t1 - t0)) - 1.0
    return GrowthComparison(first, end, years, float(equity_cagr), float(consensus_cagr))


def growth_sentence(cmp: GrowthComparison, scope: str, equity_label: str) -> str:
    """The page's one-sentence answer, in plain words."""
    eq, fc = cmp.equity_cagr * 100.0, cmp.consensus_cagr * 100.0
    window = f"{cmp.start:%d %b %Y} to {cmp.end:%d %b %Y}"
    head = (
        f"From {window}, {equity_label} returned {eq:+.1f}% a year against consensus "
        f"{scope} growth of {fc:+.1f}% a year"
    )
    if cmp.verdict == "about the same":
        return (
            f"{head}: the equity market has priced in about the same growth as forecasters expect."
        )
    return (
        f"{head}: the equity market has priced in {cmp.verdict} growth than forecasters expect "
        f"({cmp.gap_pp:+.1f} pp a year)."
    )


def equity_growth_index(
    tidy: pd.DataFrame, start_year: int, *, common_end: bool = True
) -> pd.DataFrame:
    """Equal-weighted basket of adj_close from the last close before ``start_year`` (= 100).

    The base is each member's last close of the previous year, as every period return in
    the app is measured (lib.returns.period_return). With ``common_end`` the basket stops at
    the earliest last price among its members, so its tail is not one stock that happens to
    have the freshest data.
    """
    valid = tidy.dropna(subset=["adj_close"])
    sliced = with_base_rows(valid, date(start_year - 1, 12, 31), None)
    if common_end and not sliced.empty:
        sliced = sliced[sliced["date"] <= sliced.groupby("symbol")["date"].max().min()]
    wide = to_wide(sliced, "adj_close")
    if wide.empty:
        return pd.DataFrame(columns=["date", "level", "members"])
    idx = equal_weight_index(wide).dropna(subset=["level"])
    return idx.rename_axis("date").reset_index()


@dataclass(frozen=True)
class GrowthYears:
    """Start years the forecasts and the equities' prices can be compared from."""

    years: list[int]
    default: int | None


def comparable_years(inputs: pd.DataFrame, tidy: pd.DataFrame | None) -> GrowthYears:
    """Years covered by the forecasts with at least half a year of prices for every member.

    The default leaves a full calendar year of prices where it can.
    """
    years = growth_years(inputs)
    if tidy is None or tidy.empty:
        return GrowthYears(years, best_start_year(inputs, years) if years else None)
    first_year = tidy.groupby("symbol")["date"].min().min().year
    last_day = tidy.groupby("symbol")["date"].max().min()  # where the basket ends
    years = [y for y in years if first_year <= y and pd.Timestamp(y, 7, 1) <= last_day]
    if not years:
        return GrowthYears([], None)
    return GrowthYears(
        years, best_start_year(inputs, [y for y in years if y < last_day.year] or years)
    )


@dataclass(frozen=True)
class EquityGrowth:
    """Forecast growth against an equal-weighted equity basket, both 100 in the start year."""

    growth: pd.DataFrame  # consensus of the rebased paths
    basket: pd.DataFrame  # date, level, members
    comparison: GrowthComparison | None  # None when the overlap is too short


def equity_vs_consensus(inputs: pd.DataFrame, tidy: pd.DataFrame, start_year: int) -> EquityGrowth:
    """Rebase the forecasts and the basket to the start year and compare their growth."""
    growth = consensus(rebase_paths(inputs, start_year))
    basket = equity_growth_index(tidy, start_year)
    cmp = compare_growth(basket.set_index("date")["level"], growth, start_year)
    return EquityGrowth(growth, basket, cmp)
