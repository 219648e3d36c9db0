"""Altair builders for the risk views. Pure: lib.markets.risk frames in, ``alt`` charts out.

Long series are downsampled per series (lib.downsample, which keeps first, last and the
extremes, so the worst drawdown is always drawn); exports use the full lib.markets.risk frames.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lib.charts import date_axis_format
from lib.downsample import downsample_indices, downsample_long, points_per_series

CHART_POINT_BUDGET = 4000
DATE_TOOLTIP = alt.Tooltip("date:T", title="Date", format="%a %d %b %Y")


def drawdown_plot_frame(dd: pd.DataFrame, budget: int = CHART_POINT_BUDGET) -> pd.DataFrame:
    """The drawable points of lib.markets.risk.drawdowns output: at most ~budget points in all."""
    if dd.empty:
        return dd.loc[:, ["date", "symbol", "drawdown", "price", "peak"]]
    n_out = points_per_series(dd["symbol"].nunique(), budget_points=budget)
    cols = ["date", "symbol", "drawdown", "price", "peak"]
    return downsample_long(dd[cols], "date", "drawdown", "symbol", n_out=n_out)


def drawdown_chart(dd: pd.DataFrame, height: int = 320) -> alt.LayerChart:
    """Drawdown from running peak per series (0 at a new high, −50% = half the peak)."""
    pts = drawdown_plot_frame(dd)
    x_fmt = date_axis_format(pts["date"]) if len(pts) else "%b %Y"
    lines = (
        alt.Chart(pts)
        .mark_line(strokeWidth=1.6)
        .encode(
            x=alt.X("date:T").title(None).axis(format=x_fmt),
            y=alt.Y("drawdown:Q")
            .title("Drawdown from running peak")
            .axis(format="%")
            .scale(domainMax=0),
            color=alt.Color("symbol:N").title(None).scale(scheme="tableau10").legend(orient="top"),
            tooltip=[
                DATE_TOOLTIP,
                alt.Tooltip("symbol:N", title="Symbol"),
                alt.Tooltip("drawdown:Q", title="Drawdown", format=".1%"),
                alt.Tooltip("price:Q", title="Price", format=",.2f"),
                alt.Tooltip("peak:Q", title="Running peak", format=",.2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#94a3b8").encode(y="y:Q")
    return alt.layer(lines, zero).properties(height=height, width="container")


def correlation_heatmap(corr: pd.DataFrame, min_overlap: int, size: int = 44) -> alt.LayerChart:
    """Heatmap of lib.markets.risk.correlation_matrix output; thin pairs are grey, shown as "–".

    The tooltip names both symbols, the correlation and the overlap (common trading days),
    and says when the overlap is below ``min_overlap``.
    """
    df = corr.copy()
    order = list(dict.fromkeys(df["symbol_a"].astype(str)))
    df["label"] = ["–" if pd.isna(v) else f"{v:.2f}".replace("-", "−") for v in df["correlation"]]
    df["status"] = np.where(
        df["enough_overlap"], "", f"fewer than {min_overlap} common days: not shown"
    )
    df["text_dark"] = df["correlation"].abs().fillna(0) < 0.6
    base = alt.Chart(df).encode(
        x=alt.X("symbol_b:N").sort(order).title(None).axis(labelAngle=-45),
        y=alt.Y("symbol_a:N").sort(order).title(None),
    )
    tooltip = [
        alt.Tooltip("symbol_a:N", title="Series"),
        alt.Tooltip("symbol_b:N", title="vs"),
        alt.Tooltip("label:N", title="Correlation"),
        alt.Tooltip("overlap:Q", title="Common trading days"),
        alt.Tooltip("status:N", title="Note"),
    ]
    # Grey under every cell: Vega-Lite drops rects whose colour value is NaN (thin pairs).
    backdrop = base.mark_rect(stroke="white", strokeWidth=1, color="#e5e7eb").encode(
        tooltip=tooltip
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("correlation:Q")
        .scale(scheme="redblue", domain=[-1, 1], reverse=True)
        .title("Correlation"),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.text_dark", alt.value("#111827"), alt.value("white")),
        tooltip=tooltip,
    )
    n = max(1, len(order))
    return alt.layer(backdrop, cells, text).properties(width=size * n, height=size * n)


def rolling_plot_frame(roll: pd.DataFrame, n_out: int = 2000) -> pd.DataFrame:
    """Drawable points of lib.markets.risk.rolling_correlation output (NaN warm-up dropped)."""
    valid = roll.dropna(subset=["correlation"]).reset_index(drop=True)
    if valid.empty:
        return valid
    idx = downsample_indices(
        valid["date"].to_numpy(), valid["correlation"].to_numpy(dtype="float64"), n_out
    )
    return valid.iloc[idx].reset_index(drop=True)


def rolling_correlation_chart(
    roll: pd.DataFrame, a: str, b: str, window: int, height: int = 260
) -> alt.LayerChart:
    """Rolling correlation line on a fixed −1…1 axis, so decoupling reads the same at any zoom."""
    pts = rolling_plot_frame(roll)
    x_fmt = date_axis_format(pts["date"]) if len(pts) else "%b %Y"
    line = (
        alt.Chart(pts)
        .mark_line(strokeWidth=1.6, color="#4c78a8")
        .encode(
            x=alt.X("date:T").title(None).axis(format=x_fmt),
            y=alt.Y("correlation:Q")
            .title(f"{window}-session correlation, {a} vs {b}")
            .scale(domain=[-1, 1]),
            tooltip=[
                DATE_TOOLTIP,
                alt.Tooltip("correlation:Q", title="Correlation", format="+.2f"),
                alt.Tooltip("overlap:Q", title="Common sessions in window"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#94a3b8").encode(y="y:Q")
    return alt.layer(line, zero).properties(height=height, width="container")
