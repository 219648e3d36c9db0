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


# --------------------------------------------------------------------------- known flags (issue 21)


def _display(snap: pd.DataFrame, symbols: tuple[str, ...]) -> pd.DataFrame:
    """Rows as every page gets them (lib.prices.display.display_prices, local currency)."""
    from lib.prices import read_snapshot_meta
    from lib.prices.display import display_prices

    rows = snap[snap["symbol"].isin(symbols)]
    return display_prices(
        rows, symbols, listed={}, currency_of={}, rates=None, currency="local",
        include_pre_listing=False, snapshot_meta=read_snapshot_meta(),
    ).prices  # fmt: skip


def test_no_return_crosses_vml_consolidation(snap: pd.DataFrame) -> None:
    """VML.AX's raw close goes 0.002 -> 0.1 (x50) on 2025-06-23: a +4,900% 'day' if read as a
    return. Every return measure starts after the step instead."""
    from lib import returns
    from lib.markets import price_view

    vml = _display(snap, ("VML.AX",))
    s = vml.set_index("date")
    assert s.loc["2025-06-20", "close"] == 0.002 and s.loc["2025-06-23", "close"] == 0.1
    assert s.loc[:"2025-06-20", "adj_close"].isna().all()  # the old shares: no return basis
    assert s.loc["2025-06-23", "adj_close"] == 0.1  # the new shares start here
    daily = s["adj_close"].pct_change(fill_method=None)
    assert pd.isna(daily.loc["2025-06-23"]) and daily.abs().max() < 2  # no +4,900 % day
    adj = s["adj_close"]
    # A period whose base is before the break has no return (never a shorter window quietly).
    assert pd.isna(returns.period_return(adj, "1Y", date(2026, 6, 4)))  # base 2025-06-04
    assert returns.period_return(adj, "YTD", date(2026, 6, 4)) == pytest.approx(
        0.115 / s.loc["2025-12-31", "close"] - 1
    )
    # Prices, 1Y to 2026-06-04: rebased, return, drawdown and volatility all from 2025-06-23.
    view = price_view.build_view(vml, "1Y", "Rebased to 100")
    row = returns.summary_table(view.tidy, {"VML.AX": "AUD"}).iloc[0]
    assert row["from"] == date(2025, 6, 23) and row["return"] == pytest.approx(0.115 / 0.1 - 1)
    assert row["max_drawdown"] > -1 and row["volatility"] < 5  # no x50 step inside
    rebased = view.values.set_index("date")["value"]
    assert rebased.index.min() == pd.Timestamp("2025-06-23") and rebased.iloc[0] == 100
    assert rebased.max() < 1000  # its high is 0.385 (385); the step alone would be 5,000
    # Price view keeps the traded prices of both share lines (the note says why they jump).
    price = price_view.build_view(vml, "Max", "Price").values.set_index("date")["value"]
    assert price.loc["2025-06-20"] == 0.002 and price.loc["2025-06-23"] == 0.1
    assert any(n.startswith("VML.AX: prices are not adjusted") for n in quality.series_notes(vml))


def test_asx_source_gap_is_stated_when_a_return_spans_it(snap: pd.DataFrame) -> None:
    lyc = snap[snap["symbol"] == "LYC.AX"].set_index("date")["close"]
    # The 2026-03-30 row follows 2026-03-10: one 'daily' change that covers three weeks.
    assert lyc.index[lyc.index.get_loc(pd.Timestamp("2026-03-30")) - 1] == pd.Timestamp(
        "2026-03-10"
    )
    asx = snap[snap["symbol"].isin(["LYC.AX", "ILU.AX", "ARU.AX", "VML.AX"])]
    gap = [n for n in quality.series_notes(asx) if "2026-03-11 to 2026-03-27" in n]
    assert len(gap) == 1 and gap[0].startswith("LYC.AX, ILU.AX, ARU.AX, VML.AX: no data")
    assert "spans three weeks" in gap[0]
    assert any(n.startswith("ARU.AX: no row for 2026-05-22") for n in quality.series_notes(asx))
    assert pd.Timestamp("2026-05-22") not in set(asx.loc[asx["symbol"] == "ARU.AX", "date"])
    before = asx[asx["date"] <= pd.Timestamp("2026-03-06")]
    assert not any("2026-03-11" in n for n in quality.series_notes(before))  # not in window
    # A cache that has the missing days (a later source) silences the note.
    filled = pd.concat(
        [
            asx,
            asx[asx["date"] == pd.Timestamp("2026-03-10")].assign(date=pd.Timestamp("2026-03-16")),
        ]
    )
    assert not any("2026-03-11 to 2026-03-27" in n and "LYC.AX" in n.split(":")[0]
                   for n in quality.series_notes(filled[filled["symbol"] == "LYC.AX"]))  # fmt: skip


def test_iluka_unadjusted_dividends_and_shin_etsu_adjusted_closes(snap: pd.DataFrame) -> None:
    ilu = snap[snap["symbol"] == "ILU.AX"]
    notes = quality.series_notes(ilu)
    assert any(n.startswith("ILU.AX: prices after 2026-01-02 are not adjusted") for n in notes)
    old = quality.series_notes(ilu[ilu["date"] <= pd.Timestamp("2025-12-31")])
    assert not any("not adjusted for dividends" in n for n in old)
    shin = _display(snap, ("4063.T",)).set_index("date")
    # Before 2026-03-30 the close is an adjusted figure: blanked as a quote, kept for returns.
    assert pd.isna(shin.loc["2026-03-27", "close"]) and shin.loc["2026-03-30", "close"] > 0
    assert shin["adj_close"].notna().all()
    assert any(n.startswith("4063.T: closes before 2026-03-30 are adjusted")
               for n in quality.series_notes(shin.reset_index()))  # fmt: skip
    assert not quality.series_notes(
        snap[(snap["symbol"] == "4063.T") & (snap["date"] >= pd.Timestamp("2026-04-01"))]
    )


def test_existing_flags_kept_and_spy_on_one_basis(snap: pd.DataFrame) -> None:
    notes = quality.series_notes(snap[snap["symbol"].isin(["600111.SS", "LYC.AX", "SPY", "MP"])])
    assert any(n.startswith("600111.SS: kept as in the source on 2026-07-01") for n in notes)
    assert any(n.startswith("LYC.AX: kept as in the source on 2025-08-28") for n in notes)
    # SPY's close and adjusted close are one basis now: nothing to flag; MP has nothing either.
    assert not any(n.startswith(("SPY", "MP")) for n in notes)
    assert {"VML.AX": date(2025, 6, 23)} == quality.RETURN_BREAKS


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
