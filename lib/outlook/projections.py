"""Market-size projections made comparable: CAGR checks, yearly paths, consensus, rebasing.

Publishers define "the market" differently and restate their own numbers, so every
function here keeps scopes apart and carries the caveats (unverified publisher, lower
bound, back-solved base, superseded edition) along as flags instead of dropping them.
No Streamlit: the page and the tests call these directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from lib.datafiles import read_raw
from lib.paths import DATA_DIR
from lib.returns import equal_weight_index, to_wide, with_base_rows

#: Facts section 2 flags a stated CAGR more than this many percentage points from the implied one.
TOLERANCE_PP = 0.3


#: Equity and forecast growth closer than this (pp a year) are called "about the same".
SAME_GROWTH_PP = 1.0


#: The shortest overlap (years) over which an annualised comparison is still worth a sentence.
MIN_OVERLAP_YEARS = 0.5


FLAG_CAGR = "CAGR mismatch"


FLAG_WINDOW = "window mismatch"


FLAG_BACK_SOLVED = "base back-solved"


FLAG_LOWER_BOUND = "lower bound"


FLAG_UNVERIFIED = "unverified publisher"


FLAG_SUPERSEDED = "superseded edition"


PATH_COLUMNS = [
    "id", "series", "publisher", "published", "scope", "unit", "year", "date", "value",
    "endpoint", "base_back_solved", "lower_bound", "unverified", "superseded", "edition_group",
    "superseded_by", "flags",
]  # fmt: skip


def as_number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", np.nan), errors="coerce")


def parse_projections(raw: pd.DataFrame) -> pd.DataFrame:
    """Typed projection rows from the validated all-string CSV frame."""
    df = pd.DataFrame({"id": raw["id"].astype(str), "publisher": raw["publisher"].astype(str)})
    df["publisher_verified"] = raw["publisher_verified"].eq("yes")
    df["published"] = pd.to_datetime(raw["published"])
    df["published_precision"] = raw["published_precision"].astype(str)
    for col in ("scope", "unit", "base_value_note", "edition_group", "supersedes", "source_url"):
        df[col] = raw[col].astype(str)
    df["notes"] = raw["notes"].astype(str)
    for col in ("base_year", "target_year"):
        df[col] = as_number(raw[col]).astype("int64")
    for col in ("cagr_start_year", "cagr_end_year"):
        df[col] = as_number(raw[col]).astype("Int64")
    for col in ("base_value", "target_value", "stated_cagr_pct"):
        df[col] = as_number(raw[col]).astype("float64")
    df["lower_bound"] = raw["value_qualifier"].eq(">")
    superseders = df.loc[df["supersedes"] != "", ["supersedes", "id"]]
    by_old = dict(zip(superseders["supersedes"], superseders["id"], strict=True))
    df["superseded_by"] = df["id"].map(by_old).fillna("").astype(str)
    df["superseded"] = df["superseded_by"] != ""
    return df


def load_projections(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    return parse_projections(read_raw("market_projections.csv", data_dir))


def implied_cagr(base: float, target: float, years: float) -> float:
    """Constant annual growth (fraction) taking ``base`` to ``target``; NaN when undefined."""
    if any(v is None or pd.isna(v) for v in (base, target, years)):
        return math.nan
    if base <= 0 or target <= 0 or years <= 0:
        return math.nan
    return float((target / base) ** (1.0 / years) - 1.0)


def grow(value: float, cagr: float, years: float) -> float:
    return float(value * (1.0 + cagr) ** years)


def effective_base(row: pd.Series) -> float:
    """The published base, or one back-solved from target and stated CAGR when none was given."""
    if not pd.isna(row["base_value"]):
        return float(row["base_value"])
    if pd.isna(row["stated_cagr_pct"]):
        return math.nan
    years = row["target_year"] - row["base_year"]
    return float(row["target_value"] / (1.0 + row["stated_cagr_pct"] / 100.0) ** years)


def row_flags(row: pd.Series, implied_pct: float) -> list[str]:
    """Every caveat a reader needs before trusting this row's numbers."""
    flags: list[str] = []
    stated = row["stated_cagr_pct"]
    # rounded so that a gap of exactly 0.3 pp is not flagged through float noise
    gap = round(abs(stated - implied_pct), 9)
    if not pd.isna(gap) and gap > TOLERANCE_PP:
        flags.append(FLAG_CAGR)
    start, end = row["cagr_start_year"], row["cagr_end_year"]
    has_window = not pd.isna(start) and not pd.isna(end)
    if has_window and (int(start), int(end)) != (int(row["base_year"]), int(row["target_year"])):
        flags.append(FLAG_WINDOW)
    if pd.isna(row["base_value"]):
        flags.append(FLAG_BACK_SOLVED)
    if row["lower_bound"]:
        flags.append(FLAG_LOWER_BOUND)
    if not row["publisher_verified"]:
        flags.append(FLAG_UNVERIFIED)
    if row["superseded"]:
        flags.append(FLAG_SUPERSEDED)
    return flags


def cagr_checks(proj: pd.DataFrame) -> pd.DataFrame:
    """One row per projection: implied vs stated CAGR (percent), the gap, and the flags.

    ``implied_window_cagr_pct`` compounds the same endpoints over the *stated* window,
    which shows how far off the figure is if the publisher's window were taken literally.
    """
    rows = []
    for _, r in proj.iterrows():
        years = int(r["target_year"] - r["base_year"])
        implied = implied_cagr(r["base_value"], r["target_value"], years) * 100.0
        window_years = (
            int(r["cagr_end_year"] - r["cagr_start_year"])
            if not pd.isna(r["cagr_start_year"]) and not pd.isna(r["cagr_end_year"])
            else None
        )
        implied_window = (
            implied_cagr(r["base_value"], r["target_value"], window_years) * 100.0
            if window_years is not None and window_years != years
            else math.nan
        )
        stated = r["stated_cagr_pct"]
        flags = row_flags(r, implied)
        rows.append(
            {
                "id": r["id"],
                "publisher": r["publisher"],
                "publisher_verified": bool(r["publisher_verified"]),
                "published": r["published"],
                "scope": r["scope"],
                "unit": r["unit"],
                "base_year": int(r["base_year"]),
                "base_value": r["base_value"],
                "target_year": int(r["target_year"]),
                "target_value": r["target_value"],
                "lower_bound": bool(r["lower_bound"]),
                "stated_cagr_pct": stated,
                "stated_window": (
                    f"{int(r['cagr_start_year'])}–{int(r['cagr_end_year'])}"
                    if window_years is not None
                    else ""
                ),
                "implied_cagr_pct": implied,
                "gap_pp": stated - implied if not pd.isna(stated) else math.nan,
                "implied_window_cagr_pct": implied_window,
                "flags": flags,
                "flag_text": "; ".join(flags),
                "superseded_by": r["superseded_by"],
                "source_url": r["source_url"],
                "notes": r["notes"],
            }
        )
    return pd.DataFrame(rows)


def series_key(publisher: str, published: pd.Timestamp) -> str:
    """One publication = one series: rows of the same release (M4/M4b) join into one line."""
    return f"{publisher} ({pd.Timestamp(published):%b %Y})"


def yearly_path(row: pd.Series) -> pd.DataFrame:
    """Constant growth from base to target, one value per year; endpoints exactly as published."""
    b, t = int(row["base_year"]), int(row["target_year"])
    base = effective_base(row)
    target = float(row["target_value"])
    years = np.arange(b, t + 1)
    if pd.isna(base) or t <= b:
        values = np.full(len(years), np.nan)
    else:
        values = base * (target / base) ** ((years - b) / (t - b))
        values[0], values[-1] = base, target
    flags = row_flags(row, implied_cagr(row["base_value"], target, t - b) * 100.0)
    out = pd.DataFrame({"year": years, "value": values})
    out["date"] = pd.to_datetime(out["year"].astype(str) + "-01-01")
    out["endpoint"] = np.where(years == b, "base", np.where(years == t, "target", ""))
    out["id"] = row["id"]
    out["series"] = series_key(row["publisher"], row["published"])
    for col in ("publisher", "published", "scope", "unit", "edition_group", "superseded_by"):
        out[col] = row[col]
    out["base_back_solved"] = bool(pd.isna(row["base_value"]))
    out["lower_bound"] = bool(row["lower_bound"])
    out["unverified"] = not bool(row["publisher_verified"])
    out["superseded"] = bool(row["superseded"])
    out["flags"] = "; ".join(flags)
    return out[PATH_COLUMNS].dropna(subset=["value"])


def projection_paths(proj: pd.DataFrame) -> pd.DataFrame:
    """Tidy yearly paths for every projection row (all scopes; filter before plotting)."""
    if proj.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    frames = [yearly_path(r) for _, r in proj.iterrows()]
    return pd.concat(frames, ignore_index=True)


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


def scenario_path(
    base_year: int, base_value: float, cagr_pct: float, end_year: int
) -> pd.DataFrame:
    """The user's own projection: a base and a constant growth rate."""
    if end_year < base_year:
        raise ValueError("the scenario must end in or after its base year")
    if base_value <= 0:
        raise ValueError("the scenario base must be a positive market size")
    years = np.arange(base_year, end_year + 1)
    values = base_value * (1.0 + cagr_pct / 100.0) ** (years - base_year)
    return pd.DataFrame(
        {
            "year": years,
            "date": pd.to_datetime(pd.Series(years).astype(str) + "-01-01"),
            "value": values,
            "series": "Your scenario",
        }
    )


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


CHECK_COLUMNS = {
    "id": "Row",
    "publisher": "Publisher",
    "published": "Published",
    "scope": "Scope",
    "unit": "Unit",
    "base": "Base",
    "target": "Target",
    "stated_cagr_pct": "Stated CAGR %",
    "stated_window": "Stated window",
    "implied_cagr_pct": "Implied CAGR %",
    "gap_pp": "Gap (pp)",
    "implied_window_cagr_pct": "Implied over stated window %",
    "flag_text": "Flags",
    "source_url": "Source",
    "notes": "Notes",
}


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The CAGR table as shown and exported: readable base/target, unverified marked in words."""
    df = checks.copy()
    df["publisher"] = [
        p if ok else f"{p} [UNVERIFIED publisher]"
        for p, ok in zip(df["publisher"], df["publisher_verified"], strict=True)
    ]
    qual = np.where(df["lower_bound"], "> ", "")
    df["base"] = [
        f"{y}: {q}{v:g}" if not pd.isna(v) else f"{y}: not published"
        for y, v, q in zip(df["base_year"], df["base_value"], qual, strict=True)
    ]
    df["target"] = [
        f"{y}: {q}{v:g}"
        for y, v, q in zip(df["target_year"], df["target_value"], qual, strict=True)
    ]
    df["published"] = df["published"].dt.date
    return df[list(CHECK_COLUMNS)].rename(columns=CHECK_COLUMNS)


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
