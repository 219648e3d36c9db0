"""AppTest flows for the Policy timeline and Event study pages (real snapshot, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_frame import page_app

ROOT = Path(__file__).resolve().parents[1]
TIMELINE = str(ROOT / "pages" / "2_Policy_timeline.py")
STUDY = str(ROOT / "pages" / "3_Event_study.py")


def _run(path: str, state: dict | None = None) -> AppTest:
    at = page_app(path, state=state)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _charts(at: AppTest) -> list:
    return at.main.get("vega_lite_chart")


# ----------------------------------------------------------------------------- timeline


def test_timeline_runs_with_chart_table_and_export():
    at = _run(TIMELINE)
    assert "101 of 101 events match." in _texts(at.caption)
    assert len(_charts(at)) == 1
    assert len(at.main.dataframe) == 1 and len(at.main.dataframe[0].value) == 101
    assert at.get("download_button")


@pytest.mark.parametrize(
    ("key", "value", "count"),
    [
        ("pt_jur", ["China"], 18),
        ("pt_cat", ["export control"], 15),
        ("pt_sym", ["MP"], None),
    ],
)
def test_timeline_filters(key, value, count):
    at = _run(TIMELINE)
    at.multiselect(key=key).set_value(value).run()
    assert not at.exception
    caption = next(t for t in _texts(at.caption) if "events match" in t)
    shown = int(caption.split(" of ")[0])
    assert shown == count if count is not None else 0 < shown < 101
    assert len(at.main.dataframe[0].value) == shown


def test_timeline_search_without_matches_says_so():
    at = _run(TIMELINE)
    at.text_input(key="pt_text").input("no-such-event-anywhere").run()
    assert not at.exception
    assert any("No events match" in t for t in _texts(at.info))
    assert not _charts(at)


def test_selecting_an_exact_event_shows_details_sources_and_reaction():
    at = _run(TIMELINE)
    at.selectbox(key="pt_event").select("E065").run()
    assert not at.exception
    assert "DoD takes stake in MP and sets a $110/kg NdPr price floor" in _texts(at.subheader)
    buttons = at.get("link_button")
    assert buttons and all(b.proto.url.startswith("https://") for b in buttons)
    assert len(_charts(at)) == 2  # timeline + price reaction
    assert not at.warning


def test_selecting_a_month_only_event_warns_that_the_date_is_inexact():
    at = _run(TIMELINE)
    at.selectbox(key="pt_event").select("E021").run()
    assert not at.exception
    assert any("month only" in t for t in _texts(at.warning))


def test_click_selection_drives_the_event_picker():
    at = _run(TIMELINE, {"timeline": {"selection": {"pick": [{"id": "E076"}]}}})
    if at.selectbox(key="pt_event").value is None:
        pytest.skip("AppTest cannot inject a chart selection in this Streamlit version")
    assert at.selectbox(key="pt_event").value == "E076"


# ----------------------------------------------------------------------------- event study


def test_event_study_default_runs_and_reports_pairs():
    at = _run(STUDY)
    assert any("**2 of 2**" in t for t in _texts(at.markdown))
    assert at.multiselect(key="es_syms").value == ["MP", "600111.SS"]
    assert len(at.main.dataframe) == 2  # summary + daily ARs
    summary = at.main.dataframe[0].value
    assert set(summary["status"]) == {"ok"}
    assert len(at.get("download_button")) == 2


def test_event_study_preselects_the_active_watchlist():
    at = _run(STUDY)
    # AppTest cannot drive the sidebar picker's format_func, so set its widget state directly
    # (starter watchlists are created on first run; ids start at 1).
    at.session_state["_wl_active_pick"] = 1
    at.run()
    assert not at.exception
    watch = at.session_state["active_watchlist_symbols"]
    assert watch, "the starter watchlist should have symbols"
    got = at.multiselect(key="es_syms").value
    assert got and set(got) <= set(watch)
    at.multiselect(key="es_syms").set_value(["MP"]).run()
    assert at.multiselect(key="es_syms").value == ["MP"]  # the user's choice then sticks


def test_event_study_category_with_basket_marks_insufficient_pairs_and_inexact_opt_in():
    at = _run(STUDY)
    at.segmented_control(key="es_by").set_value("Category").run()
    at.pills(key="es_baskets").set_value(["China"]).run()
    assert not at.exception
    assert any("insufficient data" in t for t in _texts(at.warning))
    summary = at.main.dataframe[0].value
    assert "no_price_data" in set(summary["status"])  # e.g. 000831.SZ has no offline prices
    assert summary.loc[summary["status"] != "ok", "car"].isna().all()
    left_out = [t for t in _texts(at.caption) if t.startswith("Left out")]
    at.checkbox(key="es_inexact").check().run()
    assert not at.exception
    if left_out:
        assert not [t for t in _texts(at.caption) if t.startswith("Left out")]


def test_event_study_overlapping_windows_give_a_clear_error():
    at = _run(STUDY)
    at.slider(key="es_est").set_value((-40, -3)).run()
    assert not at.exception
    assert any("must end before" in t for t in _texts(at.error))


def test_event_study_mean_adjusted_disables_benchmark_and_runs():
    at = _run(STUDY)
    at.selectbox(key="es_model").select("mean_adjusted").run()
    assert not at.exception
    assert at.selectbox(key="es_bench").disabled


def test_event_study_without_symbols_asks_for_one():
    at = _run(STUDY)
    at.multiselect(key="es_syms").set_value([]).run()
    assert any("at least one event and one symbol" in t for t in _texts(at.info))
