"""Watchlists page: the store for this user, the performance table, and the page's vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from lib.markets.price_view import MAX_COMPARE
from lib.markets.valuation import MARKET_CAP_LABEL, SHARE_BASIS_LABEL
from lib.ui import data, tables
from lib.ui.frame import ensure_starter_watchlists, watchlist_owner, watchlist_price_lookup
from lib.ui.valuation import market_cap_columns, market_cap_table, refresh_button
from lib.ui.widgets import as_percent
from lib.watchlists import (
    LOCAL_OWNER,
    MAX_IMPORT_BYTES,
    MAX_NAME_LEN,
    MAX_NOTE_LEN,
    UNKNOWN_SYMBOL_NOTE,
    NewItem,
    Watchlist,
    WatchlistError,
    WatchlistNotFoundError,
    WatchlistStore,
    describe_url,
    export_name,
    items_frame,
    parse_import_csv,
    parse_pasted,
    share_query,
)
from lib.watchlists.perf import PERIODS, performance_table
from lib.xlsx import TableSource

__all__ = [
    "LOCAL_OWNER",
    "MAX_IMPORT_BYTES",
    "MAX_NAME_LEN",
    "MAX_NOTE_LEN",
    "UNKNOWN_SYMBOL_NOTE",
    "NewItem",
    "WatchlistError",
    "WatchlistNotFoundError",
    "describe_url",
    "export_name",
    "items_frame",
    "parse_import_csv",
    "parse_pasted",
    "share_query",
    "watchlist_price_lookup",
]

#: The Prices page compares at most 12 symbols, so a share link carries at most that many.
MAX_SHARE = MAX_COMPARE


def open_store() -> tuple[WatchlistStore, str]:
    """(store, owner) with the starter lists seeded; raises if the database cannot be read."""
    store, owner = data.watchlist_store(), watchlist_owner()
    ensure_starter_watchlists(store, owner)
    return store, owner


def storage_text() -> str:
    return describe_url(data.watchlist_url())


def known_symbols() -> set[str]:
    """Symbols we know: the universe plus anything with prices on disk."""
    return set(data.universe()["symbol"]) | data.available_symbols()


def name_map() -> dict[str, str]:
    return data.name_map()


def performance(wlist: Watchlist, known: set[str]) -> pd.DataFrame:
    """Per-symbol returns (fractions) for the list, at full resolution for the export."""
    return performance_table(
        wlist.items, data.load_prices(wlist.symbols), data.currency_map(), data.name_map(), known
    )


#: Performance table headers, units included (returns in percent points, prices in the
#: listing's own currency, market cap in USD).
PERF_LABELS: dict[str, object] = {
    "symbol": "Symbol",
    "name": "Name",
    "last": "Last close (listing ccy)",
    "currency": "Ccy",
    "as_of": "As of",
    **{p: f"{p} (%)" for p in PERIODS},
    "since_added": "Since added (%)",
    "added_on": "Added",
    "added_price": "Price when added (listing ccy)",
    "trend": st.column_config.LineChartColumn("Last year", width="small"),
    "status": "Data",
    MARKET_CAP_LABEL: MARKET_CAP_LABEL,
    SHARE_BASIS_LABEL: st.column_config.TextColumn(SHARE_BASIS_LABEL, width="medium"),
}


def with_market_caps(perf: pd.DataFrame) -> pd.DataFrame:
    """Performance plus market cap in USD and its share-count basis ('–' + reason if none)."""
    if perf.empty:
        return perf
    return perf.merge(market_cap_columns(list(perf["symbol"])), on="symbol", how="left")


def performance_display(perf: pd.DataFrame) -> Styler:
    """Returns in signed percent, prices to 2 dp, dates as days; every gap reads '–'."""
    cols = [*PERIODS, "since_added"]
    pct = tables.pct_points()
    return tables.clean(
        as_percent(with_market_caps(perf), cols),
        {
            **dict.fromkeys(cols, pct),
            "last": "{:,.2f}",
            "added_price": "{:,.2f}",
            "as_of": tables.day,
            "added_on": tables.day,
        },
    )


def performance_table_widget(perf: pd.DataFrame) -> None:
    """The performance table: numbers sort as numbers, gaps read '–'."""
    st.dataframe(
        performance_display(perf),
        column_config=PERF_LABELS,
        hide_index=True,
        width="stretch",
        key="wl_perf_table",
    )


def performance_export(perf: pd.DataFrame) -> pd.DataFrame:
    """The performance table for CSV/Excel: fractions, plus market cap in USD (numbers)."""
    out = perf.drop(columns=["trend"])
    caps = market_cap_table()[["symbol", "market_cap_usd", "shares_outstanding", "shares_as_of"]]
    return out.merge(caps, on="symbol", how="left")


ITEM_LABELS: dict[str, object] = {
    "symbol": "Symbol",
    "note": "Note",
    "name": "Name",
    "added_on": "Added",
    "added_price": "Price when added (listing ccy)",
    "added_price_date": "Price as of",
}


def items_display(items: pd.DataFrame) -> Styler:
    """The Symbols tab table: '–' for an unknown name or a missing price."""
    items = items.assign(
        name=items["name"].replace("", None),
        note=items["note"].replace("", None),
    )
    return tables.clean(
        items,
        {"added_price": "{:,.2f}", "added_on": tables.day, "added_price_date": tables.day},
    )


def export_sources(as_of: date) -> list[TableSource]:
    return [
        TableSource(
            "Performance",
            "Yahoo Finance daily closes; share counts from data/valuation/shares_outstanding.csv",
            as_of,
            "returns on adjusted close; last close as quoted; market cap in USD",
            "share counts: see shares_confidence in the Prices export",
        ),
        TableSource("Symbols", "this watchlist", as_of),
    ]


def share_link(symbols: Sequence[str]) -> str:
    """A relative link that opens the Prices page on (at most MAX_SHARE of) these symbols."""
    return f"./Prices?{share_query(list(symbols)[:MAX_SHARE])}"


def today() -> date:
    return date.today()


def refresh_share_counts(symbols: Sequence[str]) -> None:
    """The market-cap column's online refresh (disabled offline)."""
    refresh_button(symbols, key="wl_refresh_shares")
