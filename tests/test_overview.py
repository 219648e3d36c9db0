"""Landing-page numbers on real snapshot data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import returns
from lib.markets import overview
from lib.prices import PriceStore, fx

# VML.AX has no offline data; ILU.AX gained data when the snapshot was rebuilt (2026-11).
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
    assert "VML.AX" in text  # no offline data
    # AUD/USD now runs to 2026-07-31, past the ASX series' end (2026-01-02): no FX gap note.
    assert "AUDUSD=X" not in text


def test_stale_members_are_left_out_and_named(home: overview.HomeOverview) -> None:
    """Issue 14, honest baskets: LYC.AX and ILU.AX end 2026-01-02, MP runs to 2026-10-06.

    Before, the West basket quietly became MP alone after the ASX data ended; now the stale
    members are left out (and named), so the line keeps one composition to its end.
    """
    text = " ".join(home.notes)
    assert "LYC.AX, ILU.AX left out" in text and "2026-01-02" in text
    west = home.levels[home.levels["basket"] == "West basket"].set_index("date")
    assert set(west["members"].iloc[1:]) == {1}  # MP alone, from start to end
    assert west.index.max() == pd.Timestamp("2026-10-06")


def test_kpis_share_one_common_as_of(home: overview.HomeOverview) -> None:
    kpis = {k.label: k for k in home.kpis}
    # REMX ends 2026-07-31 and the China basket 2026-07-17: every KPI is as of the latter.
    assert {k.as_of for k in home.kpis} == {date(2026, 7, 17)}
    assert -1.0 < kpis["China 1 year"].value < 5.0
    assert any("as of 2026-07-17" in n for n in home.notes)


def test_basket_ends_where_a_member_ends_and_joins_are_marked() -> None:
    store = PriceStore()
    tidy = store.load(["MP", "USAR", "UUUU"])
    levels = returns.basket_levels(tidy, {"West": ["MP", "USAR", "UUUU"]})
    assert levels["date"].max() == pd.Timestamp("2026-07-31")  # USAR/UUUU end; MP runs on
    trimmed = returns.trim_pre_listing(tidy, {"USAR": date(2025, 3, 14), "MP": date(2020, 11, 18)})
    changes = returns.membership_changes(
        returns.basket_levels(trimmed, {"West": ["MP", "USAR", "UUUU"]})
    )
    joins = {(f"{r.date:%Y-%m-%d}", r.previous, r.members) for r in changes.itertuples()}
    assert ("2020-11-19", 1, 2) in joins  # MP's first return as a listed company
    assert ("2025-03-17", 2, 3) in joins  # USAR's first return after listing on 2025-03-14
