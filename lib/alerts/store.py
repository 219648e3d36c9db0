"""Alert rules and the inbox, owner-scoped exactly like lists.

Every query filters by owner, so another owner's rule, list or message id is
indistinguishable from a missing one; edits and deletes carry the revision the caller showed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lib.alerts import rules as R
from lib.alerts.schema import deliveries_t, messages_t, rules_t
from lib.watchlists.db import items_t, watchlists_t
from lib.watchlists.validate import WatchlistNotFoundError, clean_owner


class AlertNotFoundError(R.AlertRuleError, LookupError):
    """No such rule or message *for this owner*."""


class StaleAlertError(R.AlertRuleError):
    """The rule changed in another tab; nothing was written."""


STALE_MESSAGE = "This alert changed in another tab or window, so nothing was changed; reloaded."


@dataclass(frozen=True)
class StoredRule:
    id: int
    watchlist_id: int
    kind: str
    params: dict[str, Any]
    channels: tuple[str, ...]
    revision: int

    @property
    def description(self) -> str:
        return R.describe(self.kind, self.params)


@dataclass(frozen=True)
class InboxMessage:
    message_id: str
    created_at: datetime
    subject: str
    items: list[dict[str, str]]
    read: bool
    problems: list[str]  # deliveries parked with their error, or still retrying


class AlertStore:
    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._writer = engine.execution_options(rer_write=True)
        self.now = now or (lambda: datetime.now(UTC))

    # ---- rules
    def rules(self, owner: str, watchlist_id: int | None = None) -> list[StoredRule]:
        owner = clean_owner(owner)
        q = sa.select(rules_t).where(rules_t.c.owner == owner)
        if watchlist_id is not None:
            q = q.where(rules_t.c.watchlist_id == int(watchlist_id))
        with self.engine.connect() as conn:
            return [self._rule(r) for r in conn.execute(q.order_by(rules_t.c.id)).mappings()]

    def add_rule(
        self,
        owner: str,
        watchlist_id: int,
        kind: str,
        params: Mapping[str, Any],
        channels: Sequence[str] = ("inbox",),
    ) -> int:
        owner = clean_owner(owner)
        clean = R.clean_params(kind, params)
        chans = R.clean_channels(channels)
        now = self.now()
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:o))"), {"o": owner})
            self._own_list(conn, owner, watchlist_id)
            n_list, n_owner = conn.execute(
                sa.select(
                    sa.func.count().filter(rules_t.c.watchlist_id == int(watchlist_id)),
                    sa.func.count(),
                ).where(rules_t.c.owner == owner)
            ).one()
            if int(n_list) >= R.MAX_RULES_PER_LIST:
                raise R.AlertRuleError(
                    f"A list can have at most {R.MAX_RULES_PER_LIST} alerts; delete one first."
                )
            if int(n_owner) >= R.MAX_RULES_PER_OWNER:
                raise R.AlertRuleError(
                    f"You can keep at most {R.MAX_RULES_PER_OWNER} alerts; delete one first."
                )
            res = conn.execute(
                rules_t.insert()
                .values(
                    owner=owner,
                    watchlist_id=int(watchlist_id),
                    kind=kind,
                    params=R.encode(clean),
                    channels=",".join(chans),
                    created_at=now,
                    updated_at=now,
                    revision=0,
                )
                .returning(rules_t.c.id)
            )
            return int(res.scalar_one())

    def update_rule(
        self,
        owner: str,
        rule_id: int,
        expected_revision: int,
        params: Mapping[str, Any],
        channels: Sequence[str],
    ) -> None:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            row = self._own_rule(conn, owner, rule_id, expected_revision)
            clean = R.clean_params(str(row["kind"]), params)
            conn.execute(
                sa.update(rules_t)
                .where(rules_t.c.id == int(rule_id), rules_t.c.owner == owner)
                .values(
                    params=R.encode(clean),
                    channels=",".join(R.clean_channels(channels)),
                    updated_at=self.now(),
                    revision=rules_t.c.revision + 1,
                )
            )

    def delete_rule(self, owner: str, rule_id: int, expected_revision: int) -> None:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            self._own_rule(conn, owner, rule_id, expected_revision)
            conn.execute(
                sa.delete(rules_t).where(rules_t.c.id == int(rule_id), rules_t.c.owner == owner)
            )

    def _own_list(self, conn: sa.Connection, owner: str, watchlist_id: int) -> None:
        found = conn.execute(
            sa.select(watchlists_t.c.id).where(
                watchlists_t.c.id == int(watchlist_id), watchlists_t.c.owner == owner
            )
        ).first()
        if found is None:
            raise WatchlistNotFoundError(
                "That watchlist does not exist (it may have been deleted)."
            )

    def _own_rule(
        self, conn: sa.Connection, owner: str, rule_id: int, expected: int
    ) -> sa.RowMapping:
        row = (
            conn.execute(
                sa.select(rules_t)
                .where(rules_t.c.id == int(rule_id), rules_t.c.owner == owner)
                .with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise AlertNotFoundError("That alert does not exist (it may have been deleted).")
        if int(row["revision"]) != int(expected):
            raise StaleAlertError(STALE_MESSAGE)
        return row

    @staticmethod
    def _rule(r: sa.RowMapping) -> StoredRule:
        return StoredRule(
            id=int(r["id"]),
            watchlist_id=int(r["watchlist_id"]),
            kind=str(r["kind"]),
            params=R.decode(str(r["params"])),
            channels=tuple(str(r["channels"]).split(",")),
            revision=int(r["revision"]),
        )

    # ---- the run's view of every rule (all owners: the evaluator is the server's job)
    def all_rules(self) -> list[R.Rule]:
        """Every rule with its list's name and current symbols, for ``scripts/alerts.py run``."""
        q = (
            sa.select(rules_t, watchlists_t.c.name.label("list_name"))
            .join(watchlists_t, watchlists_t.c.id == rules_t.c.watchlist_id)
            .where(watchlists_t.c.owner == rules_t.c.owner)
            .order_by(rules_t.c.id)
        )
        syms = sa.select(items_t.c.watchlist_id, items_t.c.symbol).order_by(
            items_t.c.watchlist_id, items_t.c.position
        )
        with self.engine.connect() as conn:
            by_list: dict[int, list[str]] = {}
            for lid, sym in conn.execute(syms):
                by_list.setdefault(int(lid), []).append(str(sym))
            return [
                R.Rule(
                    id=int(r["id"]),
                    owner=str(r["owner"]),
                    watchlist_id=int(r["watchlist_id"]),
                    watchlist_name=str(r["list_name"]),
                    kind=str(r["kind"]),
                    params=R.decode(str(r["params"])),
                    channels=tuple(str(r["channels"]).split(",")),
                    symbols=tuple(by_list.get(int(r["watchlist_id"]), [])),
                    created=_as_utc(r["created_at"]).date().isoformat(),
                )
                for r in conn.execute(q).mappings()
            ]

    # ---- inbox
    def unread(self, owner: str) -> int:
        owner = clean_owner(owner)
        q = sa.select(sa.func.count()).where(
            messages_t.c.owner == owner, messages_t.c.read_at.is_(None)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def inbox(self, owner: str, limit: int = 50) -> list[InboxMessage]:
        owner = clean_owner(owner)
        q = (
            sa.select(messages_t)
            .where(messages_t.c.owner == owner)
            .order_by(messages_t.c.created_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(q).mappings())
            ids = [r["message_id"] for r in rows]
            problems: dict[str, list[str]] = {}
            if ids:
                dq = sa.select(deliveries_t).where(
                    deliveries_t.c.message_id.in_(ids), deliveries_t.c.status != "sent"
                )
                for d in conn.execute(dq).mappings():
                    state = "not delivered" if d["status"] == "parked" else "retrying"
                    why = f": {d['last_error']}" if d["last_error"] else ""
                    problems.setdefault(d["message_id"], []).append(
                        f"{d['channel']} {state} after {d['attempts']} attempt(s){why}"
                    )
        return [
            InboxMessage(
                message_id=str(r["message_id"]),
                created_at=_as_utc(r["created_at"]),
                subject=str(r["subject"]),
                items=list(json.loads(r["body"]).get("items", [])),
                read=r["read_at"] is not None,
                problems=problems.get(r["message_id"], []),
            )
            for r in rows
        ]

    def mark_read(self, owner: str, message_id: str, read: bool = True) -> None:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            done = conn.execute(
                sa.update(messages_t)
                .where(messages_t.c.owner == owner, messages_t.c.message_id == str(message_id))
                .values(read_at=self.now() if read else None)
            ).rowcount
        if done != 1:
            raise AlertNotFoundError("That message does not exist.")


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
