"""Market caps for the Prices summary and Watchlists, cached per price-cache version."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lib import valuation
from lib.ui import data

#: Shown when the shares file cannot be read: the page still renders, with the reason.
SHARES_UNREADABLE = "share-count file could not be read"


def _shares() -> pd.DataFrame:
    try:
        return valuation.read_shares()
    except (OSError, valuation.SharesFileError):
        return pd.DataFrame(columns=[c.name for c in valuation.SHARES_OUTSTANDING])


@data.token_cached(ttl="1h", max_entries=4)
def market_cap_table(*, cache_token: str) -> pd.DataFrame:
    """The universe's market caps in USD (full table, also for exports)."""
    uni = data.universe()
    shares = _shares()
    prices = data.load_prices(list(uni["symbol"]))
    fx_rates = data.load_prices(valuation.fx_symbols(uni))
    caps = valuation.market_caps(uni, prices, shares, fx_rates)
    if shares.empty:
        caps["reason"] = SHARES_UNREADABLE
    return caps


def market_cap_columns(symbols: Sequence[str]) -> pd.DataFrame:
    """symbol, 'Market cap (USD)', 'Share count (source, date)' for ``symbols``."""
    return valuation.market_cap_labels(market_cap_table(), list(symbols))
