"""The shared catalyst calendar loader (Catalysts page, Home's "Next 30 days" box).

Cached on the price cache token and the earnings cache's stamp (small keys), built from the
shipped files by lib.catalysts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.catalysts import earnings, model, sources
from lib.paths import user_data_dir
from lib.ui import data
from lib.ui.widgets import escape_markdown

EARNINGS_CACHE_DIR = "catalysts"


def earnings_cache_dir() -> Path:
    return user_data_dir() / EARNINGS_CACHE_DIR


def earnings_stamp() -> str:
    """Changes whenever an earnings refresh rewrote the cache (part of every cache key)."""
    try:
        st = (earnings_cache_dir() / earnings.CACHE_NAME).stat()
    except OSError:
        return "none"
    return f"{st.st_mtime_ns}-{st.st_size}"


def calendar() -> pd.DataFrame:
    """Every catalyst the shipped data and the earnings cache hold, oldest first."""
    return calendar_at(earnings_stamp())


@data.token_cached(ttl="1h", max_entries=4)
def calendar_at(earnings_stamp: str, *, cache_token: str) -> pd.DataFrame:
    online = earnings.read_cache(earnings_cache_dir() / earnings.CACHE_NAME)
    return model.combine(
        model.from_policy_events(data.policy_events()),
        model.from_pipeline(sources.load_pipeline()),
        model.from_earnings(earnings.load_offline()),
        model.from_earnings(online),
    )


def next_up(symbols: tuple[str, ...], today: date, limit: int = 3, days: int = 30) -> pd.DataFrame:
    """The ``limit`` nearest catalysts starting within ``days`` (or under way) that name one
    of ``symbols`` (all catalysts when empty), nearest first."""
    return _next_up(symbols, today, limit, days, earnings_stamp())


@data.token_cached(ttl="1h", max_entries=64)
def _next_up(
    symbols: tuple[str, ...], today: date, limit: int, days: int, stamp: str, *, cache_token: str
) -> pd.DataFrame:
    table = model.select(
        calendar_at(stamp),
        today=today,
        symbols=symbols,
        span=(today, date.fromordinal(today.toordinal() + days)),
    )
    if table.empty:
        return table
    return table.sort_values(["start", "title"]).head(limit).reset_index(drop=True)


def next_30_days_box(symbols: tuple[str, ...], today: date, scope: str) -> None:
    """Home's box: the three nearest catalysts for ``symbols`` (``scope`` names them), with a
    link to the Catalysts page."""
    st.subheader("Next 30 days")
    rows = next_up(symbols, today)
    if rows.empty:
        st.caption(f"No catalysts in the next 30 days for {scope}.")
    for r in rows.itertuples(index=False):
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(r.when)}** · {escape_markdown(r.countdown)}")
            st.text(r.title)
    st.caption(f"For {scope}.")
    st.page_link("pages/7_Catalysts.py", label="All catalysts", icon=":material/event_upcoming:")


def home_box() -> None:
    """The box for the sidebar's active watchlist, or for every catalyst without one."""
    active = tuple(st.session_state.get("active_watchlist_symbols") or ())
    name = st.session_state.get("active_watchlist")
    scope = f"your active watchlist ({name})" if active and name else "the whole universe"
    next_30_days_box(active, date.today(), scope)
