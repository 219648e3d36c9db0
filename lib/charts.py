"""Altair chart builders for price series. Pure: frames in, ``alt`` charts out.

The price chart ships one small wide table that serves the lines *and* the hover tooltip:
one row per kept date (days since 1970 as an integer), one float32 column per series. The
browser folds it into lines and formats the tooltip numbers itself, so no pre-formatted
strings, nanosecond timestamps or second copy of the data travel (see bench/chart_bytes.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from lib.downsample import downsample_indices

#: How each display mode labels and formats its values.
MODES: dict[str, tuple[str, str, str]] = {
    # mode: (axis title, axis format, tooltip format)
    "Rebased to 100": ("Rebased (first day in range = 100)", ",.0f", ",.1f"),
    "Price": ("Price", ",.2f", ",.2f"),
    "% change": ("Change since start of range", "+.0%", "+.1%"),
}
#: The detail chart is about this wide in the app's wide layout (a 1280-1440 px screen minus
#: the sidebar); a date every PX_PER_POINT pixels is finer than a 1.8 px line can show.
CHART_WIDTH_PX = 900
PX_PER_POINT = 2
CHART_POINT_BUDGET = CHART_WIDTH_PX // PX_PER_POINT  # dates (rows) per chart, all series
#: The zoom strip is 70 px tall: it draws one kept date in three (plus ends and extremes),
#: which cut the browser's work for the strip by about two thirds.
OVERVIEW_STRIDE = 3
DAY_MS = 86_400_000
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class PricePlot:
    """What a price chart draws: one wide row per kept date.

    ``table`` columns: ``d`` (days since 1970-01-01), ``held`` (bit i set when series i has
    no close that day and the value is its previous close, shown in the tooltip only),
    ``ov`` (the row is drawn in the zoom strip too, see :func:`overview_rows`) and ``s0..sN``
    (float32, NaN where the series has no value).
    """

    table: pd.DataFrame
    symbols: tuple[str, ...]
    benchmarks: tuple[str, ...] = ()

    def lines(self) -> pd.DataFrame:
        """The points the lines draw (date, symbol, value), as the browser derives them."""
        dates = pd.to_datetime(self.table["d"].to_numpy(dtype="int64"), unit="D")
        parts = []
        for i, sym in enumerate(self.symbols):
            own = self.table[f"s{i}"].notna().to_numpy() & ~_held(self.table, i)
            parts.append(
                pd.DataFrame(
                    {
                        "date": dates[own],
                        "symbol": sym,
                        "value": self.table.loc[own, f"s{i}"].astype("float64"),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _held(table: pd.DataFrame, i: int) -> np.ndarray:
    return (table["held"].to_numpy(dtype="int64") >> i) & 1 == 1


def _mask_dtype(n_series: int) -> str:
    for dtype, bits in (("uint8", 8), ("uint16", 16), ("uint32", 32)):
        if n_series <= bits:
            return dtype
    return "uint64"


def prepare_plot(
    values: pd.DataFrame, benchmarks: Sequence[str] = (), budget: int = CHART_POINT_BUDGET
) -> PricePlot:
    """Keep about ``budget`` dates for all series together and build the wide table.

    Each series contributes its own MinMaxLTTB points (first, last, highest and lowest
    always among them) to a shared set of dates, so every line keeps its shape and the
    tooltip can list every series at any kept date.
    """
    symbols = tuple(dict.fromkeys(values["symbol"].astype(str)))
    wide = values.pivot_table(index="date", columns="symbol", values="value", aggfunc="last")
    wide = wide.reindex(columns=list(symbols)).sort_index()
    arr = wide.to_numpy(dtype="float64")
    n_rows, n_series = arr.shape
    if n_rows > budget and n_series:
        x = wide.index.to_numpy().astype("datetime64[ns]").astype("int64")
        per = max(4, budget // n_series)
        for _ in range(4):  # series share many dates: grow each share until the budget is used
            keep = {0, n_rows - 1}
            for j in range(n_series):
                keep.update(downsample_indices(x, arr[:, j], per).tolist())
            if len(keep) >= 0.9 * budget or per >= n_rows:
                break
            per = int(per * min(4.0, budget / len(keep)))
        rows = np.array(sorted(keep), dtype=np.int64)
    else:
        rows = np.arange(n_rows)
    # A date where one exchange was shut shows that series' previous close in the tooltip
    # (marked as held, so the line itself does not draw it).
    present = ~np.isnan(arr)
    filled = wide.ffill().to_numpy(dtype="float64")
    last_row = np.where(present.any(axis=0), n_rows - 1 - np.argmax(present[::-1], axis=0), -1)
    inside = np.arange(n_rows)[:, None] <= last_row[None, :]
    held_cells = ~present & ~np.isnan(filled) & inside
    weights = np.left_shift(np.uint64(1), np.arange(n_series, dtype=np.uint64))
    held = (held_cells.astype(np.uint64) * weights).sum(axis=1) if n_series else np.zeros(0)
    days = (wide.index.to_numpy().astype("datetime64[D]") - _EPOCH).astype("int64")
    table = pd.DataFrame(
        {
            "d": days[rows].astype("int32"),
            "held": held[rows].astype(_mask_dtype(n_series)),
            "ov": overview_rows(arr[rows]),
            **{
                f"s{j}": np.where(held_cells[rows, j], filled[rows, j], arr[rows, j]).astype(
                    "float32"
                )
                for j in range(n_series)
            },
        }
    )
    kept = tuple(b for b in benchmarks if b in symbols)
    return PricePlot(table, symbols, kept)


def overview_rows(values: np.ndarray, stride: int = OVERVIEW_STRIDE) -> np.ndarray:
    """Which kept rows the 70 px zoom strip draws: every ``stride``-th one, the first and
    the last, and each series' first, last, highest and lowest value (so the strip keeps
    every line's extent and extremes with a third of the points to lay out)."""
    n_rows = values.shape[0]
    keep = np.zeros(n_rows, dtype=bool)
    if n_rows == 0:
        return keep
    keep[::stride] = True
    keep[-1] = True
    for j in range(values.shape[1]):
        valid = np.flatnonzero(~np.isnan(values[:, j]))
        if valid.size:
            col = values[valid, j]
            keep[[valid[0], valid[-1], valid[np.argmax(col)], valid[np.argmin(col)]]] = True
    return keep


#: The hover tooltip reads one object per kept date (see :func:`tooltip_object`). The rule's
#: items carry the row itself; Vega-Lite's nearest-point voronoi copies the rule's tooltip onto
#: cells whose ``datum`` is the rule item, so they read the row one level down.
TOOLTIP_EXPR = "isValid(datum.tip) ? datum.tip : datum.datum.tip"


def tooltip_object(symbols: Sequence[str], number_format: str) -> str:
    """A Vega expression building the tooltip of one kept date: the date, then each series.

    One object per row, built once, instead of a formatted text column per series plus the
    object Vega-Lite would assemble again for every rule item and every voronoi cell: the
    same tooltip, with about a fifth less of the browser's per-item work on a chart of ten
    series (docs/performance.md). Vega formats the numbers; a series without a value that
    day reads "–", never "null".
    """
    entries = ["'Date': timeFormat(datum.date, '%a %d %b %Y')"] + [
        f"{_js(sym)}: isValid(datum.s{i}) ? format(datum.s{i}, {_js(number_format)}) : '–'"
        for i, sym in enumerate(symbols)
    ]
    return "{" + ", ".join(entries) + "}"


def date_axis_format(dates: pd.Series) -> str:
    """Always show years on long ranges; day and month on short ones."""
    if dates.empty:
        return "%b %Y"
    span = (dates.max() - dates.min()).days
    return "%d %b" if span <= 120 else "%b %Y"


def _js(value: object) -> str:
    """A JSON literal is a valid Vega expression literal (symbols come from users)."""
    return json.dumps(value)


def price_chart(
    plot: PricePlot,
    mode: str = "Rebased to 100",
    log_scale: bool = False,
    y_title: str | None = None,
    overlays: Sequence[alt.Chart | alt.LayerChart] = (),
) -> alt.VConcatChart:
    """Detail chart (hover rule + tooltip, legend highlight) over an overview with a brush."""
    axis_title, axis_fmt, tip_fmt = MODES[mode]
    days = plot.table["d"]
    x_fmt = date_axis_format(pd.to_datetime(days.to_numpy(dtype="int64"), unit="D").to_series())
    keys = [f"s{i}" for i in range(len(plot.symbols))]
    brush = alt.selection_interval(encodings=["x"], name="brush")
    legend_pick = alt.selection_point(fields=["key"], bind="legend", name="legend_pick")
    hover = alt.selection_point(
        fields=["date"],
        nearest=True,
        on="pointerover",
        empty=False,
        name="hover",
        clear="pointerout",
    )
    scale = alt.Scale(type="log") if log_scale and mode != "% change" else alt.Scale(zero=False)
    symbol_of = dict(zip(keys, plot.symbols, strict=True))
    # The folded column names (s0, s1, ...) are the series' identity in the browser: colour,
    # dash, legend pick and the held filter all read them directly, through scales and one
    # signal, so no per-row expression builds arrays or maps names (that was most of the time
    # Vega spent on this chart). The legend shows the symbols through labelExpr.
    legend_labels = f"{_js(symbol_of)}[datum.label]"
    color = (
        alt.Color("key:N")
        .title(None)
        .scale(domain=keys, scheme="tableau10")
        .legend(orient="top", symbolStrokeWidth=3, labelExpr=legend_labels)
    )
    dash = alt.StrokeDash("key:N").scale(
        domain=keys or [""],
        range=[[5, 3] if sym in plot.benchmarks else [1, 0] for sym in plot.symbols] or [[1, 0]],
    )
    bits = alt.param(name="held_bit", value={k: 1 << i for i, k in enumerate(keys)})
    dated = alt.Chart(plot.table).transform_calculate(date=f"datum.d * {DAY_MS}")
    # Wide -> long in the browser: one line per series, without its held (closed-day) values.
    base = (
        dated.transform_fold(keys, as_=["key", "value"])
        .transform_filter("isValid(datum.value) && !(datum.held & held_bit[datum.key])")
        .encode(x=alt.X("date:T").title(None).axis(format=x_fmt, tickCount=8))
    )

    lines = (
        base.mark_line(strokeWidth=1.8)
        .encode(
            x=alt.X("date:T").title(None).axis(format=x_fmt, tickCount=8).scale(domain=brush),
            y=alt.Y("value:Q").title(y_title or axis_title).axis(format=axis_fmt).scale(scale),
            color=color,
            strokeDash=dash.legend(None),
            opacity=alt.when(legend_pick).then(alt.value(1.0)).otherwise(alt.value(0.15)),
        )
        .add_params(legend_pick, bits)
    )
    rule = (
        dated.transform_calculate(tip=tooltip_object(plot.symbols, tip_fmt))
        .mark_rule(color="#64748b", tooltip=alt.ExprRef(expr=TOOLTIP_EXPR))
        .encode(
            x=alt.X("date:T").scale(domain=brush),
            opacity=alt.when(hover).then(alt.value(0.7)).otherwise(alt.value(0.0)),
        )
        .add_params(hover)
    )
    detail = alt.layer(lines, rule, *overlays).properties(height=380, width="container")
    overview = (
        dated.transform_filter("datum.ov")
        .transform_fold(keys, as_=["key", "value"])
        .transform_filter("isValid(datum.value) && !(datum.held & held_bit[datum.key])")
        .encode(x=alt.X("date:T").title(None).axis(format=x_fmt, tickCount=8))
        .mark_line(strokeWidth=1)
        .encode(
            y=alt.Y("value:Q").title(None).axis(labels=False, ticks=False).scale(scale),
            color=alt.Color("key:N").scale(domain=keys, scheme="tableau10").legend(None),
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
