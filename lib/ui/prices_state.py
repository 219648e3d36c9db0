"""The Prices page's state in the session: read the link before the widgets do (older
names too, through :func:`lib.ui.prices_link.translate`), name what it cannot show, seed what
Streamlit cannot read, and start the symbols from the link, the active watchlist or the
defaults. Everything else is Streamlit's ``bind="query-params"``: it reads today's parameters
on a link's first run, keeps a bound value while its widget is not drawn (a closed section,
another page) and writes it back to the URL when the widget returns.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from lib.markets.price_view import DEFAULT_SYMBOLS, MAX_COMPARE
from lib.ui import data
from lib.ui.prices_link import (
    BENCH,
    EV_CAT,
    EV_JUR,
    EVENTS,
    ONE_END,
    SPAC,
    SYMBOLS,
    Flag,
    Symbols,
    Window,
    translate,
)
from lib.ui.state import capped_symbols, link_value_note, seed_symbols
from lib.ui.widgets import plain_text

#: The query as the page last read (and rewrote) it.
_SEEN = "_px_link_seen"
#: Notes for the run after a rewrite that needs one more run.
_DUE = "_px_link_notes_due"
ONE_END_NOTE = (
    "The link gives only one end of a custom range, so the page opens on its default custom range."
)


def open_link(window: Window) -> None:
    """Before the Prices widgets run: read the link (older names too), name what it carried
    that the page cannot show, seed what Streamlit cannot read, rewrite the URL in today's
    names, and start the symbols (the link's, else the active watchlist's, else the defaults).
    Streamlit reads today's parameters itself; on an ordinary rerun this is a dictionary walk.
    """
    ss, qp = st.session_state, st.query_params
    query = {name: qp.get_all(name) for name in qp}
    labels = data.symbol_labels()
    shown = (ss.get(SYMBOLS) or ss.get("active_watchlist_symbols") or DEFAULT_SYMBOLS,
             ss.get(BENCH) or ())  # fmt: skip
    link = translate(query, window, labels, shown)  # type: ignore[arg-type]
    # A control's choice made on the page is valid; only what a link brought is checked
    # (its first run, or a parameter the address bar changed since the last run).
    last: dict[str, list[str]] = ss.get(_SEEN) or {}
    fresh = bool(link.legacy) or not last
    changed = {name for name, texts in query.items() if last.get(name) != texts}
    due = [n for n in link.notes if fresh or not n.key or n.key in changed]
    link.params = {k: v for k, v in link.params.items() if fresh or k in changed}
    for key in link.from_legacy - {SYMBOLS}:
        if key in link.values:
            ss[key] = link.values[key]
    linked: list[str] = list(link.values.get(SYMBOLS) or [])  # type: ignore[call-overload]
    if SYMBOLS in link.from_legacy and linked:
        ss.pop(SYMBOLS, None)  # an old link on a return visit: its symbols, not the last ones
    had_symbols = SYMBOLS in ss
    seed_symbols(ss, SYMBOLS, DEFAULT_SYMBOLS, preferred=[*linked, *link.left_out])
    if any(plain_text(s) != s for s in ss[SYMBOLS]):  # type: ignore[union-attr]
        # The binding reads the URL itself on a Back step, hidden characters and all: the
        # next run shows the symbols as read (a first visit's link is rewritten above).
        ss[SYMBOLS] = capped_symbols(ss[SYMBOLS], MAX_COMPARE)[0]  # type: ignore[arg-type]
    emptied = link.params.get(SYMBOLS) == []  # the link's symbols were only hidden characters
    if not had_symbols and (SYMBOLS not in query or emptied):  # seeded: say it in the URL
        link.params[SYMBOLS] = Symbols.serialize(list(ss[SYMBOLS]), labels)  # type: ignore[call-overload]
    written = _rewrite(link.params)
    ss[_SEEN] = {**query, **link.params}
    due = [*ss.pop(_DUE, []), *due]
    if written and any(n.key == SYMBOLS for n in due) and SYMBOLS in link.params:
        # Symbols with hidden characters: the bound picker reads the URL this run started
        # with, so the page runs again on the rewritten one (and shows these notes then).
        ss[_DUE] = due
        st.rerun()
    for note in due:
        if note.label == ONE_END:
            st.info(ONE_END_NOTE, icon=":material/link_off:")
        else:
            link_value_note(note.label, list(note.values), note.outcome)
    if not written and link.from_legacy:
        # Back to an older link while on Prices: Streamlit puts bound widgets on the URL's
        # values for this run (none under today's names); the next run keeps the link's.
        st.rerun()


def _rewrite(params: Mapping[str, list[str]]) -> bool:
    """Write ``params`` into the URL (an empty list removes one); False when some are bound
    to a drawn widget (a Back step on this page), which the binding keeps in step instead."""
    if not params:
        return True
    qp = st.query_params
    merged = {name: qp.get_all(name) for name in qp}
    merged.update(params)
    try:
        qp.from_dict({name: texts for name, texts in merged.items() if texts})
        return True
    except st.errors.StreamlitAPIException:
        pass
    for name, texts in params.items():
        try:
            if texts:
                qp[name] = texts
            elif name in qp:
                del qp[name]
        except st.errors.StreamlitAPIException:
            continue
    return False


def more_options() -> tuple[bool, tuple[tuple[str, ...], tuple[str, ...]] | None]:
    """(show the SPAC era, (event categories, jurisdictions) or None) from the session."""
    ss = st.session_state
    events = None
    if ss.get(EVENTS):
        events = (tuple(ss.get(EV_CAT) or ()), tuple(ss.get(EV_JUR) or ()))
    return bool(ss.get(SPAC)), events


def more_options_on() -> str:
    """Which "More options" choices are on, said in words ("" when none). A link's choice
    counts before its toggle has run (Streamlit reads the URL when the toggle is drawn)."""
    ss, qp = st.session_state, st.query_params

    def on(key: str) -> bool:
        return bool(Flag(key, "").parse(qp.get_all(key))[0] if key in qp else ss.get(key))

    return ", ".join(name for key, name in ((SPAC, "SPAC history"), (EVENTS, "policy events"))
                     if on(key))  # fmt: skip
