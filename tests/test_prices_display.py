"""Prices as pages show them: listing-date trim, USD conversion, currency of every series."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.prices import PriceStore, read_snapshot_meta
from lib.prices import display as pd_display
from lib.universe import load_universe


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PriceStore:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ("CNY", "CNY"),
        ("AUD", "AUD"),
        ("USD per AUD", "USD"),
        ("CNY per USD", "USD"),
        ("USD per troy ounce", "USD"),
    ],
)
def test_infer_currency_from_snapshot_meta(meta: str, expected: str) -> None:
    assert pd_display.infer_currency(meta) == expected


def test_currency_map_prefers_the_universe_then_the_snapshot() -> None:
    uni = load_universe()
    ccy = pd_display.currency_map(uni, read_snapshot_meta())
    assert ccy["600111.SS"] == "CNY" and ccy["LYC.AX"] == "AUD" and ccy["MP"] == "USD"
    assert ccy["CNY=X"] == "USD"  # an FX series, not a CNY listing
    assert set(uni["symbol"]) <= set(ccy)


def test_pre_listing_rows_are_trimmed_unless_asked_for(store: PriceStore) -> None:
    uni = load_universe()
    tidy = store.load(["MP"])
    listed = pd_display.listing_dates(uni)
    kw = {"listed": listed, "currency_of": {"MP": "USD"}, "rates": None, "currency": "local"}
    trimmed = pd_display.display_prices(tidy, ("MP",), include_pre_listing=False, **kw)
    full = pd_display.display_prices(tidy, ("MP",), include_pre_listing=True, **kw)
    assert trimmed.prices["date"].min() >= pd.Timestamp(listed["MP"])
    assert full.prices["date"].min() < pd.Timestamp(listed["MP"])  # SPAC era kept on request
    assert len(full.prices) == len(tidy) and trimmed.notes == {}


def test_usd_conversion_uses_the_needed_fx_series(store: PriceStore) -> None:
    ccy = {"600111.SS": "CNY", "MP": "USD"}
    symbols = ("600111.SS", "MP")
    assert pd_display.fx_needed(symbols, ccy) == ["CNY=X"]
    tidy = store.load(list(symbols))
    out = pd_display.display_prices(
        tidy,
        symbols,
        listed={},
        currency_of=ccy,
        rates=store.load(["CNY=X"]),
        currency="USD",
        include_pre_listing=True,
    )
    day = pd.Timestamp("2024-12-31")
    raw = tidy[(tidy["symbol"] == "600111.SS") & (tidy["date"] == day)]["close"].iloc[0]
    got = out.prices[(out.prices["symbol"] == "600111.SS") & (out.prices["date"] == day)]
    assert got["close"].iloc[0] == pytest.approx(raw / 7.2993)
    mp_in = tidy[tidy["symbol"] == "MP"].set_index("date")["close"]
    mp_out = out.prices[out.prices["symbol"] == "MP"].set_index("date")["close"]
    pd.testing.assert_series_equal(mp_in, mp_out)  # USD listings pass through untouched


def test_local_currency_needs_no_rates(store: PriceStore) -> None:
    tidy = store.load(["LYC.AX"])
    out = pd_display.display_prices(
        tidy,
        ("LYC.AX",),
        listed={},
        currency_of={"LYC.AX": "AUD"},
        rates=None,
        currency="local",
        include_pre_listing=True,
    )
    assert out.notes == {}
    assert out.prices["close"].tolist() == tidy["close"].tolist()
