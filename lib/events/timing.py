"""When could each exchange first react to an event? Day 0 per listing, across time zones.

An event is dated in its own jurisdiction's local time. Without a clock time we assume the
middle of the local working day (12:00), 08:00 for ``before_open`` and 18:00 for
``after_close``. That instant is converted to the exchange's zone: if it falls after the
exchange's close on that local date, the first session that can react is the next one.

Example: the US-Australia framework was signed on 20 Oct 2025 in Washington (12:00 EDT), which
is 03:00 on 21 Oct in Sydney, so ASX day 0 is the 21 Oct session, while NYSE day 0 is 20 Oct.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Local zone of each jurisdiction in data/policy_events.csv; None: no single zone, so the
#: exchange's own calendar date is used (the behaviour before time zones were modelled).
JURISDICTION_TZ: dict[str, str | None] = {
    "US": "America/New_York",
    "China": "Asia/Shanghai",
    "Australia": "Australia/Sydney",
    "Japan": "Asia/Tokyo",
    "EU": "Europe/Brussels",
    "Canada": "America/Toronto",
    "UK": "Europe/London",
    "other": None,
}

#: (zone, regular close) per exchange in data/universe.csv.
EXCHANGE_CLOCK: dict[str, tuple[str, time]] = {
    "NYSE": ("America/New_York", time(16, 0)),
    "NYSE American": ("America/New_York", time(16, 0)),
    "NYSE Arca": ("America/New_York", time(16, 0)),
    "Nasdaq": ("America/New_York", time(16, 0)),
    "OTC": ("America/New_York", time(16, 0)),
    "TSX": ("America/Toronto", time(16, 0)),
    "TSX-V": ("America/Toronto", time(16, 0)),
    "ASX": ("Australia/Sydney", time(16, 0)),
    "SSE": ("Asia/Shanghai", time(15, 0)),
    "SZSE": ("Asia/Shanghai", time(15, 0)),
    "HKEX": ("Asia/Hong_Kong", time(16, 0)),
    "TSE": ("Asia/Tokyo", time(15, 30)),
    "LSE": ("Europe/London", time(16, 30)),
    "AIM": ("Europe/London", time(16, 30)),
    "Tadawul": ("Asia/Riyadh", time(15, 0)),
}

ASSUMED_LOCAL_TIME: dict[str, time] = {
    "before_open": time(8, 0),
    "intraday": time(12, 0),
    "unknown": time(12, 0),
    "after_close": time(18, 0),
}


@dataclass(frozen=True)
class Reaction:
    """Day 0 is the first session on or after ``day``, moved ``extra_sessions`` further.

    ``local_date`` and ``after_close`` say what the exchange saw: the event's date on its own
    clock and whether that day's session had already closed.
    """

    local_date: date
    after_close: bool
    day: date
    extra_sessions: int


def reaction(
    event_date: date, timing: str, jurisdiction: str | None, exchange: str | None
) -> Reaction:
    """When ``exchange`` could first react to an event dated ``event_date`` in ``jurisdiction``.

    With both zones known, an event after the exchange's close reacts on the first session
    strictly after that local date (so a holiday week is skipped correctly). Unknown
    jurisdictions or exchanges keep the event's own date and the older rule: ``after_close``
    moves one session further.
    """
    at = ASSUMED_LOCAL_TIME.get(timing, time(12, 0))
    ev_tz = JURISDICTION_TZ.get(jurisdiction or "other")
    clock = EXCHANGE_CLOCK.get(exchange or "")
    if ev_tz is None or clock is None:
        late = timing == "after_close"
        return Reaction(event_date, late, event_date, int(late))
    zone, close = clock
    local = datetime.combine(event_date, at, ZoneInfo(ev_tz)).astimezone(ZoneInfo(zone))
    late = local.time() >= close
    day = local.date() + timedelta(days=1) if late else local.date()
    return Reaction(local.date(), late, day, 0)
