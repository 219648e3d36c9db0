"""Data-quality flags and per-exchange event timing, on real snapshot rows and real events."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib.events import timing as et
from lib.prices import quality, read_snapshot


@pytest.fixture(scope="module")
def snap() -> pd.DataFrame:
    return read_snapshot()


def test_chinese_duplicate_day_and_halts_are_flagged(snap: pd.DataFrame) -> None:
    flagged = quality.suspect_rows(snap)
    got = {(r.symbol, f"{r.date:%Y-%m-%d}", r.reason) for r in flagged.itertuples()}
    # SOURCES.md: 2026-07-01 repeats 2026-06-30 in these four A-share files, not in 600392.SS.
    for sym in ("600111.SS", "300748.SZ", "000831.SZ", "600366.SS", "000970.SZ"):
        assert (sym, "2026-07-01", "duplicate") in got
    assert not any(s == "600392.SS" and d == "2026-07-01" for s, d, _ in got)
    # Halts with volume 0 (LYC.AX capital raising; ARU.AX suspensions).
    assert ("LYC.AX", "2025-08-28", "no_volume") in got
    assert {("ARU.AX", d, "no_volume") for d in ("2024-07-24", "2025-08-18", "2025-10-28")} <= got
    # MP and the adjusted-close-only series have nothing to flag / cannot be checked.
    assert not flagged["symbol"].isin(["MP", "REMX", "USAR"]).any()


def test_without_suspect_rows_drops_exactly_the_flagged(snap: pd.DataFrame) -> None:
    lyc = snap[snap["symbol"] == "LYC.AX"]
    kept = quality.without_suspect_rows(lyc)
    assert len(kept) == len(lyc) - 1
    assert pd.Timestamp("2025-08-28") not in set(kept["date"])
    notes = quality.describe(quality.suspect_rows(lyc))
    assert notes == [
        "LYC.AX: left out of returns on 2025-08-28: volume 0 (trading halt); the price did "
        "not trade."
    ]


def test_quality_on_empty_and_adjusted_only_frames() -> None:
    assert quality.suspect_rows(pd.DataFrame()).empty
    adj_only = pd.DataFrame(
        {"symbol": ["X", "X"], "date": pd.to_datetime(["2025-01-02", "2025-01-03"]),
         "adj_close": [1.0, 1.0]}
    )  # fmt: skip
    assert quality.suspect_rows(adj_only).empty
    assert quality.without_suspect_rows(adj_only) is adj_only


@pytest.mark.parametrize(
    ("day", "timing", "jurisdiction", "exchange", "local", "after"),
    [
        # US-Australia framework, Washington 20 Oct 2025: 21 Oct in Sydney, before the open.
        (date(2025, 10, 20), "unknown", "US", "ASX", date(2025, 10, 21), False),
        (date(2025, 10, 20), "unknown", "US", "NYSE", date(2025, 10, 20), False),
        # A US daytime event is after the Shanghai close of the same calendar day.
        (date(2025, 7, 10), "unknown", "US", "SSE", date(2025, 7, 11), False),
        # MOFCOM at noon Beijing is before the New York open of the same day (EDT and EST).
        (date(2025, 10, 9), "unknown", "China", "NYSE", date(2025, 10, 9), False),
        (date(2025, 12, 4), "unknown", "China", "Nasdaq", date(2025, 12, 3), True),
        (date(2025, 10, 9), "unknown", "China", "SSE", date(2025, 10, 9), False),
        # After the close stays after the close on the home exchange.
        (date(2025, 7, 10), "after_close", "US", "NYSE", date(2025, 7, 10), True),
        # Unknown zone or exchange: the event's own date, as before.
        (date(2025, 7, 10), "unknown", "other", "ASX", date(2025, 7, 10), False),
        (date(2025, 7, 10), "after_close", "US", None, date(2025, 7, 10), True),
    ],
)
def test_reaction_day_per_exchange(day, timing, jurisdiction, exchange, local, after) -> None:
    r = et.reaction(day, timing, jurisdiction, exchange)
    assert (r.local_date, r.after_close) == (local, after)


def test_reaction_day_and_extra_sessions() -> None:
    # Zones known: after the close means the first session strictly after the local date.
    r = et.reaction(date(2025, 10, 1), "after_close", "US", "SZSE")
    assert (r.day, r.extra_sessions) == (date(2025, 10, 2), 0)
    # Zone unknown: the older rule, one more session after the first on/after the date.
    r = et.reaction(date(2025, 10, 1), "after_close", "other", "SZSE")
    assert (r.day, r.extra_sessions) == (date(2025, 10, 1), 1)


def test_every_event_jurisdiction_and_exchange_has_a_clock() -> None:
    events = pd.read_csv("data/policy_events.csv")
    universe = pd.read_csv("data/universe.csv")
    assert set(events["jurisdiction"]) <= set(et.JURISDICTION_TZ)
    assert set(universe["exchange"]) <= set(et.EXCHANGE_CLOCK)
