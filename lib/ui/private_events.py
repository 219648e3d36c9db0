"""The signed-in user's own events as policy-event rows, for the timeline and the event study.

Per owner and small: keyed on the owner and a stamp of their events (count and latest edit),
so every page shares one read per change and another owner's rows are never in a cache entry
they can reach.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from lib.catalysts.private import MY_EVENTS, PrivateEventStore, as_event_rows
from lib.events.events import prepare_events
from lib.ui import auth, data
from lib.watchlists.db import private_events_t

__all__ = ["MY_EVENTS", "key", "owner", "rows", "stamp"]


def owner() -> str | None:
    """Whose events to show: the signed-in (or single-user) owner, else nobody."""
    try:
        return auth.identity().owner
    except Exception:  # a sign-in that cannot be checked shows no private rows
        return None


def stamp(who: str | None) -> str:
    """Changes whenever the owner's events change (add, edit, delete)."""
    if who is None:
        return "none"
    t = private_events_t
    q = sa.select(sa.func.count(), sa.func.max(t.c.updated_at)).where(t.c.owner == who)
    try:
        with data.watchlist_store().engine.connect() as conn:
            n, latest = conn.execute(q).one()
    except Exception:
        return "unavailable"
    return f"{n}-{latest}"


@st.cache_data(max_entries=64, show_spinner=False)
def rows(who: str | None, stamp: str) -> pd.DataFrame:
    """Prepared event rows (lane "My events") of ``who``; empty for nobody."""
    if who is None or stamp in ("none", "unavailable"):
        return prepare_events(as_event_rows(pd.DataFrame(columns=["id"])))
    mine = PrivateEventStore(data.watchlist_store().engine).frame(who)
    return prepare_events(as_event_rows(mine))


def key() -> tuple[str | None, str]:
    """The small cache key a view takes: (owner, stamp)."""
    who = owner()
    return who, stamp(who)
