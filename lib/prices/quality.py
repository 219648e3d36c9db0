"""Data-quality flags on tidy price rows: rows that are real in the file but not real sessions.

Two kinds of row look like a 0 % return without being one:

* **duplicate** - a row whose open, high, low, close and volume all equal the previous row's
  (the Chinese exports repeat 2026-06-30 as 2026-07-01, SOURCES.md);
* **no_volume** - a session with volume 0 (a trading halt: LYC.AX 2025-08-28, ARU.AX halts).

They are kept in the store (values are copied exactly), flagged here, and left out of return
statistics that would read them as a quiet day (the event study's estimation and event windows).
"""

from __future__ import annotations

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
    prev = cur.groupby(t["symbol"], sort=False).shift(1)
    now, before = cur.to_numpy(), prev.to_numpy()
    same = pd.Series(((now == before) & ~np.isnan(now)).all(axis=1), index=t.index)
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
