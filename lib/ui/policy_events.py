"""Policy events other pages show: the overlay rules on a price chart (Prices, Home) and
Home's list of the latest events. A widget module, so those views share it without
importing the Policy timeline's view."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from lib.events import charts as event_charts
from lib.events import events as ev
from lib.ui import data, private_events
from lib.ui.frame import page_link
from lib.ui.widgets import escape_markdown


def event_overlay_layers(
    start: date | None,
    end: date | None,
    categories: tuple[str, ...],
    places: tuple[str, ...],
    mine: tuple[str | None, str] = (None, "none"),
) -> list[alt.Chart]:
    """Policy-event rules for a price chart, filtered and limited to the visible range.

    ``mine`` (owner, stamp) adds the signed-in user's own events ("My events"), whatever the
    category and jurisdiction filters, which describe curated events."""
    events = ev.filter_events(
        data.policy_events(), jurisdictions=places, categories=categories, start=start, end=end
    )
    own = ev.filter_events(private_events.rows(*mine), start=start, end=end)
    if not own.empty:
        events = pd.concat([events, own], ignore_index=True)
    if events.empty:
        return []
    return [event_charts.event_rule_layer(events, start=start, end=end)]


@st.cache_data(show_spinner=False, max_entries=4)
def _latest_events_markdown(limit: int) -> list[str]:
    """One escaped markdown line per event, built once (Home shows them on every rerun)."""
    events = data.policy_events()
    # What happened, newest first: scheduled deadlines are the Catalysts page's to list.
    events = events[~events["scheduled"]].sort_values("date", ascending=False).head(limit)
    lines = []
    for e in events.itertuples():
        flag = "" if e.status_label == "exact" else f" · :orange[{e.status_label}]"
        lines.append(
            f"**{escape_markdown(e.date_label)}** · {escape_markdown(e.jurisdiction)} · "
            f"{escape_markdown(e.category)}{flag}  \n{escape_markdown(e.title)}"
        )
    return lines


def latest_events_list(limit: int = 6) -> None:
    """The most recent policy events, newest first; inexact or unverified ones say so."""
    st.subheader("Latest policy events")
    for line in _latest_events_markdown(limit):
        st.markdown(line)
    page_link("pages/2_Policy_timeline.py", label="All events", icon=":material/timeline:")
