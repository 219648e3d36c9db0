"""What an alert rule may ask for: its kinds, their parameters, channels and limits.

Every rule belongs to one watchlist of one owner. Parameters are validated here, so the
database only ever holds rules the evaluator understands; messages are full sentences.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lib.datafiles import CATEGORIES
from lib.watchlists.validate import WatchlistError

MAX_RULES_PER_LIST = 50
MAX_RULES_PER_OWNER = 500
CHANNELS = ("inbox", "email", "webhook")

#: kind -> (label, what it means, in the words the Watchlists page and the README use).
KINDS: dict[str, tuple[str, str]] = {
    "daily_move": ("Daily move", "a close moves at least X % from the previous close"),
    "level_cross": ("Level cross", "a close crosses a level, in the listing's currency"),
    "move_n": ("Move over N sessions", "the close moves at least X % over N sessions"),
    "policy_event": ("New policy event", "a policy event names a symbol of the list"),
    "catalyst_due": ("Catalyst due", "a deadline or milestone naming a symbol is N days away"),
    "stale_price": ("Stale price", "no new close for N sessions while its exchange traded"),
}
DIRECTIONS = ("up", "down", "either")


class AlertRuleError(WatchlistError):
    """A rule the user asked for cannot be kept; the message says why."""


@dataclass(frozen=True)
class Rule:
    """A validated rule, as the evaluator reads it (symbols are the list's at run time)."""

    id: int
    owner: str
    watchlist_id: int
    watchlist_name: str
    kind: str
    params: Mapping[str, Any]
    channels: tuple[str, ...] = ("inbox",)
    symbols: tuple[str, ...] = ()
    created: str = ""  # ISO date the rule was made (policy events dated before do not fire)
    extra: Mapping[str, Any] = field(default_factory=dict)


def _number(params: Mapping[str, Any], key: str, lo: float, hi: float, what: str) -> float:
    try:
        value = float(params[key])
    except (KeyError, TypeError, ValueError):
        raise AlertRuleError(f"Please give the {what}.") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise AlertRuleError(f"The {what} must be between {lo:g} and {hi:g}.")
    return value


def _integer(params: Mapping[str, Any], key: str, lo: int, hi: int, what: str) -> int:
    value = _number(params, key, lo, hi, what)
    if value != int(value):
        raise AlertRuleError(f"The {what} must be a whole number.")
    return int(value)


def _direction(params: Mapping[str, Any], allowed: tuple[str, ...] = DIRECTIONS) -> str:
    d = str(params.get("direction", "either"))
    if d not in allowed:
        raise AlertRuleError(f"The direction must be one of: {', '.join(allowed)}.")
    return d


def clean_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``kind`` as stored (typed, bounded) or AlertRuleError."""
    if kind == "daily_move":
        return {
            "pct": _number(params, "pct", 0.1, 1000, "move in %"),
            "direction": _direction(params),
        }
    if kind == "level_cross":
        return {
            "level": _number(params, "level", 1e-6, 1e9, "price level"),
            "direction": _direction(params),
        }
    if kind == "move_n":
        return {
            "pct": _number(params, "pct", 0.1, 10000, "move in %"),
            "sessions": _integer(params, "sessions", 2, 260, "number of sessions"),
            "direction": _direction(params),
        }
    if kind == "policy_event":
        cats = params.get("categories") or []
        if isinstance(cats, str):
            cats = [cats]
        bad = [c for c in cats if c not in CATEGORIES]
        if bad:
            raise AlertRuleError(f"Unknown event kind: {str(bad[0])[:40]!r}.")
        return {"categories": sorted(set(cats))}
    if kind == "catalyst_due":
        return {"days": _integer(params, "days", 1, 365, "number of days")}
    if kind == "stale_price":
        return {"sessions": _integer(params, "sessions", 1, 60, "number of sessions")}
    raise AlertRuleError("Unknown alert kind.")


def clean_channels(channels: object) -> tuple[str, ...]:
    """The inbox always; email and webhook on request."""
    raw = [channels] if isinstance(channels, str) else list(channels or [])  # type: ignore[call-overload]
    bad = [c for c in raw if c not in CHANNELS]
    if bad:
        raise AlertRuleError("Channels are inbox, email and webhook.")
    return tuple(c for c in CHANNELS if c == "inbox" or c in raw)


def encode(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def decode(text: str) -> dict[str, Any]:
    return dict(json.loads(text))


def describe(kind: str, params: Mapping[str, Any]) -> str:
    """The rule in a short sentence for the page and the messages."""
    d = params.get("direction", "either")
    way = {"up": "up ", "down": "down ", "either": ""}.get(d, "")
    if kind == "daily_move":
        return f"daily close moves {way}at least {params['pct']:g} %"
    if kind == "level_cross":
        side = {"up": "above", "down": "below", "either": "through"}.get(d, "through")
        return f"close crosses {side} {params['level']:g}"
    if kind == "move_n":
        return f"close moves {way}at least {params['pct']:g} % over {params['sessions']} sessions"
    if kind == "policy_event":
        cats = params.get("categories") or []
        return "new policy event" + (f" ({', '.join(cats)})" if cats else "")
    if kind == "catalyst_due":
        return f"catalyst due within {params['days']} days"
    if kind == "stale_price":
        return f"no new close for {params['sessions']} sessions"
    return kind
