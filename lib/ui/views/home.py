"""Home (app.py): the West and China baskets at a glance, cached per start date."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib import charts, returns
from lib.export import export_filename
from lib.markets import overview
from lib.ui import data, exports, vega, widgets
from lib.ui.frame import pages
from lib.ui.policy_events import event_overlay_layers, latest_events_list
from lib.universe import basket_members

__all__ = [
    "home_chart",
    "home_exports",
    "home_overview",
    "kpi_cards",
    "latest_events_list",
    "page_links",
]

#: Market-moving kinds of event marked on the landing chart (all are on Policy timeline).
HOME_EVENT_CATEGORIES = (
    "export control",
    "equity stake/price floor",
    "alliance/framework",
    "tariff",
)


@data.token_cached(ttl="1h", max_entries=16)
def home_overview(start: str | None, *, cache_token: str) -> overview.HomeOverview:
    """KPIs, basket levels and notes from ``start`` (ISO date, or None for one year)."""
    uni = data.universe()
    members = {
        "West basket": basket_members(uni, "West"),
        "China basket": basket_members(uni, "China"),
    }
    wanted = [s for syms in members.values() for s in syms] + ["MP", "REMX"]
    tidy, notes = data.display_prices(wanted, "USD", False)
    start_date = date.fromisoformat(start) if start else None
    return overview.build_home(tidy, members, start_date, notes)


@data.token_cached(ttl="1h", max_entries=16)
def home_chart(start: str | None, *, cache_token: str) -> vega.Spec:
    """The landing chart's finished spec, cached like its data: building, validating and
    serialising specs dominated a warm rerun. Draw it with ``vega.show``."""
    home = home_overview(start)
    overlays = event_overlay_layers(home.start, home.end, HOME_EVENT_CATEGORIES, ())
    chart = charts.basket_chart(home.levels, overlays, returns.membership_changes(home.levels))
    return vega.to_spec(chart)


def page_links() -> None:
    """The landing page's links to every other page, with what each one answers."""
    for path, label, icon, blurb in pages():
        if path == "app.py":
            continue
        st.page_link(path, label=f"{label}: {blurb}", icon=icon)


def kpi_cards(home: overview.HomeOverview) -> None:
    """One card per KPI, each with its own date on the card: a symbol's figure is as of its
    latest close, the basket comparison as of the baskets' common date (and says so)."""
    if not home.kpis:
        st.caption(":material/info: No price data for the key figures.")
        return
    for col, kpi in zip(st.columns(len(home.kpis)), home.kpis, strict=True):
        with col.container(border=True):
            st.metric(kpi.label, widgets.fmt_pct(kpi.value), help=kpi.detail)
            st.caption(kpi.dated)


def kpi_table(home: overview.HomeOverview) -> pd.DataFrame:
    """The KPI cards as a table (fractions, for the workbook), each with its date and basis."""
    return pd.DataFrame(
        [(k.label, k.value, k.as_of, k.basis, k.detail) for k in home.kpis],
        columns=["kpi", "value", "as_of", "as_of_basis", "detail"],
    )


def home_exports(home: overview.HomeOverview, start: str | None) -> None:
    """Under the landing chart: the chart as PNG/SVG, the basket levels as CSV and Excel."""
    chart = home_chart(start)
    exports.chart_images(
        chart,
        exports.ImageMeta(
            "West basket vs China basket (USD, rebased to 100)",
            exports.PRICE_SOURCE,
            home.end,
            "Equal-weighted baskets of listed rare-earth producers",
        ),
        kind="west_vs_china",
        key="home_img",
    )
    range_key = start or "1Y"
    d1, d2 = st.columns(2)
    with d1:
        widgets.download_csv(
            lambda: home.levels,
            label="Download basket levels (CSV)",
            file_name=export_filename("baskets", range_key, home.end),
            key="home_csv",
        )
    with d2:
        basis = "adjusted close in USD, equal-weighted, rebased to 100"
        exports.download_xlsx(
            lambda: [("Basket levels", home.levels), ("Key figures", kpi_table(home))],
            [
                exports.TableSource("Basket levels", exports.PRICE_SOURCE, home.end, basis),
                exports.TableSource("Key figures", exports.PRICE_SOURCE, home.end, basis),
            ],
            file_name=exports.xlsx_filename("baskets", range_key, home.end),
            key="home_xlsx",
        )
