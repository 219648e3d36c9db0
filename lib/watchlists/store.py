"""Saved watchlists on SQLite or PostgreSQL, scoped by owner, safe under concurrent writers.

Everything here is plain SQLAlchemy 2.x Core so the same code runs on the zero-set-up SQLite
file and on a shared PostgreSQL database behind several app servers. Every public method
takes the owner explicitly and every statement filters on it: there is no query that can
reach another owner's rows by id alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lib.universe import InvalidSymbolError, normalise_symbol
from lib.watchlists.db import (
    current_version,
    insert_ignore,
    items_t,
    make_engine,
    migrate,
    owners_t,
    watchlists_t,
)
from lib.watchlists.validate import (
    MAX_LISTS_PER_OWNER,
    MAX_NAME_LEN,
    MAX_SYMBOLS_PER_LIST,
    DuplicateNameError,
    NewItem,
    WatchlistError,
    WatchlistNotFoundError,
    clean_name,
    clean_note,
    clean_owner,
    name_key,
)


@dataclass(frozen=True)
class WatchlistItem:
    symbol: str
    position: int
    note: str = ""
    added_at: datetime | None = None
    added_price: float | None = None
    added_price_date: date | None = None


@dataclass(frozen=True)
class WatchlistSummary:
    id: int
    name: str
    size: int


@dataclass(frozen=True)
class Watchlist:
    id: int
    owner: str
    name: str
    created_at: datetime
    updated_at: datetime
    items: tuple[WatchlistItem, ...] = ()

    @property
    def symbols(self) -> list[str]:
        return [i.symbol for i in self.items]


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)


PriceLookup = Callable[[str], tuple[date, float] | None]


STARTER_LISTS: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    (
        "US revival",
        lambda u: (
            u["country"].str.startswith("US")
            & (u["bloc"] == "West")
            & (u["currency"] == "USD")
            & ~u["segment"].isin(["etf", "benchmark"])
        ),
    ),
    ("China majors", lambda u: (u["bloc"] == "China") & (u["basket"] == "China")),
    ("Magnet makers", lambda u: u["segment"] == "magnets"),
    ("ETFs and benchmarks", lambda u: u["segment"].isin(["etf", "benchmark"])),
)


def starter_lists(universe: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Named lists derived from the universe columns, in universe order."""
    out = []
    for name, rule in STARTER_LISTS:
        syms = universe.loc[rule(universe), "symbol"].astype(str).tolist()
        if syms:
            out.append((name, syms))
    return out


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class WatchlistStore:
    """All watchlist reads and writes. Thread-safe: share one per process (engine pool)."""

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

    # ---- helpers
    def _lock_list(self, conn: Connection, owner: str, list_id: int) -> sa.Row[Any]:
        """The owner's list row, row-locked on PostgreSQL so writers to one list queue up."""
        q = sa.select(watchlists_t).where(
            watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
        )
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            raise WatchlistNotFoundError(
                "That watchlist does not exist (it may have been deleted)."
            )
        return row

    def _touch(self, conn: Connection, list_id: int) -> None:
        conn.execute(
            watchlists_t.update().where(watchlists_t.c.id == list_id).values(updated_at=self.now())
        )

    def _count_lists(self, conn: Connection, owner: str) -> int:
        q = sa.select(sa.func.count()).where(watchlists_t.c.owner == owner)
        return int(conn.execute(q).scalar() or 0)

    def _insert_list(self, conn: Connection, owner: str, name: str) -> int:
        if conn.dialect.name == "postgresql":
            # Count-then-insert is a race under READ COMMITTED: two creators both see 99 and
            # both insert. One transaction-scoped advisory lock per owner queues them up
            # (SQLite serialises writers itself: a stale reader cannot upgrade to a writer).
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"rer-watchlists:{owner}"},
            )
        if self._count_lists(conn, owner) >= MAX_LISTS_PER_OWNER:
            raise WatchlistError(f"You can keep at most {MAX_LISTS_PER_OWNER} watchlists.")
        now = self.now()
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
            raise DuplicateNameError(
                "You already have a watchlist with that name (names ignore case)."
            ) from None
        return int(res.inserted_primary_key[0])

    def _add_items(
        self,
        conn: Connection,
        list_id: int,
        items: Sequence[NewItem],
        prices: Mapping[str, tuple[date, float] | None],
    ) -> AddResult:
        existing = set(
            conn.execute(
                sa.select(items_t.c.symbol).where(items_t.c.watchlist_id == list_id)
            ).scalars()
        )
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
        now = self.now()
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
            self._touch(conn, list_id)
        return result

    @staticmethod
    def _validate_items(items: Iterable[NewItem | str]) -> list[NewItem]:
        out = []
        for it in items:
            raw = NewItem(it) if isinstance(it, str) else it
            try:
                sym = normalise_symbol(raw.symbol)
            except InvalidSymbolError as exc:
                raise WatchlistError(str(exc)) from None
            out.append(NewItem(sym, clean_note(raw.note)))
        return out

    @staticmethod
    def _lookup(items: Sequence[NewItem], price_lookup: PriceLookup | None) -> dict[str, Any]:
        # Outside the transaction: a slow price read must not hold the list lock.
        if price_lookup is None:
            return {}
        out: dict[str, tuple[date, float] | None] = {}
        for it in items:
            try:
                out[it.symbol] = price_lookup(it.symbol)
            except Exception:  # a missing price never blocks saving the symbol
                out[it.symbol] = None
        return out

    # ---- reading
    def lists(self, owner: str) -> list[WatchlistSummary]:
        owner = clean_owner(owner)
        size = (
            sa.select(sa.func.count())
            .where(items_t.c.watchlist_id == watchlists_t.c.id)
            .scalar_subquery()
        )
        q = (
            sa.select(watchlists_t.c.id, watchlists_t.c.name, size.label("size"))
            .where(watchlists_t.c.owner == owner)
            .order_by(watchlists_t.c.created_at, watchlists_t.c.id)
        )
        with self.engine.connect() as conn:
            return [WatchlistSummary(int(r.id), r.name, int(r.size)) for r in conn.execute(q)]

    def get(self, owner: str, list_id: int) -> Watchlist:
        owner = clean_owner(owner)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(watchlists_t).where(
                    watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
                )
            ).first()
            if row is None:
                raise WatchlistNotFoundError(
                    "That watchlist does not exist (it may have been deleted)."
                )
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
        )

    def find(self, owner: str, name: str) -> Watchlist | None:
        owner = clean_owner(owner)
        with self.engine.connect() as conn:
            list_id = conn.execute(
                sa.select(watchlists_t.c.id).where(
                    watchlists_t.c.owner == owner, watchlists_t.c.name_key == name_key(name)
                )
            ).scalar()
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
        new = self._validate_items(items)
        prices = self._lookup(new, price_lookup)
        with self._writer.begin() as conn:
            list_id = self._insert_list(conn, owner, name)
            self._add_items(conn, list_id, new, prices)
        return list_id

    def rename(self, owner: str, list_id: int, new_name: str) -> None:
        owner, new_name = clean_owner(owner), clean_name(new_name)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            try:
                with conn.begin_nested():
                    conn.execute(
                        watchlists_t.update()
                        .where(watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner)
                        .values(name=new_name, name_key=name_key(new_name), updated_at=self.now())
                    )
            except IntegrityError:
                raise DuplicateNameError(
                    "You already have a watchlist with that name (names ignore case)."
                ) from None

    def delete(self, owner: str, list_id: int) -> None:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            conn.execute(items_t.delete().where(items_t.c.watchlist_id == int(list_id)))
            conn.execute(
                watchlists_t.delete().where(
                    watchlists_t.c.id == int(list_id), watchlists_t.c.owner == owner
                )
            )

    def duplicate(self, owner: str, list_id: int, new_name: str | None = None) -> int:
        """A copy with the same symbols, notes and added date/price."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            src = self._lock_list(conn, owner, list_id)
            name = clean_name(new_name) if new_name else self._copy_name(conn, owner, src.name)
            new_id = self._insert_list(conn, owner, name)
            rows = conn.execute(
                sa.select(items_t).where(items_t.c.watchlist_id == int(list_id))
            ).mappings()
            for r in rows:
                conn.execute(items_t.insert().values({**dict(r), "watchlist_id": new_id}))
        return new_id

    def _copy_name(self, conn: Connection, owner: str, base: str) -> str:
        taken = set(
            conn.execute(
                sa.select(watchlists_t.c.name_key).where(watchlists_t.c.owner == owner)
            ).scalars()
        )
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
    ) -> AddResult:
        """Append symbols (all or none); ones already in the list are left as they were."""
        owner = clean_owner(owner)
        new = self._validate_items(items)
        prices = self._lookup(new, price_lookup)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            return self._add_items(conn, int(list_id), new, prices)

    def remove_symbol(self, owner: str, list_id: int, symbol: str) -> bool:
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            res = conn.execute(
                items_t.delete().where(
                    items_t.c.watchlist_id == int(list_id), items_t.c.symbol == symbol
                )
            )
            if res.rowcount:
                self._touch(conn, int(list_id))
            return bool(res.rowcount)

    def set_note(self, owner: str, list_id: int, symbol: str, note: str) -> None:
        owner, note = clean_owner(owner), clean_note(note)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            res = conn.execute(
                items_t.update()
                .where(items_t.c.watchlist_id == int(list_id), items_t.c.symbol == symbol)
                .values(note=note)
            )
            if not res.rowcount:
                raise WatchlistError("That symbol is not in this watchlist.")
            self._touch(conn, int(list_id))

    def reorder(self, owner: str, list_id: int, order: Sequence[str]) -> list[str]:
        """Put ``order`` first; symbols it does not mention (added meanwhile) keep their order."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            self._lock_list(conn, owner, list_id)
            current = list(
                conn.execute(
                    sa.select(items_t.c.symbol)
                    .where(items_t.c.watchlist_id == int(list_id))
                    .order_by(items_t.c.position, items_t.c.symbol)
                ).scalars()
            )
            wanted = [s for s in dict.fromkeys(order) if s in current]
            final = wanted + [s for s in current if s not in wanted]
            for pos, sym in enumerate(final):
                conn.execute(
                    items_t.update()
                    .where(items_t.c.watchlist_id == int(list_id), items_t.c.symbol == sym)
                    .values(position=pos)
                )
            self._touch(conn, int(list_id))
            return final

    def move_symbol(self, owner: str, list_id: int, symbol: str, offset: int) -> list[str]:
        """Move one symbol up (negative) or down (positive), clamped to the ends."""
        syms = self.get(owner, list_id).symbols
        if symbol not in syms:
            raise WatchlistError("That symbol is not in this watchlist.")
        i = syms.index(symbol)
        j = max(0, min(len(syms) - 1, i + offset))
        syms.insert(j, syms.pop(i))
        return self.reorder(owner, list_id, syms)

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
        prices = self._lookup(list(all_items.values()), price_lookup)
        with self._writer.begin() as conn:
            ins = insert_ignore(conn, owners_t, {"owner": owner, "starters_seeded_at": self.now()})
            if not ins:
                return False
            taken = set(
                conn.execute(
                    sa.select(watchlists_t.c.name_key).where(watchlists_t.c.owner == owner)
                ).scalars()
            )
            for name, syms in starters:
                if name_key(name) in taken:
                    continue
                list_id = self._insert_list(conn, owner, name)
                self._add_items(conn, list_id, [all_items[s] for s in syms], prices)
        return True
