"""A shared price cache in PostgreSQL, for several app servers behind one proxy.

The file cache (:class:`lib.prices.PriceStore`) is right for one machine; with N servers it
means N Yahoo refreshes and possibly N different as-of dates. :class:`PgPriceStore` keeps the
same layers and rules (they live once, in the store) with the rows in PostgreSQL instead of a
Parquet file: :class:`PgCache` is the store's backend here.

1. the shipped snapshot is still the floor (read from the file, never copied into the database);
2. the cached rows live in one table, ``price_rows`` (one row per symbol and day), written with
   ``INSERT ... ON CONFLICT DO UPDATE``; they win over the snapshot on the same date, and a
   symbol whose adjustment basis changed is replaced wholesale (``full_history``), never mixed;
   per-symbol bookkeeping (last attempt, last error, full_history) sits in ``price_symbol_state``;
3. Yahoo is reached only by ``PriceStore.refresh``, and only by one process at a time:
   the refresh holds ``pg_try_advisory_lock``. A server that cannot take the lock does not
   wait and does not download; it reports "busy" and reads what the refreshing server writes.

The never-lose-good-rows rule is the file cache's: failed symbols are left untouched, invalid
rows are dropped before the merge (the same ``clean_rows``), and every write is one
transaction, so a crash or a failed download leaves the table as it was.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from lib.prices.backend import Batch, StoreUnavailableError
from lib.prices.cache_file import CacheState
from lib.prices.schema import PRICE_FIELDS, SNAPSHOT_PATH, Fetcher, empty_prices, normalise
from lib.prices.store import PriceStore

log = logging.getLogger(__name__)

#: Advisory lock keys (64-bit, derived from fixed names so every server computes the same ones).
REFRESH_LOCK_KEY = zlib.crc32(b"rer.prices.refresh")
SCHEMA_LOCK_KEY = zlib.crc32(b"rer.prices.schema")
#: How long a cache token is reused before asking the database again (pages ask many times
#: per rerun; a refresh by another server shows up within this many seconds).
TOKEN_TTL_S = 1.0
#: Seconds to wait for a connection before serving the snapshot alone.
CONNECT_TIMEOUT_S = 5
#: After a failed connection, serve the snapshot without retrying for this long, so pages
#: do not wait CONNECT_TIMEOUT_S on every rerun while the database is down.
RETRY_AFTER_FAILURE_S = 10.0

metadata = sa.MetaData()

write_seq = sa.Sequence("price_rows_write_seq", metadata=metadata)

price_rows_t = sa.Table(
    "price_rows",
    metadata,
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("open", sa.Float(53)),
    sa.Column("high", sa.Float(53)),
    sa.Column("low", sa.Float(53)),
    sa.Column("close", sa.Float(53), nullable=False),
    sa.Column("adj_close", sa.Float(53), nullable=False),
    sa.Column("volume", sa.BigInteger),
    # Bumped on every insert or real change: max(write_seq) is the cache token.
    sa.Column("write_seq", sa.BigInteger, write_seq, server_default=write_seq.next_value()),
    sa.CheckConstraint("close > 0 AND adj_close > 0", name="ck_price_rows_positive"),
)
sa.Index("ix_price_rows_write_seq", price_rows_t.c.write_seq)

state_t = sa.Table(
    "price_symbol_state",
    metadata,
    sa.Column("symbol", sa.String(32), primary_key=True),
    sa.Column("full_history", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_attempt", sa.DateTime),
    sa.Column("last_success", sa.DateTime),
    sa.Column("error", sa.Text),
)

_VALUE_COLS = [*PRICE_FIELDS, "volume"]


def is_postgres_url(url: str | None) -> bool:
    """True for a SQLAlchemy URL whose backend is PostgreSQL (any driver)."""
    if not url:
        return False
    try:
        return sa.make_url(url).get_backend_name() == "postgresql"
    except sa.exc.ArgumentError:
        return False


class PgCache:
    """The :class:`~lib.prices.backend.CacheBackend` on PostgreSQL: rows in ``price_rows``.

    ``problem`` is set (and the snapshot alone is served) while the database is unreachable,
    so a page still renders; there is never a file to set aside.
    """

    label = "Yahoo (shared database)"

    def __init__(self, url_or_engine: str | Engine, token_ttl_s: float = TOKEN_TTL_S) -> None:
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
        else:
            url = sa.make_url(url_or_engine)
            # libpq drivers: give up on an unreachable server quickly, so pages still render.
            libpq = url.get_driver_name() in ("psycopg", "psycopg2")
            connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if libpq else {}
            self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        self.problem: str | None = None
        self.token_ttl_s = token_ttl_s
        self._token: tuple[float, str] | None = None
        self._schema_ready = False
        self._down_until = 0.0

    # ---- schema and connections
    def ensure_schema(self) -> None:
        """Create the tables once; servers starting together serialise on an advisory lock."""
        if self._schema_ready:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            metadata.create_all(conn, checkfirst=True)
        self._schema_ready = True

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if time.monotonic() < self._down_until:
            raise sa.exc.OperationalError("(not retried yet)", None, ConnectionError("down"))
        self.ensure_schema()
        with self.engine.connect() as conn:
            yield conn

    def _unreachable(self, exc: Exception) -> None:
        self.problem = (
            f"The shared price database is unreachable ({type(exc).__name__}); "
            "showing the shipped snapshot only."
        )
        self._schema_ready = False
        if time.monotonic() >= self._down_until:
            log.error("%s: %s", self.problem, exc)
            self._down_until = time.monotonic() + RETRY_AFTER_FAILURE_S

    def dispose(self) -> None:
        self.engine.dispose()

    def describe(self) -> str:
        return "postgresql:" + self.engine.url.render_as_string(hide_password=True)

    # ---- the protocol
    def token(self) -> str:
        """Changes whenever a refresh changed any row (max write sequence); reused briefly."""
        now = time.monotonic()
        if self._token is not None and now - self._token[0] < self.token_ttl_s:
            return self._token[1]
        try:
            with self._read() as conn:
                seq = conn.execute(sa.select(sa.func.max(price_rows_t.c.write_seq))).scalar()
        except sa.exc.DBAPIError as exc:
            self._unreachable(exc)
            return "unreachable"
        self.problem = None
        token = f"pg-{seq or 0}"
        self._token = (now, token)
        return token

    def read_state(self, conn: Connection | None = None) -> CacheState:
        """Per-symbol bookkeeping in the file store's shape (ISO timestamps)."""
        if conn is None:
            with self._read() as c:
                return self.read_state(c)
        state = CacheState()
        for row in conn.execute(sa.select(state_t)).mappings():
            entry = state.entry(row["symbol"])
            if row["full_history"]:
                entry["full_history"] = True
            for key in ("last_attempt", "last_success"):
                if row[key] is not None:
                    entry[key] = row[key].isoformat(timespec="seconds")
            if row["error"]:
                entry["error"] = row["error"]
        return state

    def _read_rows(self, conn: Connection, symbols: Sequence[str] | None) -> pd.DataFrame:
        cols = [price_rows_t.c[c] for c in ("date", "symbol", *_VALUE_COLS)]
        stmt = sa.select(*cols)
        if symbols is not None:
            if not symbols:
                return empty_prices()
            stmt = stmt.where(price_rows_t.c.symbol.in_(sorted(symbols)))
        result = conn.execute(stmt)
        df = pd.DataFrame(result.all(), columns=list(result.keys()))
        return normalise(df) if not df.empty else empty_prices()

    def read(self, symbols: Sequence[str] | None = None) -> tuple[pd.DataFrame, CacheState]:
        """The cached rows (all, or for ``symbols``) and the bookkeeping; empty if unreachable."""
        wanted = None if symbols is None else {s.upper() for s in symbols}
        try:
            with self._read() as conn:
                rows = self._read_rows(conn, wanted)
                state = self.read_state(conn)
        except sa.exc.DBAPIError as exc:
            self._unreachable(exc)
            return empty_prices(), CacheState()
        self.problem = None
        return rows, state

    def last_dates(self) -> pd.Series:
        try:
            with self._read() as conn:
                stmt = sa.select(price_rows_t.c.symbol, sa.func.max(price_rows_t.c.date))
                got = conn.execute(stmt.group_by(price_rows_t.c.symbol)).all()
        except sa.exc.DBAPIError as exc:
            self._unreachable(exc)
            return pd.Series(dtype="datetime64[ns]")
        return pd.Series({s: pd.Timestamp(d) for s, d in got}, dtype="datetime64[ns]")

    def set_aside(self, now: datetime) -> Path | None:
        """Nothing to move aside: the database validates rows on the way in."""
        return None

    @contextmanager
    def refresh_lock(self) -> Iterator[bool]:
        """``pg_try_advisory_lock`` on a dedicated connection; released on exit or disconnect.

        A server that cannot take it does not wait and does not download ("busy").
        """
        try:
            with self._read() as conn:
                got = bool(
                    conn.execute(sa.select(sa.func.pg_try_advisory_lock(REFRESH_LOCK_KEY))).scalar()
                )
                conn.commit()
                try:
                    yield got
                finally:
                    self._token = None
                    if got:
                        # If the connection died, the server has already released the lock.
                        with suppress(sa.exc.DBAPIError):
                            conn.execute(sa.select(sa.func.pg_advisory_unlock(REFRESH_LOCK_KEY)))
                            conn.commit()
        except sa.exc.DBAPIError as exc:
            self._unreachable(exc)
            raise StoreUnavailableError(
                self.problem or "database unreachable", "database unreachable"
            ) from exc

    def write(self, batch: Batch) -> bool:
        """Upsert the fetched rows and the bookkeeping in one transaction."""
        got = batch.fetched
        try:
            with self.engine.begin() as conn:
                for sym in sorted(got):
                    if sym in batch.replace:
                        # Old cached rows of another adjustment basis go; the snapshot's
                        # are hidden by the full_history flag. The new rows replace both.
                        conn.execute(sa.delete(price_rows_t).where(price_rows_t.c.symbol == sym))
                    _upsert_rows(conn, batch.rows[batch.rows["symbol"] == sym])
                for sym, error in batch.attempts.items():
                    values: dict[str, Any] = {"symbol": sym, "last_attempt": batch.at}
                    if error is None:
                        values.update(last_success=batch.at, error=None)
                    else:
                        values["error"] = error
                    if sym in batch.replace and sym in got:
                        values["full_history"] = True
                    stmt = pg_insert(state_t).values(**values)
                    update = {k: stmt.excluded[k] for k in values if k != "symbol"}
                    conn.execute(stmt.on_conflict_do_update(index_elements=["symbol"], set_=update))
        except sa.exc.DBAPIError as exc:
            self._unreachable(exc)
            raise StoreUnavailableError(
                self.problem or "database unreachable", "database unreachable"
            ) from exc
        self._token = None
        return bool(got)


def _upsert_rows(conn: Connection, rows: pd.DataFrame) -> None:
    """INSERT ... ON CONFLICT (symbol, date) DO UPDATE, touching only rows that really change."""
    if rows.empty:
        return
    records = []
    for rec in rows[["symbol", "date", *_VALUE_COLS]].to_dict("records"):
        out: dict[str, Any] = {"symbol": str(rec["symbol"]), "date": rec["date"].date()}
        for c in PRICE_FIELDS:
            out[c] = None if pd.isna(rec[c]) else float(rec[c])
        out["volume"] = None if pd.isna(rec["volume"]) else int(rec["volume"])
        records.append(out)
    stmt = pg_insert(price_rows_t)
    excluded = stmt.excluded
    changed = sa.tuple_(*(price_rows_t.c[c] for c in _VALUE_COLS)).is_distinct_from(
        sa.tuple_(*(excluded[c] for c in _VALUE_COLS))
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["symbol", "date"],
        set_={**{c: excluded[c] for c in _VALUE_COLS}, "write_seq": write_seq.next_value()},
        where=changed,
    )
    conn.execute(stmt, records)


def PgPriceStore(
    url_or_engine: str | Engine,
    snapshot_path: Path = SNAPSHOT_PATH,
    fetcher: Fetcher | None = None,
    now: Callable[[], datetime] = datetime.now,
    token_ttl_s: float = TOKEN_TTL_S,
) -> PriceStore:
    """The price store with its downloaded rows in PostgreSQL (same rules, shared backend)."""
    return PriceStore(
        snapshot_path,
        fetcher=fetcher,
        now=now,
        backend=PgCache(url_or_engine, token_ttl_s=token_ttl_s),
    )


def select_price_store(
    url: str | None, *, file_store: Callable[[], PriceStore], fetcher: Fetcher | None = None
) -> PriceStore:
    """The PostgreSQL store when ``url`` is a PostgreSQL URL, else ``file_store()`` (the default).

    The app passes the URL watchlists use (RER_DATABASE_URL, else secrets, else SQLite) and
    ``lib.prices.default_store``: a SQLite URL keeps the per-machine file cache. Without a
    ``fetcher`` the PostgreSQL store gets the production Yahoo fetcher, as the file store does.
    """
    if not is_postgres_url(url):
        return file_store()
    assert url is not None
    if fetcher is None:
        from lib.paths import user_data_dir
        from lib.prices.yahoo import YahooFetcher

        fetcher = YahooFetcher(tz_cache_dir=user_data_dir() / "yfinance-tz")
    return PgPriceStore(url, fetcher=fetcher)
