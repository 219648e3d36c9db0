"""Earnings dates: a sourced offline file, and Yahoo's calendar cached with its as-of date.

Offline, only dates a public source gives are listed (``data/catalysts/earnings.csv``); with
none, the page says "no offline earnings dates" rather than guessing a quarter's pattern.
Online, yfinance's ``Ticker.calendar`` (Yahoo's quoteSummary ``calendarEvents``) is asked per
symbol and the answers merged into ``<data dir>/catalysts/earnings.json``: a failed, empty or
malformed answer never deletes or overwrites a symbol's last good dates, and says so.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from lib.paths import DATA_DIR
from lib.prices.yahoo import probe_reachable

EARNINGS_FILE = DATA_DIR / "catalysts" / "earnings.csv"
CACHE_NAME = "earnings.json"
COLUMNS = ["symbol", "date", "source_url", "confidence", "as_of", "note"]
YAHOO_URL = "https://finance.yahoo.com/quote/{symbol}/"
NO_OFFLINE = "no offline earnings dates"


def load_offline(path: Path = EARNINGS_FILE) -> pd.DataFrame:
    """The sourced file (validated by tests/test_datafiles.py), typed."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["date"] = pd.to_datetime(df["date"])
    return df[COLUMNS]


class EarningsFetcher(Protocol):
    def available(self) -> bool: ...

    def earnings_dates(self, symbol: str) -> list[date]: ...


class YahooEarnings:
    """Upcoming earnings dates from ``yf.Ticker(symbol).calendar`` (session injected in tests)."""

    def __init__(
        self,
        *,
        session: Any = None,
        probe: Callable[[], bool] | None = None,
        deadline_s: float = 20.0,
    ) -> None:
        self.session = session
        self._probe = probe or (lambda: probe_reachable("query2.finance.yahoo.com", 443))
        self.deadline_s = deadline_s

    def available(self) -> bool:
        return self._probe()

    def earnings_dates(self, symbol: str) -> list[date]:
        """The dates Yahoo lists (one, or a two-day window); raises on any failure."""
        import yfinance as yf

        out: dict[str, Any] = {}

        def run() -> None:
            try:
                out["value"] = yf.Ticker(symbol, session=self.session).calendar
            except Exception as exc:  # yfinance raises JSON, HTTP and parsing errors
                out["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(self.deadline_s)
        if "error" in out:
            raise RuntimeError(f"Yahoo request failed: {type(out['error']).__name__}")
        if "value" not in out:
            raise RuntimeError(f"no answer within {self.deadline_s:.0f} s")
        cal = out["value"] or {}
        raw = cal.get("Earnings Date") if isinstance(cal, dict) else None
        days = [d for d in (raw or []) if isinstance(d, date)]
        return sorted({d.date() if isinstance(d, datetime) else d for d in days})


@dataclass
class EarningsRefresh:
    """The merged cache and what happened per symbol, in words a page can show."""

    table: pd.DataFrame
    updated: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # symbol -> why old dates stay
    offline: bool = False

    def summary(self) -> str:
        if self.offline:
            return "Yahoo Finance is unreachable; earnings dates are the last ones saved."
        parts = [f"earnings dates updated for {len(self.updated)} symbol(s)"]
        if self.kept:
            parts.append(
                "kept the last good dates for "
                + ", ".join(f"{s} ({why})" for s, why in sorted(self.kept.items()))
            )
        return "; ".join(parts)


def read_cache(path: Path) -> pd.DataFrame:
    """The cached online dates; empty when there is none or it cannot be read."""
    try:
        raw = json.loads(path.read_text())
        rows = [
            {
                "symbol": str(sym),
                "date": pd.Timestamp(d),
                "source_url": YAHOO_URL.format(symbol=sym),
                "confidence": "unverified",
                "as_of": str(entry["as_of"]),
                "note": "Yahoo Finance calendar",
            }
            for sym, entry in raw.items()
            for d in entry["dates"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        rows = []
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["date"] = pd.to_datetime(df["date"])
    return df


def refresh(
    symbols: Sequence[str], fetcher: EarningsFetcher, cache_dir: Path, today: date
) -> EarningsRefresh:
    """Ask Yahoo for each symbol and merge into the cache file atomically.

    A symbol whose answer fails or is empty keeps its cached dates (named in ``kept``).
    """
    path = cache_dir / CACHE_NAME
    try:
        old = json.loads(path.read_text())
        if not isinstance(old, dict):
            old = {}
    except (OSError, ValueError):
        old = {}
    if not fetcher.available():
        return EarningsRefresh(read_cache(path), offline=True)
    result = EarningsRefresh(pd.DataFrame(columns=COLUMNS))
    new = dict(old)
    for sym in dict.fromkeys(s.upper() for s in symbols):
        try:
            days = fetcher.earnings_dates(sym)
        except Exception as exc:
            result.kept[sym] = str(exc)
            continue
        if not days:
            result.kept[sym] = "Yahoo listed no date"
            continue
        new[sym] = {"as_of": today.isoformat(), "dates": [d.isoformat() for d in days]}
        result.updated.append(sym)
    if result.updated:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".earnings-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(new, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            result.kept = {s: f"could not save: {exc.strerror or exc}" for s in result.updated}
            result.updated = []
    result.table = read_cache(path)
    return result
