"""Issue 14, "one number, one meaning": the same MP YTD and 1Y on Home, Prices, Watchlists and
Market outlook for the same as-of date, all measured from the last close on or before the
period's start (YTD: the previous year's last close), on real snapshot prices."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lib import returns
from lib.markets import overview, price_view
from lib.outlook import growth
from lib.prices import PriceStore
from lib.watchlists import perf

AS_OF = date(2026, 7, 17)  # Home's common as-of date (the China basket ends there)


@pytest.fixture(scope="module")
def mp(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    tidy = PriceStore(cache_dir=tmp_path_factory.mktemp("c")).load(["MP"])
    return tidy[tidy["date"] <= pd.Timestamp(AS_OF)].reset_index(drop=True)


def test_mp_ytd_and_1y_agree_on_every_page(mp: pd.DataFrame) -> None:
    series = mp.set_index("date")["adj_close"]
    expected = {k: returns.period_return(series, k) for k in ("YTD", "1Y")}
    # The YTD base is MP's last close of 2025, not its first close of 2026.
    base = series[: pd.Timestamp("2025-12-31")].iloc[-1]
    assert expected["YTD"] == pytest.approx(series.iloc[-1] / base - 1)

    # Home: KPIs as of the common date.
    home = overview.build_home(mp, {"West basket": ["MP"]}, None, {})
    kpis = {k.label: k for k in home.kpis}
    assert kpis["MP YTD"].as_of == AS_OF
    assert kpis["MP YTD"].value == pytest.approx(expected["YTD"])
    assert kpis["MP 1 year"].value == pytest.approx(expected["1Y"])

    # Prices: the summary's return over the YTD and 1Y ranges.
    for key in ("YTD", "1Y"):
        view = price_view.build_view(mp, key, "Rebased to 100")
        table = returns.summary_table(view.tidy, {"MP": "USD"})
        assert table.loc[0, "return"] == pytest.approx(expected[key]), key

    # Watchlists: the performance table's period returns.
    for key in ("YTD", "1Y"):
        assert perf.period_return(series, key) == pytest.approx(expected[key]), key

    # Market outlook: equities from the start of 2026, i.e. YTD.
    idx = growth.equity_growth_index(mp, 2026)
    assert idx["level"].iloc[-1] / 100.0 - 1 == pytest.approx(expected["YTD"])
