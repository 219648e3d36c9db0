"""Catalyst calendar: periods at their precision, filters, countdown, iCalendar round trip."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.catalysts import earnings, ics, model, sources
from lib.events.events import load_events

TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return model.combine(
        model.from_policy_events(load_events()),
        model.from_pipeline(sources.load_pipeline()),
        model.from_earnings(earnings.load_offline()),
    )


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "label"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "year", "2026"),
        ("2026-07", date(2026, 7, 1), date(2026, 7, 31), "month", "Jul 2026"),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "month", "Feb 2028"),
        ("Q3 2026", date(2026, 7, 1), date(2026, 9, 30), "quarter", "Q3 2026"),
        ("Q4 2026", date(2026, 10, 1), date(2026, 12, 31), "quarter", "Q4 2026"),
        ("H1 2027", date(2027, 1, 1), date(2027, 6, 30), "half", "H1 2027"),
        ("mid-2026", date(2026, 7, 1), date(2026, 12, 31), "half", "mid-2026"),
    ],
)
def test_a_period_is_what_its_source_says(text, start, end, precision, label) -> None:
    p = model.parse_when(text)
    assert (p.start, p.end, p.precision, p.label) == (start, end, precision, label)


@pytest.mark.parametrize("text", ["", "2026-13", "Q5 2026", "soon", "2026-07-01", "mid 2026"])
def test_unparseable_periods_are_not_guessed(text: str) -> None:
    assert model.parse_when(text) is None


def test_scheduled_policy_events_are_deadlines_with_their_outcome_status(table) -> None:
    deadlines = table[table["kind"] == "policy deadline"].set_index("start")
    days = {d.date() for d in deadlines.index}
    assert {date(2026, 7, 13), date(2026, 11, 10), date(2026, 11, 27)} <= days
    assert (deadlines["precision"] == "day").all()
    missing = deadlines[deadlines["status"] == model.OUTCOME_MISSING]
    assert len(missing) >= 1  # past deadlines whose outcome no source reports say so
    assert deadlines["source_url"].str.startswith("https://").all()


def test_milestones_keep_their_precision_and_never_invent_a_day(table) -> None:
    ms = table[table["kind"] == "project milestone"].set_index("ref")
    assert ms.loc["P03", "when"] == "mid-2026" and ms.loc["P03", "precision"] == "half"
    assert ms.loc["P20", "when"] == "2027" and ms.loc["P20", "precision"] == "year"
    assert ms.loc["P20", "start"] == pd.Timestamp("2027-01-01")
    assert ms.loc["P20", "end"] == pd.Timestamp("2027-12-31")
    assert "P01" not in ms.index  # operating: not a milestone
    assert (ms["precision"] != "day").all()
    assert ms.loc["P20", "symbols"] == ("ILU.AX",)


def test_horizons_filters_and_countdown(table) -> None:
    nxt = model.select(table, today=TODAY, horizon="next365")
    assert not nxt.empty
    assert (nxt["end"] >= pd.Timestamp(TODAY)).all()
    assert (nxt["start"] <= pd.Timestamp(TODAY + timedelta(days=365))).all()
    past = model.select(table, today=TODAY, horizon="past90")
    assert set(past.loc[past["kind"] == "policy deadline", "start"].dt.date) >= {
        date(2026, 11, 10),
        date(2026, 11, 27),
    }
    row = past[past["start"] == pd.Timestamp("2026-11-27")].iloc[0]
    assert row["countdown"] == "10 days ago"
    only = model.select(table, today=TODAY, horizon="next365", kinds=["project milestone"])
    assert set(only["kind"]) == {"project milestone"}
    ilu = model.select(table, today=TODAY, horizon="next365", symbols=["ilu.ax"])
    assert all("ILU.AX" in s for s in ilu["symbols"])
    none = model.select(table, today=TODAY, horizon="next30", symbols=["NOSUCH"])
    assert none.empty


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 12, 8), date(2026, 12, 8), "tomorrow"),
        (date(2026, 12, 19), date(2026, 12, 19), "in 12 days"),
        (date(2026, 12, 7), date(2026, 12, 7), "today"),
        (date(2026, 12, 6), date(2026, 12, 6), "yesterday"),
        (date(2026, 10, 1), date(2026, 12, 31), "under way (period ends in 24 days)"),
        (date(2027, 1, 1), date(2027, 12, 31), "in 25 days"),
    ],
)
def test_countdown_words(start, end, expected) -> None:
    assert model.countdown(start, end, TODAY) == expected


def test_ics_round_trips_uids_dates_and_titles(table) -> None:
    shown = model.select(table, today=TODAY, horizon="next365")
    past = model.select(table, today=TODAY, horizon="past90")
    both = pd.concat([shown, past], ignore_index=True).drop_duplicates("uid")
    data = ics.to_ics(both, stamp=datetime(2026, 12, 7, 12, 0))
    entries = ics.read_ics(data)
    assert [e.uid for e in entries] == [f"{u}@{ics.UID_DOMAIN}" for u in both["uid"]]
    for e, (_, row) in zip(entries, both.iterrows(), strict=True):
        assert e.start == row["start"].date() and e.end == e.start + timedelta(days=1)
        assert e.title == ics.title_for(row)
        if row["precision"] != "day":
            assert e.title.startswith(f"[{row['when']}] ")
        if row["source_url"]:
            assert f"Source: {row['source_url']}" in e.description
    # Stable: the same rows give the same UIDs on another day's export.
    again = ics.read_ics(ics.to_ics(both, stamp=datetime(2027, 1, 1)))
    assert [e.uid for e in again] == [e.uid for e in entries]


@given(st.text(min_size=1, max_size=80))
def test_ics_keeps_any_title_as_text(title: str) -> None:
    row = {
        "uid": "mine-1", "kind": "my event", "start": pd.Timestamp("2027-03-01"),
        "end": pd.Timestamp("2027-03-01"), "precision": "day", "when": "2027-03-01",
        "title": title, "detail": "", "jurisdiction": "", "symbols": (), "source_url": "",
        "confidence": "", "status": "", "ref": "1",
    }  # fmt: skip
    entries = ics.read_ics(ics.to_ics(pd.DataFrame([row])))
    assert entries[0].title == " ".join(title.split())


def test_earnings_refresh_keeps_last_good_dates_on_failure(tmp_path) -> None:
    class Fake:
        def __init__(self, answers):
            self.answers = answers

        def available(self) -> bool:
            return True

        def earnings_dates(self, symbol: str):
            value = self.answers[symbol]
            if isinstance(value, Exception):
                raise value
            return value

    good = Fake({"MP": [date(2027, 2, 18)], "LYC.AX": [date(2027, 1, 29)]})
    first = earnings.refresh(["MP", "LYC.AX"], good, tmp_path, TODAY)
    assert first.updated == ["MP", "LYC.AX"] and not first.kept
    bad = Fake({"MP": RuntimeError("Yahoo request failed: HTTPError"), "LYC.AX": []})
    second = earnings.refresh(["MP", "LYC.AX"], bad, tmp_path, date(2026, 12, 8))
    assert second.updated == [] and set(second.kept) == {"MP", "LYC.AX"}
    kept = second.table.set_index("symbol")
    assert kept.loc["MP", "date"] == pd.Timestamp("2027-02-18")
    assert kept.loc["MP", "as_of"] == TODAY.isoformat()  # the as-of of the last good answer
    assert "kept the last good dates" in second.summary()


def test_corrupt_earnings_cache_reads_empty_and_is_replaced(tmp_path) -> None:
    (tmp_path / earnings.CACHE_NAME).write_text('{"MP": {"dates": [')
    assert earnings.read_cache(tmp_path / earnings.CACHE_NAME).empty


def test_offline_earnings_are_sourced() -> None:
    off = earnings.load_offline()
    assert off["source_url"].str.startswith("https://").all()
    assert off.loc[off["symbol"] == "MP", "date"].min() == pd.Timestamp("2025-11-06")


# --------------------------------------------------------------------------- online, fake Yahoo


@pytest.fixture
def fake(tmp_path, monkeypatch):
    from tests.fake_yahoo import running_fake

    with running_fake(tmp_path, monkeypatch) as fy:
        yield fy


def _yahoo(fy) -> earnings.YahooEarnings:
    from lib.prices.yahoo import probe_reachable

    return earnings.YahooEarnings(
        session=fy.session(), probe=lambda: probe_reachable("127.0.0.1", fy.port, ttl=0)
    )


def test_online_earnings_through_yfinance(fake, tmp_path) -> None:
    fake.earnings["MP"] = [date(2027, 2, 18)]
    fake.earnings["UUUU"] = [date(2027, 2, 24), date(2027, 2, 26)]
    got = earnings.refresh(["MP", "UUUU"], _yahoo(fake), tmp_path / "c", TODAY)
    assert got.updated == ["MP", "UUUU"] and not got.kept
    t = got.table
    assert set(t.loc[t["symbol"] == "UUUU", "date"].dt.date) == {
        date(2027, 2, 24),
        date(2027, 2, 26),
    }
    assert (t["as_of"] == TODAY.isoformat()).all() and (t["confidence"] == "unverified").all()
    cat = model.from_earnings(t)
    assert "earnings-MP-2027-02-18" in set(cat["uid"])


@pytest.mark.parametrize("fault", ["429", "status", "malformed", "empty"])
def test_online_failure_keeps_the_last_good_cache_and_says_so(fake, tmp_path, fault) -> None:
    fake.earnings["MP"] = [date(2027, 2, 18)]
    cache = tmp_path / "c"
    assert earnings.refresh(["MP"], _yahoo(fake), cache, TODAY).updated == ["MP"]
    before = (cache / earnings.CACHE_NAME).read_bytes()
    fake.earnings_faults["MP"] = fault
    got = earnings.refresh(["MP"], _yahoo(fake), cache, date(2026, 12, 8))
    assert got.updated == [] and "MP" in got.kept
    assert (cache / earnings.CACHE_NAME).read_bytes() == before  # nothing rewritten
    assert got.table.loc[0, "date"] == pd.Timestamp("2027-02-18")
    assert "kept the last good dates for MP" in got.summary()


def test_unreachable_yahoo_is_reported_not_raised(tmp_path) -> None:
    class Down:
        def available(self) -> bool:
            return False

        def earnings_dates(self, symbol):  # pragma: no cover - never asked
            raise AssertionError

    got = earnings.refresh(["MP"], Down(), tmp_path, TODAY)
    assert got.offline and got.table.empty and "unreachable" in got.summary()


def test_earnings_refresh_leaves_yfinance_logging_alone(fake, tmp_path) -> None:
    """The price fetcher reads yfinance's error log (rate limits): nothing may mute it."""
    import logging

    before = logging.getLogger("yfinance").level
    earnings.refresh(["MP"], _yahoo(fake), tmp_path / "c", TODAY)
    assert logging.getLogger("yfinance").level == before
