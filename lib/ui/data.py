"""Cached loaders on small keys (symbol tuples, flags, dates), never DataFrames.

Loaders whose result depends on the price files go through :func:`token_cached`, the one
place that adds the price cache token to the key: a refresh invalidates exactly what it
changed. ``st.cache_data`` returns fresh copies, so sessions cannot share state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import watchlists
from lib.events.events import load_events
from lib.outlook import ndpr, projections
from lib.prices import PriceStore, default_store, read_snapshot_meta, refresh_universe_symbols
from lib.prices import display as price_display
from lib.prices.pg_store import PgCache, select_price_store
from lib.universe import load_universe, symbol_key

P = ParamSpec("P")
R = TypeVar("R")


@st.cache_resource
def price_store() -> PriceStore:
    """One store per server process; it holds no per-user state.

    With a PostgreSQL database URL (RER_DATABASE_URL or secrets, as for watchlists) prices
    live in the shared database, so N servers refresh once and show one as-of date;
    otherwise the per-machine file cache (see lib.prices.pg_store.select_price_store).
    """
    return select_price_store(watchlist_url(), file_store=default_store)


def shared_price_store() -> bool:
    """True when prices come from the shared PostgreSQL store (the UI words problems so)."""
    return isinstance(price_store().backend, PgCache)


class TokenCached:
    """A ``st.cache_data`` function whose key also holds the price cache token.

    Call it like the wrapped function without ``cache_token``; ``clear()`` empties it.
    """

    def __init__(self, cached: Callable[..., Any]) -> None:
        self._cached = cached
        functools.update_wrapper(self, cached)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cached(*args, cache_token=price_store().cache_token(), **kwargs)

    def clear(self) -> None:
        self._cached.clear()


def token_cached(**cache_args: Any) -> Callable[[Callable[..., R]], TokenCached]:
    """Decorate a loader taking a keyword-only ``cache_token``; callers never pass it.

    The parameter stays in the wrapped function's signature (unused in its body) because
    ``st.cache_data`` keys on the arguments: that is what makes a refresh invalidate.
    """
    cache_args.setdefault("show_spinner", False)

    def wrap(fn: Callable[..., R]) -> TokenCached:
        return TokenCached(st.cache_data(**cache_args)(fn))

    return wrap


# --------------------------------------------------------------------------- static data


@st.cache_data(show_spinner=False)
def universe() -> pd.DataFrame:
    return load_universe()


@st.cache_data(show_spinner=False)
def snapshot_meta() -> pd.DataFrame:
    return read_snapshot_meta()


@st.cache_data(show_spinner=False)
def policy_events() -> pd.DataFrame:
    """Validated policy events with their uncertainty spans (see lib.events.events)."""
    return load_events()


@st.cache_data(show_spinner=False)
def market_projections() -> pd.DataFrame:
    """Typed rows of data/market_projections.csv (small, versioned)."""
    return projections.load_projections()


@st.cache_data(show_spinner=False)
def ndpr_price_facts() -> pd.DataFrame:
    """Typed rows of data/ndpr_prices.csv."""
    return ndpr.load_ndpr()


def currency_map() -> dict[str, str]:
    """symbol -> listing currency (universe, then the snapshot's own series)."""
    return price_display.currency_map(universe(), snapshot_meta())


def name_map() -> dict[str, str]:
    uni = universe()
    return dict(zip(uni["symbol"], uni["name"], strict=True))


# --------------------------------------------------------------------------- prices


@token_cached(ttl="1h", max_entries=128)
def _prices(symbols: tuple[str, ...], *, cache_token: str) -> pd.DataFrame:
    return price_store().load(symbols)


def load_prices(symbols: Sequence[str]) -> pd.DataFrame:
    """Tidy prices for ``symbols`` from the data boundary, cached per (symbols, cache version)."""
    return _prices(symbol_key(symbols))


@token_cached(ttl="1h", max_entries=128)
def _display_prices(
    symbols: tuple[str, ...], currency: str, include_pre_listing: bool, *, cache_token: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    shown = price_display.load_display_prices(
        price_store(),
        symbols,
        universe=universe(),
        snapshot_meta=snapshot_meta(),
        currency=currency,
        include_pre_listing=include_pre_listing,
    )
    return shown.prices, shown.notes


def display_prices(
    symbols: Sequence[str], currency: str = "local", include_pre_listing: bool = False
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Prices ready to chart: SPAC era trimmed unless asked for, converted to USD if asked.

    Returns the tidy frame and per-symbol notes (e.g. missing FX coverage) to show the user.
    """
    return _display_prices(symbol_key(symbols), currency, include_pre_listing)


@token_cached(ttl="5m", max_entries=4)
def stale_universe(*, cache_token: str) -> list[str]:
    """Universe symbols due for the once-per-session automatic refresh.

    Every new session asks; reading the cache state for each one was a large share of a
    landing page's CPU. Keyed on the cache token (a refresh or failed attempt changes it)
    and re-checked every few minutes as trading days roll over.
    """
    return price_store().stale_symbols(refresh_universe_symbols(), auto=True)


@token_cached(max_entries=8)
def coverage(*, cache_token: str) -> pd.DataFrame:
    """Per-symbol first/last date and source, recomputed only when the cache file changes."""
    return price_store().coverage()


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A table for ``st.dataframe`` converted once: Streamlit ships a ``pa.Table`` as is,
    whereas a DataFrame is converted to Arrow again on every rerun."""
    return pa.Table.from_pandas(frame, preserve_index=False)


@token_cached(max_entries=8)
def freshness_table(*, cache_token: str) -> pa.Table:
    """The sidebar's per-symbol coverage, newest first, ready to ship."""
    cov = coverage()
    view = cov.assign(
        first_date=cov["first_date"].dt.date, last_date=cov["last_date"].dt.date
    ).sort_values("last_date", ascending=False)
    return arrow_table(view)


@token_cached()
def offline_symbols(*, cache_token: str) -> frozenset[str]:
    """Symbols that have at least one row offline (snapshot or cache), per cache version."""
    return frozenset(coverage()["symbol"].astype(str))


def available_symbols() -> set[str]:
    """Symbols that have at least one row offline (snapshot or cache)."""
    return set(offline_symbols())


@token_cached()
def symbol_labels(*, cache_token: str) -> dict[str, str]:
    """Picker labels (name, exchange, currency, offline flag), once per cache version."""
    have = offline_symbols()
    out: dict[str, str] = {}
    for r in universe().itertuples():
        label = f"{r.symbol} · {r.name} · {r.exchange} · {r.currency}"
        out[r.symbol] = label if r.symbol in have else label + " · (no offline data)"
    return out


# --------------------------------------------------------------------------- watchlists


def watchlist_url() -> str:
    """RER_DATABASE_URL, else secrets.toml [connections.watchlists] url, else local SQLite."""
    secrets_url: str | None = None
    try:
        section = st.secrets.get("connections", {}).get("watchlists", {})
        secrets_url = str(section.get("url") or "") or None
    except Exception:  # no secrets.toml at all is the normal local case
        secrets_url = None
    return watchlists.resolve_database_url(secrets_url=secrets_url)


@st.cache_resource(show_spinner=False)
def _watchlist_store(url: str) -> watchlists.WatchlistStore:
    """One engine (connection pool) per URL per server process; migrates on first use."""
    return watchlists.WatchlistStore.open(url)


def watchlist_store() -> watchlists.WatchlistStore:
    return _watchlist_store(watchlist_url())
