"""Property test: the My events form on Catalysts, driven through AppTest with hostile input.

Inputs: text with control, bidi and zero-width characters, markdown and HTML, bare http:// and
www. strings, titles and notes around their limits, dates far outside the price data, odd
symbols and source URLs. Invariants: no exception element; a refused event writes nothing and
a warning says why (the store's own sentence); an accepted one is stored exactly as the
store's validation cleans it and is shown as plain text (table cell and picker label), never
as a link. The 501st event is refused with a sentence naming the limit.
Profiles: tests/hypothesis_profiles.py ("ci" in `make test`, HYPOTHESIS_PROFILE=fuzz for more).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the profile)
from lib import watchlists as wl
from lib.catalysts.private import (
    FIRST_DAY,
    LAST_DAY,
    MAX_EVENTS_PER_OWNER,
    MAX_NOTE_LEN,
    MAX_TITLE_LEN,
    PrivateEvent,
    PrivateEventError,
    PrivateEventStore,
    clean_fields,
)
from lib.ui.widgets import LINK_BREAK
from tests.apptest_frame import page_app
from tests.totality import NASTY_TEXT, assert_total, fresh_data_home

PAGE = "pages/7_Catalysts.py"

# --------------------------------------------------------------------------- strategies

#: Characters the form must refuse or keep inert: controls, bidi and zero-width format
#: characters, line/paragraph separators, markdown and HTML punctuation.
HOSTILE_CHARS = (
    "\x00\x07\x1b\x7f\u0085"  # controls
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\ufeff"  # zero-width, bidi
    "\u2028\u2029\n\t"  # line and paragraph separators, newline, tab
    "*_[]()<>!`#|~:$\\"  # markdown and HTML
)
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(HOSTILE_CHARS),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),  # no lone surrogates
    ),
    max_size=40,
)
LINKY = [
    "http://x.invalid/q",
    "www.x.invalid",
    "see www.x.invalid now",
    "[Login](https://x.invalid/login)",
    "![](http://x.invalid/a)",
    "<a href=http://x.invalid>x</a>",
    "mail me@x.invalid",
]
boundary_titles = st.integers(MAX_TITLE_LEN - 2, MAX_TITLE_LEN + 30).map(lambda n: "T" * n)
boundary_notes = st.integers(MAX_NOTE_LEN - 2, MAX_NOTE_LEN + 30).map(lambda n: "n" * n)
#: Text a person may store that markdown, HTML or a browser's autolinker would act on.
storable_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("*_[]()<>!`#|~:$\\/. "),
        st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
    ),
    min_size=1,
    max_size=40,
).filter(str.strip)
#: The price data covers 2015-2026: events far before and after it are still events.
days = st.one_of(
    st.dates(FIRST_DAY, date(2014, 12, 31)),
    st.dates(date(2027, 1, 1), LAST_DAY),
    st.sampled_from([FIRST_DAY, LAST_DAY, date(2024, 2, 29)]),
)
#: Per field: values a person may store (odd-looking, at the length limits, linky) ...
STORABLE: dict[str, st.SearchStrategy[str]] = {
    "title": st.one_of(st.sampled_from(LINKY), storable_text, boundary_titles),
    "note": st.one_of(
        st.sampled_from(["", *LINKY, "line one\nline two"]), storable_text, boundary_notes
    ),
    "symbols": st.sampled_from(["", "MP", "mp lyc.ax 600111.ss", "ZZZZ", "^GSPC"]),
    "source_url": st.sampled_from(
        ["", "https://example.com/a", "https://x.invalid/[x](http://x.invalid)"]
    ),
}
#: ... and values that may be refused (control, bidi and zero-width characters, blank, too
#: long, not https).
HOSTILE: dict[str, st.SearchStrategy[str]] = {
    "title": st.one_of(hostile_text, st.sampled_from(NASTY_TEXT)),
    "note": hostile_text,
    "symbols": st.sampled_from(["\u202eMP", "M\u200bP", "<b>", "MP " * 21, "A" * 17, "[x](y)"]),
    "source_url": st.sampled_from(
        [
            "http://x.invalid/q",
            "www.x.invalid",
            "javascript:alert(1)",
            "https://x.invalid/" + "a" * 2000,
            "https://example.com/\u200b",
            "https:///no-host",
        ]
    ),
}


@st.composite
def forms(draw: st.DrawFn) -> dict[str, Any]:
    """One form: every field storable, then (mostly) one field made hostile."""
    fields: dict[str, Any] = {
        "day": draw(days),
        "precision": draw(st.sampled_from(["day", "month", "year"])),
    }
    fields |= {name: draw(strategy) for name, strategy in STORABLE.items()}
    spoil = draw(st.sampled_from([None, None, *HOSTILE]))
    if spoil is not None:
        fields[spoil] = draw(HOSTILE[spoil])
    return fields


# --------------------------------------------------------------------------- helpers


def _plain(markdown: str) -> str:
    """What a reader sees of an escaped message."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(LINK_BREAK, "")


def _stored() -> list[PrivateEvent]:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        return PrivateEventStore(store.engine).list(wl.LOCAL_OWNER)
    finally:
        store.dispose()


def _submit(fields: dict[str, Any]) -> tuple[AppTest, dict[str, Any]]:
    """Open Catalysts (every horizon ahead), fill the My events form and save it. Returns the
    run and the fields as the page received them: a text widget with ``max_chars`` keeps that
    many characters (Streamlit cuts the value; the browser shows a counter and stops typing
    there), so an overlong title or note reaches the store at its limit."""
    at = page_app(PAGE, query={"cat_h": "next365"}).run()
    assert_total(at, context="open")
    sent = dict(fields)
    at.date_input(key="cat_my_date").set_value(fields["day"])
    at.selectbox(key="cat_my_prec").set_value(fields["precision"])
    for key, name, widget in (
        ("cat_my_title", "title", at.text_input),
        ("cat_my_note", "note", at.text_area),
        ("cat_my_syms", "symbols", at.text_input),
        ("cat_my_url", "source_url", at.text_input),
    ):
        element = widget(key=key)
        cap = element.proto.max_chars or None
        sent[name] = fields[name][:cap] if cap else fields[name]
        element.set_value(fields[name])
    return at.button(key="cat_my_save").click().run(), sent


# --------------------------------------------------------------------------- properties


@pytest.mark.slow  # each example is two page runs
@given(fields=forms())
def test_event_form_stores_exactly_or_says_why(fields: dict[str, Any]) -> None:
    with fresh_data_home():
        at, sent = _submit(fields)
        assert_total(at, context=fields)
        assert len(sent["title"]) <= MAX_TITLE_LEN and len(sent["note"]) <= MAX_NOTE_LEN
        try:
            expected: tuple[Any, ...] | None = clean_fields(**sent)
            refusal = ""
        except PrivateEventError as exc:
            expected, refusal = None, str(exc)
        event("refused" if expected is None else "stored")
        stored = _stored()
        warnings = [_plain(w.value) for w in at.warning]
        if expected is None:
            assert stored == [], fields
            assert refusal in warnings, (refusal, warnings)
            assert refusal.endswith(".") and len(refusal) > 20  # a sentence, not a code
            return
        assert not warnings, warnings
        (saved,) = stored
        d, p, t, n, s, u = expected
        assert (saved.date, saved.precision, saved.title, saved.note) == (d, p, t, n)
        assert (" ".join(saved.symbols), saved.source_url) == (s, u)
        # Shown as text: the picker label and, in the horizon, the table's cell are verbatim;
        # no markdown body turned it into a link (assert_total above).
        labels = at.selectbox(key="cat_my_pick").options
        assert f"{d} · {t}" in labels, labels
        table = at.dataframe[0].value if at.dataframe else None
        if table is not None and (table["Kind"] == "my event").any():
            assert t in set(table.loc[table["Kind"] == "my event", "What"])


def test_the_501st_event_is_refused_with_a_clear_message() -> None:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        rows = [("2030-01-01", "day", f"e{i}", "", "", "") for i in range(MAX_EVENTS_PER_OWNER)]
        PrivateEventStore(store.engine).add_many(wl.LOCAL_OWNER, rows)
    finally:
        store.dispose()
    fields = dict(
        day=date(2027, 3, 1), precision="day", title="One more", note="", symbols="", source_url=""
    )
    at, _ = _submit(fields)
    assert_total(at, context="501st")
    assert any(
        f"at most {MAX_EVENTS_PER_OWNER} events; delete one first" in _plain(w.value)
        for w in at.warning
    ), [w.value for w in at.warning]
    assert len(_stored()) == MAX_EVENTS_PER_OWNER
