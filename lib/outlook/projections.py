"""Market-size projections as published: typed rows, implied vs stated CAGR, yearly paths.

Publishers define "the market" differently and restate their own numbers, so every
function here keeps scopes apart and carries the caveats (unverified publisher, lower
bound, back-solved base, superseded edition) along as flags instead of dropping them.
Consensus bands live in :mod:`lib.outlook.consensus`, the comparison with equities in
:mod:`lib.outlook.growth`. No Streamlit: the page and the tests call these directly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from lib.datafiles import read_raw
from lib.paths import DATA_DIR

#: Facts section 2 flags a stated CAGR more than this many percentage points from the implied one.
TOLERANCE_PP = 0.3


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
