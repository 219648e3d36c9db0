"""Row cleaning before a merge: bad rows are dropped, day shifts repaired, re-basing detected."""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

from lib.prices.schema import empty_prices, normalise

log = logging.getLogger(__name__)


#: Relative difference of adjusted closes on overlapping days above which we treat the
#: series as re-based (split, dividend, or a different source) and refetch it whole.
BASIS_TOLERANCE = 1e-4


def clean_rows(rows: pd.DataFrame, today: date) -> tuple[pd.DataFrame, list[str]]:
    """Repair or reject malformed downloaded rows before they can reach the cache.

    Deliberate repairs: drop rows whose close/adj_close is missing or not positive,
    rows dated in the future, duplicated dates (the last one wins), then sort.
    Every repair is reported so it is logged, never silent.
    """
    warnings: list[str] = []
    if rows.empty:
        return empty_prices(), warnings
    df = normalise(rows)
    bad = df["adj_close"].isna() | (df["adj_close"] <= 0) | df["close"].isna()
    bad |= df["close"] <= 0
    if bad.any():
        for sym, n in df[bad].groupby("symbol").size().items():
            warnings.append(f"{sym}: dropped {n} row(s) with missing or non-positive prices")
        df = df[~bad]
    df, shifted = _repair_day_shift(df)
    warnings.extend(shifted)
    future = df["date"] > pd.Timestamp(today)
    if future.any():
        for sym, n in df[future].groupby("symbol").size().items():
            warnings.append(f"{sym}: dropped {n} row(s) dated after {today.isoformat()}")
        df = df[~future]
    dup = df.duplicated(["symbol", "date"], keep="last")
    if dup.any():
        for sym, n in df[dup].groupby("symbol").size().items():
            warnings.append(f"{sym}: removed {n} duplicated date(s)")
        df = df[~dup]
    df = df.sort_values(["symbol", "date"], ignore_index=True)
    for w in warnings:
        log.warning("price data repaired: %s", w)
    return df, warnings


#: Exchanges whose sessions are Sunday-Thursday; weekend dates there are real.
SUN_THU_SUFFIXES = (".SR", ".QA", ".KW", ".BH", ".OM", ".EGX")


def _repair_day_shift(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Undo a timezone error that moved every bar by one day, or drop stray weekend bars.

    A wrong exchange timezone turns Mon-Fri bars into Tue-Sat (or Sun-Thu) bars; such rows
    would otherwise land next to correctly dated ones and mix two calendars.
    """
    warnings: list[str] = []
    wd = df["date"].dt.day_of_week
    if not (wd >= 5).any():
        return df, warnings
    parts: list[pd.DataFrame] = []
    for sym, g in df.groupby("symbol", sort=False):
        days = set(g["date"].dt.day_of_week)
        if str(sym).endswith(SUN_THU_SUFFIXES) or not days & {5, 6}:
            parts.append(g)
            continue
        if days <= {1, 2, 3, 4, 5}:
            g = g.assign(date=g["date"] - pd.Timedelta(days=1))
            warnings.append(f"{sym}: dates were one day late (timezone error); moved back a day")
        elif days <= {6, 0, 1, 2, 3}:
            g = g.assign(date=g["date"] + pd.Timedelta(days=1))
            warnings.append(f"{sym}: dates were one day early (timezone error); moved on a day")
        else:
            weekend = g["date"].dt.day_of_week >= 5
            warnings.append(f"{sym}: dropped {int(weekend.sum())} row(s) dated on a weekend")
            g = g[~weekend]
        parts.append(g)
    return pd.concat(parts, ignore_index=True), warnings


def basis_changed(existing: pd.DataFrame, new: pd.DataFrame, tol: float = BASIS_TOLERANCE) -> bool:
    """True when overlapping days disagree: the history was re-adjusted (split/dividend)."""
    if existing.empty or new.empty:
        return False
    m = existing[["date", "adj_close"]].merge(new[["date", "adj_close"]], on="date")
    if m.empty:
        return False
    rel = (m["adj_close_y"] / m["adj_close_x"] - 1.0).abs()
    return bool((rel > tol).any())
