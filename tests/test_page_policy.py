"""AppTest: the Policy timeline page (real snapshot, offline), click-to-picker included."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_frame import ok, page_app, texts

TIMELINE = "pages/2_Policy_timeline.py"


def _charts(at: AppTest) -> list:
    return at.main.get("vega_lite_chart")


def test_timeline_runs_with_chart_table_and_export():
    at = ok(page_app(TIMELINE).run())
    # 121 events since issue 14 (101 from facts.md section 1 + 20 added; see test_events.py)
    assert "121 of 121 events match." in texts(at.caption)
    assert len(_charts(at)) == 1
    assert len(at.main.dataframe) == 1 and len(at.main.dataframe[0].value) == 121
    assert at.get("download_button")


@pytest.mark.parametrize(
    ("key", "value", "count"),
    [
        # issue 14 added three Chinese export-control rows: E104, E114, E121 (18 -> 21, 15 -> 18)
        ("pt_jur", ["China"], 21),
        ("pt_cat", ["export control"], 18),
        ("pt_sym", ["MP"], None),
    ],
)
def test_timeline_filters(key, value, count):
    at = ok(page_app(TIMELINE).run())
    at.multiselect(key=key).set_value(value).run()
    assert not at.exception
    caption = next(t for t in texts(at.caption) if "events match" in t)
    shown = int(caption.split(" of ")[0])
    assert shown == count if count is not None else 0 < shown < 121
    assert len(at.main.dataframe[0].value) == shown


def test_timeline_search_without_matches_says_so():
    at = ok(page_app(TIMELINE).run())
    at.text_input(key="pt_text").input("no-such-event-anywhere").run()
    assert not at.exception
    assert any("No events match" in t for t in texts(at.info))
    assert not _charts(at)


def test_selecting_an_exact_event_shows_details_sources_and_reaction():
    at = ok(page_app(TIMELINE).run())
    at.selectbox(key="pt_event").select("E065").run()
    assert not at.exception
    titles = [t.replace("\\", "") for t in texts(at.subheader)]  # data text is escaped
    assert "DoD takes stake in MP and sets a $110/kg NdPr price floor" in titles
    buttons = at.get("link_button")
    assert buttons and all(b.proto.url.startswith("https://") for b in buttons)
    assert len(_charts(at)) == 2  # timeline + price reaction
    assert not at.warning


def test_selecting_a_month_only_event_warns_that_the_date_is_inexact():
    at = ok(page_app(TIMELINE).run())
    at.selectbox(key="pt_event").select("E021").run()
    assert not at.exception
    assert any("month only" in t for t in texts(at.warning))


def test_click_selection_drives_the_event_picker():
    at = ok(page_app(TIMELINE, {"timeline": {"selection": {"pick": [{"id": "E076"}]}}}).run())
    assert at.selectbox(key="pt_event").value == "E076"
