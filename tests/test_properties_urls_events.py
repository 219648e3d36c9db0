"""Property tests: any link to the Event study or the Policy timeline (issue 25).

Strategies cover every parameter the two pages read, bound (Streamlit fills the widget from
the URL) or not (the page reads the id itself): non-finite and huge numbers, Unicode digits,
fractions, overlong strings, repeated keys, one-ended ranges, every date format, unknown ids,
older label links and values from other pages' links.

Invariants, checked on the first run a link opens (when the notes are shown):

1. The page is total (``tests.totality.assert_total``): no exception, no link from injected
   text, widget values within their limits, a missing chart explained.
2. **Each changed value is named.** Every value the link gave that the widget does not show
   as given (compared by meaning: ``-3.0`` is ``-3``, a label is its id) appears in a note.
   The oracle here is written independently of lib.ui.links: it compares the link with what
   the widgets ended up holding.
3. **The symbol cap is what is used.** The symbol picker never holds more than its cap, its
   widget limit is that cap, and a "first N symbols" note says the same N.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the profile)
from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.events.events import event_option_label, load_events
from lib.ui.views import event_study as es_view
from tests.totality import (
    NASTY_TEXT,
    UNIVERSE_SYMBOLS,
    assert_total,
    fresh_data_home,
    render,
)

EVENTS = load_events()
EVENT_IDS = list(EVENTS["id"])
EVENT_LABELS = event_option_label(EVENTS)
FIRST_DAY, LAST_DAY = EVENTS["date"].min().date(), EVENTS["date"].max().date()
MODEL_LABELS = es_view.MODELS
BY_LABELS = ("Events", "Category", "Jurisdiction")

# --------------------------------------------------------------------------- value strategies

nasty = st.sampled_from(NASTY_TEXT)
UNICODE_DIGITS = ["٣", "３", "߃", "৩", "-٣", "１０"]
#: Numbers as a link can spell them: in and out of range, fractions, exponents, non-finite,
#: huge, Unicode digits, signs and junk.
number_text = st.one_of(
    st.integers(-600, 100).map(str),
    st.floats(-600, 100, allow_nan=False).map(repr),
    st.sampled_from(
        [
            "inf",
            "-inf",
            "nan",
            "1e999",
            "-1e999",
            "1e308",
            "-1e308",
            "+3",
            "-0",
            "0x10",
            "1_0",
            " 5",
            "5 ",
            "",
            "--3",
            "3.",
            ".5",
            "-3.0",
            "9" * 40,
            *UNICODE_DIGITS,
        ]
    ),
    nasty,
)


def _formats(d: date) -> list[str]:
    iso = d.isocalendar()
    return [
        d.isoformat(),
        d.strftime("%Y/%m/%d"),
        d.strftime("%Y%m%d"),
        f"{iso.year}-W{iso.week:02d}-{iso.weekday}",
        d.strftime("%d/%m/%Y"),
        d.strftime("%m/%d/%Y"),
        f"{d.year}-{d.month}-{d.day}",
        f"{d.isoformat()}T00:00:00",
        d.strftime("%d %b %Y"),
    ]


#: Dates in every format a link might use, inside and outside the timeline's span.
date_text = st.one_of(
    st.dates(FIRST_DAY - timedelta(days=400), LAST_DAY + timedelta(days=400)).flatmap(
        lambda d: st.sampled_from(_formats(d))
    ),
    st.sampled_from(["", "2024-02-30", "0000-01-01", "9999-12-31", "2024-13-01"]),
    nasty,
)
long_text = st.text(min_size=150, max_size=420)
event_ref = st.one_of(
    st.sampled_from(EVENT_IDS),
    st.sampled_from(EVENT_IDS).map(EVENT_LABELS.get),
    st.sampled_from(["E999", "e065", "E65", "E065 ", "", "E0655"]),
    nasty,
)
model_ref = st.one_of(
    st.sampled_from(list(MODEL_LABELS)),
    st.sampled_from(list(MODEL_LABELS.values())),
    st.sampled_from(["Market", "MEAN_ADJUSTED", "capm", ""]),
    nasty,
)
symbol_text = st.one_of(st.sampled_from(UNIVERSE_SYMBOLS), st.sampled_from(["mp", "ZZZZ"]), nasty)
#: Parameters other pages write (Prices, Supply, Outlook, the other events page).
foreign = st.dictionaries(
    st.sampled_from(
        [
            "symbols",
            "range",
            "mode",
            "from",
            "to",
            "risk",
            "risk_window",
            "sup_edition",
            "scope",
            "equity_symbols",
            "pt_event",
            "es_model",
            "sup_country",
            "x",
        ]
    ),
    st.one_of(st.text(max_size=12), nasty, st.sampled_from(["MP", "1Y", "E065", "market"])),
    max_size=3,
)


def repeated(values: st.SearchStrategy[str], max_size: int = 4) -> st.SearchStrategy[list[str]]:
    """A parameter given one or more times (repeated keys)."""
    return st.lists(values, min_size=1, max_size=max_size)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def event_study_links(draw: st.DrawFn) -> dict[str, list[str]]:
    raw = draw(foreign)
    q: dict[str, list[str]] = {k: [v] for k, v in raw.items() if k != "es_model"}
    params: dict[str, st.SearchStrategy[list[str]]] = {
        "es_by": repeated(
            st.one_of(st.sampled_from(["Events", "Category", "Jurisdiction"]), nasty)
        ),
        "es_events": repeated(event_ref, 5),
        "es_cats": repeated(st.one_of(st.sampled_from(CATEGORIES), nasty)),
        "es_jur": repeated(st.one_of(st.sampled_from(JURISDICTIONS), nasty)),
        "es_inexact": repeated(st.sampled_from(["true", "false", "TRUE", "1", "yes", "maybe"]), 2),
        "es_syms": repeated(symbol_text, es_view.MAX_SYMBOLS + 4),
        "es_baskets": repeated(st.sampled_from(["West", "China", "west", "EU"]), 3),
        "es_win": repeated(number_text, 3),
        "es_est": repeated(number_text, 3),
        "es_model": repeated(model_ref, 2),
        "es_bench": repeated(st.one_of(st.sampled_from(["SPY", "REMX", "ZZZ"]), nasty), 2),
    }
    for key, strategy in params.items():
        values = draw(maybe(strategy))
        if values is not None:
            q[key] = values
    return q


@st.composite
def policy_links(draw: st.DrawFn) -> dict[str, list[str]]:
    raw = draw(foreign)
    q: dict[str, list[str]] = {k: [v] for k, v in raw.items() if k != "pt_event"}
    params: dict[str, st.SearchStrategy[list[str]]] = {
        "pt_jur": repeated(st.one_of(st.sampled_from(JURISDICTIONS), nasty)),
        "pt_cat": repeated(st.one_of(st.sampled_from(CATEGORIES), nasty)),
        "pt_sym": repeated(symbol_text),
        "pt_dates": repeated(date_text, 3),
        "pt_text": repeated(st.one_of(long_text, nasty, st.sampled_from(["magnets", "MOFCOM"])), 2),
        "pt_event": repeated(event_ref, 2),
    }
    for key, strategy in params.items():
        values = draw(maybe(strategy))
        if values is not None:
            q[key] = values
    return q


# --------------------------------------------------------------------------- the oracle

_WORD = re.compile(r"[A-Za-z0-9]")


def fingerprint(text: str) -> str:
    """ASCII letters and digits only: what survives escaping, word joiners and bidi removal."""
    return "".join(_WORD.findall(text))


def notes_text(at: AppTest) -> str:
    return fingerprint(" ".join(str(e.value) for e in at.main.info))


def unnamed(at: AppTest, values: list[str]) -> list[str]:
    """The values no note names (a value with no letter or digit needs some note)."""
    text = notes_text(at)
    missing = []
    for v in values:
        mark = fingerprint(v[:60])
        if (mark and mark not in text) or (not mark and not at.main.info):
            missing.append(v)
    return missing


def _widget(at: AppTest, kind: str, key: str) -> Any | None:
    found = [w for w in at.main.get(kind) if getattr(w, "key", None) == key]
    return found[0] if found else None


def _number(v: str) -> float | None:
    try:
        x = float(v)
    except (ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def _day(v: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    return None


def _range_must_name(given_: list[str], shown: tuple, lo: float, hi: float) -> list[str]:
    """Slider: one end, a third value or a value it cannot take -> all; a fraction it
    cuts -> that one."""
    if len(given_) != 2:
        return given_
    numbers = [_number(v) for v in given_]
    if any(x is None or not lo <= x <= hi for x in numbers):
        return given_  # the slider goes back to its default: both ends are dropped
    return [v for v, x, w in zip(given_, numbers, shown, strict=True) if x != w]


def _dates_must_name(given_: list[str], lo: date, hi: date) -> list[str]:
    days = [_day(v) for v in given_]
    if any(d is None or not lo <= d <= hi for d in days):
        return given_  # the range goes back to every date: each value is dropped
    return given_[2:]


def changed_values(at: AppTest, q: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per parameter, the link values the page changed or left out, which a note must name."""
    out: dict[str, list[str]] = {}

    def keep(key: str, values: list[str]) -> None:
        if values := [v for v in values if v]:  # an empty value has nothing to name
            out[key] = values

    def multi(key: str, kind: str = "multiselect", to_id: dict[str, str] | None = None) -> None:
        widget = _widget(at, kind, key)
        if key in q and widget is not None:
            shown = set(widget.value or [])
            keep(key, [v for v in q[key] if (to_id or {}).get(v, v) not in shown])

    def single(key: str, kind: str, as_url: Any, to_id: dict[str, str] | None = None) -> None:
        widget = _widget(at, kind, key)
        if key in q and widget is not None:
            shown = as_url(widget.value)
            keep(key, [v for v in q[key] if as_url((to_id or {}).get(v, v)) != shown])

    by = _widget(at, "segmented_control", "es_by")
    if by is not None:  # the Event study
        single("es_by", "segmented_control", str)
        label_to_id = {label: i for i, label in EVENT_LABELS.items()}
        chosen = {"Events": ("es_events", label_to_id), "Category": ("es_cats", None),
                  "Jurisdiction": ("es_jur", None)}[by.value or "Events"]  # fmt: skip
        multi(chosen[0], to_id=chosen[1])
        # a checkbox reads true/false in any case
        single("es_inexact", "checkbox", lambda v: str(v).lower())
        multi("es_syms")
        multi("es_baskets", "pills")
        for key in ("es_win", "es_est"):
            widget = _widget(at, "slider", key)
            if key in q and widget is not None and (given_ := [v for v in q[key] if v]):
                keep(key, _range_must_name(given_, widget.value, widget.min, widget.max))
        model_ids = {label: i for i, label in MODEL_LABELS.items()}
        single("es_model", "selectbox", str, model_ids)
        single("es_bench", "selectbox", str)
        return out
    multi("pt_jur")
    multi("pt_cat")
    multi("pt_sym")
    if "pt_dates" in q and _widget(at, "date_input", "pt_dates") is not None:
        keep("pt_dates", _dates_must_name([v for v in q["pt_dates"] if v], FIRST_DAY, LAST_DAY))
    single("pt_text", "text_input", str)
    label_to_id = {label: i for i, label in EVENT_LABELS.items()}
    single("pt_event", "selectbox", lambda v: "" if v is None else str(v), label_to_id)
    return out


def assert_changes_named(at: AppTest, q: dict[str, list[str]]) -> None:
    for key, values in changed_values(at, q).items():
        missing = unnamed(at, values)
        assert not missing, f"{key}: link values {missing!r} changed without a note; link {q!r}"


def assert_symbol_cap(at: AppTest) -> None:
    picker = _widget(at, "multiselect", "es_syms")
    if picker is None:
        return
    cap = es_view.MAX_SYMBOLS
    assert len(picker.value) <= cap == picker.max_selections
    for note in at.main.info:
        if m := re.search(r"Showing the first (\d+) symbols", str(note.value)):
            assert int(m.group(1)) == cap


# --------------------------------------------------------------------------- the properties

#: Each example is a cold page run (about 3-8 s): two thirds of the profile's examples.
FEWER = settings(max_examples=max(2, settings().max_examples * 2 // 3))


@FEWER
@given(q=event_study_links())
def test_any_event_study_link_is_total_and_every_change_is_named(q: dict[str, list[str]]) -> None:
    with fresh_data_home():
        at = render("event", q)
        assert_total(at, full_charts=1, context=q)
        assert_changes_named(at, q)
        assert_symbol_cap(at)


@FEWER
@given(q=policy_links())
def test_any_policy_link_is_total_and_every_change_is_named(q: dict[str, list[str]]) -> None:
    with fresh_data_home():
        at = render("policy", q)
        assert_total(at, full_charts=1, context=q)
        assert_changes_named(at, q)


@settings(max_examples=200)
@given(values=st.lists(number_text, max_size=3))
def test_window_notes_never_raise_and_name_what_changes(values: list[str]) -> None:
    """The pure check behind the window sliders: total on any spelling of a number."""
    from lib.ui.links import range_link_notes

    notes = range_link_notes([v for v in values if v], -30, 30, "event window")
    named = {v for n in notes for v in n.values}
    kept = [_number(v) for v in values if v]
    if len(kept) == 2 and all(x is not None and -30 <= x <= 30 and x == int(x) for x in kept):
        assert not notes
    elif [v for v in values if v]:
        assert named, values
