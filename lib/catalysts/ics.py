"""Catalysts as an iCalendar file (RFC 5545, via the ``icalendar`` package), and back.

Every entry is all-day: a day-precision catalyst on its day; a month, quarter, half or year
one on the first day of its period, with the precision written in the title ("[Q3 2026] …")
so no calendar shows an invented day as if it were known. UIDs are stable (the catalyst's
id), so re-importing a newer file updates entries rather than duplicating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar
import pandas as pd

PRODID = "-//Rare Earths Revival//Catalysts//EN"
UID_DOMAIN = "rare-earths-revival"


@dataclass(frozen=True)
class Entry:
    """What a calendar keeps of one catalyst (for the round-trip test and the CLI)."""

    uid: str
    start: date
    end: date  # exclusive, as DTEND of an all-day event
    title: str
    description: str


def title_for(row: pd.Series) -> str:
    """The calendar title: the precision in brackets unless the day is known."""
    title = " ".join(str(row["title"]).split())
    if row["precision"] != "day":
        return f"[{row['when']}] {title}"
    return title


def description_for(row: pd.Series) -> str:
    """Plain text: kind, status, symbols, detail and the source URL on its own line."""
    lines = [f"{row['kind'].capitalize()} ({row['when']})"]
    if row.get("status"):
        lines.append(f"Status: {row['status']}")
    if len(row["symbols"]):
        lines.append("Symbols: " + ", ".join(row["symbols"]))
    if row.get("detail"):
        lines.append(str(row["detail"]))
    if row.get("source_url"):
        lines.append(f"Source: {row['source_url']}")
    return "\n".join(lines)


def to_ics(table: pd.DataFrame, *, stamp: datetime | None = None, name: str = "Catalysts") -> bytes:
    """The calendar bytes for ``table`` (the catalyst model's columns)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = stamp or datetime.now(UTC)
    for _, row in table.iterrows():
        start = pd.Timestamp(row["start"]).date()
        ev = icalendar.Event()
        ev.add("uid", f"{row['uid']}@{UID_DOMAIN}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", start)
        ev.add("dtend", start + timedelta(days=1))
        ev.add("summary", title_for(row))
        ev.add("description", description_for(row))
        ev.add("categories", [str(row["kind"])])
        ev.add("transp", "TRANSPARENT")
        if row.get("source_url"):
            ev.add("url", str(row["source_url"]))
        cal.add_component(ev)
    return cal.to_ical()


def read_ics(data: bytes) -> list[Entry]:
    """The entries of a calendar file (ours or another's), in file order."""
    cal = icalendar.Calendar.from_ical(data)
    out = []
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("dtstart")
        end = ev.decoded("dtend") if "dtend" in ev else start + timedelta(days=1)
        out.append(
            Entry(
                uid=str(ev.get("uid")),
                start=start if not isinstance(start, datetime) else start.date(),
                end=end if not isinstance(end, datetime) else end.date(),
                title=str(ev.get("summary")),
                description=str(ev.get("description", "")),
            )
        )
    return out
