"""AppTest: issue 25's link values on the Event study and Policy timeline, one test each.

Each value a link carries is used, or named in a note saying what the page did instead; no
value raises. Short id links (``es_model=mean_adjusted``, ``pt_event=E065``) stay in the URL.
"""

from __future__ import annotations

import pytest

from lib.ui.views import event_study as es_view
from tests.apptest_frame import ok, page_app, texts

STUDY = "pages/3_Event_study.py"
TIMELINE = "pages/2_Policy_timeline.py"


def url(at, key: str) -> list[str]:
    """The app's URL values for ``key`` as a list (AppTest keeps a single value as a string)."""
    value = at.query_params.get(key)
    return [value] if isinstance(value, str) else list(value or [])


def notes(at) -> str:
    """Every info note, unescaped (notes are markdown-escaped)."""
    return " | ".join(t.replace("\\", "") for t in texts(at.info))


@pytest.mark.parametrize("key", ["es_win", "es_est"])
@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "nan", "-1e308"])
def test_non_finite_or_huge_window_values_never_raise_and_are_named(key, value):
    lo = "-3" if key == "es_win" else "-200"
    at = ok(page_app(STUDY, query={key: [lo, value]}).run())
    default = (-5, 10) if key == "es_win" else (-250, -30)
    assert at.slider(key=key).value == default
    assert f"‘{value}’" in notes(at) and "default window" in notes(at)


@pytest.mark.parametrize("key", ["es_win", "es_est"])
def test_a_single_non_finite_value_is_a_one_ended_window(key):
    at = ok(page_app(STUDY, query={key: "inf"}).run())
    assert "one end only" in notes(at) and "‘inf’" in notes(at)


def test_fractional_window_is_read_as_a_whole_number_and_says_so():
    at = ok(page_app(STUDY, query={"es_win": ["-3.5", "5"]}).run())
    assert at.slider(key="es_win").value == (-3, 5)
    assert "‘-3.5’" in notes(at) and "read as -3" in notes(at)


def test_one_ended_window_says_the_default_is_shown():
    at = ok(page_app(STUDY, query={"es_win": "-3"}).run())
    assert at.slider(key="es_win").value == (-5, 10)
    assert "event window (one end only)" in notes(at)


def test_model_short_link_opens_the_model_and_stays_in_the_url():
    at = ok(page_app(STUDY, query={"es_model": "mean_adjusted"}).run())
    assert at.selectbox(key="es_model").value == "mean_adjusted"
    assert url(at, "es_model") == ["mean_adjusted"]
    assert not notes(at)
    at.selectbox(key="es_model").select("market_adjusted").run()
    assert url(at, "es_model") == ["market_adjusted"]
    at.selectbox(key="es_model").select("market").run()
    assert url(at, "es_model") == []  # the default view has no parameter


def test_model_label_link_still_opens_and_is_left_as_written():
    label = es_view.MODELS["mean_adjusted"]
    at = ok(page_app(STUDY, query={"es_model": label}).run())
    assert at.selectbox(key="es_model").value == "mean_adjusted"
    assert url(at, "es_model") == [label]


def test_unknown_or_repeated_model_is_named():
    at = ok(page_app(STUDY, query={"es_model": ["nope", "market_adjusted"]}).run())
    assert at.selectbox(key="es_model").value == "market_adjusted"
    assert "‘nope’" in notes(at)
    at = ok(page_app(STUDY, query={"es_model": ["mean_adjusted", "market_adjusted"]}).run())
    assert at.selectbox(key="es_model").value == "mean_adjusted"
    assert "‘market_adjusted’" in notes(at)


def test_event_ids_link_stays_in_the_url_and_an_empty_choice_is_kept():
    at = ok(page_app(STUDY, query={"es_events": ["E076", "E065"]}).run())
    assert at.multiselect(key="es_events").value == ["E076", "E065"]
    assert url(at, "es_events") == ["E076", "E065"]
    at.multiselect(key="es_events").set_value([]).run()
    assert any("at least one event" in t for t in texts(at.info))
    assert url(at, "es_events") == [""]


def test_symbol_cap_is_one_constant_and_the_note_matches_what_is_used():
    from tests.totality import WITH_DATA

    many = WITH_DATA[: es_view.MAX_SYMBOLS + 3]
    at = ok(page_app(STUDY, query={"es_syms": many}).run())
    used = at.multiselect(key="es_syms").value
    assert len(used) == es_view.MAX_SYMBOLS == at.multiselect(key="es_syms").max_selections
    assert f"Showing the first {len(used)} symbols" in notes(at)
    assert all(s in notes(at) for s in many[es_view.MAX_SYMBOLS :])


def test_repeated_or_bad_single_choices_are_named():
    q = {"es_by": ["Category", "Events"], "es_inexact": "maybe", "es_bench": ["ZZZ"]}
    at = ok(page_app(STUDY, query=q).run())
    text = notes(at)
    assert at.segmented_control(key="es_by").value == "Category"
    assert "‘Events’" in text and "the first, ‘Category’, is used" in text
    assert "‘maybe’" in text and "‘ZZZ’" in text


@pytest.mark.parametrize(
    ("dates", "named"),
    [
        (["20240101", "20250101"], "‘20240101’"),
        (["2024-W01-1", "2025-01-01"], "‘2024-W01-1’"),
        (["2024-01-01", "2025-01-01", "2025-06-01"], "‘2025-06-01’"),
        (["1999-01-01", "2025-01-01"], "‘1999-01-01’"),
    ],
)
def test_policy_dates_the_picker_cannot_use_are_named(dates, named):
    at = ok(page_app(TIMELINE, query={"pt_dates": dates}).run())
    assert named in notes(at)
    assert any("events match" in t for t in texts(at.caption))


def test_policy_one_ended_dates_say_so():
    at = ok(page_app(TIMELINE, query={"pt_dates": ["2024-01-01"]}).run())
    assert "Pick a start and an end date" in notes(at)


def test_policy_search_longer_than_the_box_is_named():
    at = ok(page_app(TIMELINE, query={"pt_text": "price " * 40}).run())
    assert "first 200 characters" in notes(at)


def test_policy_unknown_event_is_named_and_nothing_is_selected():
    at = ok(page_app(TIMELINE, query={"pt_event": "E999"}).run())
    assert at.selectbox(key="pt_event").value is None
    assert "‘E999’" in notes(at)


def test_choose_by_reads_the_first_value_and_names_the_rest():
    """Found by the URL property test: a single-select segmented control reads only the first
    value (an invalid first value means the default, even when a later one is valid)."""
    at = ok(page_app(STUDY, query={"es_by": ["\t", "Category"]}).run())
    assert at.segmented_control(key="es_by").value == "Events"
    assert "‘Category’" in notes(at) and "default" in notes(at)


def test_a_second_model_given_as_a_label_is_named_as_written():
    """Found by the URL property test: the note named the id, not the label the link gave."""
    label = es_view.MODELS["market_adjusted"]
    at = ok(page_app(STUDY, query={"es_model": ["market", label]}).run())
    assert at.selectbox(key="es_model").value == "market"
    assert f"‘{label}’" in notes(at)
