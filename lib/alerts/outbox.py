"""Record firings and the messages they cause in one transaction per owner (the outbox).

A run inserts each firing under its key; keys that already exist are skipped, so a re-run
fires nothing. The new firings of one owner become one digest message (however many symbols
fired) and one pending delivery per configured channel, all in the same transaction: a crash
before the commit leaves nothing half-done, and a crash after it leaves pending deliveries
that the next run sends. Each message gets its id once, here; every resend reuses it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from lib.alerts.evaluate import Firing
from lib.alerts.schema import deliveries_t, firings_t, messages_t
from lib.watchlists.db import insert_ignore

#: A digest lists at most this many items; the rest are counted ("and 150 more").
MAX_ITEMS = 50


@dataclass(frozen=True)
class Targets:
    """Where an owner's messages go besides the inbox (None: channel not available)."""

    email: str | None = None
    webhook: str | None = None


@dataclass
class RecordReport:
    new_firings: int = 0
    messages: list[str] = field(default_factory=list)
    skipped_channels: list[str] = field(default_factory=list)  # asked for, not configured


def subject_for(items: Sequence[Firing]) -> str:
    lists = sorted({f.watchlist for f in items})
    shown = ", ".join(lists[:3]) + (f" and {len(lists) - 3} more" if len(lists) > 3 else "")
    n = len(items)
    return f"Rare Earths Revival: {n} alert{'s' * (n != 1)} on {shown}"[:300]


def record(
    engine: Engine,
    firings: Iterable[Firing],
    channels_of: Mapping[int, Sequence[str]],
    targets_of: Callable[[str], Targets],
    now: datetime,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> RecordReport:
    """Insert new firings and, per owner with any, one digest message and its deliveries."""
    report = RecordReport()
    by_owner: dict[str, list[Firing]] = {}
    for f in firings:
        by_owner.setdefault(f.owner, []).append(f)
    writer = engine.execution_options(rer_write=True)
    for owner, items in sorted(by_owner.items()):
        with writer.begin() as conn:
            message_id = new_id()
            fresh = [
                f
                for f in dict((f.key, f) for f in items).values()
                if insert_ignore(
                    conn,
                    firings_t,
                    {
                        "key": f.key[:200],
                        "rule_id": f.rule_id,
                        "owner": owner,
                        "message_id": message_id,
                        "fired_at": now,
                    },
                )
            ]
            if not fresh:
                continue
            body = {
                "items": [asdict(f) for f in fresh[:MAX_ITEMS]],
                "more": max(0, len(fresh) - MAX_ITEMS),
            }
            conn.execute(
                messages_t.insert().values(
                    message_id=message_id,
                    owner=owner,
                    created_at=now,
                    subject=subject_for(fresh),
                    body=json.dumps(body),
                )
            )
            wanted = {c for f in fresh for c in channels_of.get(f.rule_id, ("inbox",))}
            targets = targets_of(owner)
            for channel in ("email", "webhook"):
                if channel not in wanted:
                    continue
                target = getattr(targets, channel)
                if not target:
                    report.skipped_channels.append(f"{owner}: {channel}")
                    continue
                conn.execute(
                    deliveries_t.insert().values(
                        message_id=message_id,
                        channel=channel,
                        target=target[:400],
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            report.new_firings += len(fresh)
            report.messages.append(message_id)
    return report
