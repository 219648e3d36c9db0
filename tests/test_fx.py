"""USD conversion uses real FX rows and never mixes currencies silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.prices import PriceStore, fx


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PriceStore:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))


def test_cny_prices_are_divided_by_cny_per_usd(store: PriceStore) -> None:
    prices = store.load(["600111.SS"])
    rates = store.load(["CNY=X"])
    out = fx.convert_to_usd(prices, {"600111.SS": "CNY"}, rates).prices.set_index("date")
    day = pd.Timestamp("2024-12-31")
    raw = prices.set_index("date").loc[day, "close"]
    assert out.loc[day, "close"] == pytest.approx(raw / 7.2993)


def test_aud_multiplied_over_the_whole_lynas_series(store: PriceStore) -> None:
    prices = store.load(["LYC.AX"])
    conv = fx.convert_to_usd(prices, {"LYC.AX": "AUD"}, store.load(["AUDUSD=X"]))
    out = conv.prices.set_index("date")
    raw = prices.set_index("date")
    assert out.loc["2024-12-31", "close"] == pytest.approx(raw.loc["2024-12-31", "close"] * 0.6185)
    # AUD/USD now runs to 2026-07-31 (SOURCES.md extension): 12.22 AUD x 0.6684 on 2026-01-02.
    assert out.loc["2026-01-02", "close"] == pytest.approx(12.22 * 0.6684)
    assert out["close"].notna().all()
    assert "LYC.AX" not in conv.notes


def test_aud_uncovered_dates_are_named(store: PriceStore) -> None:
    prices = store.load(["LYC.AX"])
    rates = store.load(["AUDUSD=X"])
    rates = rates[rates["date"] <= pd.Timestamp("2024-12-31")]  # as the snapshot was before
    conv = fx.convert_to_usd(prices, {"LYC.AX": "AUD"}, rates)
    out = conv.prices.set_index("date")
    assert np.isnan(out.loc["2025-06-02", "close"])  # no AUD/USD after 2024-12-31
    assert "after 2024-12-31" in conv.notes["LYC.AX"]


def test_holiday_gap_carries_last_rate_but_not_beyond_limit() -> None:
    prices = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-06", "2025-01-20"]),
            "symbol": "X.SS",
            "close": [10.0, 10.0, 10.0],
            "adj_close": [10.0, 10.0, 10.0],
            "open": np.nan,
            "high": np.nan,
            "low": np.nan,
            "volume": pd.array([None] * 3, dtype="Int64"),
        }
    )
    rates = pd.DataFrame(
        {"date": pd.to_datetime(["2025-01-02"]), "symbol": "CNY=X", "adj_close": [8.0]}
    )
    out = fx.convert_to_usd(prices, {"X.SS": "CNY"}, rates).prices
    assert out["close"].tolist()[:2] == [1.25, 1.25]
    assert np.isnan(out["close"].iloc[2])


def test_usd_symbols_untouched_and_unknown_currency_flagged() -> None:
    prices = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-02"]),
            "symbol": ["MP", "ZZZ"],
            "close": [20.0, 5.0],
            "adj_close": [20.0, 5.0],
        }
    )
    conv = fx.convert_to_usd(prices, {"MP": "USD", "ZZZ": "XYZ"}, prices.iloc[0:0])
    out = conv.prices.set_index("symbol")
    assert out.loc["MP", "close"] == 20.0
    assert np.isnan(out.loc["ZZZ", "close"])
    assert "XYZ" in conv.notes["ZZZ"]


@pytest.mark.parametrize(
    ("currencies", "expected"),
    [({"USD"}, []), ({"CNY", "AUD"}, ["AUDUSD=X", "CNY=X"]), ({"GBp", "USD"}, ["GBPUSD=X"])],
)
def test_fx_symbols_for(currencies: set[str], expected: list[str]) -> None:
    assert fx.fx_symbols_for(currencies) == expected


def test_jpy_has_no_offline_rates_so_4063_t_is_not_shown_in_usd(store: PriceStore) -> None:
    """Issue 21: Shin-Etsu (JPY) follows the AUD/CNY rule: no rate, no USD value, and a note
    that says why; never a yen price passed off as dollars."""
    prices = store.load(["4063.T"])
    assert len(prices) == 585  # the offline series exists...
    assert store.load(["JPY=X"]).empty  # ...but no yen FX series does
    conv = fx.convert_to_usd(prices, {"4063.T": "JPY"}, store.load(["JPY=X"]))
    assert conv.prices[["open", "high", "low", "close", "adj_close"]].isna().all().all()
    note = conv.notes["4063.T"]
    assert note.startswith("no JPY=X rates available (no offline JPY FX series")
    assert note.endswith("not shown in USD")
    # The same path the pages use: local currency keeps the yen prices untouched.
    from lib.prices.display import display_prices

    shown = display_prices(
        prices, ("4063.T",), listed={}, currency_of={"4063.T": "JPY"}, rates=None,
        currency="local", include_pre_listing=False,
    )  # fmt: skip
    assert shown.notes == {} and shown.prices["close"].iloc[-1] == 7758.0
    usd = display_prices(
        prices, ("4063.T",), listed={}, currency_of={"4063.T": "JPY"}, rates=None,
        currency="USD", include_pre_listing=False,
    )  # fmt: skip
    assert "4063.T" in usd.notes and usd.prices["adj_close"].isna().all()
