"""Landing-page numbers on real snapshot data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import overview
from lib.prices import PriceStore, fx

MEMBERS = {"West basket": ["MP", "LYC.AX", "ILU.AX"], "China basket": ["600111.SS", "300748.SZ"]}
CCY = {"MP": "USD", "LYC.AX": "AUD", "ILU.AX": "AUD", "600111.SS": "CNY", "300748.SZ": "CNY"}


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
        assert lv["date"].min() >= pd.Timestamp("2024-01-01")


def test_notes_name_missing_data_and_fx_gaps(home: overview.HomeOverview) -> None:
    text = " ".join(home.notes)
    assert "ILU.AX" in text  # no offline data
    assert "LYC.AX" in text and "after 2024-12-31" in text  # leaves the USD basket


def test_lyc_leaves_usd_basket_after_fx_ends(home: overview.HomeOverview) -> None:
    west = home.levels[home.levels["basket"] == "West basket"].set_index("date")
    assert west.loc["2024-06-03", "members"] == 2  # MP and LYC.AX
    assert west.loc["2025-06-02", "members"] == 1  # only MP has USD prices


def test_kpis_signed_fractions_with_as_of(home: overview.HomeOverview) -> None:
    kpis = {k.label: k for k in home.kpis}
    assert kpis["MP YTD"].as_of == date(2026, 10, 6)
    assert kpis["REMX 1 year"].as_of == date(2026, 7, 31)
    assert -1.0 < kpis["China 1 year"].value < 5.0
