"""Altair chart builders for price series. Pure: frames in, ``alt`` charts out.

Charts receive already-downsampled long frames (see lib.downsample); the tooltip uses a
separate small wide frame on a common date grid so it can list every series at a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from lib.downsample import downsample_long, points_per_series

#: How each display mode labels and formats its values.
MODES: dict[str, tuple[str, str, str]] = {
    # mode: (axis title, axis format, tooltip format)
    "Rebased to 100": ("Rebased (first day in range = 100)", ",.0f", ",.1f"),
    "Price": ("Price", ",.2f", ",.2f"),
    "% change": ("Change since start of range", "+.0%", "+.1%"),
}
TOOLTIP_GRID_POINTS = 400
CHART_POINT_BUDGET = 4000


@dataclass(frozen=True)
class PricePlot:
    """The frames a price chart draws: downsampled lines and a wide tooltip grid."""

    lines: pd.DataFrame  # date, symbol, value, role
    tooltip: pd.DataFrame  # date, s0..sN (one column per symbol)
    symbols: tuple[str, ...]


def prepare_plot(
    values: pd.DataFrame, benchmarks: Sequence[str] = (), budget: int = CHART_POINT_BUDGET
) -> PricePlot:
    """Downsample per series within a chart-wide point budget and build the tooltip grid."""
    symbols = tuple(dict.fromkeys(values["symbol"].astype(str)))
    n_out = points_per_series(len(symbols), budget_points=budget)
    lines = downsample_long(values, "date", "value", "symbol", n_out=n_out)
    # Categoricals travel as Arrow dictionaries: ~2 bytes a row instead of a string each.
    role = np.where(lines["symbol"].astype(str).isin(list(benchmarks)), "benchmark", "symbol")
    lines = lines.assign(
        symbol=pd.Categorical(lines["symbol"].astype(str), categories=list(symbols)),
        role=pd.Categorical(role, categories=["symbol", "benchmark"]),
    )
    wide = values.pivot_table(index="date", columns="symbol", values="value", aggfunc="last")
    wide = wide.reindex(columns=list(symbols)).sort_index()
    if len(wide) > TOOLTIP_GRID_POINTS:
        pos = np.unique(np.linspace(0, len(wide) - 1, TOOLTIP_GRID_POINTS).round().astype(int))
        # Carry the last value forward only for the tooltip, so a grid date that is a
        # holiday on one exchange still shows that series' latest close.
        wide = wide.ffill().iloc[pos]
    tooltip = wide.reset_index()
    tooltip.columns = ["date", *[f"s{i}" for i in range(len(symbols))]]
    return PricePlot(lines.reset_index(drop=True), tooltip, symbols)


def format_tooltip(plot: PricePlot, mode: str) -> PricePlot:
    """Pre-format tooltip values as text so a series without a value that day reads "–"
    instead of Vega's "null" (before listing, after its data ends, exchange holidays)."""
    fmt = {"Rebased to 100": "{:,.1f}", "Price": "{:,.2f}", "% change": "{:+.1%}"}[mode]
    tip = plot.tooltip.copy()
    for col in tip.columns[1:]:
        tip[col] = [("–" if pd.isna(v) else fmt.format(v)) for v in tip[col]]
    return PricePlot(plot.lines, tip, plot.symbols)


def date_axis_format(dates: pd.Series) -> str:
    """Always show years on long ranges; day and month on short ones."""
    if dates.empty:
        return "%b %Y"
    span = (dates.max() - dates.min()).days
    return "%d %b" if span <= 120 else "%b %Y"


def price_chart(
    plot: PricePlot,
    mode: str = "Rebased to 100",
    log_scale: bool = False,
    y_title: str | None = None,
    overlays: Sequence[alt.Chart | alt.LayerChart] = (),
) -> alt.VConcatChart:
    """Detail chart (hover rule + tooltip, legend highlight) over an overview with a brush."""
    axis_title, axis_fmt, _ = MODES[mode]
    plot = format_tooltip(plot, mode)
    x_fmt = date_axis_format(plot.lines["date"])
    brush = alt.selection_interval(encodings=["x"], name="brush")
    legend_pick = alt.selection_point(fields=["symbol"], bind="legend", name="legend_pick")
    hover = alt.selection_point(
        fields=["date"],
        nearest=True,
        on="pointerover",
        empty=False,
        name="hover",
        clear="pointerout",
    )
    scale = alt.Scale(type="log") if log_scale and mode != "% change" else alt.Scale(zero=False)
    color = (
        alt.Color("symbol:N")
        .title(None)
        .scale(scheme="tableau10")
        .legend(orient="top", symbolStrokeWidth=3)
    )
    base = alt.Chart(plot.lines).encode(
        x=alt.X("date:T").title(None).axis(format=x_fmt, tickCount=8)
    )

    lines = (
        base.mark_line(strokeWidth=1.8)
        .encode(
            x=alt.X("date:T").title(None).axis(format=x_fmt, tickCount=8).scale(domain=brush),
            y=alt.Y("value:Q").title(y_title or axis_title).axis(format=axis_fmt).scale(scale),
            color=color,
            strokeDash=alt.StrokeDash("role:N")
            .scale(domain=["symbol", "benchmark"], range=[[1, 0], [5, 3]])
            .legend(None),
            opacity=alt.when(legend_pick).then(alt.value(1.0)).otherwise(alt.value(0.15)),
        )
        .add_params(legend_pick)
    )
    tooltip = [alt.Tooltip("date:T", title="Date", format="%a %d %b %Y")] + [
        alt.Tooltip(f"s{i}:N", title=sym) for i, sym in enumerate(plot.symbols)
    ]
    rule = (
        alt.Chart(plot.tooltip)
        .mark_rule(color="#64748b")
        .encode(
            x=alt.X("date:T").scale(domain=brush),
            opacity=alt.when(hover).then(alt.value(0.7)).otherwise(alt.value(0.0)),
            tooltip=tooltip,
        )
        .add_params(hover)
    )
    detail = alt.layer(lines, rule, *overlays).properties(height=380, width="container")
    overview = (
        base.mark_line(strokeWidth=1)
        .encode(
            y=alt.Y("value:Q").title(None).axis(labels=False, ticks=False).scale(scale),
            color=alt.Color("symbol:N").scale(scheme="tableau10").legend(None),
        )
        .add_params(brush)
        .properties(
            height=70,
            width="container",
            title=alt.Title("Drag here to zoom", fontSize=11, color="#64748b"),
        )
    )
    # Streamlit pads (and so overflows) a vconcat holding a layer; fit-x keeps it in the column.
    chart = (
        alt.vconcat(detail, overview, spacing=8)
        .resolve_scale(color="shared")
        .properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )
    return _pin_param_views(chart, {"legend_pick": 0, "hover": 1})


def _pin_param_views(chart: alt.VConcatChart, owners: dict[str, int]) -> alt.VConcatChart:
    """Attach each lifted selection to the one detail layer that defines it.

    Altair 6.3 lifts a layer's params inside a concat onto *every* layer of that view, and
    Vega then fails with 'Duplicate signal name: "legend_pick_tuple"' in the browser.
    """
    layer_names = [layer.name for layer in chart.vconcat[0].layer]
    for param in chart.params:
        if param.name in owners:
            param.views = [layer_names[owners[param.name]]]
    return chart


def listing_marker(listings: pd.DataFrame) -> alt.LayerChart:
    """Dashed rule + label at each listing date when the SPAC period is shown."""
    base = alt.Chart(listings).encode(x="date:T")
    rule = base.mark_rule(strokeDash=[2, 2], color="#b45309").encode(
        tooltip=[alt.Tooltip("symbol:N"), alt.Tooltip("note:N", title="Before this date")]
    )
    text = base.mark_text(align="left", dx=3, dy=-170, color="#b45309", fontSize=10).encode(
        text="label:N"
    )
    return alt.layer(rule, text)


def basket_chart(
    levels: pd.DataFrame,
    overlays: Sequence[alt.Chart | alt.LayerChart] = (),
    changes: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """West vs China basket lines (date, basket, level) with a hover tooltip.

    ``changes`` (lib.returns.membership_changes) are drawn as dotted rules labelled with the new
    member count, so a basket never changes composition without showing it.
    """
    hover = alt.selection_point(
        fields=["date"], nearest=True, on="pointerover", empty=False, name="bhover"
    )
    base = alt.Chart(levels).encode(x=alt.X("date:T").title(None).axis(format="%b %Y"))
    lines = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("level:Q").title("Index (start = 100)").scale(zero=False),
        color=alt.Color("basket:N")
        .title(None)
        .scale(domain=["West basket", "China basket"], range=["#0f766e", "#b91c1c"])
        .legend(orient="top"),
    )
    points = (
        base.mark_circle(size=45)
        .encode(
            y="level:Q",
            color=alt.Color("basket:N").legend(None),
            opacity=alt.when(hover).then(alt.value(1.0)).otherwise(alt.value(0.0)),
            tooltip=[
                alt.Tooltip("date:T", format="%d %b %Y"),
                alt.Tooltip("basket:N"),
                alt.Tooltip("level:Q", format=",.1f"),
                alt.Tooltip("members:Q", title="Members trading"),
            ],
        )
        .add_params(hover)
    )
    marks: list[alt.Chart | alt.LayerChart] = []
    if changes is not None and not changes.empty:
        ch = changes.assign(label=changes["members"].astype(str) + " members")
        cbase = alt.Chart(ch).encode(x="date:T")
        marks.append(
            cbase.mark_rule(strokeDash=[2, 3], opacity=0.7).encode(
                color=alt.Color("basket:N").legend(None),
                tooltip=[
                    alt.Tooltip("date:T", format="%d %b %Y", title="From"),
                    alt.Tooltip("basket:N"),
                    alt.Tooltip("previous:Q", title="Members before"),
                    alt.Tooltip("members:Q", title="Members after"),
                ],
            )
        )
        marks.append(
            cbase.mark_text(align="left", dx=3, y=8, fontSize=10, color="#475569").encode(
                text="label:N"
            )
        )
    return alt.layer(lines, points, *marks, *overlays).properties(height=360)
