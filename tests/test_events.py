"""Policy events: loading, uncertainty spans, filters, search, selection payloads, reactions."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib.datafiles import POLICY_EVENTS, read_raw, validate
from lib.events import events as ev
from lib.prices import PriceStore


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return ev.load_events()


def test_file_is_valid_and_fully_loaded(events):
    assert validate(read_raw("policy_events.csv"), POLICY_EVENTS, "policy_events.csv") == []
    # 101 facts.md section-1 events + 13 from issue 14 (the facts "can be added" list and the
    # verified second dates inside rows 33, 39, 67, 92, 99 and the Nechalacho item) + the
    # unverified Lynas terbium row + 6 sourced events after 2026-02-02 = 121; issues 21/24 add
    # E122-E124 (occurred) and the scheduled deadlines E125-E128 = 128
    assert len(events) == 128
    assert events["date"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("event_id", "exact", "span", "plot_date", "status"),
    [
        ("E065", True, ("2025-07-10", "2025-07-10"), "2025-07-10", "exact"),
        ("E021", False, ("2021-01-01", "2021-01-31"), "2021-01-16", "month only"),
        ("E058", False, ("2025-04-28", "2025-05-26"), "2025-05-12", "unverified"),
        ("E058", False, ("2025-04-28", "2025-05-26"), "2025-05-12", "unverified"),
        # a scheduled step: an exact day, but a deadline whose outcome is not sourced
        ("E095", True, ("2026-01-01", "2026-01-01"), "2026-01-01", "scheduled"),
    ],
)
def test_inexact_events_get_a_span_never_an_exact_day(
    events, event_id, exact, span, plot_date, status
):
    row = events.set_index("id").loc[event_id]
    assert bool(row["exact"]) is exact
    assert (row["span_start"], row["span_end"]) == tuple(pd.Timestamp(s) for s in span)
    assert row["plot_date"] == pd.Timestamp(plot_date)
    assert row["status_label"] == status


@pytest.mark.parametrize(
    ("precision", "label"),
    [
        ("day", "10 Jul 2025"),
        ("month", "Jul 2025 (month only)"),
        ("approximate", "~10 Jul 2025 (approximate)"),
    ],
)
def test_date_label(precision, label):
    assert ev.date_label(pd.Timestamp("2025-07-10"), precision) == label


@pytest.mark.parametrize(
    ("kwargs", "must_include", "must_exclude"),
    [
        ({"jurisdictions": ["China"]}, {"E001", "E076"}, {"E065"}),
        ({"categories": ["equity stake/price floor"]}, {"E065"}, {"E001"}),
        ({"symbols": ["MP"]}, {"E065", "E077", "E101"}, {"E001"}),
        ({"start": date(2025, 7, 1), "end": date(2025, 7, 31)}, {"E065", "E066"}, {"E076"}),
        # a month-only event (Jan 2021) overlaps a mid-January range
        ({"start": date(2021, 1, 20), "end": date(2021, 1, 25)}, {"E021"}, {"E065"}),
        ({"text": "price FLOOR"}, {"E065"}, {"E001"}),
        ({"text": "mofcom quota"}, {"E001"}, {"E065"}),
        ({"exact_only": True}, {"E065"}, {"E021", "E058"}),
    ],
)
def test_filters(events, kwargs, must_include, must_exclude):
    ids = set(ev.filter_events(events, **kwargs)["id"])
    assert must_include <= ids
    assert not (must_exclude & ids)


def test_filters_combine_and_empty_filters_match_all(events):
    assert len(ev.filter_events(events)) == len(events)
    both = ev.filter_events(events, jurisdictions=["US"], categories=["tariff"])
    assert set(both["jurisdiction"]) == {"US"} and set(both["category"]) == {"tariff"}
    assert ev.filter_events(events, text="no such words anywhere zz").empty


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"pick": [{"id": "E065"}]}, "E065"),
        ({"pick": [{"id": "E065"}, {"id": "E001"}]}, "E065"),
        ({"pick": []}, None),
        ({}, None),
        (None, None),
        ({"other": [{"id": "E065"}]}, None),
        ({"pick": "E065"}, None),
        ({"pick": [{"id": 65}]}, None),
    ],
)
def test_selected_event_id(selection, expected):
    assert ev.selected_event_id(selection) == expected


def test_get_event_and_unknown(events):
    e = ev.get_event(events, "E065")
    assert e.date == date(2025, 7, 10) and e.symbols == ("MP",) and e.exact
    assert all(u.startswith("https://") for u in e.source_urls)
    with pytest.raises(ev.UnknownEventError):
        ev.get_event(events, "E999")


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/a", True),
        ("http://example.org/a", True),
        ("javascript:alert(1)", False),
        ("ftp://x", False),
        ("data:text/html,hi", False),
    ],
)
def test_only_http_links(url, link):
    assert ev.is_link(url) is link


def test_events_table_blanks_non_http_sources(events):
    hostile = events.head(2).copy()
    hostile["source"] = ["javascript:alert(1)", "https://ok.example/x"]
    table = ev.events_table(hostile)
    assert table["source"].tolist() == ["", "https://ok.example/x"]
    assert isinstance(table["date"].iloc[0], date)


def test_reaction_window_rebased_at_session_before(tmp_path):
    prices = PriceStore(cache_dir=tmp_path).load(["MP", "600111.SS"])
    win = ev.reaction_window(prices, date(2025, 7, 10), before=3, after=2)
    mp = win[win["symbol"] == "MP"].set_index("rel_session")
    assert mp.loc[-1, "rebased"] == pytest.approx(100.0)
    assert mp.loc[0, "rebased"] == pytest.approx(100 * 45.23 / 30.03, abs=0.3)
    assert list(mp.index) == [-3, -2, -1, 0, 1, 2]
    # a weekend event is measured from Friday's close: Sunday 2025-10-12 -> Monday is day 0
    sun = ev.reaction_window(prices, date(2025, 10, 12), before=1, after=0)
    assert set(sun.loc[sun["rel_session"] == 0, "date"]) == {pd.Timestamp("2025-10-13")}
    assert set(sun.loc[sun["rel_session"] == -1, "date"]) == {pd.Timestamp("2025-10-10")}
    roles = ev.assign_roles(win, ["MP"])
    assert set(roles.loc[roles["symbol"] == "600111.SS", "role"]) == {"peer"}


def test_reaction_window_no_data_before_event(tmp_path):
    prices = PriceStore(cache_dir=tmp_path).load(["USAR"])
    assert ev.reaction_window(prices, date(2010, 1, 4)).empty
    assert ev.reaction_window(prices.iloc[0:0], date(2025, 1, 6)).empty


def test_option_labels_and_symbols(events):
    labels = ev.event_option_label(events)
    assert labels["E065"].startswith("E065 · 10 Jul 2025 · ")
    assert labels["E021"].startswith("E021 · Jan 2021 (month only)")
    assert {"MP", "600111.SS", "LYC.AX"} <= set(ev.event_symbols(events))


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://www.sojitz.com/en/news/2010/11/20101124.php", "sojitz.com"),
        ("http://globaltimes.cn/content/1", "globaltimes.cn"),
        ("not a url", "not a url"),
    ],
)
def test_source_label(url, label):
    assert ev.source_label(url) == label


# Rows added for issue 14: (id, date, precision, confidence, symbols, fact_ref).
NEW_ROWS = [
    ("E041", "2024-06-10", "day", "derived", ("UUUU", "EFR.TO"), 41),
    ("E102", "2021-06-01", "month", "verified", ("VML.AX",), 907),
    ("E103", "2022-06-17", "day", "verified", ("VML.AX",), 917),
    ("E104", "2023-08-01", "day", "verified", (), 233),
    ("E105", "2023-11-09", "day", "verified", ("AREC",), 901),
    ("E106", "2024-06-27", "day", "verified", ("LYC.AX",), 902),
    ("E107", "2024-09-13", "day", "verified", (), 239),
    ("E108", "2025-04-30", "day", "verified", ("USAR",), 903),
    ("E109", "2025-06-09", "day", "verified", ("AREC",), 904),
    ("E110", "2025-08-12", "day", "verified", ("ARU.AX",), 905),
    ("E111", "2025-08-21", "day", "verified", ("UUUU", "EFR.TO"), 267),
    ("E112", "2025-09-26", "day", "verified", ("AREC",), 906),
    ("E113", "2025-10-24", "day", "verified", (), 299),
    ("E114", "2025-12-04", "day", "verified", ("300748.SZ", "600366.SS", "000970.SZ"), 292),
    ("E115", "2025-06-01", "month", "unverified", ("LYC.AX",), 908),
    ("E116", "2026-02-02", "day", "verified", (), 1001),
    ("E117", "2026-02-04", "day", "verified", (), 1002),
    ("E118", "2026-02-04", "day", "verified", (), 1003),
    ("E119", "2026-02-26", "day", "verified", ("MP",), 1004),
    ("E120", "2026-04-24", "day", "verified", (), 1005),
    ("E121", "2026-06-22", "day", "verified", ("MP", "USAR"), 1006),
]


@pytest.mark.parametrize(
    ("event_id", "day", "precision", "confidence", "symbols", "fact_ref"),
    NEW_ROWS,
    ids=[r[0] for r in NEW_ROWS],
)
def test_issue_14_rows(events, event_id, day, precision, confidence, symbols, fact_ref):
    row = events.set_index("id").loc[event_id]
    assert row["date"] == pd.Timestamp(day)
    assert row["date_precision"] == precision and row["confidence"] == confidence
    assert row["symbol_list"] == symbols
    assert int(row["fact_ref"]) == fact_ref
    assert row["url_list"] and all(u.startswith("https://") for u in row["url_list"][:1])


def test_issue_14_timing_and_exactness(events):
    e = events.set_index("id")
    # MP released its Q4 2025 results at 4:05 pm ET, so the reaction is the next session
    assert e.loc["E119", "timing"] == "after_close"
    # the Lynas terbium day is not in any source: a month span, never an exact day
    assert not e.loc["E115", "exact"] and e.loc["E115", "status_label"] == "unverified"
    assert e.loc["E115", "span_end"] == pd.Timestamp("2025-06-30")
    assert e.loc["E121", "category"] == "export control" and e.loc["E121", "body"] == "MOFCOM"


def test_timeline_now_reaches_past_february_2026(events):
    occurred = events[~events["scheduled"]]
    assert occurred["date"].max() == pd.Timestamp("2026-06-22")
    assert (occurred["date"] > pd.Timestamp("2026-02-02")).sum() == 8
    assert events["date"].max() == pd.Timestamp("2026-11-27")  # a scheduled deadline


# Issues 21 and 24: events since February and scheduled deadlines.
# (id, date, status, confidence, symbols, fact_ref)
ISSUE_21_ROWS = [
    ("E122", "2026-02-26", "occurred", "verified", (), 1007),
    ("E123", "2026-03-10", "occurred", "verified", ("LYC.AX", "2768.T"), 1008),
    ("E124", "2026-06-18", "occurred", "unverified", ("UUUU", "EFR.TO"), 1009),
    ("E125", "2026-07-13", "scheduled", "verified", (), 1010),
    ("E126", "2026-11-10", "scheduled", "verified", (), 285),
    ("E127", "2026-11-10", "scheduled", "verified", (), 1011),
    ("E128", "2026-11-27", "scheduled", "verified", (), 1012),
]


@pytest.mark.parametrize(
    ("event_id", "day", "status", "confidence", "symbols", "fact_ref"),
    ISSUE_21_ROWS,
    ids=[r[0] for r in ISSUE_21_ROWS],
)
def test_issue_21_rows(events, event_id, day, status, confidence, symbols, fact_ref):
    row = events.set_index("id").loc[event_id]
    assert row["date"] == pd.Timestamp(day) and row["status"] == status
    assert row["confidence"] == confidence and row["symbol_list"] == symbols
    assert int(row["fact_ref"]) == fact_ref
    assert all(u.startswith("https://") for u in row["url_list"])


def test_single_source_loan_is_flagged_and_never_exact(events):
    osc = events.set_index("id").loc["E124"]
    assert len(osc["url_list"]) == 1 and osc["status_label"] == "unverified"
    assert not osc["exact"]


def test_usTR_request_is_not_the_mp_results_row(events):
    same_day = events[events["date"] == pd.Timestamp("2026-02-26")].set_index("id")
    assert set(same_day.index) == {"E119", "E122"}
    assert same_day.loc["E122", "body"] == "USTR" and "MP" not in same_day.loc["E122", "symbols"]


def test_scheduled_events_say_their_outcome_is_not_sourced(events):
    sched = events[events["scheduled"]]
    assert set(sched["id"]) == {"E095", "E125", "E126", "E127", "E128"}
    assert (sched["status_label"] == "scheduled").all()
    assert (sched["outcome_label"] == ev.OUTCOME_UNKNOWN).all()
    assert (events.loc[~events["scheduled"], "outcome_label"] == "").all()
    labels = ev.event_option_label(events)
    assert "(scheduled)" in labels["E125"] and "(scheduled)" not in labels["E065"]
    picked = ev.get_event(events, "E126")
    assert picked.scheduled and picked.outcome == ""


def test_scheduled_accessor_is_pure_and_ordered(events):
    from lib.events.scheduled import scheduled_events

    got = scheduled_events(events)
    assert [s.id for s in got] == ["E095", "E125", "E126", "E127", "E128"]
    assert all(not s.outcome_known and s.outcome_text == ev.OUTCOME_UNKNOWN for s in got)
    late = scheduled_events(events, start=date(2026, 11, 1), end=date(2026, 11, 10))
    assert [(s.id, s.jurisdiction) for s in late] == [("E126", "China"), ("E127", "US")]
    assert late[0].source.startswith("https://") and late[0].date == date(2026, 11, 10)
    # a recorded outcome flips the flag
    known = events.assign(outcome=events["outcome"].where(events["id"] != "E125", "E124"))
    known = ev.prepare_events(known.drop(columns=[c for c in known if c not in RAW_COLUMNS]))
    first = next(s for s in scheduled_events(known) if s.id == "E125")
    assert first.outcome_known and first.outcome_id == "E124"
    assert scheduled_events(events.iloc[0:0]) == []


RAW_COLUMNS = [c.name for c in POLICY_EVENTS]


def test_e116_and_e120_fixes(events):
    e = events.set_index("id")
    assert "5,600 m" in e.loc["E116", "title"] and "5,600 m" in e.loc["E116", "summary"]
    assert e.loc["E116", "category"] == "state project"  # a state test, not a company
    assert e.loc["E120", "jurisdiction"] == "US" and e.loc["E120", "body"] == "USTR"
