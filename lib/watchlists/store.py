"""Saved watchlists on SQLite or PostgreSQL, scoped by owner, safe under concurrent writers.

Everything here is plain SQLAlchemy 2.x Core so the same code runs on the zero-set-up SQLite
file and on a shared PostgreSQL database behind several app servers. Every public method
takes the owner explicitly and every statement filters on it: there is no query that can
reach another owner's rows by id alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lib.watchlists import rows
from lib.watchlists.db import (
    current_version,
    insert_ignore,
    items_t,
    make_engine,
    migrate,
    owners_t,
    watchlists_t,
)
from lib.watchlists.starters import STARTER_LISTS, starter_lists
from lib.watchlists.types import AddResult, PriceLookup, Watchlist, WatchlistItem, WatchlistSummary
from lib.watchlists.validate import (
    MAX_LISTS_PER_OWNER,
    MAX_NAME_LEN,
    DuplicateNameError,
    NewItem,
    WatchlistError,
    WatchlistNotFoundError,
    clean_name,
    clean_note,
    clean_owner,
    name_key,
)

# Re-exported: these names used to live here.
__all__ = [
    "STARTER_LISTS",
    "AddResult",
    "PriceLookup",
    "Watchlist",
    "WatchlistItem",
    "WatchlistStore",
    "WatchlistSummary",
    "starter_lists",
]


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class WatchlistStore:
    """All watchlist reads and writes. Thread-safe: share one per process (engine pool).

    Every write to a list takes an optional ``expected_revision``: the ``revision`` of the
    :class:`Watchlist` the caller showed. It is compared in the write's own transaction, under
    the list's lock, so an action from a stale tab is refused (:class:`StaleWatchlistError`)
    and never lands anywhere else; each write that changes the list bumps the revision.
    """

    def __init__(self, engine: Engine, now: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self._writer = engine.execution_options(rer_write=True)
        self.now = now

    @classmethod
    def open(cls, url: str, now: Callable[[], datetime] = _now) -> WatchlistStore:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine, now=now)

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return current_version(conn)

    # ---- reading
    def lists(self, owner: str) -> list[WatchlistSummary]:
        owner = clean_owner(owner)
        size = (
            sa.select(sa.func.count())
            .where(items_t.c.watchlist_id == watchlists_t.c.id)
            .scalar_subquery()
        )
        q = (
            sa.select(
                watchlists_t.c.id, watchlists_t.c.name, size.label("size"), watchlists_t.c.revision
            )
            .where(watchlists_t.c.owner == owner)
            .order_by(watchlists_t.c.created_at, watchlists_t.c.id)
        )
        with self.engine.connect() as conn:
            return [
                WatchlistSummary(int(r.id), r.name, int(r.size), int(r.revision))
                for r in conn.execute(q)
            ]

    def get(self, owner: str, list_id: int) -> Watchlist:
        owner = clean_owner(owner)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(watchlists_t).where(
                    watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
                )
            ).first()
            if row is None:
                raise WatchlistNotFoundError(rows.NOT_FOUND_MESSAGE)
            items = conn.execute(
                sa.select(items_t)
                .where(items_t.c.watchlist_id == row.id)
                .order_by(items_t.c.position, items_t.c.symbol)
            ).all()
        return Watchlist(
            id=int(row.id),
            owner=row.owner,
            name=row.name,
            created_at=_as_utc(row.created_at) or self.now(),
            updated_at=_as_utc(row.updated_at) or self.now(),
            items=tuple(
                WatchlistItem(
                    symbol=i.symbol,
                    position=int(i.position),
                    note=i.note or "",
                    added_at=_as_utc(i.added_at),
                    added_price=None if i.added_price is None else float(i.added_price),
                    added_price_date=i.added_price_date,
                )
                for i in items
            ),
            revision=int(row.revision),
        )

    def find(self, owner: str, name: str) -> Watchlist | None:
        """The owner's list called ``name`` (ignoring case and width), or None."""
        owner = clean_owner(owner)
        key = name_key(name)
        with self.engine.connect() as conn:
            names = rows.names(conn, owner)
        list_id = next((i for i, n in sorted(names.items()) if name_key(n) == key), None)
        return None if list_id is None else self.get(owner, list_id)

    # ---- list writes
    def create(
        self,
        owner: str,
        name: str,
        items: Iterable[NewItem | str] = (),
        price_lookup: PriceLookup | None = None,
    ) -> int:
        """A new list, optionally filled, in one transaction (an import into a new list)."""
        owner, name = clean_owner(owner), clean_name(name)
        new = rows.validate_items(items)
        prices = rows.lookup_prices(new, price_lookup)
        with self._writer.begin() as conn:
            list_id = rows.insert_list(conn, owner, name, self.now())
            rows.add_items(conn, list_id, new, prices, self.now())
        return list_id

    def rename(
        self, owner: str, list_id: int, new_name: str, expected_revision: int | None = None
    ) -> int:
        """Rename the list; returns its new revision."""
        owner, new_name = clean_owner(owner), clean_name(new_name)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            rows.lock_owner(conn, owner)
            if name_key(new_name) in rows.taken(conn, owner, but=int(list_id)):
                raise DuplicateNameError(rows.DUPLICATE_MESSAGE)
            try:
                with conn.begin_nested():
                    conn.execute(
                        watchlists_t.update()
                        .where(watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner)
                        .values(name=new_name, name_key=name_key(new_name))
                    )
            except IntegrityError:
                raise DuplicateNameError(rows.DUPLICATE_MESSAGE) from None
            return rows.bump(conn, int(list_id), self.now())

    def delete(self, owner: str, list_id: int, expected_revision: int | None = None) -> str:
        """Delete the list and its items; returns the name it had."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            row = rows.lock_list(conn, owner, list_id, expected_revision)
            conn.execute(items_t.delete().where(items_t.c.watchlist_id == int(list_id)))
            conn.execute(
                watchlists_t.delete().where(
                    watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
                )
            )
        return str(row.name)

    def duplicate(
        self,
        owner: str,
        list_id: int,
        new_name: str | None = None,
        expected_revision: int | None = None,
    ) -> int:
        """A copy with the same symbols, notes and added date/price.

        The source is checked against ``expected_revision`` (the copy is of the list the user
        saw) but not bumped: nothing in it changed.
        """
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            src = rows.lock_list(conn, owner, list_id, expected_revision)
            name = clean_name(new_name) if new_name else self._copy_name(conn, owner, src.name)
            new_id = rows.insert_list(conn, owner, name, self.now())
            copied = conn.execute(
                sa.select(items_t).where(items_t.c.watchlist_id == int(list_id))
            ).mappings()
            for r in copied:
                conn.execute(items_t.insert().values({**dict(r), "watchlist_id": new_id}))
        return new_id

    def _copy_name(self, conn: Connection, owner: str, base: str) -> str:
        taken = rows.taken(conn, owner)
        for n in range(1, MAX_LISTS_PER_OWNER + 2):
            suffix = " (copy)" if n == 1 else f" (copy {n})"
            cand = base[: MAX_NAME_LEN - len(suffix)].rstrip() + suffix
            if name_key(cand) not in taken:
                return cand
        raise WatchlistError("Could not find a free name for the copy; please choose one.")

    # ---- item writes
    def add_symbols(
        self,
        owner: str,
        list_id: int,
        items: Iterable[NewItem | str],
        price_lookup: PriceLookup | None = None,
        expected_revision: int | None = None,
    ) -> AddResult:
        """Append symbols (all or none); ones already in the list are left as they were.

        Also the import into an existing list."""
        owner = clean_owner(owner)
        new = rows.validate_items(items)
        prices = rows.lookup_prices(new, price_lookup)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            return rows.add_items(conn, int(list_id), new, prices, self.now())

    def remove_symbol(
        self, owner: str, list_id: int, symbol: str, expected_revision: int | None = None
    ) -> bool:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            res = conn.execute(
                items_t.delete().where(
                    items_t.c.watchlist_id == int(list_id), items_t.c.symbol == symbol
                )
            )
            if res.rowcount:
                rows.bump(conn, int(list_id), self.now())
            return bool(res.rowcount)

    def set_note(
        self,
        owner: str,
        list_id: int,
        symbol: str,
        note: str,
        expected_revision: int | None = None,
    ) -> int:
        """Set one symbol's note; returns the list's new revision."""
        owner, note = clean_owner(owner), clean_note(note)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            res = conn.execute(
                items_t.update()
                .where(items_t.c.watchlist_id == int(list_id), items_t.c.symbol == symbol)
                .values(note=note)
            )
            if not res.rowcount:
                raise WatchlistError("That symbol is not in this watchlist.")
            return rows.bump(conn, int(list_id), self.now())

    def reorder(
        self,
        owner: str,
        list_id: int,
        order: Sequence[str],
        expected_revision: int | None = None,
    ) -> list[str]:
        """Put ``order`` first; symbols it does not mention (added meanwhile) keep their order."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            return rows.reorder(conn, int(list_id), order, self.now())

    def move_symbol(
        self,
        owner: str,
        list_id: int,
        symbol: str,
        offset: int,
        expected_revision: int | None = None,
    ) -> list[str]:
        """Move one symbol up (negative) or down (positive), clamped to the ends; one
        transaction, so the order it starts from is the order it writes back."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            rows.lock_list(conn, owner, list_id, expected_revision)
            syms = rows.symbols(conn, int(list_id))
            if symbol not in syms:
                raise WatchlistError("That symbol is not in this watchlist.")
            i = syms.index(symbol)
            j = max(0, min(len(syms) - 1, i + offset))
            syms.insert(j, syms.pop(i))
            return rows.reorder(conn, int(list_id), syms, self.now())

    # ---- first run
    def ensure_starter_lists(
        self, owner: str, universe: pd.DataFrame, price_lookup: PriceLookup | None = None
    ) -> bool:
        """Create the starter lists once per owner; True if this call created them.

        The owner marker and the lists are written in one transaction, and the marker's primary
        key makes a second, concurrent first run a no-op on both backends.
        """
        owner = clean_owner(owner)
        with self.engine.connect() as conn:
            seeded = conn.execute(
                sa.select(owners_t.c.owner).where(owners_t.c.owner == owner)
            ).first()
        if seeded is not None:
            return False
        starters = starter_lists(universe)
        all_items = {s: NewItem(s) for _, syms in starters for s in syms}
        prices = rows.lookup_prices(list(all_items.values()), price_lookup)
        with self._writer.begin() as conn:
            ins = insert_ignore(conn, owners_t, {"owner": owner, "starters_seeded_at": self.now()})
            if not ins:
                return False
            taken = rows.taken(conn, owner)
            for name, syms in starters:
                if name_key(name) in taken:
                    continue
                list_id = rows.insert_list(conn, owner, name, self.now())
                rows.add_items(conn, list_id, [all_items[s] for s in syms], prices, self.now())
        return True
