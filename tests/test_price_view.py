"""The Prices page's data assembly: ranges end at the data's as-of date, exports are full."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import price_view
from lib.prices import PriceStore


@pytest.fixture(scope="module")
def tidy(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("c")).load(["MP", "LYC.AX", "SPY"])


def test_range_is_relative_to_data_as_of(tidy: pd.DataFrame) -> None:
    view = price_view.build_view(tidy, "1M", "Rebased to 100")
    assert view.as_of == date(2026, 10, 6)
    assert view.start == date(2026, 9, 6)
    assert view.tidy["date"].min() >= pd.Timestamp("2026-09-06")


def test_custom_range(tidy: pd.DataFrame) -> None:
    view = price_view.build_view(tidy, "Custom", "Price", (date(2025, 7, 9), date(2025, 7, 10)))
    mp = view.values[view.values["symbol"] == "MP"]
    assert mp["value"].tolist() == [30.03, 45.23]


def test_export_is_full_resolution_with_currency(tidy: pd.DataFrame) -> None:
    view = price_view.build_view(tidy, "Max", "Rebased to 100")
    out = price_view.export_frame(view, {"MP": "USD", "LYC.AX": "AUD", "SPY": "USD"}, "Local")
    assert len(out) == len(view.tidy)  # never downsampled
    assert set(out.loc[out["symbol"] == "LYC.AX", "currency"]) == {"AUD"}
    assert {"date", "symbol", "currency", "price", "adj_close", "chart_value"} <= set(out.columns)
    usd = price_view.export_frame(view, {"LYC.AX": "AUD"}, "USD")
    assert set(usd["currency"]) == {"USD"}


def test_missing_symbols_reported(tidy: pd.DataFrame) -> None:
    # NEO.TO has no offline data (ILU.AX gained data in the 2026-11 snapshot).
    assert price_view.missing_symbols(["MP", "NEO.TO"], tidy) == ["NEO.TO"]
