"""Scheduled events: dated deadlines (a suspension ending, a negotiating deadline) whose outcome
our sources may not report. A pure accessor for pages that list what is coming or pending.

A scheduled row's ``outcome`` names the occurred row that records what happened; until one
exists, the event says :data:`lib.events.events.OUTCOME_UNKNOWN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from lib.events.events import OUTCOME_UNKNOWN


@dataclass(frozen=True)
class ScheduledEvent:
    """One dated deadline and whether our sources report how it turned out."""

    id: str
    date: date
    title: str
    jurisdiction: str
    symbols: tuple[str, ...]
    source: str  # the first source URL ("" when none)
    outcome_known: bool
    outcome_id: str  # the occurred event that records the outcome ("" when unknown)

    @property
    def outcome_text(self) -> str:
        return f"outcome recorded as {self.outcome_id}" if self.outcome_known else OUTCOME_UNKNOWN


def scheduled_events(
    events: pd.DataFrame, *, start: date | None = None, end: date | None = None
) -> list[ScheduledEvent]:
    """The scheduled rows of a prepared event frame (``load_events``), by date, within
    ``start``..``end`` when given (both ends included)."""
    if events.empty or "scheduled" not in events:
        return []
    rows = events[events["scheduled"]]
    if start is not None:
        rows = rows[rows["date"] >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows["date"] <= pd.Timestamp(end)]
    return [
        ScheduledEvent(
            id=str(r.id),
            date=pd.Timestamp(r.date).date(),
            title=str(r.title),
            jurisdiction=str(r.jurisdiction),
            symbols=tuple(r.symbol_list),
            source=str(r.source),
            outcome_known=bool(r.outcome),
            outcome_id=str(r.outcome),
        )
        for r in rows.sort_values(["date", "id"]).itertuples()
    ]
