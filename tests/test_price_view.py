"""The Prices page's data assembly: ranges end at the data's as-of date, exports are full."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import returns
from lib.markets import price_view
from lib.prices import PriceStore


@pytest.fixture(scope="module")
def tidy(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("c")).load(["MP", "LYC.AX", "SPY"])


def test_range_is_relative_to_data_as_of(tidy: pd.DataFrame) -> None:
    view = price_view.build_view(tidy, "1M", "Rebased to 100", align=False)
    assert view.as_of == date(2026, 10, 8) and not view.aligned
    assert view.start == date(2026, 9, 8)
    # The base is each symbol's last close on or before the start (2026-09-08, the Tuesday after
    # Labor Day); LYC.AX ends (2026-06-04) before the range and leaves it instead of standing
    # there as one stale point.
    assert view.tidy["date"].min() == pd.Timestamp("2026-09-08")
    assert set(view.tidy["symbol"]) == {"MP", "SPY"}


def test_ends_that_differ_align_to_the_common_end_by_default(tidy: pd.DataFrame) -> None:
    # MP ends 2026-10-08, SPY 2026-09-25, LYC.AX 2026-06-04: issue 14's comparable windows.
    view = price_view.build_view(tidy, "1Y", "Rebased to 100")
    assert view.aligned and view.end_spread > 5
    assert view.as_of == view.end == date(2026, 6, 4)
    assert view.latest == date(2026, 10, 8)
    assert view.tidy["date"].max() == pd.Timestamp("2026-06-04")
    same_end = price_view.build_view(tidy[tidy["symbol"] != "LYC.AX"], "1Y", "Price")
    assert same_end.as_of == date(2026, 9, 25)  # MP vs SPY: 9 sessions apart, still aligned


def test_prices_return_matches_the_one_period_definition(tidy: pd.DataFrame) -> None:
    """MP YTD 2025: from the 2024-12-31 close 15.60 to 50.52, +223.8 % (issue 14)."""
    mp = tidy[(tidy["symbol"] == "MP") & (tidy["date"] <= "2025-12-31")]
    view = price_view.build_view(mp, "YTD", "Rebased to 100")
    summary = returns.summary_table(view.tidy, {"MP": "USD"})
    series = mp.set_index("date")["adj_close"]
    expected = returns.period_return(series, "YTD")
    assert round(expected * 100, 1) == 223.8
    assert summary.loc[0, "return"] == pytest.approx(expected)
    assert summary.loc[0, "from"] == date(2024, 12, 31)
    assert view.values["value"].iloc[0] == pytest.approx(100.0)


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
