"""The watchlist database: engine set-up (SQLite or PostgreSQL), schema and versioned migrations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lib import settings
from lib.paths import user_data_dir
from lib.watchlists.validate import MAX_NAME_LEN, MAX_OWNER_LEN, WatchlistError

#: Environment variable with any SQLAlchemy URL; wins over secrets.toml.
ENV_DATABASE_URL = settings.ENV_DATABASE_URL


DB_FILE = "watchlists.db"


SQLITE_BUSY_TIMEOUT_MS = 30_000


def resolve_database_url(
    env: Mapping[str, str] | None = None,
    secrets_url: str | None = None,
    data_dir: Path | None = None,
) -> str:
    """Env var first, then ``[connections.watchlists] url`` from secrets, else SQLite."""
    url = settings.current(env).database_url
    if url:
        return url
    if secrets_url and secrets_url.strip():
        return secrets_url.strip()
    if data_dir is None:
        data_dir = user_data_dir()
    return f"sqlite:///{Path(data_dir) / DB_FILE}"


def describe_url(url: str) -> str:
    """Where lists live, for the UI: the kind of database only, never a path, host or password."""
    backend = sa.make_url(url).get_backend_name()
    if backend == "sqlite":
        return "SQLite on this server"
    return {"postgresql": "PostgreSQL"}.get(backend, f"a {backend} database")


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
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),  # v4
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


auth_sessions_t = sa.Table(  # v5
    "auth_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)


private_events_t = sa.Table(  # v6
    "private_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("precision", sa.String(16), nullable=False),
    sa.Column("title", sa.String(800), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("symbols", sa.Text, nullable=False, server_default=""),
    sa.Column("source_url", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
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


def _v4(conn: Connection) -> None:
    """A revision counter per list: an action from a stale tab is refused, never misapplied."""
    conn.execute(sa.text("ALTER TABLE watchlists ADD COLUMN revision INTEGER NOT NULL DEFAULT 0"))


def _v5(conn: Connection) -> None:
    """Server-side sign-in sessions: sign-out revokes one, and every rerun checks it."""
    md = sa.MetaData()
    sa.Table(
        "auth_sessions",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    md.create_all(conn)
    conn.execute(sa.text("CREATE INDEX ix_auth_sessions_owner ON auth_sessions (owner)"))


def _v6(conn: Connection) -> None:
    """Private dated events per owner (Catalysts, timeline lane, event study)."""
    md = sa.MetaData()
    sa.Table(
        "private_events",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("precision", sa.String(16), nullable=False),
        sa.Column("title", sa.String(800), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("symbols", sa.Text, nullable=False, server_default=""),
        sa.Column("source_url", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sqlite_autoincrement=True,
    )
    md.create_all(conn)
    conn.execute(sa.text("CREATE INDEX ix_private_events_owner ON private_events (owner, date)"))


def _v7(conn: Connection) -> None:
    """Alert rules, firings, inbox messages and the delivery outbox (lib.alerts.schema)."""
    from lib.alerts.schema import migrate_v7

    migrate_v7(conn)


def _v8(conn: Connection) -> None:
    """Typed alert email addresses, confirmed by a one-time code (lib.alerts.schema)."""
    from lib.alerts.schema import migrate_v8

    migrate_v8(conn)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
)


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


def insert_ignore(conn: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted.

    Decided by RETURNING, not rowcount: psycopg reports -1 for these statements.
    """
    key = next(iter(table.primary_key.columns))
    if conn.dialect.name == "postgresql":
        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing().returning(key)
    elif conn.dialect.name == "sqlite":
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing().returning(key)
    else:
        try:
            with conn.begin_nested():
                conn.execute(table.insert().values(**values))
            return True
        except IntegrityError:
            return False
    return conn.execute(stmt).first() is not None
