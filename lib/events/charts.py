"""Altair builders for policy events: timeline, overlay rules, price reaction, CAR charts.

Inexact events (month-only or approximate dates) are drawn as a translucent span over the
period they could fall in, with a hollow marker at its middle; unverified events get a dashed
outline. Nothing inexact is ever drawn as a solid mark on a single day. Scheduled events (a dated
deadline whose outcome our sources may not report) are a hollow cross with a dotted outline on
the timeline and a dotted rule on price charts, and their tooltip says whether the outcome is
known.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from lib.datafiles import CATEGORIES, JURISDICTIONS

PICK = "pick"
DASHED = [4, 3]
SOLID = [1, 0]
#: A scheduled event: a deadline, not something that happened on that day.
DOTTED = [1, 3]
#: Marker shape per date quality, so inexact events are labelled in the legend, not only hover.
DATE_QUALITY = {
    "exact": "circle",
    "month only": "square",
    "approximate date": "diamond",
    "unverified": "triangle-up",
    "scheduled": "cross",
}
_EVENT_FIELDS = [
    "id", "plot_date", "span_start", "span_end", "jurisdiction", "category", "title",
    "date_label", "source", "confidence", "precision_label", "status_label", "exact",
    "scheduled", "outcome_label",
]  # fmt: skip


#: Vega's category10 plus one: eleven categories, no colour used twice.
CATEGORY_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79",
]  # fmt: skip


#: The signed-in user's own events: their own lane and colour, never mixed with curated ones.
MY_EVENTS = "My events"
MY_EVENTS_COLOUR = "#000000"


def category_color(channel: type = alt.Color, legend: bool = True) -> alt.Color:
    scale = alt.Scale(
        domain=[*CATEGORIES, MY_EVENTS],
        range=[*CATEGORY_COLOURS[: len(CATEGORIES)], MY_EVENTS_COLOUR],
    )
    enc = channel("category:N").scale(scale).title("Category")
    if not legend:
        return enc.legend(None)
    return enc.legend(orient="bottom", columns=4, symbolOpacity=1)


def _event_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("date_label:N", title="Date"),
        alt.Tooltip("title:N", title="Event"),
        alt.Tooltip("category:N", title="Category"),
        alt.Tooltip("jurisdiction:N", title="Jurisdiction"),
        alt.Tooltip("status_label:N", title="Date quality"),
        alt.Tooltip("confidence:N", title="Confidence"),
        alt.Tooltip("outcome_label:N", title="Outcome"),
        alt.Tooltip("source:N", title="Source"),
    ]


def _stroke_dash(exact_solid: bool) -> alt.StrokeDash:
    """Dotted for a scheduled event, dashed for an unverified (timeline) or inexact (rules) one."""
    other = alt.datum.exact if exact_solid else alt.datum.confidence != "unverified"
    return (
        alt.when(alt.datum.scheduled)
        .then(alt.value(DOTTED))
        .when(other)
        .then(alt.value(SOLID))
        .otherwise(alt.value(DASHED))
    )


def _event_frame(events: pd.DataFrame) -> pd.DataFrame:
    df = events.reindex(columns=_EVENT_FIELDS).reset_index(drop=True)
    df["scheduled"] = df["scheduled"].fillna(False).astype(bool)
    df["outcome_label"] = df["outcome_label"].fillna("")
    return df


def timeline_chart(events: pd.DataFrame, height: int = 420) -> alt.LayerChart:
    """One lane per jurisdiction, coloured by category; click selects an event (param "pick")."""
    df = _event_frame(events)
    pick = alt.selection_point(fields=["id"], name=PICK, on="click", clear="dblclick")
    lanes = [j for j in [*JURISDICTIONS, MY_EVENTS] if j in set(df["jurisdiction"])]
    lanes = lanes or JURISDICTIONS
    base = alt.Chart(df).encode(y=alt.Y("jurisdiction:N").sort(lanes).title(None))
    spans = (
        base.transform_filter(alt.datum.exact == False)  # noqa: E712 (Vega expression)
        .mark_rule(strokeWidth=8, opacity=0.3)
        .encode(x="span_start:T", x2="span_end:T", color=category_color())
    )
    shape = (
        alt.Shape("status_label:N")
        .scale(domain=list(DATE_QUALITY), range=list(DATE_QUALITY.values()))
        .title("Date quality")
        .legend(orient="right", symbolOpacity=1)
    )
    dim = alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.3))
    grow = alt.when(pick, empty=False).then(alt.value(320)).otherwise(alt.value(120))
    x = alt.X("plot_date:T").title(None)
    # Exact events get a solid fill underneath; every event gets a clickable outline on top
    # (Vega-Lite gives unfilled points a transparent fill, so the whole marker takes the click).
    solid = (
        base.transform_filter((alt.datum.exact == True) & (alt.datum.scheduled == False))  # noqa: E712
        .mark_point(filled=True)
        .encode(x=x, color=category_color(), shape=shape, opacity=dim, size=grow)
    )
    # The clickable markers keep their ARIA description ("Event: …; Jurisdiction: …"): a
    # screen reader can list the events, and it is ~120 items, not thousands of points.
    points = (
        base.mark_point(strokeWidth=2, filled=False, aria=True)
        .encode(
            x=x,
            color=category_color(),
            shape=shape,
            strokeDash=_stroke_dash(exact_solid=False),
            opacity=dim,
            size=grow,
            tooltip=_event_tooltip(),
        )
        .add_params(pick)
    )
    return (spans + solid + points).properties(height=height)


def event_rule_layer(
    events: pd.DataFrame,
    x_field: str = "date",
    start: date | pd.Timestamp | None = None,
    end: date | pd.Timestamp | None = None,
) -> alt.LayerChart:
    """Vertical rules with tooltips, to layer (``+``) on a chart whose x is ``f"{x_field}:T"``.

    Exact events are solid rules on their day; inexact ones a shaded span plus a dashed rule at
    the middle, labelled in the tooltip; scheduled ones a dotted rule on the deadline. Only
    events overlapping [start, end] are kept.
    """
    df = _event_frame(events)
    if start is not None:
        df = df[df["span_end"] >= pd.Timestamp(start)]
    if end is not None:
        df = df[df["span_start"] <= pd.Timestamp(end)]
    df = df.assign(**{x_field: df["plot_date"]})
    base = alt.Chart(df)
    spans = (
        base.transform_filter(alt.datum.exact == False)  # noqa: E712
        .mark_rect(opacity=0.12)
        .encode(x="span_start:T", x2="span_end:T", fill=category_color(alt.Fill, legend=False))
    )
    # stroke/fill, not color: the host chart's color scale (symbols) must not absorb categories.
    rules = base.mark_rule(strokeWidth=1.5, opacity=0.8).encode(
        x=f"{x_field}:T",
        stroke=category_color(alt.Stroke, legend=False),
        strokeDash=_stroke_dash(exact_solid=True),
        tooltip=_event_tooltip(),
    )
    return alt.layer(spans, rules)


def price_reaction_chart(
    window: pd.DataFrame, event_date: date, exact: bool = True, height: int = 300
) -> alt.LayerChart:
    """Rebased (=100 the session before) prices around an event; peers dashed."""
    base = alt.Chart(window).encode(x=alt.X("date:T").title(None))
    lines = base.mark_line(point=True).encode(
        y=alt.Y("rebased:Q").scale(zero=False).title("Rebased (100 = session before event)"),
        color=alt.Color("symbol:N").title("Symbol"),
        strokeDash=alt.StrokeDash("role:N").scale(domain=["affected", "peer"]).title("Role"),
        tooltip=[
            alt.Tooltip("symbol:N"),
            alt.Tooltip("date:T", format="%d %b %Y"),
            alt.Tooltip("rel_session:Q", title="Session vs event"),
            alt.Tooltip("rebased:Q", format=".1f"),
        ],
    )
    marker = pd.DataFrame({"date": [pd.Timestamp(event_date)], "label": ["event"]})
    rule = (
        alt.Chart(marker)
        .mark_rule(color="#444", strokeDash=SOLID if exact else DASHED)
        .encode(x="date:T")
    )
    hundred = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule(color="#aaa").encode(y="y:Q")
    return (lines + rule + hundred).properties(height=height)


def car_paths_chart(ar: pd.DataFrame, height: int = 300) -> alt.LayerChart:
    """CAR path of every (event, symbol) pair that has enough data."""
    df = ar.loc[ar["status"] == "ok", ["event_id", "symbol", "tau", "car", "date"]]
    base = alt.Chart(df).encode(x=_tau_axis(df))
    lines = base.mark_line(opacity=0.6).encode(
        y=alt.Y("car:Q").axis(format="+%").title("CAR"),
        color=alt.Color("symbol:N").title("Symbol"),
        detail="event_id:N",
        tooltip=[
            alt.Tooltip("event_id:N", title="Event"),
            alt.Tooltip("symbol:N"),
            alt.Tooltip("tau:Q", title="Session"),
            alt.Tooltip("date:T", format="%d %b %Y"),
            alt.Tooltip("car:Q", format="+.2%", title="CAR"),
        ],
    )
    return (lines + _zero_rules()).properties(height=height)


def average_car_chart(avg: pd.DataFrame, group: str | None = None, height: int = 300):
    """Mean CAR across events with its 95% band (per group if ``group`` is a column)."""
    base = alt.Chart(avg).encode(x=_tau_axis(avg))
    color = alt.Color(f"{group}:N").title(group.title()) if group else alt.value("#1f77b4")
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("lower:Q").axis(format="+%").title("Average CAR (95% band)"),
        y2="upper:Q",
        color=color,
    )
    line = base.mark_line(point=True).encode(
        y="mean_car:Q",
        color=color,
        tooltip=[
            alt.Tooltip("tau:Q", title="Session"),
            alt.Tooltip("mean_car:Q", format="+.2%", title="Average CAR"),
            alt.Tooltip("lower:Q", format="+.2%", title="95% low"),
            alt.Tooltip("upper:Q", format="+.2%", title="95% high"),
            alt.Tooltip("n:Q", title="Pairs"),
        ],
    )
    return (band + line + _zero_rules()).properties(height=height)


def _tau_axis(df: pd.DataFrame) -> alt.X:
    domain = [int(df["tau"].min()), int(df["tau"].max())] if len(df) else [-5, 10]
    return alt.X("tau:Q").scale(domain=domain, nice=False).title("Sessions relative to event")


def _zero_rules() -> alt.LayerChart:
    zero_y = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#aaa").encode(y="y:Q")
    zero_x = (
        alt.Chart(pd.DataFrame({"x": [0]}))
        .mark_rule(color="#444", strokeDash=DASHED)
        .encode(x="x:Q")
    )
    return zero_y + zero_x
