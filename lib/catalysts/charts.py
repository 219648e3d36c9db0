"""The catalyst timeline: one lane per kind, a span for a period, a point for a known day."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from lib.catalysts.model import KINDS

COLOURS = {
    "policy deadline": "#b2182b",
    "project milestone": "#2166ac",
    "earnings": "#5a5a5a",
    "my event": "#7b3294",
}


def timeline_chart(table: pd.DataFrame, today: date, lo: date, hi: date) -> alt.LayerChart:
    """Spans for month/quarter/half/year catalysts (no invented day), points for known days,
    and a rule at today. ``table`` holds the model's columns plus ``countdown``."""
    df = table.assign(
        end_plus=table["end"] + pd.Timedelta(days=1),
        symbols_text=table["symbols"].map(lambda s: ", ".join(s)),
        span=table["precision"] != "day",
    )[["kind", "start", "end_plus", "when", "title", "countdown", "symbols_text", "span"]]
    kinds = [k for k in KINDS if k in set(df["kind"])] or list(KINDS)
    x = alt.X("start:T").title(None).scale(domain=[lo.isoformat(), hi.isoformat()])
    base = alt.Chart(df).encode(
        y=alt.Y("kind:N").sort(kinds).title(None),
        color=alt.Color("kind:N")
        .scale(domain=list(COLOURS), range=list(COLOURS.values()))
        .legend(None),
        tooltip=[
            alt.Tooltip("when:N", title="When"),
            alt.Tooltip("title:N", title="What"),
            alt.Tooltip("countdown:N", title="Countdown"),
            alt.Tooltip("symbols_text:N", title="Symbols"),
        ],
    )
    spans = (
        base.transform_filter("datum.span")
        # clip: a year-long span that began before the horizon stops at the chart's edge
        # instead of running over the lane labels.
        .mark_bar(height=14, opacity=0.35, cornerRadius=3, clip=True)
        .encode(x=x, x2="end_plus:T")
    )
    days = (
        base.transform_filter("!datum.span")
        .mark_point(filled=True, size=110, shape="diamond", clip=True)
        .encode(x=x)
    )
    rule = (
        alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]}))
        .mark_rule(strokeDash=[4, 3], color="#333")
        .encode(x="today:T")
    )
    return (spans + days + rule).properties(height=60 + 45 * len(kinds))
