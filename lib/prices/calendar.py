"""Which session's close should exist by now, so staleness is judged on trading days."""

from __future__ import annotations

from datetime import date, timedelta


def last_expected_session(today: date) -> date:
    """The latest weekday whose close should be published by now (today's may not be)."""
    d = today - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d
