"""The only Streamlit glue: page setup, the shared sidebar, cached loaders, formatting.

Cached loaders take small hashable keys (symbol tuples, flags, a cache token), never
DataFrames, and return fresh copies (``st.cache_data``), so sessions cannot share state.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from lib import charts, export, fx, overview, returns, ui_auth
from lib import watchlists as watchlists_mod
from lib.paths import ROOT
from lib.price_view import PriceView, build_view, listing_markers
from lib.prices import (
    ENV_OFFLINE,
    PriceStore,
    default_store,
    forget_probe,
    read_snapshot_meta,
    refresh_universe_symbols,
)
from lib.universe import basket_members, load_universe

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
    return set(coverage()["symbol"].astype(str))


def coverage() -> pd.DataFrame:
    """Per-symbol first/last date and source, recomputed only when the cache file changes."""
    return _coverage(price_store().cache_token())


@st.cache_data(show_spinner=False, max_entries=8)
def _coverage(cache_token: str) -> pd.DataFrame:
    return price_store().coverage()


def symbol_labels() -> dict[str, str]:
    """Picker labels (name, exchange, currency, offline flag), once per cache version."""
    return _symbol_labels(price_store().cache_token())


@st.cache_data(show_spinner=False)
def _symbol_labels(cache_token: str) -> dict[str, str]:
    have = _available_cached(cache_token)
    out: dict[str, str] = {}
    for r in universe().itertuples():
        label = f"{r.symbol} · {r.name} · {r.exchange} · {r.currency}"
        out[r.symbol] = label if r.symbol in have else label + " · (no offline data)"
    return out


@st.cache_data(show_spinner=False)
def _available_cached(cache_token: str) -> frozenset[str]:
    return frozenset(available_symbols())


# --------------------------------------------------------------------------- page frame


def page_setup(title: str, icon: str, caption: str | None = None) -> None:
    """Every page starts here: config, automatic refresh (once per session), sidebar, title."""
    # An emoji favicon: Material icons as favicons are fetched from Google's servers,
    # which an offline deployment cannot reach.
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon="🧲", layout="wide")
    _auto_refresh_once()
    with st.sidebar:
        _navigation()
        _sidebar_freshness()
        if ui_auth.sidebar_account():  # issue 12: account block; False = signed out
            watchlist_sidebar()
    st.title(title)
    if caption:
        st.caption(caption)


#: (file, label, icon, what it answers) of every page; our own sidebar navigation replaces
#: Streamlit's, which would call the landing page "app".
NAVIGATION: tuple[tuple[str, str, str, str], ...] = (
    ("app.py", "Home", ":material/public:", "West vs China at a glance"),
    ("pages/1_Prices.py", "Prices", ":material/show_chart:", "compare any symbols"),
    (
        "pages/2_Policy_timeline.py",
        "Policy timeline",
        ":material/timeline:",
        "export controls, funding, deals",
    ),
    ("pages/3_Event_study.py", "Event study", ":material/query_stats:", "how prices reacted"),
    (
        "pages/4_Market_outlook.py",
        "Market outlook",
        ":material/trending_up:",
        "forecasts vs equities",
    ),
    ("pages/5_Watchlists.py", "Watchlists", ":material/bookmarks:", "your saved lists"),
)


def _navigation() -> None:
    """Sidebar page links (client.showSidebarNavigation is off in .streamlit/config.toml)."""
    with st.container(key="app_nav"):
        for path, label, icon, _ in NAVIGATION:
            if (ROOT / path).exists():
                st.page_link(path, label=label, icon=icon)
    st.divider()


def refresh_symbols() -> list[str]:
    """Everything the app shows (shared with `make refresh`, so the two never drift)."""
    return refresh_universe_symbols()


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
    cov = coverage()
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


# --------------------------------------------------------------------------- Prices page state

_MODE_CODES = {"Rebased to 100": "rebased", "Price": "price", "% change": "pct"}
_PRICE_DEFAULTS: dict[str, object] = {
    "px_range": "1Y",
    "px_mode": "Rebased to 100",
    "px_ccy": "Local",
    "px_log": False,
    "px_bench": [],
}


def init_price_state() -> None:
    """Seed the Prices widgets: URL first, then this session's last view, then the
    active watchlist, then defaults. Switching the active watchlist re-seeds the symbols."""
    from lib.price_view import DEFAULT_SYMBOLS
    from lib.returns import RANGES

    ss = st.session_state
    qp = st.query_params
    saved: dict[str, object] = ss.get("_px_saved", {})
    watch = ss.get("active_watchlist_symbols") or []
    if "px_symbols" not in ss:
        url_syms = [s for s in qp.get_all("symbols") if s]
        ss["px_symbols"] = (
            url_syms or saved.get("px_symbols") or list(watch) or list(DEFAULT_SYMBOLS)
        )
        ss["_px_watchlist"] = ss.get("active_watchlist")
    elif watch and ss.get("_px_watchlist") != ss.get("active_watchlist"):
        ss["px_symbols"] = list(watch)
        ss["_px_watchlist"] = ss.get("active_watchlist")
    from_url: dict[str, object] = {}
    if qp.get("range") in [*RANGES, "Custom"]:
        from_url["px_range"] = qp.get("range")
    codes = {v: k for k, v in _MODE_CODES.items()}
    if qp.get("mode") in codes:
        from_url["px_mode"] = codes[qp["mode"]]
    if qp.get("ccy") in ("Local", "USD"):
        from_url["px_ccy"] = qp.get("ccy")
    if qp.get("log") in ("0", "1"):
        from_url["px_log"] = qp.get("log") == "1"
    bench = [b for b in qp.get_all("bench") if b in ("SPY", "REMX")]
    if bench:
        from_url["px_bench"] = bench
    for key, default in _PRICE_DEFAULTS.items():
        if key not in ss:
            ss[key] = from_url.get(key, saved.get(key, default))
    if "px_custom" not in ss and "px_custom" in saved:
        ss["px_custom"] = saved["px_custom"]


def sync_price_query_params() -> None:
    """Mirror the Prices choices into the URL (non-defaults only) and remember them."""
    ss = st.session_state
    keys = ["px_symbols", *_PRICE_DEFAULTS, "px_custom"]
    ss["_px_saved"] = {k: ss[k] for k in keys if k in ss}
    params: dict[str, str | list[str]] = {"symbols": list(ss.get("px_symbols", []))}
    if ss.get("px_range", "1Y") != "1Y":
        params["range"] = str(ss["px_range"])
    if ss.get("px_mode", "Rebased to 100") != "Rebased to 100":
        params["mode"] = _MODE_CODES.get(str(ss["px_mode"]), "rebased")
    if ss.get("px_ccy", "Local") != "Local":
        params["ccy"] = str(ss["px_ccy"])
    if ss.get("px_log"):
        params["log"] = "1"
    if ss.get("px_bench"):
        params["bench"] = list(ss["px_bench"])
    st.query_params.from_dict(params)


def symbol_options(selected: list[str]) -> list[str]:
    """Universe symbols first, then anything else with data, then the user's own entries."""
    uni = list(universe()["symbol"])
    extra = sorted(_available_cached(price_store().cache_token()) - set(uni))
    extra = [s for s in extra if "=" not in s]  # FX series are plumbing, not picks
    return list(dict.fromkeys([*uni, *extra, *selected]))


def default_custom_range() -> tuple[date, date]:
    cov = coverage()
    end = cov["last_date"].max().date() if not cov.empty else date.today()
    return (date(end.year - 1, end.month, 1), end)


def resolve_unknown_symbols(symbols: Sequence[str]) -> None:
    """Try Yahoo once per session for typed symbols we hold no data for (when online)."""
    store = price_store()
    have = _available_cached(store.cache_token())
    tried: set[str] = st.session_state.setdefault("_resolved_tried", set())
    todo = [s for s in symbols if s not in have and s not in tried]
    if not todo:
        return
    tried.update(todo)
    if os.environ.get(ENV_OFFLINE) == "1" or store.fetcher is None:
        return
    if not store.fetcher.available():
        return
    with st.spinner(f"Looking up {', '.join(todo)} on Yahoo Finance…"):
        report = store.refresh(todo, force=True)
    for sym in report.failed:
        msg = report.symbols[sym].message
        st.error(f"Yahoo Finance has no daily prices for **{sym}** ({msg}).")
    if report.written:
        _available_cached.clear()


@st.cache_data(ttl="1h", max_entries=64, show_spinner=False)
def _price_view(
    symbols: tuple[str, ...],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    mode: str,
    cache_token: str,
) -> tuple[PriceView, dict[str, str], pd.DataFrame]:
    tidy, notes = _display_prices(symbols, currency, include_pre_listing, cache_token)
    view = build_view(tidy, range_key, mode, custom)
    ccy = currency_map()
    if currency == "USD":
        ccy = dict.fromkeys(symbols, "USD")
    summary = returns.summary_table(view.tidy, ccy, name_map())
    for col in ("return", "max_drawdown", "volatility"):
        summary[col] = summary[col] * 100.0
    return view, notes, summary


def price_view_for(
    symbols: Sequence[str],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    mode: str,
) -> tuple[PriceView, dict[str, str], pd.DataFrame]:
    """The Prices page's view, FX notes and summary table, cached on the (small) choices."""
    key = tuple(sorted({s.upper() for s in symbols}))
    token = price_store().cache_token()
    return _price_view(key, currency, include_pre_listing, range_key, custom, mode, token)


@st.cache_data(ttl="1h", max_entries=64, show_spinner=False)
def _price_chart(
    symbols: tuple[str, ...],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    mode: str,
    log_scale: bool,
    benchmarks: tuple[str, ...],
    y_title: str | None,
    events: tuple[tuple[str, ...], tuple[str, ...]] | None,
    cache_token: str,
) -> alt.VConcatChart:
    view, *_ = _price_view(
        symbols, currency, include_pre_listing, range_key, custom, mode, cache_token
    )
    overlays: list = []
    if include_pre_listing:
        marks = listing_markers(universe(), symbols, view.start, view.end)
        if not marks.empty:
            overlays.append(charts.listing_marker(marks))
    if events is not None:
        overlays.extend(event_overlay_layers(view.start, view.end, *events))
    plot = charts.prepare_plot(view.values, benchmarks)
    return charts.price_chart(plot, mode, log_scale, y_title, overlays)


def price_chart_for(
    symbols: Sequence[str],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    mode: str,
    log_scale: bool,
    benchmarks: Sequence[str],
    y_title: str | None,
    events: tuple[tuple[str, ...], tuple[str, ...]] | None,
) -> alt.VConcatChart:
    """The built chart for one set of choices; rebuilding and validating specs is the
    most expensive part of a rerun, so it is cached like the data."""
    key = tuple(sorted({s.upper() for s in symbols}))
    return _price_chart(
        key,
        currency,
        include_pre_listing,
        range_key,
        custom,
        mode,
        log_scale,
        tuple(benchmarks),
        y_title,
        events,
        price_store().cache_token(),
    )


def event_overlay_layers(
    start: date | None, end: date | None, categories: tuple[str, ...], places: tuple[str, ...]
) -> list:
    """Policy-event rules for a price chart, filtered and limited to the visible range."""
    from lib.event_charts import event_rule_layer
    from lib.events import filter_events

    events = filter_events(
        policy_events(), jurisdictions=places, categories=categories, start=start, end=end
    )
    if events.empty:
        return []
    return [event_rule_layer(events, start=start, end=end)]


def price_summary_table(table: pd.DataFrame) -> None:
    """The per-symbol summary under the price chart (percent columns already x100)."""
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "symbol": st.column_config.TextColumn("Symbol"),
            "name": st.column_config.TextColumn("Name"),
            "last": st.column_config.NumberColumn("Last close", format="%.2f"),
            "currency": st.column_config.TextColumn("Ccy"),
            "as_of": st.column_config.DateColumn("As of", format="DD MMM YYYY"),
            "return": st.column_config.NumberColumn("Return", format="%+.1f%%"),
            "max_drawdown": st.column_config.NumberColumn("Max drawdown", format="%.1f%%"),
            "volatility": st.column_config.NumberColumn("Volatility (ann.)", format="%.1f%%"),
            "trend": st.column_config.LineChartColumn("Trend"),
        },
    )


# --------------------------------------------------------------------------- landing page


@st.cache_data(ttl="1h", max_entries=16, show_spinner=False)
def _home(start: str | None, cache_token: str) -> overview.HomeOverview:
    uni = universe()
    members = {
        "West basket": basket_members(uni, "West"),
        "China basket": basket_members(uni, "China"),
    }
    wanted = [s for syms in members.values() for s in syms] + ["MP", "REMX"]
    tidy, notes = display_prices(wanted, "USD", False)
    start_date = date.fromisoformat(start) if start else None
    return overview.build_home(tidy, members, start_date, notes)


def home_overview(start: str | None) -> overview.HomeOverview:
    return _home(start, price_store().cache_token())


#: Market-moving kinds of event marked on the landing chart (all are on Policy timeline).
HOME_EVENT_CATEGORIES = (
    "export control",
    "equity stake/price floor",
    "alliance/framework",
    "tariff",
)


@st.cache_data(ttl="1h", max_entries=16, show_spinner=False)
def _home_chart(start: str | None, cache_token: str) -> alt.LayerChart:
    home = _home(start, cache_token)
    overlays = event_overlay_layers(home.start, home.end, HOME_EVENT_CATEGORIES, ())
    return charts.basket_chart(home.levels, overlays)


def home_chart(start: str | None) -> alt.LayerChart:
    """The landing chart, cached like its data: building specs dominates a warm rerun."""
    return _home_chart(start, price_store().cache_token())


def page_links() -> None:
    """The landing page's links to every other page, with what each one answers."""
    for path, label, icon, blurb in NAVIGATION[1:]:
        if (ROOT / path).exists():
            st.page_link(path, label=f"{label}: {blurb}", icon=icon)


def latest_events_list(limit: int = 6) -> None:
    """The most recent policy events, newest first; inexact or unverified ones say so."""
    events = policy_events().sort_values("date", ascending=False).head(limit)
    st.subheader("Latest policy events")
    for ev in events.itertuples():
        flag = "" if ev.status_label == "exact" else f" · :orange[{ev.status_label}]"
        st.markdown(
            f"**{ev.date_label}** · {ev.jurisdiction} · {ev.category}{flag}  \n"
            f"{escape_markdown(ev.title)}"
        )
    if (ROOT / "pages" / "2_Policy_timeline.py").exists():
        st.page_link("pages/2_Policy_timeline.py", label="All events", icon=":material/timeline:")


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


def escape_markdown(text: str) -> str:
    """Show untrusted or data text literally inside st.markdown (no links, HTML or emphasis)."""
    specials = "\\`*_{}[]()<>#+-.!|~$:"
    return "".join("\\" + ch if ch in specials else ch for ch in str(text))


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """+25.0% / -3.2% / n/a; fractions in, signed percent out (never "125%" for +25%)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x * 100:+.{digits}f}%"


def fmt_date(d: date | pd.Timestamp | None) -> str:
    if d is None or pd.isna(d):
        return "n/a"
    return pd.Timestamp(d).strftime("%d %b %Y")


# --------------------------------------------------------------------------- policy events


@st.cache_data(show_spinner=False)
def policy_events() -> pd.DataFrame:
    """Validated policy events with their uncertainty spans (see lib.events)."""
    from lib.events import load_events

    return load_events()


@st.cache_data(ttl="1h", max_entries=64, show_spinner="Computing abnormal returns…")
def _event_study(
    event_ids: tuple[str, ...],
    symbols: tuple[str, ...],
    benchmark: str,
    model: str,
    event_window: tuple[int, int],
    estimation_window: tuple[int, int],
    cache_token: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from lib.event_study import StudySpec, run_event_study

    spec = StudySpec(event_window=event_window, estimation_window=estimation_window, model=model)
    ev = policy_events()
    ev = ev[ev["id"].isin(event_ids)]
    prices = _prices(tuple(sorted({*symbols, benchmark})), cache_token)
    uni = universe()
    res = run_event_study(
        ev,
        prices,
        list(symbols),
        benchmark,
        spec,
        listing_dates=dict(zip(uni["symbol"], uni["listing_date"], strict=True)),
        exchanges=dict(zip(uni["symbol"], uni["exchange"], strict=True)),
    )
    return res.ar, res.summary


def event_study(
    event_ids: Sequence[str],
    symbols: Sequence[str],
    benchmark: str,
    model: str,
    event_window: tuple[int, int],
    estimation_window: tuple[int, int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ARs, summary) cached on small keys; raises lib.event_study.EventStudyError on bad input."""
    return _event_study(
        tuple(sorted(set(event_ids))),
        tuple(dict.fromkeys(symbols)),
        benchmark,
        model,
        (int(event_window[0]), int(event_window[1])),
        (int(estimation_window[0]), int(estimation_window[1])),
        price_store().cache_token(),
    )


# --------------------------------------------------------------------------- watchlists


def watchlist_url() -> str:
    """RER_DATABASE_URL, else secrets.toml [connections.watchlists] url, else local SQLite."""
    secrets_url: str | None = None
    try:
        section = st.secrets.get("connections", {}).get("watchlists", {})
        secrets_url = str(section.get("url") or "") or None
    except Exception:  # no secrets.toml at all is the normal local case
        secrets_url = None
    return watchlists_mod.resolve_database_url(secrets_url=secrets_url)


@st.cache_resource(show_spinner=False)
def _watchlist_store(url: str) -> watchlists_mod.WatchlistStore:
    """One engine (connection pool) per URL per server process; migrates on first use."""
    return watchlists_mod.WatchlistStore.open(url)


def watchlist_store() -> watchlists_mod.WatchlistStore:
    return _watchlist_store(watchlist_url())


def watchlist_owner() -> str:
    """Issuer+subject of the signed-in user, or local without [auth] (issue 12: lib.auth)."""
    return ui_auth.watchlist_owner()


def watchlist_price_lookup(symbol: str) -> tuple[date, float] | None:
    """Latest quoted price on disk for ``symbol`` (recorded as the price when added)."""
    from lib.watchlist_perf import last_price

    return last_price(load_prices([symbol]), symbol)


def ensure_starter_watchlists(store: watchlists_mod.WatchlistStore, owner: str) -> None:
    """Seed the starter lists once per owner; checked once per session to keep reruns cheap."""
    flag = f"_wl_seeded::{owner}"
    if st.session_state.get(flag):
        return
    store.ensure_starter_lists(owner, universe(), price_lookup=watchlist_price_lookup)
    st.session_state[flag] = True


def _pick_active_watchlist() -> None:
    st.session_state["active_watchlist_id"] = st.session_state.get("_wl_active_pick")


def watchlist_sidebar() -> None:
    """The 'Active watchlist' picker; pages preselect ``active_watchlist_symbols`` from it."""
    st.session_state.setdefault("active_watchlist", None)
    st.session_state.setdefault("active_watchlist_symbols", [])
    try:
        store, owner = watchlist_store(), watchlist_owner()
        ensure_starter_watchlists(store, owner)
        lists = store.lists(owner)
    except Exception:
        st.caption(":material/error: Watchlists are unavailable: the database could not be read.")
        return
    names = {wl.id: wl.name for wl in lists}
    options: list[int | None] = [None, *names]
    active = st.session_state.get("active_watchlist_id")
    if active not in names:
        active = None
    st.selectbox(
        "Active watchlist",
        options,
        index=options.index(active),
        format_func=lambda i: "(none)" if i is None else names.get(i, "?"),
        key="_wl_active_pick",
        on_change=_pick_active_watchlist,
        help="Pages that pick symbols start from this list.",
    )
    chosen = st.session_state.get("_wl_active_pick")
    st.session_state["active_watchlist_id"] = chosen
    if chosen is None:
        st.session_state["active_watchlist"] = None
        st.session_state["active_watchlist_symbols"] = []
        return
    try:
        wl = store.get(owner, chosen)
    except watchlists_mod.WatchlistError:
        st.session_state["active_watchlist"] = None
        st.session_state["active_watchlist_symbols"] = []
        return
    st.session_state["active_watchlist"] = wl.name
    st.session_state["active_watchlist_symbols"] = wl.symbols


# --------------------------------------------------------------------------- market outlook


@st.cache_data(show_spinner=False)
def market_projections() -> pd.DataFrame:
    """Typed rows of data/market_projections.csv (small, versioned)."""
    from lib.projections import load_projections

    return load_projections()


@st.cache_data(show_spinner=False)
def ndpr_price_facts() -> pd.DataFrame:
    """Typed rows of data/ndpr_prices.csv."""
    from lib.projections import load_ndpr

    return load_ndpr()


@st.cache_data(show_spinner=False)
def outlook_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """CAGR checks, yearly paths and the shown table: pure functions of the versioned CSV."""
    from lib import projections

    proj = market_projections()
    checks = projections.cagr_checks(proj)
    return checks, projections.projection_paths(proj), projections.checks_table(checks)


@st.cache_data(max_entries=64, show_spinner=False)
def outlook_paths_chart(
    scope: str,
    log_scale: bool,
    show_superseded: bool,
    include_unverified: bool,
    scenario: tuple[int, float, float] | None,
) -> alt.LayerChart:
    """The projection-paths chart for one set of choices; building specs dominates a rerun."""
    from lib import outlook_charts, projections

    paths = outlook_tables()[1]
    in_scope = paths[paths["scope"] == scope]
    inputs = projections.consensus_inputs(in_scope, include_unverified=include_unverified)
    shown = in_scope if show_superseded else in_scope[~in_scope["superseded"]]
    scen = None
    if scenario is not None:
        y0, v0, g = scenario
        scen = projections.scenario_path(y0, v0, g, max(y0 + 1, int(in_scope["year"].max())))
    return outlook_charts.projection_paths_chart(
        shown,
        projections.consensus(inputs),
        unit=str(in_scope["unit"].iloc[0]),
        log_scale=log_scale,
        scenario=scen,
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _outlook_growth(
    scope: str,
    include_unverified: bool,
    symbols: tuple[str, ...],
    start_year: int,
    log_scale: bool,
    cache_token: str,
) -> tuple[alt.LayerChart, object, pd.DataFrame]:
    from lib import outlook_charts, projections

    paths = outlook_tables()[1]
    inputs = projections.consensus_inputs(
        paths[paths["scope"] == scope], include_unverified=include_unverified
    )
    growth = projections.consensus(projections.rebase_paths(inputs, start_year))
    tidy = _display_prices(symbols, "local", False, cache_token)[0]
    basket = projections.equity_growth_index(tidy, start_year)
    equity = basket.assign(series="Equities (equal-weighted)")
    chart = outlook_charts.growth_vs_equity_chart(growth, equity, log_scale=log_scale)
    cmp = projections.compare_growth(basket.set_index("date")["level"], growth, start_year)
    return chart, cmp, basket


def outlook_growth(
    scope: str, include_unverified: bool, symbols: Sequence[str], start_year: int, log_scale: bool
) -> tuple[alt.LayerChart, object, pd.DataFrame]:
    """Forecast growth vs the equal-weighted equities: (chart, GrowthComparison|None, basket)."""
    key = tuple(sorted({s.upper() for s in symbols}))
    return _outlook_growth(
        scope, include_unverified, key, start_year, log_scale, price_store().cache_token()
    )


@st.cache_data(show_spinner=False)
def _ndpr_panel(cache_token: str) -> alt.LayerChart:
    from lib import outlook_charts, projections

    cny = _prices(("CNY=X",), cache_token)
    fx_rate = cny.set_index("date")["adj_close"] if not cny.empty else None
    return outlook_charts.ndpr_chart(projections.ndpr_points(ndpr_price_facts(), fx_rate))


def ndpr_panel() -> alt.LayerChart:
    """NdPr quotes (CNY ones converted at the CNY=X rate on disk) with reference levels."""
    return _ndpr_panel(price_store().cache_token())


def offline_symbols() -> frozenset[str]:
    """available_symbols(), cached per cache version: cheap enough to call on every rerun."""
    return _available_cached(price_store().cache_token())
