"""Per-symbol performance for a watchlist: last price, period returns, return since added.

Pure pandas on the tidy price frame; returns are fractions (0.25 = +25%) so tables sort
numerically and the page decides how to format them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from lib import returns
from lib.prices.schema import NO_OFFLINE_DATA
from lib.watchlists.types import WatchlistItem
from lib.watchlists.validate import UNKNOWN_SYMBOL_NOTE

PERIODS = ("1D", "1M", "YTD", "1Y")
PERF_COLUMNS = [
    "symbol",
    "name",
    "last",
    "currency",
    "as_of",
    *PERIODS,
    "since_added",
    "added_on",
    "added_price",
    "note",
    "trend",
    "status",
]


def last_price(tidy: pd.DataFrame, symbol: str) -> tuple[date, float] | None:
    """The latest quoted price and its date, for recording the price when a symbol is added."""
    g = tidy.loc[tidy["symbol"] == symbol].sort_values("date")
    if g.empty:
        return None
    px = returns.price_column(g).set_axis(g["date"]).dropna()
    if px.empty:
        return None
    return px.index[-1].date(), float(px.iloc[-1])


def period_return(series: pd.Series, period: str) -> float:
    """Return over ``period`` ending at the series' own last date: the one definition every
    page uses (lib.returns.period_return), so Watchlists and Home agree."""
    return returns.period_return(series, period)


def since_added(series: pd.Series, last_quoted: float, item: WatchlistItem) -> float:
    """Adjusted-close return from the day the price was recorded; falls back to the stored price."""
    s = series.dropna()
    start = item.added_price_date or (item.added_at.date() if item.added_at else None)
    if start is not None and not s.empty and s.index[0] <= pd.Timestamp(start):
        return returns.return_since(s, pd.Timestamp(start))
    if item.added_price and not np.isnan(last_quoted):
        return float(last_quoted / item.added_price - 1.0)
    return float("nan")


def performance_table(
    items: Sequence[WatchlistItem],
    tidy: pd.DataFrame,
    currency_of: Mapping[str, str],
    names: Mapping[str, str] | None = None,
    known: set[str] | None = None,
) -> pd.DataFrame:
    """One row per item in list order; symbols without data stay, flagged, with NaN numbers."""
    names = names or {}
    by_symbol = {str(k): g.sort_values("date") for k, g in tidy.groupby("symbol", sort=False)}
    rows = []
    for item in items:
        g = by_symbol.get(item.symbol)
        row: dict[str, object] = {
            "symbol": item.symbol,
            "name": names.get(item.symbol, ""),
            "currency": currency_of.get(item.symbol, ""),
            "added_on": item.added_at.date() if item.added_at else None,
            "added_price": item.added_price if item.added_price is not None else np.nan,
            "note": item.note,
        }
        if g is None or g.empty:
            unknown = known is not None and item.symbol not in known
            row |= {"last": np.nan, "as_of": None, "trend": [], "since_added": np.nan}
            row |= {p: np.nan for p in PERIODS}
            row["status"] = UNKNOWN_SYMBOL_NOTE if unknown else NO_OFFLINE_DATA
            rows.append(row)
            continue
        adj = g.set_index("date")["adj_close"]
        px = returns.price_column(g).set_axis(g["date"]).dropna()
        last = float(px.iloc[-1]) if not px.empty else np.nan
        row |= {
            "last": last,
            "as_of": px.index[-1].date() if not px.empty else None,
            "trend": returns.sparkline(adj.loc[adj.index[-1] - pd.DateOffset(years=1) :]),
            "since_added": since_added(adj, last, item),
            "status": "",
        }
        row |= {p: period_return(adj, p) for p in PERIODS}
        rows.append(row)
    return pd.DataFrame(rows, columns=PERF_COLUMNS)
