"""Altair builders for the Supply gap page. Every mark's tooltip names value, unit,
edition or as-of, source and confidence; unverified or qualified (">95") figures are drawn
hollow and dashed and say so, never as exact solid marks.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from lib.charts import CHART_POINT_BUDGET
from lib.downsample import downsample_long
from lib.supply.production import CHINA, NEWEST, NO_SPLIT, REST
from lib.supply.schema import SHARE_STAGES

#: Points per series on the company chart (it spans about as wide as the price chart).
COMPANY_POINTS = CHART_POINT_BUDGET

PRICE_UNIT = "index, 100 = first close shown (local currency)"
PRICE_SOURCE = "local price store (shipped snapshot or Yahoo Finance cache)"
DASHED = [4, 3]
SOLID = [1, 0]
GROUP_COLORS = {CHINA: "#b91c1c", REST: "#1d4ed8", NO_SPLIT: "#6b7280"}
STATUS_COLORS = {
    "operating": "#15803d",
    "commissioning": "#65a30d",
    "construction": "#ca8a04",
    "planned": "#2563eb",
    "uncertain": "#9ca3af",
}


def _tonnes_tooltip(extra: Sequence[alt.Tooltip] = ()) -> list[alt.Tooltip]:
    return [
        *extra,
        alt.Tooltip("year:O", title="Year"),
        alt.Tooltip("tonnes_reo:Q", title="Tonnes REO", format=","),
        alt.Tooltip("unit:N", title="Unit"),
        alt.Tooltip("edition:N", title="Edition"),
        alt.Tooltip("how:N", title="How"),
        alt.Tooltip("source_url:N", title="Source"),
        alt.Tooltip("confidence:N", title="Confidence"),
    ]


def mine_production_chart(frame: pd.DataFrame, height: int = 300) -> alt.Chart:
    """Stacked bars per year: China vs rest of world as one USGS edition printed them."""
    groups = [g for g in GROUP_COLORS if g in set(frame["group"])] or list(GROUP_COLORS)
    color = (
        alt.Color("group:N")
        .scale(domain=groups, range=[GROUP_COLORS[g] for g in groups])
        .title(None)
        .legend(orient="top")
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("year:O").title(None),
            y=alt.Y("tonnes_reo:Q").title("Mine production (t REO)").axis(format="~s"),
            color=color,
            order=alt.Order("group:N", sort="ascending"),
            tooltip=_tonnes_tooltip([alt.Tooltip("group:N", title="Who")]),
        )
        .properties(height=height)
    )


def headline_production_chart(frame: pd.DataFrame, height: int = 300) -> alt.LayerChart:
    """China against the rest of the world for every year, each year from the newest edition
    that prints it (``production.newest_split``), its edition written above its bar."""
    bars = mine_production_chart(frame, height)
    totals = frame.groupby(["year", "edition_short"], as_index=False)["tonnes_reo"].sum()
    labels = (
        alt.Chart(totals)
        .mark_text(dy=-6, fontSize=9, angle=0, color="#374151")
        .encode(
            x=alt.X("year:O"),
            y=alt.Y("tonnes_reo:Q"),
            text="edition_short:N",
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("edition_short:N", title=f"Edition ({NEWEST})"),
            ],
        )
    )
    return alt.layer(bars, labels).properties(
        title=alt.Title(
            f"Mine production, t REO: {NEWEST}", subtitle="Edition above each bar", fontSize=12
        )
    )


def vintage_chart(frame: pd.DataFrame, country: str, height: int = 260) -> alt.Chart:
    """The same years side by side from each edition: how USGS revised ``country``."""
    editions = list(dict.fromkeys(frame["edition"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("year:O").title(None),
            xOffset=alt.XOffset("edition:N").sort(editions),
            y=alt.Y("tonnes_reo:Q").title(f"{country} (t REO)").axis(format="~s"),
            color=alt.Color("edition:N").sort(editions).title("Edition").legend(orient="top"),
            tooltip=_tonnes_tooltip([alt.Tooltip("country:N", title="Country")]),
        )
        .properties(height=height)
    )


def _share_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("year_label:N", title="Year"),
        alt.Tooltip("value_label:N", title="China's share"),
        alt.Tooltip("publisher:N", title="Publisher"),
        alt.Tooltip("basis:N", title="Basis"),
        alt.Tooltip("edition:N", title="Edition / as of"),
        alt.Tooltip("flag:N", title="Drawn as"),
        alt.Tooltip("source_url:N", title="Source"),
        alt.Tooltip("confidence:N", title="Confidence"),
        alt.Tooltip("note:N", title="Note"),
    ]


_SHARE_FIELDS = [
    "id", "year", "year_label", "stage", "share_pct", "value_label", "publisher", "basis",
    "edition", "series", "point_edition", "latest_vintage", "hollow", "flag", "kind",
    "source_url", "confidence", "note",
]  # fmt: skip


def china_share_chart(points: pd.DataFrame, width: int = 260, height: int = 260) -> alt.FacetChart:
    """One panel per stage; a line only ever joins points of one publisher and basis.

    Filled points are published or derived from one edition; hollow ones are unverified or
    projections; small grey ones are earlier editions of a figure since revised.
    """
    df = points[_SHARE_FIELDS].copy()
    series = sorted(set(df["series"]))
    color = alt.Color("series:N").scale(domain=series).title("Publisher and basis")
    color = color.legend(orient="bottom", columns=2, labelLimit=380)
    x = alt.X("year:Q").title(None).axis(format="d", tickMinStep=1).scale(zero=False, nice=False)
    y = alt.Y("share_pct:Q").title("China's share (%)").scale(domain=[40, 100])
    base = alt.Chart().encode(x=x, y=y)
    current = alt.datum.latest_vintage == True  # noqa: E712 (Vega expression)
    line = (
        base.transform_filter(current & (alt.datum.kind == "observed"))
        .mark_line(strokeWidth=1.5)
        .encode(color=color, detail="series:N")
    )
    solid = (
        base.transform_filter(current & (alt.datum.hollow == False))  # noqa: E712
        .mark_point(filled=True, size=70, opacity=1)
        .encode(color=color, tooltip=_share_tooltip())
    )
    hollow = (
        base.transform_filter(current & (alt.datum.hollow == True))  # noqa: E712
        .mark_point(filled=False, size=90, strokeWidth=2, strokeDash=DASHED)
        .encode(color=color, tooltip=_share_tooltip())
    )
    earlier = (
        base.transform_filter(alt.datum.latest_vintage == False)  # noqa: E712
        .mark_point(filled=False, size=40, color="#9ca3af")
        .encode(tooltip=_share_tooltip())
    )
    labels = (
        base.transform_filter(current)
        .mark_text(dy=-10, fontSize=10)
        .encode(text="value_label:N", color=color)
    )
    editions = (
        base.transform_filter(current & (alt.datum.point_edition != ""))
        .mark_text(dy=12, fontSize=8, color="#4b5563")
        .encode(text="point_edition:N")
    )
    layered = alt.layer(line, solid, hollow, earlier, labels, editions).properties(
        width=width, height=height
    )
    return layered.facet(
        column=alt.Column("stage:N").sort(SHARE_STAGES).title(None), data=df
    ).resolve_scale(x="independent")


def import_dependence_chart(frame: pd.DataFrame, metric: str, height: int = 240) -> alt.LayerChart:
    """One US import metric by year: the newest edition as a line, older editions as rings.

    ">95" and unverified figures are hollow and dashed: they are bounds or weak, not exact.
    """
    df = frame[frame["metric"] == metric]
    unit = str(df["unit"].iloc[0]) if len(df) else ""
    title = {"USD million": "Import value (USD million)"}.get(unit, "Net import reliance (%)")
    editions = sorted(set(df["edition"]))
    color = alt.Color("edition:N").scale(domain=editions).title("Edition")
    color = color.legend(orient="bottom", columns=4)
    tooltip = [
        alt.Tooltip("metric_label:N", title="Metric"),
        alt.Tooltip("year:O", title="Year"),
        alt.Tooltip("value_label:N", title="Value"),
        alt.Tooltip("unit:N", title="Unit"),
        alt.Tooltip("edition:N", title="Edition"),
        alt.Tooltip("source_url:N", title="Source"),
        alt.Tooltip("confidence:N", title="Confidence"),
        alt.Tooltip("note:N", title="Note"),
    ]
    x = alt.X("year:Q").title(None).axis(format="d", tickMinStep=1).scale(zero=False)
    y = alt.Y("value:Q").title(title).scale(zero=True)
    base = alt.Chart(df).encode(x=x, y=y)
    latest = alt.datum.latest == True  # noqa: E712
    exact = alt.datum.hollow == False  # noqa: E712
    line = base.transform_filter(latest).mark_line(color="#111", strokeWidth=1.5)
    # The line joins editions: each of its points names the edition it comes from.
    editions = (
        base.transform_filter(latest)
        .mark_text(dy=-10, fontSize=8, color="#374151")
        .encode(text="point_edition:N")
    )
    solid = (
        base.transform_filter(exact)
        .mark_point(filled=True, size=60)
        .encode(color=color, tooltip=tooltip)
    )
    hollow = (
        base.transform_filter(~exact)
        .mark_point(filled=False, size=80, strokeWidth=2, strokeDash=DASHED)
        .encode(color=color, tooltip=tooltip)
    )
    return alt.layer(line, solid, hollow, editions).properties(
        height=height, title=alt.Title(f"Black line: {NEWEST}", fontSize=11, fontWeight="normal")
    )


def company_price_chart(
    rebased: pd.DataFrame, overlays: Sequence[alt.TopLevelMixin] = (), height: int = 260
) -> alt.LayerChart:
    """Rebased (=100 at each symbol's own first close in range) prices with event overlays.

    Only drawable points travel: each series is cut to about COMPANY_POINTS (MinMaxLTTB keeps
    first, last and extremes); the page's CSV export keeps every close."""
    pts = rebased
    if len(rebased) > COMPANY_POINTS:
        cols = [c for c in ("date", "symbol", "rebased") if c in rebased.columns]
        pts = downsample_long(rebased[cols], "date", "rebased", "symbol", n_out=COMPANY_POINTS)
    # Constant tooltip fields are computed in the browser, not shipped once per row.
    line = (
        alt.Chart(pts)
        .transform_calculate(unit=f"'{PRICE_UNIT}'", source=f"'{PRICE_SOURCE}'")
        .mark_line()
        .encode(
            x=alt.X("date:T").title(None),
            y=alt.Y("rebased:Q").title("Rebased (100 = first close shown)").scale(zero=False),
            color=alt.Color("symbol:N").title("Symbol"),
            tooltip=[
                alt.Tooltip("symbol:N", title="Symbol"),
                alt.Tooltip("date:T", format="%d %b %Y", title="Date"),
                alt.Tooltip("rebased:Q", format=".1f", title="Rebased"),
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("source:N", title="Source"),
            ],
        )
    )
    hundred = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule(color="#aaa").encode(y="y:Q")
    return alt.layer(line, hundred, *overlays).properties(height=height)
