"""Property tests over Prices URL parameters (issue 25): any query, in today's names or the
older ones, mixed, repeated, in other digits or thousands of characters long.

- The translator (lib.ui.prices_link.translate) never raises, never invents a value in a note,
  and names every value it drops; the URL it writes is today's form and reads back as the same
  view with nothing more to say or rewrite; each parameter reads what it writes.
- The page (AppTest, a few examples) stays total, leaves no older name in the address bar, and
  that address bar reopens the same view without notes.

Profiles: tests/hypothesis_profiles.py ("ci" by default, HYPOTHESIS_PROFILE=fuzz for `make fuzz`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the profile)
from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.markets.risk import MIN_OVERLAP, ROLLING_WINDOW, WINDOWS
from lib.ui import prices_link as px
from tests.hypothesis_profiles import LIB_SCALE
from tests.totality import NASTY_TEXT, WITH_DATA, assert_total, fresh_data_home, render

WINDOW = (date(2015, 10, 1), date(2036, 10, 8))
#: Where an older name's value lands in today's parameters.
LANDS_IN = {**px.LEGACY, "from": px.CUSTOM, "to": px.CUSTOM, "risk": px.RISK_OPEN}
#: A default stays out of the URL (as Streamlit's binding leaves it out), so it reads back unset.
DEFAULTS = {px.RANGE: px.DEFAULT_RANGE, px.MODE: px.DEFAULT_MODE, px.CCY: px.DEFAULT_CCY,
            px.RISK_TAB: px.RISK_TABS[0], px.RISK_WINDOW: ROLLING_WINDOW,
            px.RISK_OVERLAP: MIN_OVERLAP}  # fmt: skip

# --------------------------------------------------------------------------- strategies

digits_elsewhere = st.sampled_from(["٣٠", "٦٣", "६३", "６３", "𝟔𝟑", "1٢6", "²¹"])
huge_numbers = st.sampled_from(["9" * 5000, "4" * 4301, "1" * 7, "0" * 300 + "63", "-63", "63.0"])
iso_dates = st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
plain_values = st.sampled_from(
    [*px.RANGE_CHOICES, *px.MODES, *px.MODE_CODES, *px.CURRENCIES, "true", "false", "1", "0",
     "SPY", "REMX", *CATEGORIES, *JURISDICTIONS, *px.RISK_TABS, *px.RISK_TAB_CODES, *px.BASKETS,
     "21", "63", "126", "252", "20", "40", "60", "120", *WITH_DATA[:8], "mp", "lyc.ax"]
)  # fmt: skip
texts = st.one_of(
    plain_values,
    plain_values,
    iso_dates,
    digits_elsewhere,
    huge_numbers,
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=12),
)
names = st.sampled_from([*px.LEGACY_NAMES, *px.PARAM_KEYS])
queries = st.dictionaries(names, st.lists(texts, min_size=1, max_size=4), max_size=8)


def _named(link: px.Link) -> set[str]:
    return {v for note in link.notes for v in note.values} | set(link.left_out)


# --------------------------------------------------------------------------- the translator


@given(query=queries)
@settings(max_examples=settings().max_examples * LIB_SCALE)
def test_translate_is_total_and_names_every_value_it_drops(query: dict[str, list[str]]) -> None:
    link = px.translate(query, WINDOW)
    given_texts = {t for values in query.values() for t in values}
    assert _named(link) <= given_texts  # a note quotes the link, never invents
    for name, values in query.items():
        shown = [t for t in values if t.strip()]
        if not shown:
            continue
        lands = LANDS_IN.get(name, name)
        assert lands in link.values or set(shown) & _named(link), (name, values, link)
    for serde in px.params(WINDOW, link.values.get(px.SYMBOLS, []), []):  # type: ignore[arg-type]
        if isinstance(serde, px.Choices) and serde.key in query:  # every unknown option named
            assert {t for t in query[serde.key] if t and t not in serde.options} <= _named(link)


@given(query=queries)
@settings(max_examples=settings().max_examples * LIB_SCALE)
def test_the_rewritten_link_is_todays_form_and_reopens_the_same_view(
    query: dict[str, list[str]],
) -> None:
    link = px.translate(query, WINDOW)
    written = {k: v for k, v in {**query, **link.params}.items() if v}
    assert not set(written) & set(px.LEGACY_NAMES)
    again = px.translate(written, WINDOW)
    assert (again.notes, again.legacy, again.params) == ([], [], {})
    kept = {k: v for k, v in link.values.items() if v is not False and DEFAULTS.get(k) != v}
    assert again.values == kept
    assert (
        px.translate({k: v for k, v in {**written, **again.params}.items() if v}, WINDOW) == again
    )


@given(
    choices=st.lists(st.sampled_from(CATEGORIES), unique=True, min_size=1),
    days=st.tuples(
        st.dates(WINDOW[0], WINDOW[1]), st.integers(0, 4000).map(lambda n: timedelta(days=n))
    ),
    number=st.sampled_from([21, 126, 252]),
)
@settings(max_examples=settings().max_examples * LIB_SCALE)
def test_each_parameter_reads_what_it_writes(
    choices: list[str], days: tuple[date, timedelta], number: int
) -> None:
    start = days[0]
    end = min(WINDOW[1], start + days[1])
    cases: list[tuple[Any, Any]] = [
        (px.Choices("k", "", tuple(CATEGORIES)), choices),
        (px.Dates("k", "", WINDOW), (start, end)),
        (px.Number("k", "", WINDOWS, ROLLING_WINDOW), number),
        (px.Flag("k", ""), True),
    ]
    for serde, value in cases:
        assert serde.parse(serde.serialize(value)) == (value, [])
    # A default is left out of the URL, so it reads back as "not set" (the widget's default).
    assert px.Flag("k", "").serialize(False) == []


_HIDDEN = "\u202e\u202d\u2066\u2069\u200b\u200d\ufeff\u00ad\x00\n"
hidden_symbols = st.tuples(
    st.sampled_from([*WITH_DATA[:8], "mp", "lyc.ax", "WWW.X.INVALID", ""]),
    st.lists(st.tuples(st.integers(0, 12), st.sampled_from(_HIDDEN)), min_size=1, max_size=3),
).map(lambda t: "".join(_insert(t[0], t[1])))


def _insert(text: str, where: list[tuple[int, str]]) -> str:
    for i, ch in where:
        text = text[: i % (len(text) + 1)] + ch + text[i % (len(text) + 1) :]
    return text


@given(texts=st.lists(st.one_of(hidden_symbols, plain_values), min_size=1, max_size=5))
@settings(max_examples=settings().max_examples * LIB_SCALE)
def test_no_hidden_character_reaches_the_picker_or_the_url(texts: list[str]) -> None:
    """Issue 25: the bound symbol picker reads px_symbols as written, so a value with a bidi,
    zero-width or control character is rewritten as read (and named) before it runs."""
    link = px.translate({px.SYMBOLS: texts}, WINDOW)
    shown = [*link.values.get(px.SYMBOLS, []), *link.params.get(px.SYMBOLS, [])]  # type: ignore[misc]
    assert not any(set(s) & set(_HIDDEN) for s in shown), (texts, shown)
    hidden = [t for t in texts if set(t) & set(_HIDDEN)]
    assert set(hidden) <= _named(link)
    if hidden:  # the URL says what the picker shows, and reads back with nothing to say
        written = link.params[px.SYMBOLS]
        again = px.translate({px.SYMBOLS: written} if written else {}, WINDOW)
        assert (again.params, again.notes) == ({}, [])


# --------------------------------------------------------------------------- the page

page_values = st.one_of(plain_values, digits_elsewhere, huge_numbers, iso_dates,
                        st.sampled_from(NASTY_TEXT[:8]))  # fmt: skip
page_queries = st.dictionaries(names, st.lists(page_values, min_size=1, max_size=3), max_size=6)


def _view(at: Any) -> dict[str, Any]:
    ss = at.session_state
    return {k: ss[k] for k in px.PARAM_KEYS if k in ss and ss[k] not in (None, False, [])}


@given(query=page_queries)
@settings(max_examples=max(2, settings().max_examples // 3))
def test_prices_url_is_total_and_its_address_bar_reopens_the_view(
    query: dict[str, list[str]],
) -> None:
    with fresh_data_home():
        at = render("prices", query)
        assert_total(at, full_charts=1, context=query)
        url = {k: at.query_params[k] for k in at.query_params}
        assert not set(url) & set(px.LEGACY_NAMES), url
        again = render("prices", url)
        assert_total(again, full_charts=1, context=url)
        assert _view(again) == _view(at), (query, url)
        assert not any("not available here" in m.value for m in again.info), url
