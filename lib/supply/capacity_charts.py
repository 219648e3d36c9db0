"""Altair builders for the Western pipeline: capacity bars per (stage, unit), production
points and company targets beside them, and the project timeline.

Bars are nameplate or phase capacity in place by each year; production is drawn as a
filled diamond at its year, company targets and goals as hollow triangles: never as bars.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from lib.supply.capacity import PIPELINE_YEARS
from lib.supply.charts import DASHED, SOLID, STATUS_COLORS
from lib.supply.schema import STATUSES


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


MARKER_SHAPES = {"production": "diamond", "target": "triangle-up", "goal": "triangle-up"}


def _marker_layers(markers: pd.DataFrame, years: Sequence[int]) -> list[alt.Chart]:
    """Production as a filled diamond, company targets and goals as hollow triangles, each
    at its year and labelled ("2025 production", "2026 target"); never stacked on the bars."""
    df = markers[markers["year"].isin(list(years))]
    if df.empty:
        return []
    base = alt.Chart(df).encode(x=alt.X("year:O").scale(domain=list(years)), y=alt.Y("value:Q"))
    production = alt.datum.basis == "production"
    points = base.mark_point(size=90, strokeWidth=2, color="#111").encode(
        shape=alt.Shape("basis:N")
        .scale(domain=list(MARKER_SHAPES), range=list(MARKER_SHAPES.values()))
        .title("Not capacity")
        .legend(orient="top"),
        fill=alt.when(production).then(alt.value("#111")).otherwise(alt.value("white")),
        tooltip=[
            alt.Tooltip("project:N", title="Project"),
            alt.Tooltip("label:N", title="What"),
            alt.Tooltip("value:Q", title="Value", format=","),
            alt.Tooltip("unit:N", title="Unit"),
            alt.Tooltip("detail:N", title="Basis"),
            alt.Tooltip("source:N", title="Source"),
            alt.Tooltip("confidence:N", title="Confidence"),
        ],
    )
    text = base.mark_text(align="left", dx=7, dy=-7, fontSize=9, color="#111").encode(
        text="label:N"
    )
    return [points, text]


def pipeline_panel(
    bars: pd.DataFrame,
    targets: pd.DataFrame,
    title: str,
    years: Sequence[int] = PIPELINE_YEARS,
    width: int = 230,
    height: int = 140,
    markers: pd.DataFrame | None = None,
    unit: str | None = None,
) -> alt.LayerChart:
    """Cumulative nameplate or phase capacity of one (stage, unit) by year, stacked by status.

    ``targets`` are government goals in the same unit, drawn as labelled horizontal rules
    (dashed when the goal has no date). ``markers`` are the panel's production figures and
    company targets or goals (``capacity.pipeline_markers``), drawn as points.
    """
    unit = unit or (str(bars["unit"].iloc[0]) if len(bars) else "")
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
    if markers is not None:
        layers += _marker_layers(markers, years)
    return alt.layer(*layers).properties(title=title, width=width, height=height)


def pipeline_chart(
    bars: pd.DataFrame,
    targets: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    per_row: int = 3,
    markers: pd.DataFrame | None = None,
) -> alt.VConcatChart:
    """One panel per (stage, unit), ``per_row`` to a row; y scales are never shared."""
    charts = []
    order = {s: i for i, s in enumerate(STATUSES)}
    for stage, unit in panels:
        sub = bars[(bars["stage"] == stage) & (bars["unit"] == unit)]
        sub = sub.assign(status_order=sub["status"].map(order))
        tg = targets[(targets["stage"] == stage) & (targets["unit"] == unit)]
        tg = tg[tg["target_value"].notna()]
        mk = None
        if markers is not None:
            mk = markers[(markers["stage"] == stage) & (markers["unit"] == unit)]
        charts.append(pipeline_panel(sub, tg, f"{stage} · {unit}", markers=mk, unit=unit))
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
        "capacity_basis", "basis_detail", "charted_as", "confidence", "source_url", "note",
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
        alt.Tooltip("capacity_basis:N", title="Figure is"),
        alt.Tooltip("basis_detail:N", title="Basis"),
        alt.Tooltip("charted_as:N", title="Drawn in the pipeline as"),
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
