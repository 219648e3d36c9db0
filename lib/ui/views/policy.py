"""Policy timeline page (the overlays other pages share are in lib.ui.policy_events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib.events import charts as event_charts
from lib.events import events as ev
from lib.ui import data, private_events, vega
from lib.ui.widgets import escape_markdown

# --------------------------------------------------------------------------- the page


#: The search box's limit (a longer link value is cut, and the page says so).
MAX_SEARCH = 200


def date_span(picked: object, lo: date, hi: date) -> tuple[date, date, str | None]:
    """(start, end, message): a half-set picker falls back to all dates, a reversed one swaps;
    a third date (only a link can give one) is not used."""
    dates = [d for d in (picked if isinstance(picked, (tuple, list)) else (picked,)) if d][:2]
    if len(dates) < 2:
        return lo, hi, "Pick a start and an end date; showing every date."
    start, end = dates[0], dates[1]
    if start > end:
        return end, start, "The date range was reversed; showing it start to end."
    return start, end, None


def event_details(e: ev.PolicyEvent) -> None:
    """One event's title, dating and note; all of it is data text, so all of it is escaped."""
    st.subheader(escape_markdown(e.title))
    st.markdown(
        f"**{escape_markdown(e.date_label)}** · {escape_markdown(e.jurisdiction)} · "
        f"{escape_markdown(e.category)} · confidence: {escape_markdown(e.confidence)}"
    )
    if not e.exact:
        st.warning(
            f"This event's date is {escape_markdown(e.date_label)} and its confidence is "
            f"{escape_markdown(e.confidence)}: the price window below is centred on the "
            "recorded date and is only indicative.",
            icon=":material/help:",
        )
    if e.scheduled:
        st.info(scheduled_text(e), icon=":material/event_upcoming:")
    st.text(e.summary)
    if e.note:
        st.caption(f"Note: {escape_markdown(e.note)}")


def scheduled_text(e: ev.PolicyEvent) -> str:
    """What a scheduled event says: a deadline, and whether our sources report the outcome."""
    if not e.outcome:
        return (
            f"Scheduled for {escape_markdown(e.date_label)}: {ev.OUTCOME_UNKNOWN}. The date is a "
            "deadline, not a reported decision."
        )
    when = escape_markdown(e.date_label)
    return f"Scheduled for {when}; the outcome is recorded as event {escape_markdown(e.outcome)}."


event_symbols = ev.event_symbols
filter_events = ev.filter_events
selected_event_id = ev.selected_event_id
event_option_label = ev.event_option_label
get_event = ev.get_event
is_link = ev.is_link
source_label = ev.source_label
events_table = ev.events_table
timeline_chart = event_charts.timeline_chart
PICK = event_charts.PICK


@dataclass(frozen=True)
class TimelineView:
    """What the Policy page draws for one set of filters, built once per choice."""

    shown: pd.DataFrame
    table: pd.DataFrame  # full resolution, for the downloads
    display: pa.Table  # the on-page table, converted once
    chart: vega.Spec | None  # None when no event matches


@st.cache_data(max_entries=64, show_spinner=False)
def timeline_view(
    jurisdictions: tuple[str, ...],
    categories: tuple[str, ...],
    start: date,
    end: date,
    symbols: tuple[str, ...],
    text: str,
    mine: tuple[str | None, str] = (None, "none"),
) -> TimelineView:
    """Filter, chart spec and table on the filter values only: converting the Altair chart
    and the table again on every rerun was most of a Policy rerun's time.

    ``mine`` is (owner, stamp) of the signed-in user's own events (lib.ui.private_events):
    they join in their own "My events" lane whatever the jurisdiction and category filters
    (those describe curated events); the date, symbol and text filters apply to them too.
    """
    own = private_events.rows(*mine)
    events = data.policy_events()
    if not own.empty:
        events = pd.concat([events, own], ignore_index=True)
    if not own.empty:
        jurisdictions = (*jurisdictions, private_events.MY_EVENTS) if jurisdictions else ()
        categories = (*categories, private_events.MY_EVENTS) if categories else ()
    shown = filter_events(
        events,
        jurisdictions=list(jurisdictions),
        categories=list(categories),
        start=start,
        end=end,
        symbols=list(symbols),
        text=text,
    )
    table = events_table(shown)
    chart = vega.to_spec(timeline_chart(shown)) if not shown.empty else None
    return TimelineView(shown, table, data.arrow_table(events_display(table)), chart)


@data.token_cached(max_entries=64)
def reaction_spec(
    event_date: pd.Timestamp, affected: tuple[str, ...], peers: tuple[str, ...], before: int,
    after: int, exact: bool, *, cache_token: str,
) -> tuple[vega.Spec | None, list[str]]:  # fmt: skip
    """The price-reaction chart as a finished spec (see :func:`reaction_chart`)."""
    chart, missing = reaction_chart(event_date, list(affected), list(peers), before, after, exact)
    return (vega.to_spec(chart) if chart is not None else None), missing


def reaction_chart(
    event_date: pd.Timestamp, affected: list[str], peers: list[str], before: int, after: int,
    exact: bool,
) -> tuple[alt.LayerChart | None, list[str]]:  # fmt: skip
    """Prices around one event (affected symbols and peers), and who had no prices there."""
    symbols = list(dict.fromkeys([*affected, *peers]))
    if not symbols:
        return None, []
    window = ev.reaction_window(data.load_prices(symbols), event_date, before=before, after=after)
    if window is None or window.empty:
        return None, []
    window = ev.assign_roles(window, affected)
    chart = event_charts.price_reaction_chart(window, event_date, exact=exact)
    return chart, sorted(set(symbols) - set(window["symbol"]))


POLICY_SOURCE = "Policy events compiled from official notices and press (data/policy_events.csv)"

#: The events table's headers: what each column means, not its field name.
EVENT_LABELS = {
    "id": "ID",
    "date": "Date",
    "date_precision": "Date known to",
    "status": "Status",
    "outcome": "Outcome",
    "confidence": "Confidence",
    "jurisdiction": "Jurisdiction",
    "body": "Issued by",
    "category": "Category",
    "title": "Title",
    "symbols": "Affected symbols",
    "source": "Source",
    "source_urls": "All sources",
    "summary": "Summary",
    "note": "Note",
}
PRECISION_TEXT = {"day": "exact day", "month": "month only", "approximate": "approximate"}


def events_display(table: pd.DataFrame) -> pd.DataFrame:
    """The events table as shown: readable precision, '–' for blanks (export keeps raw)."""
    out = table.copy()
    out["date_precision"] = out["date_precision"].map(lambda p: PRECISION_TEXT.get(p, p))
    # A scheduled deadline's blank outcome means "not reported", not "nothing to say".
    pending = (out["status"] == ev.SCHEDULED) & (out["outcome"] == "")
    out["outcome"] = out["outcome"].where(~pending, ev.OUTCOME_UNKNOWN)
    for col in ("body", "symbols", "note", "summary", "source_urls", "outcome"):
        out[col] = out[col].map(lambda v: "–" if v is None or v != v or str(v).strip() == "" else v)
    return out


def events_column_config() -> dict[str, object]:
    config: dict[str, object] = {c: label for c, label in EVENT_LABELS.items()}
    config["source"] = st.column_config.LinkColumn("Source", display_text=r"https?://([^/]+)")
    config["date"] = st.column_config.DateColumn("Date", format="YYYY-MM-DD")
    return config
