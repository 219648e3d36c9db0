"""Watchlists page: the store for this user, the performance table, and the page's vocabulary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import NoReturn, TypeVar

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from lib.markets.links import prices_url
from lib.markets.price_view import MAX_COMPARE
from lib.markets.valuation import MARKET_CAP_LABEL, SHARE_BASIS_LABEL
from lib.ui import data, tables
from lib.ui.frame import ensure_starter_watchlists, watchlist_owner, watchlist_price_lookup
from lib.ui.pickers import id_selectbox
from lib.ui.valuation import market_cap_columns, market_cap_table, refresh_button
from lib.ui.widgets import as_percent, escape_markdown
from lib.watchlists import (
    LOCAL_OWNER,
    MAX_IMPORT_BYTES,
    MAX_NAME_LEN,
    MAX_NOTE_LEN,
    UNKNOWN_SYMBOL_NOTE,
    NewItem,
    StaleWatchlistError,
    Watchlist,
    WatchlistError,
    WatchlistNotFoundError,
    WatchlistStore,
    WatchlistSummary,
    describe_url,
    export_frame,
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
    "StaleWatchlistError",
    "WatchlistError",
    "WatchlistNotFoundError",
    "describe_url",
    "export_frame",
    "export_name",
    "items_frame",
    "parse_import_csv",
    "parse_pasted",
    "share_query",
    "watchlist_price_lookup",
]

#: The Prices page compares at most 12 symbols, so a share link carries at most that many.
MAX_SHARE = MAX_COMPARE

T = TypeVar("T")

#: Session keys: the list shown (its id), and the (id, revision) the last run showed.
CURRENT, SEEN = "_wl_current_id", "_wl_seen"

#: A revision no list has (they start at 0 and only grow): a write carrying it is refused.
NO_REVISION = -1


def open_store() -> tuple[WatchlistStore, str]:
    """(store, owner) with the starter lists seeded; raises if the database cannot be read."""
    store, owner = data.watchlist_store(), watchlist_owner()
    ensure_starter_watchlists(store, owner)
    return store, owner


# --------------------------------------------------------------------------- state and writes


def flash(kind: str, text: str) -> None:
    """A message that survives the rerun after a write."""
    st.session_state["_wl_flash"] = (kind, text)


def show_flash() -> None:
    """The message a write left; its text (symbols, names, store messages) is made inert."""
    if msg := st.session_state.pop("_wl_flash", None):
        getattr(st, msg[0])(escape_markdown(msg[1]))


def pick_list(lists: Sequence[WatchlistSummary]) -> int:
    """The Watchlists picker: its value is the list id (label: name and size), kept across
    renames, adds and duplicates. Follows the sidebar's active list when that changes."""
    ss = st.session_state
    ids = [x.id for x in lists]
    if "_wl_goto" in ss:  # after create / duplicate / delete
        ss[CURRENT] = ss.pop("_wl_goto")
    active = ss.get("active_watchlist_id")
    if active != ss.get("_wl_seen_active"):
        ss["_wl_seen_active"] = active
        if active in ids:
            ss[CURRENT] = active
    return id_selectbox(
        "Watchlist",
        {x.id: f"{x.name} ({x.size})" for x in lists},
        key="wl_current",
        state_key=CURRENT,
        default=lambda: active if active in ids else ids[0],
    )


def seen_revision(wlist: Watchlist) -> int:
    """The revision of ``wlist`` the user saw (the previous run drew it); records this run's.

    An action is a rerun: the list it refers to was drawn by the run before, so its revision
    is the one a write must expect. If that run showed another list (or none), NO_REVISION.
    """
    seen = st.session_state.get(SEEN)
    st.session_state[SEEN] = (wlist.id, wlist.revision)
    if isinstance(seen, tuple) and len(seen) == 2 and seen[0] == wlist.id:
        return int(seen[1])
    return NO_REVISION


def run_write(write: Callable[[], T]) -> T | None:
    """Run one store write. A refused stale write (another tab changed or deleted the list)
    reloads the page with a warning; any other refusal is shown here and returns None."""
    try:
        return write()
    except (StaleWatchlistError, WatchlistNotFoundError) as exc:
        reload("warning", str(exc))
    except WatchlistError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
    return None


def reload(kind: str, text: str) -> NoReturn:
    flash(kind, text)
    st.rerun()


def go_to(list_id: int | None) -> NoReturn:
    st.session_state["_wl_goto"] = list_id
    st.rerun()


def upload_key() -> str:
    """The uploader's key; :func:`reset_upload` gives a fresh, empty uploader."""
    return f"wl_upload_{st.session_state.get('_wl_upload_gen', 0)}"


def reset_upload() -> None:
    """After an import (or a refused one) nothing of that file stays to be imported again:
    a file the browser refuses as too large otherwise leaves the previous one in place."""
    st.session_state["_wl_upload_gen"] = st.session_state.get("_wl_upload_gen", 0) + 1


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
    """A relative link that opens the Prices page on (at most MAX_SHARE of) these symbols.
    Symbols go as ids, not picker labels: a shared link stays short, readable and valid when
    a symbol's label changes (the page rewrites it to labels once, on opening)."""
    return prices_url(list(symbols)[:MAX_SHARE], path="./Prices")


def today() -> date:
    return date.today()


def refresh_share_counts(symbols: Sequence[str]) -> None:
    """The market-cap column's online refresh (disabled offline)."""
    refresh_button(symbols, key="wl_refresh_shares")
