"""URL and session seeding every page shares: the binding constant, link-value checks and
notes, and one ``seed_symbols`` for every symbol picker (the Prices page's own parameters are
in lib.ui.prices_state)."""

from __future__ import annotations

from collections.abc import Callable, Collection, MutableMapping, Sequence

import streamlit as st

from lib.markets.price_view import MAX_COMPARE
from lib.ui.widgets import escape_markdown, plain_text
from lib.universe import InvalidSymbolError, normalise_symbol

#: Streamlit's own widget-to-URL binding: the widget key is the query parameter's name, defaults
#: are left out of the URL, and a link opened as the first request shows exactly that view.
BIND = "query-params"


def link_values(key: str) -> list[str]:
    """What the URL carries for a bound widget ``key`` (before the widget has read it)."""
    return [v for v in st.query_params.get_all(key) if v != ""]


def check_link(key: str, label: str, allowed: Collection[str] | Callable[[str], bool]) -> None:
    """Say which values a shared link carried for ``key`` that the page cannot show.

    Streamlit drops invalid values of a bound widget silently; the reader of a link deserves
    to know. Call it before the widget is created: only then does the URL hold the raw text.
    """
    if key in st.session_state:
        return
    ok = allowed if callable(allowed) else (lambda v, a=frozenset(allowed): v in a)
    if bad := [v for v in link_values(key) if not ok(v)]:
        link_value_note(label, bad)


def link_value_note(label: str, values: Sequence[str], outcome: str = "it was left out") -> None:
    """The one note for link values a page cannot show (escaped, each cut to 60 characters)."""
    shown = ", ".join(f"‘{escape_markdown(plain_text(v)[:60])}’" for v in values[:6])
    shown += f" and {len(values) - 6} more" if len(values) > 6 else ""
    st.info(
        f"The link's {escape_markdown(label)} value {shown} is not available here, "
        f"so {escape_markdown(outcome)}.",  # an outcome may quote the link (links.py)
        icon=":material/link_off:",
    )


def int_within(lo: int, hi: int) -> Callable[[str], bool]:
    """A URL value check for an integer widget (slider, number input) bounded by lo..hi."""

    def ok(value: str) -> bool:
        try:
            return lo <= int(float(value)) <= hi
        except ValueError:
            return False

    return ok


def capped_symbols(symbols: Sequence[str], limit: int | None) -> tuple[list[str], list[str]]:
    """(kept, left out): canonical, de-duplicated (``mp`` and ``MP`` are one), at most ``limit``.

    Text that is not a valid symbol is kept as typed, so the page can say what is wrong with it.
    """
    seen: dict[str, str] = {}
    for raw in symbols:
        text = plain_text(raw).strip()  # no zero-width or bidi characters in a chip
        if not text:
            continue
        try:
            key = normalise_symbol(text)
        except InvalidSymbolError:
            key = text
        seen.setdefault(key, key)
    unique = list(seen)
    if limit is None:
        return unique, []
    return unique[:limit], unique[limit:]


def left_out_message(state: MutableMapping[str, object], key: str) -> str | None:
    """The markdown note naming the symbols a seeded picker had to leave out (escaped)."""
    left: list[str] = list(state.get(f"_{key}_left_out") or [])  # type: ignore[call-overload]
    if not left:
        return None
    names = ", ".join(escape_markdown(s) for s in left)
    return f"Showing the first {MAX_COMPARE} symbols; left out: {names}."


def seed_symbols(
    state: MutableMapping[str, object],
    key: str,
    default: Sequence[str],
    known: Collection[str] | None = None,
    preferred: Sequence[str] = (),
    limit: int | None = MAX_COMPARE,
) -> None:
    """Start the picker ``key`` from ``preferred`` (e.g. the URL), else the active watchlist,
    else ``default``; re-seed it when the user switches watchlist, else leave their choice.

    ``known`` (when given) filters the watchlist and the defaults to symbols the picker offers.
    Takes any mapping (``st.session_state`` in the app, a dict in tests). The seed is
    normalised, de-duplicated and capped at ``limit`` (one cap for every picker); the symbols
    left out are kept under ``_<key>_left_out`` for :func:`left_out_message`.
    """
    watch = [
        s
        for s in (state.get("active_watchlist_symbols") or [])  # type: ignore[union-attr]
        if known is None or s in known
    ]
    marker = f"_{key}_watchlist"
    seed: list[str] | None = None
    if key not in state:
        fallback = [s for s in default if known is None or s in known]
        seed = list(preferred) or watch or fallback
    elif watch and state.get(marker) != state.get("active_watchlist"):
        seed = watch
    if seed is not None:
        kept, left = capped_symbols(seed, limit)
        state[key] = kept
        state[f"_{key}_left_out"] = left
        state[marker] = state.get("active_watchlist")


def keep(*keys: str) -> None:
    """Keep widgets' values while they are not drawn (a closed lazy tab runs none of its
    widgets, and Streamlit forgets the state of a widget that did not run)."""
    ss = st.session_state
    for key in keys:
        if key in ss:
            ss[key] = ss[key]
