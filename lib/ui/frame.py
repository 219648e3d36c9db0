"""The frame every page starts with: page config, navigation, refresh status, active watchlist."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import streamlit as st

from lib import settings, watchlists
from lib.paths import ROOT
from lib.prices import PriceDataError, forget_probe, refresh_universe_symbols
from lib.ui import alerts as alerts_ui
from lib.ui import auth, data
from lib.ui.pickers import id_selectbox
from lib.ui.widgets import escape_markdown, lazy_expander
from lib.watchlists.perf import last_price

APP_NAME = "Rare Earths Revival"

#: (file, label, icon, what it answers) of every page; our own sidebar navigation replaces
#: Streamlit's, which would call the landing page "app". app.py is the frame and Home.
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
    (
        "pages/6_Supply_gap.py",
        "Supply gap",
        ":material/factory:",
        "tonnes, capacity, import dependence",
    ),
    ("pages/7_Catalysts.py", "Catalysts", ":material/event_upcoming:", "what comes next"),
)


@functools.cache
def pages() -> tuple[tuple[str, str, str, str], ...]:
    """NAVIGATION rows whose file exists, checked once per process (not on every render)."""
    return tuple(row for row in NAVIGATION if (ROOT / row[0]).exists())


def page_setup(title: str, icon: str, caption: str | None = None) -> None:
    """Every page starts here: config, automatic refresh (once per session), sidebar, title."""
    # An emoji favicon: Material icons as favicons are fetched from Google's servers,
    # which an offline deployment cannot reach.
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon="🧲", layout="wide")
    _auto_refresh_once()
    with st.sidebar:
        _navigation()
        _sidebar_freshness()
        if auth.sidebar_account():  # issue 12: account block; False = signed out
            watchlist_sidebar()
    st.title(title)
    if caption:
        st.caption(caption)


def _navigation() -> None:
    """Sidebar page links (client.showSidebarNavigation is off in .streamlit/config.toml)."""
    with st.container(key="app_nav"):
        for path, label, icon, _ in pages():
            st.page_link(path, label=label, icon=icon)
    st.divider()


def page_link(path: str, label: str, icon: str) -> None:
    """A link to another page, only when that page exists in this deployment."""
    if any(row[0] == path for row in pages()):
        st.page_link(path, label=label, icon=icon)


# --------------------------------------------------------------------------- refresh


def _run_refresh(*, auto: bool, force: bool) -> None:
    store = data.price_store()
    lines: list[str] = []
    with st.status("Updating prices from Yahoo Finance…", expanded=False) as status:
        progress = st.progress(0.0)
        targets = refresh_universe_symbols()

        def on_symbol(sym: str, msg: str) -> None:
            lines.append(f"{escape_markdown(sym)}: {escape_markdown(msg)}")
            progress.progress(min(1.0, len(lines) / max(1, len(targets))), text=lines[-1])

        report = store.refresh(targets, auto=auto, force=force, progress=on_symbol)
        for line in lines:
            st.markdown(line)
        state = "error" if report.failed and not report.updated else "complete"
        status.update(label=report.summary(), state=state)
    st.session_state["last_refresh"] = report.summary()
    if report.failed:
        st.session_state["refresh_failed"] = report.failed
    if report.written:
        data.offline_symbols.clear()


def _auto_refresh_once() -> None:
    if st.session_state.get("_refresh_checked"):
        return
    st.session_state["_refresh_checked"] = True
    store = data.price_store()
    if not data.stale_universe():
        return
    if store.fetcher is None or not store.fetcher.available():
        st.session_state["offline"] = True
        return
    # The cached list may predate another server's attempt: ask the store before refreshing.
    if not store.stale_symbols(refresh_universe_symbols(), auto=True):
        return
    _run_refresh(auto=True, force=False)


def _sidebar_freshness() -> None:
    store = data.price_store()
    cov = data.coverage()
    if store.cache_problem and data.shared_price_store():
        # Nothing local to repair: the database is down or unreachable from this server.
        st.warning(
            "The shared price database could not be reached, so the shipped snapshot is "
            "shown. Newer prices come back by themselves once it answers again "
            "(it is retried every few seconds); **Check again** reloads.",
            icon=":material/warning:",
        )
        if st.button("Check again", key="_recheck_db"):
            st.rerun()
    elif store.cache_problem:
        st.warning(
            "The local price cache could not be read, so the shipped snapshot is shown. "
            "Use **Rebuild cache** to set the damaged file aside.",
            icon=":material/warning:",
        )
        if st.button("Rebuild cache", key="_rebuild_cache"):
            try:
                store.rebuild_cache()
            except PriceDataError as exc:
                st.session_state["_rebuild_problem"] = str(exc)
            else:
                st.session_state.pop("_rebuild_problem", None)
            st.rerun()
    if st.session_state.get("_rebuild_problem"):
        st.error(escape_markdown(st.session_state["_rebuild_problem"]), icon=":material/error:")
    if not cov.empty:
        as_of = cov["last_date"].max().date()
        st.markdown(f"**Prices as of {as_of:%d %b %Y}**")
    if st.session_state.get("offline"):
        st.caption(
            ":material/cloud_off: Offline: Yahoo Finance is unreachable, using data on disk."
        )
    if st.session_state.get("last_refresh"):
        st.caption(st.session_state["last_refresh"])
    # Runs only when opened: every page switch used to mount this table, unseen.
    if box := lazy_expander("Data freshness", key="_freshness_open", icon=":material/schedule:"):
        with box:
            st.dataframe(data.freshness_table(), hide_index=True, width="stretch")
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


#: On-demand Yahoo lookups one session may trigger (each is a full-history download).
MAX_LOOKUPS_PER_SESSION = 10


def resolve_unknown_symbols(symbols: Sequence[str]) -> None:
    """Try Yahoo once per session for typed symbols we hold no data for (when online).

    At most MAX_LOOKUPS_PER_SESSION per session; the store caps what the shared cache keeps.
    """
    store = data.price_store()
    have = data.offline_symbols()
    tried: set[str] = st.session_state.setdefault("_resolved_tried", set())
    todo = [s for s in symbols if s not in have and s not in tried]
    if not todo:
        return
    if settings.current().offline or store.fetcher is None:
        tried.update(todo)
        return
    room = max(0, MAX_LOOKUPS_PER_SESSION - len(tried))
    todo, over = todo[:room], todo[room:]
    if over:
        names = ", ".join(escape_markdown(s) for s in over)
        st.info(
            f"This session has looked up {MAX_LOOKUPS_PER_SESSION} new symbols on Yahoo Finance, "
            f"the most one visit may; not looked up: {names}.",
            icon=":material/block:",
        )
    if not todo:
        return
    tried.update(todo)
    if not store.fetcher.available():
        return
    names = ", ".join(escape_markdown(s) for s in todo)
    with st.spinner(f"Looking up {names} on Yahoo Finance…"):
        report = store.refresh(todo, force=True)
    for sym in report.failed:
        msg = escape_markdown(report.symbols[sym].message)
        st.error(f"Yahoo Finance has no daily prices for **{escape_markdown(sym)}** ({msg}).")
    for sym in report.skipped:
        msg = escape_markdown(report.symbols[sym].message)
        st.info(f"**{escape_markdown(sym)}**: {msg}.", icon=":material/block:")
    if report.written:
        data.offline_symbols.clear()


# --------------------------------------------------------------------------- active watchlist


def watchlist_owner() -> str:
    """The owner key for watchlist reads and writes (issuer + subject when signed in)."""
    return auth.watchlist_owner()


def watchlist_price_lookup(symbol: str) -> tuple[date, float] | None:
    """Latest quoted price on disk for ``symbol`` (recorded as the price when added)."""
    return last_price(data.load_prices([symbol]), symbol)


def ensure_starter_watchlists(store: watchlists.WatchlistStore, owner: str) -> None:
    """Seed the starter lists once per owner; checked once per session to keep reruns cheap."""
    flag = f"_wl_seeded::{owner}"
    if st.session_state.get(flag):
        return
    store.ensure_starter_lists(owner, data.universe(), price_lookup=watchlist_price_lookup)
    st.session_state[flag] = True


def _set_active(name: str | None, symbols: list[str]) -> None:
    st.session_state["active_watchlist"] = name
    st.session_state["active_watchlist_symbols"] = symbols


def watchlist_sidebar() -> None:
    """The 'Active watchlist' picker; pages preselect ``active_watchlist_symbols`` from it."""
    st.session_state.setdefault("active_watchlist", None)
    st.session_state.setdefault("active_watchlist_symbols", [])
    try:
        store, owner = data.watchlist_store(), watchlist_owner()
        ensure_starter_watchlists(store, owner)
        lists = store.lists(owner)
    except Exception:
        st.caption(":material/error: Watchlists are unavailable: the database could not be read.")
        return
    alerts_ui.badge(owner)  # issue 23: unread alerts, linking to the inbox
    labels: dict[int | None, str] = {None: "(none)", **{wl.id: wl.name for wl in lists}}
    # The value is the list id, kept in active_watchlist_id: a rename elsewhere changes the
    # label, never which list is active (issue 25).
    chosen = id_selectbox(
        "Active watchlist",
        labels,
        key="_wl_active_pick",
        state_key="active_watchlist_id",
        default=lambda: None,
        help="Pages that pick symbols start from this list.",
    )
    if chosen is None:
        _set_active(None, [])
        return
    try:
        wl = store.get(owner, chosen)
    except watchlists.WatchlistError:
        _set_active(None, [])
        return
    _set_active(wl.name, wl.symbols)
