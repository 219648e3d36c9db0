"""The only Streamlit glue: page setup, the shared sidebar, cached loaders, formatting.

Cached loaders take small hashable keys (symbol tuples, flags, a cache token), never
DataFrames, and return fresh copies (``st.cache_data``), so sessions cannot share state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from lib import export, fx, returns
from lib.prices import PriceStore, default_store, forget_probe, read_snapshot_meta
from lib.universe import load_universe

APP_NAME = "Rare Earths Revival"
NO_OFFLINE_DATA = "no offline data; refreshes from Yahoo when online"


# --------------------------------------------------------------------------- loaders


@st.cache_resource
def price_store() -> PriceStore:
    """One store per server process; it holds no per-user state."""
    return default_store()


@st.cache_data(show_spinner=False)
def universe() -> pd.DataFrame:
    return load_universe()


@st.cache_data(show_spinner=False)
def snapshot_meta() -> pd.DataFrame:
    return read_snapshot_meta()


@st.cache_data(ttl="1h", max_entries=128, show_spinner=False)
def _prices(symbols: tuple[str, ...], cache_token: str) -> pd.DataFrame:
    return price_store().load(symbols)


def load_prices(symbols: Sequence[str]) -> pd.DataFrame:
    """Tidy prices for ``symbols`` from the data boundary, cached per (symbols, cache version)."""
    key = tuple(sorted({s.upper() for s in symbols}))
    return _prices(key, price_store().cache_token())


@st.cache_data(ttl="1h", max_entries=128, show_spinner=False)
def _display_prices(
    symbols: tuple[str, ...], currency: str, include_pre_listing: bool, cache_token: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    tidy = _prices(symbols, cache_token)
    uni = universe()
    if not include_pre_listing:
        listed = dict(zip(uni["symbol"], uni["listing_date"], strict=True))
        tidy = returns.trim_pre_listing(tidy, {s: listed.get(s) for s in symbols})
    notes: dict[str, str] = {}
    if currency == "USD":
        ccy = currency_map()
        fx_syms = fx.fx_symbols_for({ccy.get(s, "USD") for s in symbols})
        rates = _prices(tuple(fx_syms), cache_token) if fx_syms else tidy.iloc[0:0]
        conv = fx.convert_to_usd(tidy, ccy, rates)
        tidy, notes = conv.prices, conv.notes
    return tidy.reset_index(drop=True), notes


def display_prices(
    symbols: Sequence[str], currency: str = "local", include_pre_listing: bool = False
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Prices ready to chart: SPAC era trimmed unless asked for, converted to USD if asked.

    Returns the tidy frame and per-symbol notes (e.g. missing FX coverage) to show the user.
    """
    key = tuple(sorted({s.upper() for s in symbols}))
    return _display_prices(key, currency, include_pre_listing, price_store().cache_token())


def currency_map() -> dict[str, str]:
    uni = universe()
    out = dict(zip(uni["symbol"], uni["currency"], strict=True))
    meta = snapshot_meta()
    for sym, ccy in zip(meta["symbol"], meta["currency"], strict=True):
        out.setdefault(str(sym), "USD" if "per" in str(ccy) else str(ccy))
    return out


def name_map() -> dict[str, str]:
    uni = universe()
    return dict(zip(uni["symbol"], uni["name"], strict=True))


def available_symbols() -> set[str]:
    """Symbols that have at least one row offline (snapshot or cache)."""
    return set(price_store().coverage()["symbol"].astype(str))


def symbol_option_label(symbol: str) -> str:
    """Picker label: name, exchange, currency, and a flag when there is no offline data."""
    uni = universe()
    row = uni.loc[uni["symbol"] == symbol]
    if row.empty:
        return symbol
    r = row.iloc[0]
    label = f"{symbol} · {r['name']} · {r['exchange']} · {r['currency']}"
    if symbol not in _available_cached(price_store().cache_token()):
        label += " · (no offline data)"
    return label


@st.cache_data(show_spinner=False)
def _available_cached(cache_token: str) -> frozenset[str]:
    return frozenset(available_symbols())


# --------------------------------------------------------------------------- page frame


def page_setup(title: str, icon: str, caption: str | None = None) -> None:
    """Every page starts here: config, automatic refresh (once per session), sidebar, title."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
    _auto_refresh_once()
    with st.sidebar:
        _sidebar_freshness()
    st.title(title)
    if caption:
        st.caption(caption)


def refresh_symbols() -> list[str]:
    """Everything the app shows: the universe plus the FX series it converts with."""
    uni = universe()
    syms = list(uni["symbol"])
    syms += fx.fx_symbols_for(set(uni["currency"]))
    return list(dict.fromkeys(syms))


def _run_refresh(*, auto: bool, force: bool) -> None:
    store = price_store()
    lines: list[str] = []
    with st.status("Updating prices from Yahoo Finance…", expanded=False) as status:
        progress = st.progress(0.0)
        targets = refresh_symbols()

        def on_symbol(sym: str, msg: str) -> None:
            lines.append(f"`{sym}` {msg}")
            progress.progress(min(1.0, len(lines) / max(1, len(targets))), text=f"{sym}: {msg}")

        report = store.refresh(targets, auto=auto, force=force, progress=on_symbol)
        for line in lines:
            st.markdown(line)
        state = "error" if report.failed and not report.updated else "complete"
        status.update(label=report.summary(), state=state)
    st.session_state["last_refresh"] = report.summary()
    if report.failed:
        st.session_state["refresh_failed"] = report.failed
    if report.written:
        _available_cached.clear()


def _auto_refresh_once() -> None:
    if st.session_state.get("_refresh_checked"):
        return
    st.session_state["_refresh_checked"] = True
    store = price_store()
    if not store.stale_symbols(refresh_symbols(), auto=True):
        return
    if store.fetcher is None or not store.fetcher.available():
        st.session_state["offline"] = True
        return
    _run_refresh(auto=True, force=False)


def _sidebar_freshness() -> None:
    store = price_store()
    cov = store.coverage()
    if store.cache_problem:
        st.warning(
            "The local price cache could not be read, so the shipped snapshot is shown. "
            "Use **Rebuild cache** to set the damaged file aside.",
            icon=":material/warning:",
        )
        if st.button("Rebuild cache", key="_rebuild_cache"):
            store.rebuild_cache()
            st.rerun()
    if not cov.empty:
        as_of = cov["last_date"].max().date()
        st.markdown(f"**Prices as of {as_of:%d %b %Y}**")
    if st.session_state.get("offline"):
        st.caption(
            ":material/cloud_off: Offline: Yahoo Finance is unreachable, using data on disk."
        )
    if st.session_state.get("last_refresh"):
        st.caption(st.session_state["last_refresh"])
    with st.expander("Data freshness", icon=":material/schedule:"):
        view = cov.assign(
            first_date=cov["first_date"].dt.date, last_date=cov["last_date"].dt.date
        ).sort_values("last_date", ascending=False)
        st.dataframe(view, hide_index=True, width="stretch")
        st.caption(
            "Snapshot: real daily prices from public sources (see README). "
            "Cache: rows fetched from Yahoo Finance."
        )
    if st.button("Refresh now", icon=":material/refresh:", key="_refresh_now"):
        forget_probe()
        if store.fetcher is None or not store.fetcher.available():
            st.session_state["offline"] = True
            st.session_state["last_refresh"] = (
                "Yahoo Finance is unreachable; using data as of "
                f"{cov['last_date'].max().date() if not cov.empty else 'n/a'}."
            )
        else:
            st.session_state.pop("offline", None)
            _run_refresh(auto=False, force=False)
        st.rerun()


# --------------------------------------------------------------------------- widgets


def download_csv(
    frame_factory: Callable[[], pd.DataFrame], *, label: str, file_name: str, key: str
) -> None:
    """A download button that builds the escaped CSV only when clicked (full resolution)."""
    st.download_button(
        label,
        data=lambda: export.to_csv_bytes(frame_factory()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


# --------------------------------------------------------------------------- formatting


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """+25.0% / -3.2% / n/a; fractions in, signed percent out (never "125%" for +25%)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x * 100:+.{digits}f}%"


def fmt_price(x: float | None, currency: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.2f} {currency}"


def fmt_date(d: date | pd.Timestamp | None) -> str:
    if d is None or pd.isna(d):
        return "n/a"
    return pd.Timestamp(d).strftime("%d %b %Y")
