"""The signed-in user's own events as policy-event rows, for the timeline and the event study,
and their CSV download and import next to the watchlist export.

Per owner and small: keyed on the owner and a stamp of their events (count and latest edit),
so every page shares one read per change and another owner's rows are never in a cache entry
they can reach.
"""

from __future__ import annotations

import math
from dataclasses import astuple

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from lib.catalysts import private_io
from lib.catalysts.private import MY_EVENTS, PrivateEventError, PrivateEventStore, as_event_rows
from lib.events.events import prepare_events
from lib.ui import auth, data
from lib.ui.widgets import escape_markdown
from lib.watchlists.db import private_events_t

__all__ = ["MY_EVENTS", "export_csv", "import_csv", "key", "owner", "rows", "stamp"]


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


# --------------------------------------------------------------------------- export / import


def _store() -> PrivateEventStore:
    return PrivateEventStore(data.watchlist_store().engine)


def export_csv(who: str) -> bytes:
    """Every event of ``who`` (all precisions) as the My events CSV (lib.catalysts.private_io)."""
    return private_io.to_csv_bytes(_store().frame(who))


def import_csv(who: str, raw: bytes) -> tuple[str, str]:
    """(message kind, sentence): every row validated first, then all added or none. Events
    already there in every field are skipped, so importing an export twice adds nothing."""
    try:
        auth.check_write_access(who)
        parsed = private_io.parse_csv(raw)
        store = _store()
        fresh, skipped = private_io.new_rows(parsed, store.frame(who))
        added = store.add_many(who, [astuple(r) for r in fresh])
    except (PrivateEventError, auth.SignInRequired) as exc:
        text = str(exc)
        return "error", text if "Nothing was imported" in text else f"Nothing was imported. {text}"
    if not parsed:
        return "info", "The file has a header but no events; nothing was imported."
    there = f"; {skipped} already among your events were skipped" if skipped else ""
    return "success", f"Imported {added} event(s){there}."


_FLASH, _GEN = "_my_events_io_flash", "_my_events_io_gen"


def transfer_section(who: str, *, key: str) -> None:
    """Download and import of ``who``'s events (widget keys start with ``key``)."""
    if msg := st.session_state.pop(_FLASH, None):
        getattr(st, msg[0])(escape_markdown(msg[1]))
    d, u = st.columns([1, 2], vertical_alignment="bottom")
    d.download_button(
        "Download my events (CSV)",
        data=lambda: export_csv(who),
        file_name="my_events.csv",
        mime="text/csv",
        key=f"{key}_export",
        icon=":material/download:",
        on_click="ignore",
    )
    gen = st.session_state.get(_GEN, 0)
    upload = u.file_uploader(
        "Import my events (a CSV from this download or from Catalysts)",
        type=["csv"],
        key=f"{key}_upload_{gen}",  # a fresh uploader after each import
        max_upload_size=max(1, math.ceil(private_io.MAX_IMPORT_BYTES / 2**20)),
    )
    if st.button("Import events", key=f"{key}_import", disabled=upload is None):
        st.session_state[_GEN] = gen + 1
        st.session_state[_FLASH] = import_csv(who, upload.getvalue() if upload else b"")
        st.rerun()
