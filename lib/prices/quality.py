"""Data-quality flags on tidy price rows: rows that are real in the file but not real sessions.

Two kinds of row look like a 0 % return without being one:

* **duplicate** - a row whose open, high, low, close and volume all equal the previous row's
  (the Chinese exports repeat 2026-06-30 as 2026-07-01, SOURCES.md);
* **no_volume** - a session with volume 0 (a trading halt: LYC.AX 2025-08-28, ARU.AX halts).

They are kept in the store (values are copied exactly), flagged here, and left out of return
statistics that would read them as a quiet day (the event study's estimation and event windows).

Other problems are known from the sources (SOURCES.md) and kept here as data, in
:data:`KNOWN_FLAGS`: a share consolidation the prices are not adjusted for (a **return break**:
no return may cross it, see :func:`return_basis`), a gap in a source, dividends left unadjusted,
closes that are adjusted rather than traded. :func:`series_notes` states the ones that touch the
rows a page shows, in plain sentences, so every page that uses a series can say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

OHLCV = ["open", "high", "low", "close", "volume"]
QUALITY_COLUMNS = ["symbol", "date", "reason"]
REASONS: dict[str, str] = {
    "duplicate": "same open, high, low, close and volume as the session before (probable "
    "duplicate in the source)",
    "no_volume": "volume 0 (trading halt); the price did not trade",
}


def suspect_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """Rows (symbol, date, reason) that should not count as sessions with a real return.

    Series without OHLCV (adjusted close only) cannot be checked and yield no rows.
    """
    if tidy.empty or not set(OHLCV) <= set(tidy.columns):
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    t = tidy.sort_values(["symbol", "date"]).reset_index(drop=True)
    cur = t[OHLCV].apply(pd.to_numeric, errors="coerce").astype("float64")
    # The bar's shape (open, high, low over close) and volume: unchanged when a whole series is
    # converted with a daily FX rate, so a repeated day is found in USD views too.
    shape = cur[["open", "high", "low"]].div(cur["close"], axis=0).assign(volume=cur["volume"])
    prev = shape.groupby(t["symbol"], sort=False).shift(1)
    now, before = shape.to_numpy(), prev.to_numpy()
    close_now = cur["close"].to_numpy()
    close_before = cur["close"].groupby(t["symbol"], sort=False).shift(1).to_numpy()
    same_close = np.isclose(close_now, close_before, rtol=0.01) | (close_now == close_before)
    equal = np.isclose(now, before, rtol=1e-9, atol=0.0) & ~np.isnan(now)
    same = pd.Series(equal.all(axis=1) & same_close, index=t.index)
    halted = pd.Series(cur["volume"].to_numpy() == 0, index=t.index)
    reason = pd.Series(pd.NA, index=t.index, dtype="string")
    reason[halted] = "no_volume"
    reason[same & ~halted] = "duplicate"
    out = t.loc[reason.notna(), ["symbol", "date"]].assign(reason=reason[reason.notna()])
    out["symbol"] = out["symbol"].astype(str)
    out["reason"] = out["reason"].astype(str)
    return out.reset_index(drop=True)[QUALITY_COLUMNS]


def without_suspect_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """``tidy`` minus the flagged rows, so the return across them spans the real sessions."""
    flagged = suspect_rows(tidy)
    if flagged.empty:
        return tidy
    key = pd.MultiIndex.from_frame(flagged[["symbol", "date"]])
    mine = pd.MultiIndex.from_arrays([tidy["symbol"].astype(str), tidy["date"]])
    return tidy[~mine.isin(key)]


def describe(flagged: pd.DataFrame) -> list[str]:
    """One sentence per symbol for the data-quality notes."""
    notes = []
    for sym, g in flagged.groupby("symbol", sort=True):
        parts = []
        for reason, rows in g.groupby("reason", sort=True):
            days = ", ".join(f"{d:%Y-%m-%d}" for d in rows["date"])
            parts.append(f"{days}: {REASONS[str(reason)]}")
        notes.append(f"{sym}: left out of returns on " + "; ".join(parts) + ".")
    return notes


# --------------------------------------------------------------------------- known flags


@dataclass(frozen=True)
class SeriesFlag:
    """A known problem of some series over ``start``..``end`` (inclusive; ``end`` None: open).

    ``kind``: "break" (unadjusted capital change: returns restart after it), "gap" (days
    missing in the source), "unadjusted" (dividends not adjusted), "not_traded" (``close``
    is an adjusted, not a traded, price), "splice" (a row that may differ between sources).
    """

    symbols: tuple[str, ...]
    kind: str
    start: date
    end: date | None
    text: str


#: From SOURCES.md (the 2026-12 extensions and the per-file caveats), in our own words.
KNOWN_FLAGS: tuple[SeriesFlag, ...] = (
    SeriesFlag(
        ("VML.AX",),
        "break",
        date(2025, 6, 20),
        date(2025, 6, 23),
        "prices are not adjusted for the share consolidation between 2025-06-20 (close 0.002) "
        "and 2025-06-23 (0.1, about 50:1, not confirmed by an ASX notice). No return crosses "
        "it: returns, rebasing, drawdown and volatility start at the 2025-06-23 close, and a "
        "period that begins earlier has no return. Earlier prices are the old shares' (in "
        "Price view only).",
    ),
    SeriesFlag(
        ("LYC.AX", "ILU.AX", "ARU.AX", "VML.AX"),
        "gap",
        date(2026, 3, 11),
        date(2026, 3, 27),
        "no data 2026-03-11 to 2026-03-27 (13 sessions missing in the source): the change to "
        "2026-03-30 runs from the 2026-03-10 close and spans three weeks, not one day.",
    ),
    SeriesFlag(
        ("ARU.AX",),
        "gap",
        date(2026, 5, 22),
        date(2026, 5, 22),
        "no row for 2026-05-22 (a halt or a day without trades; not verified): the change to "
        "2026-05-25 covers two sessions.",
    ),
    SeriesFlag(
        ("ILU.AX",),
        "unadjusted",
        date(2026, 1, 5),
        None,
        "prices after 2026-01-02 are not adjusted for dividends (the source has none): a return "
        "across an ex-date (a final dividend would go ex around early March 2026) understates "
        "the total return by about the dividend yield, roughly 0.3-0.7%.",
    ),
    SeriesFlag(
        ("ILU.AX", "ARU.AX"),
        "splice",
        date(2026, 1, 2),
        date(2026, 1, 5),
        "the 2026-01-02 row comes from an earlier source and may be a not-yet-final bar: the "
        "change to 2026-01-05 can be off by up to about 1%.",
    ),
    SeriesFlag(
        ("4063.T",),
        "not_traded",
        date(2024, 1, 4),
        date(2026, 3, 27),
        "closes before 2026-03-30 are adjusted for later dividends, not the prices that traded; "
        "they are shown as the adjusted close (returns are on one basis).",
    ),
)

#: symbol -> first date of the current return basis (see :func:`return_basis`).
RETURN_BREAKS: dict[str, date] = {
    sym: flag.end
    for flag in KNOWN_FLAGS
    if flag.kind == "break" and flag.end
    for sym in flag.symbols
}


def return_basis(tidy: pd.DataFrame) -> pd.DataFrame:
    """``tidy`` with ``adj_close`` (the returns column) cut at each series' return break.

    A series with an unadjusted capital change (VML.AX's consolidation) gets no adjusted close
    before the break, and its traded close as the adjusted close from the break on (its source
    has no adjusted close at all). So no return, rebase, drawdown or volatility can span the
    step; ``close`` (the traded price) is untouched.
    """
    if tidy.empty or not {"symbol", "date", "adj_close"} <= set(tidy.columns):
        return tidy
    hit = tidy["symbol"].astype(str).isin(list(RETURN_BREAKS))
    if not hit.any():
        return tidy
    breaks = pd.to_datetime(tidy["symbol"].astype(str).map(RETURN_BREAKS))
    before = hit & (tidy["date"] < breaks)
    after = hit & (tidy["date"] >= breaks)
    adj = tidy["adj_close"].mask(before)
    if "close" in tidy:
        adj = adj.where(~after | adj.notna(), tidy["close"])
    return tidy.assign(adj_close=adj)


def known_flags(
    symbols: Iterable[str], start: date | None = None, end: date | None = None
) -> list[SeriesFlag]:
    """The known flags of ``symbols`` whose period overlaps ``start``..``end`` (None: open)."""
    wanted = set(symbols)
    return [f for f in KNOWN_FLAGS if wanted & set(f.symbols) and _overlaps(f, start, end)]


def _overlaps(flag: SeriesFlag, start: date | None, end: date | None) -> bool:
    if end is not None and flag.start > end:
        return False
    return start is None or flag.end is None or flag.end >= start


def _has_rows(tidy: pd.DataFrame, symbol: str, flag: SeriesFlag) -> bool:
    d = tidy.loc[tidy["symbol"].astype(str) == symbol, "date"]
    end = pd.Timestamp(flag.end) if flag.end else d.max()
    return bool(((d >= pd.Timestamp(flag.start)) & (d <= end)).any())


def series_notes(tidy: pd.DataFrame) -> list[str]:
    """One sentence per problem in the rows shown: known flags, then suspect rows.

    A flag counts for a symbol when its period overlaps that symbol's own first..last row, so
    a page states exactly the caveats of the data it uses (and none for a window without them).
    """
    if tidy.empty or not {"symbol", "date"} <= set(tidy.columns):
        return []
    spans = tidy.groupby(tidy["symbol"].astype(str), sort=True)["date"].agg(["min", "max"])
    notes = []
    for flag in KNOWN_FLAGS:
        hit = [
            s
            for s in flag.symbols
            if s in spans.index
            and _overlaps(flag, spans.at[s, "min"].date(), spans.at[s, "max"].date())
            and not (flag.kind == "gap" and _has_rows(tidy, s, flag))  # filled since
        ]
        if hit:
            notes.append(f"{', '.join(hit)}: {flag.text}")
    flagged = suspect_rows(tidy)
    for sym, g in flagged.groupby("symbol", sort=True):
        parts = []
        for reason, rows in g.groupby("reason", sort=True):
            days = ", ".join(f"{d:%Y-%m-%d}" for d in rows["date"])
            parts.append(f"{days}: {REASONS[str(reason)]}")
        notes.append(f"{sym}: kept as in the source on " + "; ".join(parts) + ".")
    return notes
