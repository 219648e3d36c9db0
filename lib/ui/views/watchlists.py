"""Watchlists page: the store for this user, the performance table, and the page's vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st

from lib.price_view import MAX_COMPARE
from lib.ui import data
from lib.ui.frame import ensure_starter_watchlists, watchlist_owner, watchlist_price_lookup
from lib.ui.widgets import as_percent, percent_column
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


def performance_table_widget(perf: pd.DataFrame) -> None:
    """The performance table with returns in signed percent."""
    cols = [*PERIODS, "since_added"]
    st.dataframe(
        as_percent(perf, cols),
        column_config={
            **{col: percent_column(col) for col in PERIODS},
            "since_added": percent_column("Since added"),
            "last": st.column_config.NumberColumn("Last", format="%.2f"),
            "as_of": st.column_config.DateColumn("As of"),
            "added_on": st.column_config.DateColumn("Added"),
            "added_price": st.column_config.NumberColumn("Price when added", format="%.2f"),
            "trend": st.column_config.LineChartColumn("Last year", width="small"),
            "status": st.column_config.TextColumn("Data"),
        },
        hide_index=True,
        width="stretch",
        key="wl_perf_table",
    )


def share_link(symbols: Sequence[str]) -> str:
    """A relative link that opens the Prices page on (at most MAX_SHARE of) these symbols."""
    return f"./Prices?{share_query(list(symbols)[:MAX_SHARE])}"


def today() -> date:
    return date.today()
