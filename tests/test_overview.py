"""Landing-page numbers on real snapshot data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import returns
from lib.markets import overview
from lib.prices import PriceStore, fx

# VML.AX has offline data since the 2026-12 snapshot, but only raw closes (returns from its
# 2025-06-23 consolidation on); like LYC.AX and ILU.AX it ends 2026-06-04.
MEMBERS = {
    "West basket": ["MP", "LYC.AX", "ILU.AX", "VML.AX"],
    "China basket": ["600111.SS", "300748.SZ"],
}
CCY = {
    "MP": "USD",
    "LYC.AX": "AUD",
    "ILU.AX": "AUD",
    "VML.AX": "AUD",
    "600111.SS": "CNY",
    "300748.SZ": "CNY",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> overview.HomeOverview:
    store = PriceStore(cache_dir=tmp_path_factory.mktemp("c"))
    prices = store.load([*CCY, "REMX"])
    conv = fx.convert_to_usd(prices, CCY, store.load(["CNY=X", "AUDUSD=X"]))
    return overview.build_home(conv.prices, MEMBERS, date(2024, 1, 1), conv.notes)


def test_baskets_start_at_100_and_are_in_range(home: overview.HomeOverview) -> None:
    for name in MEMBERS:
        lv = home.levels[home.levels["basket"] == name]
        assert lv["level"].iloc[0] == pytest.approx(100.0)
        # The base is the last close on or before the start (2023-12-29 for 2024-01-01).
        assert lv["date"].min() >= pd.Timestamp("2023-12-29")


def test_notes_name_missing_data(home: overview.HomeOverview) -> None:
    text = " ".join(home.notes)
    assert "VML.AX" in text  # left out (stale), and named
    # AUD/USD runs to 2026-07-31, past the ASX series' end (2026-06-04): no FX gap note.
    assert "AUDUSD=X" not in text
    # The China members' repeated 2026-07-01 row is found in USD too (FX changes the level,
    # not the bar's shape) and stated on Home, which uses it.
    assert any(n.startswith("300748.SZ: kept as in the source on 2026-07-01") for n in home.notes)


def test_stale_members_are_left_out_and_named(home: overview.HomeOverview) -> None:
    """Issue 14, honest baskets: the ASX members end 2026-06-04, MP runs to 2026-10-08.

    Before, the West basket quietly became MP alone after the ASX data ended; now the stale
    members are left out (and named), so the line keeps one composition to its end.
    """
    text = " ".join(home.notes)
    assert "LYC.AX, ILU.AX, VML.AX left out" in text and "2026-06-04" in text
    west = home.levels[home.levels["basket"] == "West basket"].set_index("date")
    assert set(west["members"].iloc[1:]) == {1}  # MP alone, from start to end
    assert west.index.max() == pd.Timestamp("2026-10-08")


def test_each_kpi_carries_its_own_date(home: overview.HomeOverview) -> None:
    """Issue 21: a single-symbol figure is as of that symbol's latest close; the baskets are
    compared at their common date, and each card says which."""
    kpis = {k.label: k for k in home.kpis}
    assert list(kpis) == [
        "MP YTD", "MP 1 year", "REMX YTD", "REMX 1 year", "West 1 year", "China 1 year"
    ]  # fmt: skip
    assert kpis["MP YTD"].as_of == kpis["MP 1 year"].as_of == date(2026, 10, 8)
    assert kpis["REMX YTD"].as_of == date(2026, 10, 6)
    # The China basket ends 2026-07-17 (A-share data), the West basket 2026-10-08.
    assert kpis["West 1 year"].as_of == kpis["China 1 year"].as_of == date(2026, 7, 17)
    assert kpis["MP YTD"].dated == "to 8 Oct 2026, its latest close"
    assert kpis["China 1 year"].dated == "to 17 Jul 2026, the last date both baskets have data"
    assert kpis["West 1 year"].basis == overview.COMMON_DATE
    assert kpis["MP 1 year"].basis == overview.OWN_DATE
    # MP 46.14 on 2026-10-08 against 50.52 on 2025-12-31 (adjusted closes = closes).
    assert kpis["MP YTD"].value == pytest.approx(46.14 / 50.52 - 1)
    assert kpis["MP 1 year"].value == pytest.approx(46.14 / 70.59 - 1)
    assert -1.0 < kpis["China 1 year"].value < 5.0
    assert any("common date, 2026-07-17" in n for n in home.notes)


def test_basket_ends_where_a_member_ends_and_joins_are_marked() -> None:
    store = PriceStore()
    tidy = store.load(["MP", "USAR", "UUUU"])
    levels = returns.basket_levels(tidy, {"West": ["MP", "USAR", "UUUU"]})
    assert levels["date"].max() == pd.Timestamp("2026-10-07")  # USAR ends; MP/UUUU run on
    trimmed = returns.trim_pre_listing(tidy, {"USAR": date(2025, 3, 14), "MP": date(2020, 11, 18)})
    changes = returns.membership_changes(
        returns.basket_levels(trimmed, {"West": ["MP", "USAR", "UUUU"]})
    )
    joins = {(f"{r.date:%Y-%m-%d}", r.previous, r.members) for r in changes.itertuples()}
    assert ("2020-11-19", 1, 2) in joins  # MP's first return as a listed company
    assert ("2025-03-17", 2, 3) in joins  # USAR's first return after listing on 2025-03-14
