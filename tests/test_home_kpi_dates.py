"""Issue 21: each Home KPI carries its own date, and Home's MP figures are the Prices page's.

Both sides are computed through the cached view functions the pages call (lib.ui.views.home
and lib.ui.views.prices), on the shipped snapshot.
"""

from __future__ import annotations

from datetime import date

import pytest

from lib.markets import overview
from lib.ui.views import home as home_view
from lib.ui.views import prices as prices_view


@pytest.fixture(scope="module")
def home() -> overview.HomeOverview:
    return home_view.home_overview(None)


def _prices_return(symbols: list[str], range_key: str, align: bool | None = None) -> tuple:
    key = prices_view.choice(symbols, "local", False, range_key, None, "Rebased to 100", align)
    view, _notes, summary = prices_view.price_view_for(key)
    row = summary.set_index("symbol").loc["MP"]
    return float(row["return"]), row["to"], view


@pytest.mark.parametrize(("range_key", "label"), [("YTD", "MP YTD"), ("1Y", "MP 1 year")])
def test_home_mp_figures_equal_the_prices_page(
    home: overview.HomeOverview, range_key: str, label: str
) -> None:
    kpi = next(k for k in home.kpis if k.label == label)
    ret, to, _ = _prices_return(["MP"], range_key)
    assert to == kpi.as_of == date(2026, 10, 8)  # MP's own latest close, not a common date
    # The summary is in percent points; the KPI is a fraction.
    assert abs(kpi.value * 100 - ret) < 0.1
    # Also when MP is charted with series that end earlier, alignment off (MP's own end).
    ret_mixed, to_mixed, view = _prices_return(["MP", "LYC.AX", "600111.SS"], range_key, False)
    assert not view.aligned and to_mixed == kpi.as_of
    assert abs(kpi.value * 100 - ret_mixed) < 0.1


def test_basket_figures_share_the_common_date_and_say_so(home: overview.HomeOverview) -> None:
    baskets = [k for k in home.kpis if k.label in ("West 1 year", "China 1 year")]
    assert len(baskets) == 2
    assert {k.as_of for k in baskets} == {date(2026, 7, 17)}  # the China basket's last date
    assert all("both baskets" in k.dated for k in baskets)
    singles = [k for k in home.kpis if k not in baskets]
    assert singles and all(k.dated.endswith("its latest close") for k in singles)
    assert {k.label: k.as_of for k in singles}["REMX YTD"] == date(2026, 10, 6)
