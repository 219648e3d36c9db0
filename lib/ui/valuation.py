"""Market caps for the Prices summary and Watchlists, cached per price-cache version, and
the online refresh of share counts (Yahoo, through lib.prices.shares). A widget module, so
both pages' views share it without importing each other."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import settings
from lib.markets import valuation
from lib.paths import user_data_dir
from lib.prices.shares import YahooShares
from lib.ui import data

#: Shown when the shares file cannot be read: the page still renders, with the reason.
SHARES_UNREADABLE = "share-count file could not be read"


def _offline() -> bool:
    return settings.current().offline


def _cache_path() -> Path:
    return valuation.shares_cache_path(user_data_dir())


def shares_token() -> str:
    """Changes when a refresh writes new counts, so market caps are recomputed."""
    path = _cache_path()
    return "file" if _offline() or not path.exists() else str(path.stat().st_mtime_ns)


def _shares() -> pd.DataFrame:
    try:
        return valuation.current_shares(_cache_path(), offline=_offline())[0]
    except (OSError, valuation.SharesFileError):
        return pd.DataFrame(columns=[c.name for c in valuation.SHARES_OUTSTANDING])


@data.token_cached(ttl="1h", max_entries=4)
def _market_cap_table(shares_token: str, *, cache_token: str) -> pd.DataFrame:
    uni = data.universe()
    shares = _shares()
    prices = data.load_prices(list(uni["symbol"]))
    fx_rates = data.load_prices(valuation.fx_symbols(uni))
    caps = valuation.market_caps(uni, prices, shares, fx_rates)
    if shares.empty:
        caps["reason"] = SHARES_UNREADABLE
    return caps


def market_cap_table() -> pd.DataFrame:
    """The universe's market caps in USD (full table, also for exports)."""
    return _market_cap_table(shares_token())


def market_cap_columns(symbols: Sequence[str]) -> pd.DataFrame:
    """symbol, 'Market cap (USD)', 'Share count (source, date)' for ``symbols``."""
    return valuation.market_cap_labels(market_cap_table(), list(symbols))


def with_market_caps(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary plus market cap (USD) and its share-count basis, '–' + reason if unknown."""
    if summary.empty:
        return summary
    caps = market_cap_columns(list(summary["symbol"]))
    return summary.merge(caps, on="symbol", how="left")


def summary_display_table(summary: pd.DataFrame) -> pa.Table:
    """The Prices summary with market caps, converted to Arrow once (it is cached per view):
    the numbers stay numbers and the browser formats them."""
    return data.arrow_table(with_market_caps(summary))


def refresh_button(symbols: Sequence[str], key: str) -> None:
    """Ask Yahoo for newer share counts; good rows are never overwritten by bad answers."""
    if not st.button(
        "Refresh share counts from Yahoo",
        key=key,
        icon=":material/refresh:",
        disabled=_offline(),
        help="Offline: share counts come from the sourced file." if _offline() else None,
    ):
        return
    with st.spinner("Asking Yahoo for share counts…"):
        res = valuation.refresh_shares_file(list(symbols), YahooShares(), _cache_path())
    changed = res.updated + res.added
    if changed:
        st.success(f"New share counts for {', '.join(changed)}.", icon=":material/done:")
    if res.kept:
        st.info(
            f"Kept the sourced count for {len(res.kept)} symbol(s): "
            + "; ".join(f"{s}: {why}" for s, why in list(res.kept.items())[:6]),
            icon=":material/info:",
        )
