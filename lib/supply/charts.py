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
from lib.supply.model import CHINA, PIPELINE_YEARS, REST
from lib.supply.schema import SHARE_STAGES, STATUSES

#: Points per series on the company chart (it spans about as wide as the price chart).
COMPANY_POINTS = CHART_POINT_BUDGET

PRICE_UNIT = "index, 100 = first close shown (local currency)"
PRICE_SOURCE = "local price store (shipped snapshot or Yahoo Finance cache)"
DASHED = [4, 3]
SOLID = [1, 0]
GROUP_COLORS = {CHINA: "#b91c1c", REST: "#1d4ed8", "World (no country split)": "#6b7280"}
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
    "edition", "series", "latest_vintage", "hollow", "flag", "kind", "source_url",
    "confidence", "note",
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
    layered = alt.layer(line, solid, hollow, earlier, labels).properties(width=width, height=height)
    return layered.facet(
        column=alt.Column("stage:N").sort(SHARE_STAGES).title(None), data=df
    ).resolve_scale(x="independent")


def _capacity_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("year:O", title="By year"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("capacity:Q", title="Capacity", format=","),
        alt.Tooltip("unit:N", title="Unit"),
        alt.Tooltip("projects:N", title="Projects"),
        alt.Tooltip("sources:N", title="Sources"),
        alt.Tooltip("confidence:N", title="Confidence"),
    ]


def pipeline_panel(
    bars: pd.DataFrame,
    targets: pd.DataFrame,
    title: str,
    years: Sequence[int] = PIPELINE_YEARS,
    width: int = 230,
    height: int = 140,
) -> alt.LayerChart:
    """Cumulative capacity of one (stage, unit) by target year, stacked by status.

    ``targets`` are government goals in the same unit, drawn as labelled horizontal rules
    (dashed when the goal has no date).
    """
    unit = str(bars["unit"].iloc[0]) if len(bars) else ""
    color = (
        alt.Color("status:N")
        .scale(domain=STATUSES, range=[STATUS_COLORS[s] for s in STATUSES])
        .title("Status")
        .legend(orient="top")
    )
    unverified = alt.datum.confidence == "unverified"
    stack = (
        alt.Chart(bars)
        .mark_bar(strokeWidth=1.5)
        .encode(
            x=alt.X("year:O").scale(domain=list(years)).title(None).axis(labelAngle=0),
            y=alt.Y("capacity:Q").title(unit).axis(format="~s"),
            color=color,
            order=alt.Order("status_order:Q"),
            opacity=alt.when(unverified).then(alt.value(0.35)).otherwise(alt.value(1.0)),
            stroke=alt.when(unverified).then(alt.value("#111")).otherwise(alt.value(None)),
            strokeDash=alt.when(unverified).then(alt.value(DASHED)).otherwise(alt.value(SOLID)),
            tooltip=_capacity_tooltip(),
        )
    )
    layers: list[alt.Chart] = [stack]
    if len(targets):
        tgt = targets.assign(
            dated=targets["target_year"].notna(),
            when=targets["target_year"].astype("string").fillna("no date"),
            mark_label=targets["name"]
            + " ("
            + targets["target_year"].astype("string").fillna("no date")
            + ")",
        )
        rule = (
            alt.Chart(tgt)
            .mark_rule(color="#111", strokeWidth=1.5)
            .encode(
                y="target_value:Q",
                strokeDash=alt.when(alt.datum.dated)
                .then(alt.value(SOLID))
                .otherwise(alt.value(DASHED)),
                tooltip=[
                    alt.Tooltip("name:N", title="Target"),
                    alt.Tooltip("target_value:Q", title="Value", format=","),
                    alt.Tooltip("unit:N", title="Unit"),
                    alt.Tooltip("when:N", title="By"),
                    alt.Tooltip("body:N", title="Set by"),
                    alt.Tooltip("source_url:N", title="Source"),
                    alt.Tooltip("confidence:N", title="Confidence"),
                ],
            )
        )
        text = (
            alt.Chart(tgt)
            .mark_text(align="left", dx=4, dy=-6, fontSize=10, color="#111")
            .encode(y="target_value:Q", text="mark_label:N", x=alt.value(0))
        )
        layers += [rule, text]
    return alt.layer(*layers).properties(title=title, width=width, height=height)


def pipeline_chart(
    bars: pd.DataFrame,
    targets: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    per_row: int = 3,
) -> alt.VConcatChart:
    """One panel per (stage, unit), ``per_row`` to a row; y scales are never shared."""
    charts = []
    order = {s: i for i, s in enumerate(STATUSES)}
    for stage, unit in panels:
        sub = bars[(bars["stage"] == stage) & (bars["unit"] == unit)]
        sub = sub.assign(status_order=sub["status"].map(order))
        tg = targets[(targets["stage"] == stage) & (targets["unit"] == unit)]
        tg = tg[tg["target_value"].notna()]
        charts.append(pipeline_panel(sub, tg, f"{stage} · {unit}"))
    rows = [
        alt.hconcat(*charts[i : i + per_row]).resolve_scale(y="independent")
        for i in range(0, len(charts), per_row)
    ]
    return alt.vconcat(*rows).resolve_scale(y="independent", color="shared")


def timeline_chart(
    frame: pd.DataFrame, domain: Sequence[str], targets: pd.DataFrame, height: int | None = None
) -> alt.LayerChart:
    """Every project at its target year, coloured by status; dated targets as rules."""
    cols = [
        "id", "label", "stage", "status", "status_detail", "when", "capacity_label",
        "capacity_basis", "confidence", "source_url", "note",
    ]  # fmt: skip
    df = frame[cols]
    labels = list(df["label"])
    x = alt.X("when:O").scale(domain=list(domain)).title(None).axis(labelAngle=0)
    y = alt.Y("label:N").sort(labels).title(None).axis(labelLimit=260)
    color = (
        alt.Color("status:N")
        .scale(domain=STATUSES, range=[STATUS_COLORS[s] for s in STATUSES])
        .title("Status")
    )
    tooltip = [
        alt.Tooltip("label:N", title="Project"),
        alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("status_detail:N", title="Status"),
        alt.Tooltip("when:N", title="Target"),
        alt.Tooltip("capacity_label:N", title="Capacity (unit)"),
        alt.Tooltip("capacity_basis:N", title="Basis"),
        alt.Tooltip("source_url:N", title="Source"),
        alt.Tooltip("confidence:N", title="Confidence"),
    ]
    unverified = alt.datum.confidence == "unverified"
    base = alt.Chart(df).encode(x=x, y=y)
    solid = (
        base.transform_filter(~unverified)
        .mark_point(filled=True, size=110)
        .encode(color=color, shape=alt.Shape("stage:N").title("Stage"), tooltip=tooltip)
    )
    hollow = (
        base.transform_filter(unverified)
        .mark_point(filled=False, size=130, strokeWidth=2, strokeDash=DASHED)
        .encode(color=color, shape=alt.Shape("stage:N").title("Stage"), tooltip=tooltip)
    )
    layers: list[alt.Chart] = []
    dated = targets[targets["target_year"].notna()]
    if len(dated):
        tg = dated.assign(when=dated["target_year"].astype(int).astype(str))
        tg = tg[tg["when"].isin(list(domain))]
        tg = tg.groupby("when", as_index=False).agg(
            targets=("name", lambda s: "; ".join(s)),
            sources=("source_url", lambda s: " ; ".join(dict.fromkeys(s))),
        )
        layers.append(
            alt.Chart(tg)
            .mark_rule(color="#6b7280", strokeDash=DASHED, strokeWidth=1.5)
            .encode(
                x=alt.X("when:O").scale(domain=list(domain)),
                tooltip=[
                    alt.Tooltip("when:N", title="Target year"),
                    alt.Tooltip("targets:N", title="Government targets"),
                    alt.Tooltip("sources:N", title="Sources"),
                ],
            )
        )
    h = height or max(220, 18 * len(df))
    return alt.layer(*layers, solid, hollow).properties(height=h)


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
    return alt.layer(line, solid, hollow).properties(height=height)


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
