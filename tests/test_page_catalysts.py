"""Catalysts page (AppTest): offline calendar, every filter, empty states, exports, URL params."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.catalysts import ics
from tests.apptest_frame import ok, page_app, texts

PAGE = "pages/7_Catalysts.py"


def run(query=None, state=None):
    return ok(page_app(PAGE, state=state, query=query).run())


def table(at):
    return at.dataframe[0].value


def test_opens_offline_with_deadlines_and_milestones() -> None:
    at = run({"cat_h": "next365"})
    df = table(at)
    assert {"project milestone"} <= set(df["Kind"])
    assert df["Source"].str.startswith("https://").all()
    assert df["Countdown"].str.len().gt(0).all()
    assert any(c.startswith(f"{len(df)} catalyst(s) between") for c in texts(at.caption))
    assert at.get("vega_lite_chart")  # the timeline is drawn
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download CSV", "Calendar (.ics)"} <= set(labels)


def test_past_horizon_shows_deadlines_whose_outcome_is_missing() -> None:
    df = table(run({"cat_h": "past90", "cat_kind": "policy deadline"}))
    assert set(df["Kind"]) == {"policy deadline"}
    assert "outcome not in our sources" in set(df["Status"])
    assert set(df["When"]) >= {"2026-11-10", "2026-11-27"}


def _only_china(df):
    return set(df["Jurisdiction"]) == {"China"}


def _all_ilu(df):
    return df["Symbols"].str.contains("ILU.AX").all()


def _only_milestones(df):
    return set(df["Kind"]) == {"project milestone"}


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ({"cat_jur": "China", "cat_h": "past90"}, _only_china),
        ({"cat_sym": "ILU.AX", "cat_h": "next365"}, _all_ilu),
        ({"cat_kind": "project milestone", "cat_h": "next365"}, _only_milestones),
    ],
)
def test_each_filter(query, check) -> None:
    df = table(run(query))
    assert len(df) and check(df)


def test_milestones_link_to_prices_and_supply() -> None:
    df = table(run({"cat_h": "next365", "cat_sym": "ILU.AX", "cat_kind": "project milestone"}))
    prices = {parse_qs(urlsplit(u).query)["px_symbols"][0] for u in df["Prices"]}
    assert {urlsplit(u).path for u in df["Prices"]} == {"/Prices"}
    assert len(prices) == 1 and prices.pop().startswith("ILU.AX · ")  # the picker's label
    assert (df["Supply"] == "/Supply_gap?sup_company=ILU.AX").all()


def test_empty_horizon_says_so() -> None:
    at = run({"cat_h": "next30", "cat_sym": "SPY"})
    assert not at.dataframe
    assert any("No catalysts in this horizon" in t for t in texts(at.info))


def test_watchlist_with_no_catalysts() -> None:
    from lib import watchlists

    at = ok(page_app(PAGE, query={"cat_h": "next365"}).run())  # single-user mode, starters made
    store = watchlists.WatchlistStore.open(watchlists.resolve_database_url())
    try:
        lid = store.create(watchlists.LOCAL_OWNER, "Only SPY", ["SPY"])
    finally:
        store.dispose()
    at.run()  # the sidebar picker now offers the new list
    at.session_state["_wl_active_pick"] = lid  # AppTest cannot drive the picker's format_func
    at.run()
    assert at.session_state["active_watchlist_symbols"] == ["SPY"]
    at.toggle(key="cat_wl").set_value(True).run()
    ok(at)
    assert not at.dataframe
    assert any("active watchlist" in t for t in texts(at.info))


def test_ics_download_round_trips() -> None:
    at = run({"cat_h": "next365"})
    df = table(at)
    from lib.ui.views import catalysts as view

    shown, _ = view.selected("next365", (), (), (), date.today())
    entries = ics.read_ics(view.ics_bytes(shown))
    assert len(entries) == len(df)
    assert [e.title for e in entries] == [ics.title_for(r) for _, r in shown.iterrows()]


def test_link_values_the_page_cannot_show_are_named() -> None:
    at = run({"cat_h": "next9999", "cat_kind": "rumour", "cat_sym": "WWW.EVIL.COM"})
    notes = " ".join(texts(at.info))
    assert "horizon" in notes and "kind" in notes and "symbol" in notes


HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["inf", "-1", "1e999", "٣٠", "next30", "past90", "http://evil.example", ""]),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=HOSTILE,
    kind=st.lists(HOSTILE, max_size=3),
    jur=st.lists(HOSTILE, max_size=2),
    sym=st.lists(HOSTILE, max_size=3),
)
def test_any_link_renders_and_names_what_it_dropped(h, kind, jur, sym) -> None:
    query = {"cat_h": h, "cat_kind": kind, "cat_jur": jur, "cat_sym": sym}
    query = {k: v for k, v in query.items() if v not in ([], "")}
    at = run(query)
    notes = " ".join(texts(at.info))
    from lib.catalysts.model import HORIZON_LABELS

    if h and h not in HORIZON_LABELS:
        assert "horizon" in notes


def test_my_events_are_added_shown_and_private() -> None:
    at = run({"cat_h": "next365"})
    at.date_input(key="cat_my_date").set_value(date(2027, 3, 15))
    at.text_input(key="cat_my_title").set_value("Lynas half-year results")
    at.text_input(key="cat_my_syms").set_value("LYC.AX")
    at.text_input(key="cat_my_url").set_value("https://lynasrareearths.com/")
    at.button(key="cat_my_save").click().run()
    ok(at)
    df = table(at)
    mine = df[df["Kind"] == "my event"]
    assert list(mine["What"]) == ["Lynas half-year results"]
    assert list(mine["Source"]) == ["https://lynasrareearths.com/"]


def test_hostile_event_is_refused_with_a_sentence() -> None:
    at = run({"cat_h": "next365"})
    at.text_input(key="cat_my_title").set_value("evil\u202ereversed")
    at.button(key="cat_my_save").click().run()
    ok(at)
    assert any("invisible or control character" in t for t in texts(at.warning))


def test_home_shows_the_next_30_days_box() -> None:
    from lib.ui.catalyst_calendar import next_up

    at = ok(page_app(None).run())
    subs = [s.value for s in at.subheader]
    assert "Next 30 days" in subs
    rows = next_up((), date.today())
    shown = [t.value for t in at.text]
    assert [r for r in rows["title"]] == [t for t in shown if t in set(rows["title"])]
    links = [p.proto.label for p in at.get("page_link")]
    assert "All catalysts" in links


def test_next_up_for_a_watchlist_with_nothing_due() -> None:
    from lib.ui.catalyst_calendar import next_up

    assert next_up(("SPY",), date(2026, 12, 7)).empty
    got = next_up(("ILU.AX",), date(2026, 12, 7))
    assert list(got["uid"]) == ["milestone-P20"]  # Eneabba, 2027: 25 days away


@pytest.mark.parametrize(
    ("link", "horizon"),
    [("past90", "past90"), ("next90", "next90"), ("Past 90 days", "past90")],
    ids=["id", "default id", "older label"],
)
def test_short_horizon_link_stays_in_the_address_bar(link: str, horizon: str) -> None:
    """Issue 25: ?cat_h=past90 opened the right horizon, then the binding wrote the label
    (or dropped the default), so the link left the address bar."""
    at = run({"cat_h": link})
    assert at.selectbox(key="cat_h").value == horizon
    assert at.query_params["cat_h"] in (link, [link])
    at.selectbox(key="cat_h").set_value("next30").run()
    assert at.query_params["cat_h"] in ("next30", ["next30"])  # a change writes the id
    at.selectbox(key="cat_h").set_value("next90").run()
    assert "cat_h" not in at.query_params  # the default view has no parameter


def test_unknown_horizon_link_is_named() -> None:
    at = run({"cat_h": "next9999"})
    assert at.selectbox(key="cat_h").value == "next90"
    assert any("next9999" in t for t in texts(at.info))
