"""Altair builders for the Market outlook page. Pure: frames in, charts out, tested via to_dict.

Anything that is not an exact published figure (unverified publisher, lower bound,
back-solved base, currency-converted or unverified price) is drawn hollow, never as a
solid point, so the chart cannot overstate what the sources say.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

SUPERSEDED_DASH = [6, 4]
SOLID = [1, 0]
HOLLOW_NOTE = "Hollow points are not exact published figures."
REF_RED = "firebrick"
REF_GREEN = "seagreen"
#: Price kinds in colours that stay clear of the red floor and the green incentive band.
KIND_COLOURS = {
    "spot": "#1f77b4",
    "listing price": "#17becf",
    "realised price": "#ff7f0e",
    "forecast": "#9467bd",
}


def _exact_projection(paths: pd.DataFrame) -> pd.Series:
    return ~(paths["unverified"] | paths["lower_bound"] | paths["base_back_solved"])


def _y_scale(log_scale: bool) -> alt.Scale:
    return alt.Scale(type="log" if log_scale else "linear", zero=False)


def projection_paths_chart(
    paths: pd.DataFrame,
    band: pd.DataFrame,
    *,
    unit: str,
    log_scale: bool = False,
    scenario: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Each publication's yearly path (superseded editions dashed) over the consensus band.

    Editions of one publisher share its colour, so a restatement reads as the same line
    redrawn; published endpoints are points (hollow when not exact).
    """
    df = paths.assign(
        exact=_exact_projection(paths),
        published=paths["published"].dt.strftime("%Y-%m-%d"),
        value_label=[
            f"> {v:,.2f}" if lb and ep else f"{v:,.2f}"
            for v, lb, ep in zip(
                paths["value"], paths["lower_bound"], paths["endpoint"], strict=True
            )
        ],
    )
    y_title = f"Market size ({unit})"
    base = alt.Chart(df).encode(
        x=alt.X("date:T").title("Year").axis(format="%Y", tickCount="year"),
        y=alt.Y("value:Q").scale(_y_scale(log_scale)).title(y_title),
        color=alt.Color("publisher:N")
        .title("Publisher")
        .legend(orient="bottom", columns=2, labelLimit=360),
        tooltip=[
            alt.Tooltip("id:N").title("Row"),
            alt.Tooltip("publisher:N"),
            alt.Tooltip("published:N").title("Published"),
            alt.Tooltip("year:Q").title("Year").format("d"),
            alt.Tooltip("value_label:N").title(unit),
            alt.Tooltip("flags:N").title("Flags"),
        ],
    )
    lines = base.mark_line(strokeWidth=2).encode(
        detail="id:N",
        strokeDash=alt.when(alt.datum.superseded)
        .then(alt.value(SUPERSEDED_DASH))
        .otherwise(alt.value(SOLID)),
    )
    ends = base.transform_filter(alt.datum.endpoint != "")
    solid_pts = ends.transform_filter(alt.datum.exact).mark_point(filled=True, size=60, opacity=1)
    hollow_pts = ends.transform_filter(~alt.datum.exact).mark_point(
        filled=False, size=70, strokeWidth=2, opacity=1
    )
    layers: list[alt.Chart] = []
    if not band.empty:
        band_base = alt.Chart(band).encode(x="date:T")
        layers.append(
            band_base.mark_area(opacity=0.15, color="gray").encode(
                y=alt.Y("min:Q").scale(_y_scale(log_scale)).title(y_title),
                y2="max:Q",
                tooltip=[
                    alt.Tooltip("year:Q").format("d"),
                    alt.Tooltip("min:Q").format(",.2f"),
                    alt.Tooltip("median:Q").format(",.2f"),
                    alt.Tooltip("max:Q").format(",.2f"),
                    alt.Tooltip("n:Q").title("Publications"),
                ],
            )
        )
        layers.append(
            band_base.mark_line(color="gray", strokeWidth=3, opacity=0.6).encode(y="median:Q")
        )
    layers += [lines, solid_pts, hollow_pts]
    if scenario is not None and not scenario.empty:
        layers.append(
            alt.Chart(scenario)
            .mark_line(color="black", strokeDash=[2, 2], strokeWidth=2)
            .encode(
                x="date:T",
                y="value:Q",
                tooltip=[alt.Tooltip("year:Q").format("d"), alt.Tooltip("value:Q").format(",.2f")],
            )
        )
    return alt.layer(*layers).properties(height=380)


def growth_vs_equity_chart(
    growth: pd.DataFrame, equity: pd.DataFrame, *, log_scale: bool = False
) -> alt.LayerChart:
    """Forecast market growth (median, band = min–max) against equities, both 100 at the start.

    ``growth``: year, date, min, median, max. ``equity``: date, level, series.
    """
    forecast = growth[["date", "median"]].rename(columns={"median": "level"})
    forecast = forecast.assign(series="Forecast consensus (median)", kind="forecast")
    eq = equity[["date", "level", "series"]].assign(kind="equity")
    long = pd.concat([forecast, eq], ignore_index=True)
    y = alt.Y("level:Q").scale(_y_scale(log_scale)).title("Index (start = 100)")
    base = alt.Chart(long).encode(
        x=alt.X("date:T").title(None),
        y=y,
        color=alt.Color("series:N").title(None).legend(orient="bottom", labelLimit=360),
        tooltip=[
            alt.Tooltip("series:N"),
            alt.Tooltip("date:T").format("%d %b %Y"),
            alt.Tooltip("level:Q").format(",.1f"),
        ],
    )
    lines = base.mark_line().encode(
        strokeDash=alt.when(alt.datum.kind == "forecast")
        .then(alt.value([6, 3]))
        .otherwise(alt.value(SOLID)),
        strokeWidth=alt.when(alt.datum.kind == "forecast")
        .then(alt.value(3))
        .otherwise(alt.value(1.5)),
    )
    forecast_pts = base.transform_filter(alt.datum.kind == "forecast").mark_point(filled=True)
    band = (
        alt.Chart(growth)
        .mark_area(opacity=0.15, color="gray")
        .encode(x="date:T", y=alt.Y("min:Q").scale(_y_scale(log_scale)), y2="max:Q")
    )
    start_rule = (
        alt.Chart(pd.DataFrame({"level": [100.0]})).mark_rule(color="gray").encode(y="level:Q")
    )
    return alt.layer(band, start_rule, lines, forecast_pts).properties(height=340)


def ndpr_chart(points: pd.DataFrame) -> alt.LayerChart:
    """NdPr quotes and forecasts in USD/kg with policy and incentive levels as reference lines.

    Period figures (a quarter, a year's average forecast) span their period; ranges get
    a vertical bar; the DoD floor and the incentive range are drawn across the chart.
    """
    refs = points[points["is_reference"]].copy()
    pts = points[~points["is_reference"]].copy()
    pts["date_mid"] = pts["date"] + (pts["period_end"] - pts["date"]) / 2
    pts["value_text"] = [f"{v:,.0f} {u}" for v, u in zip(pts["value"], pts["unit"], strict=True)]
    kinds = [k for k in KIND_COLOURS if k in set(pts["kind"])]
    y = alt.Y("usd_kg:Q").title("USD/kg").scale(zero=False)
    base = alt.Chart(pts).encode(
        x=alt.X("date_mid:T").title(None).scale(padding=12),
        y=y,
        color=alt.Color("kind:N")
        .title("Kind")
        .scale(domain=kinds, range=[KIND_COLOURS[k] for k in kinds])
        .legend(orient="bottom"),
        tooltip=[
            alt.Tooltip("id:N").title("Row"),
            alt.Tooltip("series:N"),
            alt.Tooltip("date:T").format("%d %b %Y"),
            alt.Tooltip("date_precision:N").title("Precision"),
            alt.Tooltip("usd_kg:Q").title("USD/kg").format(",.1f"),
            alt.Tooltip("value_text:N").title("As published"),
            alt.Tooltip("confidence:N"),
            alt.Tooltip("converted:N").title("Converted from CNY"),
            alt.Tooltip("publisher:N"),
        ],
    )
    spans = (
        base.transform_filter("datum.period_end > datum.date")
        .mark_rule(strokeWidth=3)
        .encode(x="date:T", x2="period_end:T")
    )
    ranges = (
        base.transform_filter("isValid(datum.usd_kg_low)")
        .mark_rule()
        .encode(y="usd_kg_low:Q", y2="usd_kg_high:Q")
    )
    solid = base.transform_filter(alt.datum.exact).mark_point(filled=True, size=70, opacity=1)
    hollow = base.transform_filter(~alt.datum.exact).mark_point(
        filled=False, size=80, strokeWidth=2, opacity=1
    )
    refs["label"] = [
        f"{s}: {lo:,.0f}–{hi:,.0f} USD/kg" if pd.notna(lo) else f"{s}: {v:,.0f} USD/kg"
        for s, v, lo, hi in zip(
            refs["series"], refs["usd_kg"], refs["usd_kg_low"], refs["usd_kg_high"], strict=True
        )
    ]
    ref_base = alt.Chart(refs).encode(
        y="usd_kg:Q",
        color=alt.value(REF_GREEN),
        tooltip=[alt.Tooltip("label:N").title("Reference"), alt.Tooltip("notes:N")],
    )
    is_floor = alt.datum.kind == "price floor"
    ref_band = (
        ref_base.transform_filter("isValid(datum.usd_kg_low)")
        .mark_rect(opacity=0.12)
        .encode(y="usd_kg_low:Q", y2="usd_kg_high:Q")
    )
    ref_rules = ref_base.mark_rule(strokeDash=[6, 3], strokeWidth=1.5).encode(
        color=alt.when(is_floor).then(alt.value(REF_RED)).otherwise(alt.value(REF_GREEN))
    )
    ref_text = ref_base.mark_text(align="left", dx=4, dy=-7).encode(
        text="label:N",
        x=alt.value(4),
        color=alt.when(is_floor).then(alt.value(REF_RED)).otherwise(alt.value(REF_GREEN)),
    )
    return alt.layer(ref_band, ref_rules, ref_text, spans, ranges, solid, hollow).properties(
        height=340
    )
