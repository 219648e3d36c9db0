"""AppTest: the Policy timeline page (real snapshot, offline), click-to-picker included."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_frame import ok, page_app, texts

TIMELINE = "pages/2_Policy_timeline.py"


def url(at, key: str) -> list[str]:
    """The app's URL values for ``key`` as a list (AppTest keeps a single value as a string)."""
    value = at.query_params.get(key)
    return [value] if isinstance(value, str) else list(value or [])


def _charts(at: AppTest) -> list:
    return at.main.get("vega_lite_chart")


def test_timeline_runs_with_chart_table_and_export():
    at = ok(page_app(TIMELINE).run())
    # 128 events since issue 21 (121 + E122-E124 + the scheduled E125-E128; see test_events.py)
    assert "128 of 128 events match." in texts(at.caption)
    assert len(_charts(at)) == 1
    assert len(at.main.dataframe) == 1 and len(at.main.dataframe[0].value) == 128
    assert at.get("download_button")


@pytest.mark.parametrize(
    ("key", "value", "count"),
    [
        # issue 14 added three Chinese export-control rows: E104, E114, E121 (18 -> 21, 15 -> 18);
        # issue 24 the scheduled ends of China's suspensions, E126 and E128 (-> 23 and 20)
        ("pt_jur", ["China"], 23),
        ("pt_cat", ["export control"], 20),
        ("pt_sym", ["MP"], None),
    ],
)
def test_timeline_filters(key, value, count):
    at = ok(page_app(TIMELINE).run())
    at.multiselect(key=key).set_value(value).run()
    assert not at.exception
    caption = next(t for t in texts(at.caption) if "events match" in t)
    shown = int(caption.split(" of ")[0])
    assert shown == count if count is not None else 0 < shown < 128
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


def test_a_scheduled_event_says_its_outcome_is_not_in_our_sources():
    at = ok(page_app(TIMELINE, query={"pt_event": "E126"}).run())
    assert at.selectbox(key="pt_event").value == "E126"
    notes = [t.replace("\\", "") for t in texts(at.info)]
    assert any("outcome not in our sources" in t and "deadline" in t for t in notes)


def test_short_event_link_stays_in_the_address_bar():
    """Issue 25: ?pt_event=E065 opened E065 and then vanished from the URL (Streamlit's binding
    drops a value that is not a label), so re-sharing opened another view."""
    at = ok(page_app(TIMELINE, query={"pt_event": "E065"}).run())
    assert at.selectbox(key="pt_event").value == "E065"
    assert url(at, "pt_event") == ["E065"]
    at.selectbox(key="pt_event").select("E076").run()
    assert url(at, "pt_event") == ["E076"]  # a change is written as an id
    at.selectbox(key="pt_event").set_value(None).run()
    assert url(at, "pt_event") == []  # no choice: no parameter


def test_table_shows_status_and_says_when_an_outcome_is_not_sourced():
    at = ok(page_app(TIMELINE, query={"pt_cat": ["export control"]}).run())
    table = at.main.dataframe[0].value.set_index("id")
    assert table.loc["E126", "status"] == "scheduled"
    assert table.loc["E126", "outcome"] == "outcome not in our sources"
    assert table.loc["E121", "status"] == "occurred" and table.loc["E121", "outcome"] == "–"
