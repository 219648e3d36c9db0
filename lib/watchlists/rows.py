"""Row-level steps the store composes inside one write transaction: lock, check, insert, bump.

Each function takes the open connection; none opens or commits a transaction, so a store
method's checks and writes are atomic together. Every statement filters on the owner or on a
list id the owner's lock has just vouched for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lib.universe import InvalidSymbolError, normalise_symbol
from lib.watchlists.db import items_t, watchlists_t
from lib.watchlists.types import AddResult, PriceLookup
from lib.watchlists.validate import (
    MAX_LISTS_PER_OWNER,
    MAX_SYMBOLS_PER_LIST,
    STALE_MESSAGE,
    DuplicateNameError,
    NewItem,
    StaleWatchlistError,
    WatchlistError,
    WatchlistNotFoundError,
    clean_note,
    name_key,
)

DUPLICATE_MESSAGE = "You already have a watchlist with that name (names ignore case and width)."
NOT_FOUND_MESSAGE = "That watchlist does not exist (it may have been deleted)."


def lock_list(
    conn: Connection, owner: str, list_id: int, expected_revision: int | None = None
) -> sa.Row[Any]:
    """The owner's list row, row-locked on PostgreSQL so writers to one list queue up (SQLite:
    the writer's BEGIN IMMEDIATE already holds the write lock); refused if it is not at
    ``expected_revision``."""
    q = sa.select(watchlists_t).where(
        watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise WatchlistNotFoundError(NOT_FOUND_MESSAGE)
    if expected_revision is not None and int(row.revision) != int(expected_revision):
        raise StaleWatchlistError(STALE_MESSAGE)
    return row


def bump(conn: Connection, list_id: int, now: datetime) -> int:
    """The list changed: a new revision (returned), so writes based on the old one are refused."""
    res = conn.execute(
        watchlists_t.update()
        .where(watchlists_t.c.id == int(list_id))
        .values(revision=watchlists_t.c.revision + 1, updated_at=now)
        .returning(watchlists_t.c.revision)
    )
    return int(res.scalar_one())


def lock_owner(conn: Connection, owner: str) -> None:
    """Queue one owner's list-set writers (create, rename, duplicate) on PostgreSQL.

    Count-then-insert and check-name-then-write are races under READ COMMITTED; a
    transaction-scoped advisory lock per owner serialises them (SQLite serialises writers
    itself: a stale reader cannot upgrade to a writer).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"rer-watchlists:{owner}"},
        )


def names(conn: Connection, owner: str) -> dict[int, str]:
    q = sa.select(watchlists_t.c.id, watchlists_t.c.name).where(watchlists_t.c.owner == owner)
    return {int(r.id): r.name for r in conn.execute(q)}


def taken(conn: Connection, owner: str, but: int | None = None) -> set[str]:
    """The owner's name keys, recomputed from the names: rows written before name_key folded
    width keep their old stored key, so the column alone would miss "Ｍｐ" against "Mp"."""
    return {name_key(n) for i, n in names(conn, owner).items() if i != but}


def insert_list(conn: Connection, owner: str, name: str, now: datetime) -> int:
    lock_owner(conn, owner)
    count = conn.execute(sa.select(sa.func.count()).where(watchlists_t.c.owner == owner))
    if int(count.scalar() or 0) >= MAX_LISTS_PER_OWNER:
        raise WatchlistError(f"You can keep at most {MAX_LISTS_PER_OWNER} watchlists.")
    if name_key(name) in taken(conn, owner):
        raise DuplicateNameError(DUPLICATE_MESSAGE)
    # A savepoint keeps a PostgreSQL transaction usable after a unique violation.
    try:
        with conn.begin_nested():
            res = conn.execute(
                watchlists_t.insert().values(
                    owner=owner,
                    name=name,
                    name_key=name_key(name),
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        raise DuplicateNameError(DUPLICATE_MESSAGE) from None
    return int(res.inserted_primary_key[0])


def symbols(conn: Connection, list_id: int) -> list[str]:
    return list(
        conn.execute(
            sa.select(items_t.c.symbol)
            .where(items_t.c.watchlist_id == int(list_id))
            .order_by(items_t.c.position, items_t.c.symbol)
        ).scalars()
    )


def add_items(
    conn: Connection,
    list_id: int,
    items: Sequence[NewItem],
    prices: Mapping[str, tuple[date, float] | None],
    now: datetime,
) -> AddResult:
    """Append the new symbols after the last one; bumps the revision if any was added."""
    existing = set(symbols(conn, list_id))
    result = AddResult()
    new = []
    for it in items:
        if it.symbol in existing:
            result.already_there.append(it.symbol)
            continue
        existing.add(it.symbol)
        new.append(it)
    if len(existing) > MAX_SYMBOLS_PER_LIST:
        raise WatchlistError(f"A watchlist holds at most {MAX_SYMBOLS_PER_LIST} symbols.")
    top = conn.execute(
        sa.select(sa.func.max(items_t.c.position)).where(items_t.c.watchlist_id == list_id)
    ).scalar()
    pos = -1 if top is None else int(top)
    for it in new:
        pos += 1
        px = prices.get(it.symbol)
        conn.execute(
            items_t.insert().values(
                watchlist_id=list_id,
                symbol=it.symbol,
                position=pos,
                note=it.note,
                added_at=now,
                added_price=float(px[1]) if px else None,
                added_price_date=px[0] if px else None,
            )
        )
        result.added.append(it.symbol)
    if new:
        bump(conn, list_id, now)
    return result


def reorder(conn: Connection, list_id: int, order: Sequence[str], now: datetime) -> list[str]:
    """Put ``order`` first; symbols it does not mention (added meanwhile) keep their order."""
    current = symbols(conn, list_id)
    wanted = [s for s in dict.fromkeys(order) if s in current]
    final = wanted + [s for s in current if s not in wanted]
    for pos, sym in enumerate(final):
        conn.execute(
            items_t.update()
            .where(items_t.c.watchlist_id == list_id, items_t.c.symbol == sym)
            .values(position=pos)
        )
    bump(conn, list_id, now)
    return final


def validate_items(items: Iterable[NewItem | str]) -> list[NewItem]:
    out = []
    for it in items:
        raw = NewItem(it) if isinstance(it, str) else it
        try:
            sym = normalise_symbol(raw.symbol)
        except InvalidSymbolError as exc:
            raise WatchlistError(str(exc)) from None
        out.append(NewItem(sym, clean_note(raw.note)))
    return out


def lookup_prices(
    items: Sequence[NewItem], price_lookup: PriceLookup | None
) -> dict[str, tuple[date, float] | None]:
    """Call outside the transaction: a slow price read must not hold the list lock."""
    if price_lookup is None:
        return {}
    out: dict[str, tuple[date, float] | None] = {}
    for it in items:
        try:
            out[it.symbol] = price_lookup(it.symbol)
        except Exception:  # a missing price never blocks saving the symbol
            out[it.symbol] = None
    return out
