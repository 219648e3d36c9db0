"""Shares outstanding from Yahoo, through the same boundary rules as prices.

The sourced file (data/valuation/shares_outstanding.csv) is the offline truth. A refresh asks
Yahoo for each symbol's latest count (yfinance ``Ticker.get_shares_full``, the fundamentals
time series) and merges it in: a fetched count replaces a row only when it is a plausible
positive integer dated no earlier than the row it replaces. A failed, empty or implausible
answer never deletes or overwrites a good row; it is reported per symbol instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

import pandas as pd

from lib.prices.yahoo import probe_reachable

#: What a refreshed row says about itself (Yahoo is a secondary source, never "verified").
YAHOO_SOURCE_URL = "https://finance.yahoo.com/quote/{symbol}/key-statistics"
YAHOO_NOTE = "Yahoo Finance shares outstanding (fundamentals time series), fetched {fetched}"
#: Above this a count is a unit error (the largest listed companies have ~10^11 shares).
MAX_PLAUSIBLE_SHARES = 10**13
#: A count that moves more than this factor from the file's is held back for review.
MAX_RATIO_CHANGE = 5.0
FETCHED_COLUMNS = ["symbol", "shares_outstanding", "as_of"]


class SharesFetcher(Protocol):
    """Anything that returns the latest share counts: (symbol, shares_outstanding, as_of)."""

    def available(self) -> bool: ...

    def fetch_shares(self, symbols: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]: ...


class YahooShares:
    """Latest share counts through yfinance (injected session and probe, as YahooFetcher)."""

    def __init__(
        self,
        *,
        session: Any = None,
        probe: Callable[[], bool] | None = None,
        lookback_days: int = 548,
        deadline_s: float = 30.0,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.session = session
        self._probe = probe or (lambda: probe_reachable("query2.finance.yahoo.com", 443))
        self.lookback_days = lookback_days
        self.deadline_s = deadline_s
        self.today = today

    def available(self) -> bool:
        return self._probe()

    def _one(self, symbol: str) -> tuple[int, date] | str:
        import yfinance as yf

        ticker = yf.Ticker(symbol, session=self.session)
        start = self.today() - timedelta(days=self.lookback_days)
        series = ticker.get_shares_full(start=start.isoformat())
        if series is None or len(series) == 0:
            return "Yahoo has no share count for this symbol"
        series = pd.to_numeric(series, errors="coerce").dropna()
        if series.empty:
            return "Yahoo's share count could not be read"
        return int(series.iloc[-1]), pd.Timestamp(series.index[-1]).date()

    def fetch_shares(self, symbols: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]:
        """(rows, errors): one row per symbol Yahoo answered, a sentence per one it did not."""
        rows: list[tuple[str, int, date]] = []
        errors: dict[str, str] = {}
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # errors come back as values
        import yfinance as yf

        # yfinance memoises GETs by URL for the process; a refresh must ask again.
        clear = getattr(yf.data.YfData.cache_get, "cache_clear", None)
        if clear is not None:
            clear()
        for sym in symbols:
            out: dict[str, object] = {}

            def run(sym: str = sym, out: dict[str, object] = out) -> None:
                try:
                    out["value"] = self._one(sym)
                except Exception as exc:  # yfinance raises JSON, HTTP and parsing errors
                    out["value"] = f"Yahoo request failed: {type(exc).__name__}"

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            worker.join(self.deadline_s)
            value = out.get("value", f"no answer within {self.deadline_s:.0f} s")
            if isinstance(value, tuple):
                rows.append((sym, value[0], value[1]))
            else:
                errors[sym] = str(value)
        frame = pd.DataFrame(rows, columns=FETCHED_COLUMNS)
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        return frame, errors


@dataclass
class SharesRefresh:
    """The merged table and what happened to each symbol, for the status message."""

    table: pd.DataFrame
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # symbol -> why the file row stays


def _problem(count: object, as_of: object, old: pd.Series | None) -> str | None:
    """Why a fetched count must not replace the file's (None: it may)."""
    try:
        n = int(count)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "Yahoo's count is not a number"
    if n != count or n <= 0 or n >= MAX_PLAUSIBLE_SHARES:
        return f"Yahoo's count {count!r} is not a plausible share count"
    if as_of is None or pd.isna(as_of):
        return "Yahoo's count has no date"
    if old is not None:
        if pd.Timestamp(as_of) < pd.Timestamp(old["as_of"]):
            return "Yahoo's count is older than the sourced one"
        ratio = n / float(old["shares_outstanding"])
        if not 1 / MAX_RATIO_CHANGE <= ratio <= MAX_RATIO_CHANGE:
            return f"Yahoo's count differs {ratio:.1f}x from the sourced one; kept for review"
    return None


def merge_shares(
    current: pd.DataFrame,
    fetched: pd.DataFrame,
    errors: dict[str, str] | None = None,
    fetched_on: date | None = None,
) -> SharesRefresh:
    """The file's rows with good fetched counts merged in; bad answers change nothing.

    ``current`` is lib.markets.valuation.read_shares() output; ``fetched`` has FETCHED_COLUMNS.
    """
    fetched_on = fetched_on or date.today()
    table = current.copy()
    result = SharesRefresh(table)
    result.kept.update(errors or {})
    index = {s: i for i, s in enumerate(table["symbol"])}
    new_rows = []
    for rec in fetched.itertuples(index=False):
        sym = str(rec.symbol)
        old = table.iloc[index[sym]] if sym in index else None
        why = _problem(rec.shares_outstanding, rec.as_of, old)
        if why:
            result.kept[sym] = why
            continue
        row = {
            "symbol": sym,
            "shares_outstanding": int(rec.shares_outstanding),
            "as_of": pd.Timestamp(rec.as_of).normalize(),
            "source_url": YAHOO_SOURCE_URL.format(symbol=sym),
            "source_kind": "secondary",
            "confidence": "unverified",
            "note": YAHOO_NOTE.format(fetched=fetched_on.isoformat()),
        }
        if old is not None:
            same = int(old["shares_outstanding"]) == row["shares_outstanding"]
            if same and pd.Timestamp(old["as_of"]) == row["as_of"]:
                continue  # nothing new: keep the original source
            for col, value in row.items():
                table.at[table.index[index[sym]], col] = value
            result.updated.append(sym)
        else:
            new_rows.append(row)
            result.added.append(sym)
    if new_rows:
        table = pd.concat([table, pd.DataFrame(new_rows)], ignore_index=True)
    table["shares_outstanding"] = table["shares_outstanding"].astype("int64")
    table["as_of"] = pd.to_datetime(table["as_of"])
    result.table = table
    return result


def refresh_shares(
    current: pd.DataFrame, symbols: Sequence[str], fetcher: SharesFetcher
) -> SharesRefresh:
    """Ask ``fetcher`` (if reachable) and merge; offline returns the file unchanged."""
    if not fetcher.available():
        return SharesRefresh(current.copy(), kept=dict.fromkeys(symbols, "offline"))
    fetched, errors = fetcher.fetch_shares(list(symbols))
    return merge_shares(current, fetched, errors)
