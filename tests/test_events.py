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
    assert len(events) == 101
    assert events["date"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("event_id", "exact", "span", "plot_date", "status"),
    [
        ("E065", True, ("2025-07-10", "2025-07-10"), "2025-07-10", "exact"),
        ("E021", False, ("2021-01-01", "2021-01-31"), "2021-01-16", "month only"),
        ("E058", False, ("2025-04-28", "2025-05-26"), "2025-05-12", "unverified"),
        ("E095", False, ("2026-01-01", "2026-01-01"), "2026-01-01", "unverified"),
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
        ({"exact_only": True}, {"E065"}, {"E021", "E095"}),
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
