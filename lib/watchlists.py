"""Saved watchlists on SQLite or PostgreSQL, scoped by owner, safe under concurrent writers.

Everything here is plain SQLAlchemy 2.x Core so the same code runs on the zero-set-up SQLite
file and on a shared PostgreSQL database behind several app servers. Every public method
takes the owner explicitly and every statement filters on it: there is no query that can
reach another owner's rows by id alone.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lib.universe import InvalidSymbolError, normalise_symbol, sanitize_excerpt

#: Environment variable with any SQLAlchemy URL; wins over secrets.toml.
ENV_DATABASE_URL = "RER_DATABASE_URL"
#: Owner used when Streamlit authentication is not configured or nobody is signed in.
LOCAL_OWNER = "local"
DB_FILE = "watchlists.db"

MAX_NAME_LEN = 60
MAX_NOTE_LEN = 500
MAX_OWNER_LEN = 320
MAX_LISTS_PER_OWNER = 100
MAX_SYMBOLS_PER_LIST = 200
MAX_IMPORT_BYTES = 256 * 1024
SQLITE_BUSY_TIMEOUT_MS = 30_000

UNKNOWN_SYMBOL_NOTE = "unknown — will resolve from Yahoo when online"

#: Bidi embedding/override/isolate controls: they can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORMULA_PREFIXES = ("=", "+", "-", "@")


# --------------------------------------------------------------------------- errors


class WatchlistError(ValueError):
    """A user-facing problem; the message is a full sentence, safe to show verbatim."""


class WatchlistNotFoundError(WatchlistError, LookupError):
    """The list does not exist *for this owner* (another owner's list is indistinguishable)."""


class DuplicateNameError(WatchlistError):
    """Names are unique per owner, ignoring case."""


class ImportProblem(WatchlistError):
    """A rejected import file; nothing was written."""


# --------------------------------------------------------------------------- records


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


@dataclass(frozen=True)
class NewItem:
    """A symbol to add, already validated, with an optional note."""

    symbol: str
    note: str = ""


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)


PriceLookup = Callable[[str], tuple[date, float] | None]


# --------------------------------------------------------------------------- validation


def _reject_controls(text: str, what: str, *, allow_newlines: bool = False) -> None:
    for ch in text:
        if allow_newlines and ch in "\n\t":
            continue
        if ch in _BIDI_CONTROLS:
            raise WatchlistError(
                f"The {what} contains a right-to-left override or similar invisible "
                "formatting character; please remove it."
            )
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise WatchlistError(f"The {what} contains control characters or binary data.")


def clean_name(name: object) -> str:
    """Trimmed, NFC-normalised list name; unicode welcome, invisible tricks rejected."""
    if not isinstance(name, str):
        raise WatchlistError("A watchlist name must be text.")
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise WatchlistError("Please give the watchlist a name.")
    if len(text) > MAX_NAME_LEN:
        raise WatchlistError(
            f"Watchlist names can be at most {MAX_NAME_LEN} characters (this one has {len(text)})."
        )
    _reject_controls(text, "name")
    return text


def name_key(name: str) -> str:
    """Case-insensitive identity of a name ("US Revival" == "us revival")."""
    return unicodedata.normalize("NFC", name).casefold()


def clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise WatchlistError("A note must be text.")
    text = unicodedata.normalize("NFC", note).strip()
    if len(text) > MAX_NOTE_LEN:
        raise WatchlistError(
            f"Notes can be at most {MAX_NOTE_LEN} characters (this one has {len(text)})."
        )
    _reject_controls(text, "note", allow_newlines=True)
    return text


def clean_owner(owner: object) -> str:
    if not isinstance(owner, str) or not owner.strip():
        raise WatchlistError("Watchlists need an owner.")
    text = owner.strip()
    if len(text) > MAX_OWNER_LEN:
        raise WatchlistError("The owner identity is too long.")
    _reject_controls(text, "owner")
    return text


def symbol_status(symbol: str, known: set[str]) -> str:
    """ "" for symbols we know or have data for, else a flag telling the user what will happen."""
    return "" if symbol in known else UNKNOWN_SYMBOL_NOTE


# --------------------------------------------------------------------------- import parsing


def parse_pasted(text: str) -> list[NewItem]:
    """ "MP, LYC.AX 600111.SS" -> items; any bad token rejects the whole paste."""
    from lib.universe import parse_symbol_list

    if len(text or "") > MAX_IMPORT_BYTES:
        raise ImportProblem("The pasted text is too long.")
    good, errors = parse_symbol_list(text or "")
    if errors:
        raise ImportProblem("Nothing was added. " + " ".join(errors[:5]))
    if not good:
        raise ImportProblem("No symbols found in the pasted text.")
    if len(good) > MAX_SYMBOLS_PER_LIST:
        raise ImportProblem(f"A watchlist holds at most {MAX_SYMBOLS_PER_LIST} symbols.")
    return [NewItem(s) for s in good]


def parse_import_csv(data: bytes, max_bytes: int = MAX_IMPORT_BYTES) -> list[NewItem]:
    """A CSV with a ``symbol`` column and an optional ``note`` column, or a clear refusal.

    Refusals name the row (as numbered in a spreadsheet, header = row 1), so the user can fix
    the file; the caller writes nothing unless every row is good.
    """
    if len(data) > max_bytes:
        raise ImportProblem(
            f"The file is {len(data) / 1024:.0f} KiB; the limit is {max_bytes // 1024} KiB."
        )
    if not data.strip():
        raise ImportProblem("The file is empty.")
    if b"\x00" in data:
        raise ImportProblem("The file contains binary data (NUL bytes); expected a CSV text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(
            f"The file is not UTF-8 text (undecodable byte at position {exc.start})."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportProblem(f"The file is not valid CSV ({exc}).") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ImportProblem("The file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    if "symbol" not in header:
        raise ImportProblem(
            "The file needs a 'symbol' column (and optionally 'note'); found: "
            + ", ".join(f"'{sanitize_excerpt(h)}'" for h in header[:6])
            + "."
        )
    extra = [h for h in header if h not in ("symbol", "note")]
    if extra:
        raise ImportProblem(
            "Unexpected column(s): "
            + ", ".join(f"'{sanitize_excerpt(h)}'" for h in extra[:6])
            + ". Only 'symbol' and 'note' are allowed."
        )
    if len(set(header)) != len(header):
        raise ImportProblem("The header repeats a column name.")
    sym_i = header.index("symbol")
    note_i = header.index("note") if "note" in header else None
    body = rows[1:]
    if not body:
        raise ImportProblem("The file has a header but no rows.")
    if len(body) > MAX_SYMBOLS_PER_LIST:
        raise ImportProblem(
            f"The file has {len(body)} rows; a watchlist holds at most {MAX_SYMBOLS_PER_LIST}."
        )
    items: list[NewItem] = []
    seen: set[str] = set()
    for n, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ImportProblem(f"Row {n} has {len(row)} cells; expected {len(header)}.")
        for cell in row:
            if cell.lstrip().startswith(_FORMULA_PREFIXES):
                raise ImportProblem(
                    f"Row {n} has a formula-like cell ('{sanitize_excerpt(cell.strip())}'); "
                    "cells may not start with =, +, - or @."
                )
        try:
            sym = normalise_symbol(row[sym_i])
            note = clean_note(row[note_i]) if note_i is not None else ""
        except (InvalidSymbolError, WatchlistError) as exc:
            raise ImportProblem(f"Row {n}: {exc}") from None
        if sym in seen:
            continue
        seen.add(sym)
        items.append(NewItem(sym, note))
    return items


def items_frame(wl: Watchlist, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The list as a table for display and CSV export (re-importable: symbol, note first)."""
    names = names or {}
    return pd.DataFrame(
        {
            "symbol": [i.symbol for i in wl.items],
            "note": [i.note for i in wl.items],
            "name": [names.get(i.symbol, "") for i in wl.items],
            "added_on": [i.added_at.date() if i.added_at else None for i in wl.items],
            "added_price": [i.added_price for i in wl.items],
            "added_price_date": [i.added_price_date for i in wl.items],
        },
        columns=["symbol", "note", "name", "added_on", "added_price", "added_price_date"],
    )


# --------------------------------------------------------------------------- configuration


def resolve_database_url(
    env: Mapping[str, str] | None = None,
    secrets_url: str | None = None,
    data_dir: Path | None = None,
) -> str:
    """Env var first, then ``[connections.watchlists] url`` from secrets, else SQLite."""
    env = os.environ if env is None else env
    url = (env.get(ENV_DATABASE_URL) or "").strip()
    if url:
        return url
    if secrets_url and secrets_url.strip():
        return secrets_url.strip()
    if data_dir is None:
        from lib.paths import user_data_dir

        data_dir = user_data_dir()
    return f"sqlite:///{Path(data_dir) / DB_FILE}"


def describe_url(url: str) -> str:
    """Where lists live, for the UI, never showing a password."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"SQLite file {u.database or ':memory:'}"
    return f"{u.get_backend_name()} database {u.database or ''} on {u.host or 'localhost'}"


def make_engine(url: str) -> Engine:
    """An engine with the per-backend settings that keep concurrent writers safe."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(u, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if u.get_backend_name() == "postgresql" and "connect_timeout" not in u.query:
        # Fail a page load in seconds, not a TCP timeout, when the database is unreachable.
        connect_args["connect_timeout"] = 5
    return sa.create_engine(u, pool_pre_ping=True, connect_args=connect_args)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite delays BEGIN until the first write, which turns two read-then-write
    # transactions into a lost update or an immediate SQLITE_BUSY. Take SQLAlchemy's
    # documented route: driver autocommit off, our own BEGIN, IMMEDIATE for writers.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("rer_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


# --------------------------------------------------------------------------- schema

metadata = sa.MetaData()

watchlists_t = sa.Table(
    "watchlists",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
    sa.Column("name", sa.String(4 * MAX_NAME_LEN), nullable=False),
    sa.Column("name_key", sa.String(4 * MAX_NAME_LEN), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("owner", "name_key", name="uq_watchlists_owner_name"),
    sqlite_autoincrement=True,
)

items_t = sa.Table(
    "watchlist_items",
    metadata,
    sa.Column(
        "watchlist_id",
        sa.Integer,
        sa.ForeignKey("watchlists.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("added_at", sa.DateTime(timezone=True)),
    sa.Column("added_price", sa.Double),
    sa.Column("added_price_date", sa.Date),  # v2
)

owners_t = sa.Table(  # v2
    "watchlist_owners",
    metadata,
    sa.Column("owner", sa.String(MAX_OWNER_LEN), primary_key=True),
    sa.Column("starters_seeded_at", sa.DateTime(timezone=True), nullable=False),
)

version_t = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def _v1(conn: Connection) -> None:
    """Lists and items. Frozen: later versions change the schema only through new steps."""
    md = sa.MetaData()
    sa.Table(
        "watchlists",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column("name", sa.String(4 * MAX_NAME_LEN), nullable=False),
        sa.Column("name_key", sa.String(4 * MAX_NAME_LEN), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("owner", "name_key", name="uq_watchlists_owner_name"),
        sqlite_autoincrement=True,
    )
    sa.Table(
        "watchlist_items",
        md,
        sa.Column(
            "watchlist_id",
            sa.Integer,
            sa.ForeignKey("watchlists.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime(timezone=True)),
        sa.Column("added_price", sa.Double),
    )
    md.create_all(conn)


def _v2(conn: Connection) -> None:
    """Starter-list bookkeeping per owner, and the as-of date of the price when added.

    Owners that already have lists are marked as seeded, so an upgrade never injects
    starter lists into an existing account.
    """
    conn.execute(sa.text("ALTER TABLE watchlist_items ADD COLUMN added_price_date DATE"))
    md = sa.MetaData()
    owners = sa.Table(
        "watchlist_owners",
        md,
        sa.Column("owner", sa.String(MAX_OWNER_LEN), primary_key=True),
        sa.Column("starters_seeded_at", sa.DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)
    existing = conn.execute(sa.select(watchlists_t.c.owner).distinct()).scalars().all()
    now = datetime.now(UTC)
    for owner in existing:
        conn.execute(owners.insert().values(owner=owner, starters_seeded_at=now))


def _v3(conn: Connection) -> None:
    """Listing a user's lists and ordering items are the hot queries."""
    conn.execute(sa.text("CREATE INDEX ix_watchlists_owner ON watchlists (owner)"))
    conn.execute(
        sa.text("CREATE INDEX ix_items_position ON watchlist_items (watchlist_id, position)")
    )


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2, _v3)
LATEST_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    v = conn.execute(sa.select(sa.func.max(version_t.c.version))).scalar()
    return int(v or 0)


def migrate(engine: Engine, target: int = LATEST_VERSION) -> int:
    """Apply pending numbered migrations in one transaction; safe if servers start together."""
    with engine.execution_options(rer_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Serialise concurrent migrators; the lock is released at commit.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242017)"))
        if not sa.inspect(conn).has_table("schema_version"):
            version_t.create(conn)
        version = current_version(conn)
        if version > LATEST_VERSION:
            raise WatchlistError(
                f"The watchlist database is at schema version {version}, newer than this "
                f"app ({LATEST_VERSION}). Upgrade the app before using this database."
            )
        for v in range(version + 1, target + 1):
            MIGRATIONS[v - 1](conn)
            conn.execute(version_t.insert().values(version=v, applied_at=datetime.now(UTC)))
        return max(version, target)


# --------------------------------------------------------------------------- starter lists

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


# --------------------------------------------------------------------------- the store


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
            ins = _insert_ignore(conn, owners_t, {"owner": owner, "starters_seeded_at": self.now()})
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


def _insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted.

    Decided by RETURNING, not rowcount: psycopg reports -1 for these statements.
    """
    key = next(iter(table.primary_key.columns))
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing().returning(key)
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing().returning(key)
    else:
        try:
            with conn.begin_nested():
                conn.execute(table.insert().values(**values))
            return True
        except IntegrityError:
            return False
    return conn.execute(stmt).first() is not None


def share_query(symbols: Sequence[str]) -> str:
    """``symbols=MP&symbols=LYC.AX`` for a link that opens a page with these symbols."""
    from urllib.parse import urlencode

    return urlencode([("symbols", s) for s in symbols])


_SAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


def export_name(list_name: str, as_of: date | None = None) -> str:
    """watchlist_US-revival_2026-11-28.csv; any characters in the name are made safe."""
    stem = _SAFE_FILE.sub("-", unicodedata.normalize("NFKD", list_name)).strip("-.") or "list"
    stem = stem[:40]
    suffix = f"_{as_of.isoformat()}" if as_of else ""
    return f"watchlist_{stem}{suffix}.csv"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=^])")


def md_escape(text: str) -> str:
    """Untrusted text made inert inside Streamlit markdown (messages that quote user input)."""
    return _MD_SPECIAL.sub(r"\\\1", text)
