"""The shared PostgreSQL price store: the file cache's rules, plus one refresher at a time.

Runs against a throwaway PostgreSQL cluster (tests/pg_server.py): skipped locally without the
server binaries, a failure in CI. The race tests start real processes, as N app servers are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pytest
import sqlalchemy as sa

from lib.prices import FetchResult, PriceStore, YahooFetcher, read_snapshot
from lib.prices.file_cache import FileCache
from lib.prices.pg_store import (
    REFRESH_LOCK_KEY,
    PgCache,
    PgPriceStore,
    is_postgres_url,
    price_rows_t,
    select_price_store,
    state_t,
)
from tests.fake_yahoo import HANG, TODAY, Clock, FakeYahoo, running_fake, truncated_snapshot
from tests.pg_server import _free_port, fresh_database, pg_cluster

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 7, 15, 22, 0)
#: Generous bound for a worker process to start or finish; only ever hit on a failure.
WORKER_DEADLINE_S = 240.0


class MemoryFetcher:
    """Serves the real snapshot rows (optionally transformed); records every call."""

    def __init__(
        self,
        *,
        fail: Sequence[str] = (),
        transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> None:
        self.data = read_snapshot()
        self.fail = set(fail)
        self.transform = transform
        self.calls: list[tuple[tuple[str, ...], date | None, date]] = []

    def available(self) -> bool:
        return True

    def fetch(self, symbols: Sequence[str], start: date | None, end: date) -> FetchResult:
        self.calls.append((tuple(symbols), start, end))
        df = self.data[self.data["symbol"].isin(set(symbols) - self.fail)]
        df = df[df["date"] < pd.Timestamp(end)]
        if start is not None:
            df = df[df["date"] >= pd.Timestamp(start)]
        if self.transform is not None:
            df = self.transform(df)
        errors = {s: "fake failure" for s in symbols if s in self.fail}
        return FetchResult(df.reset_index(drop=True), errors)


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture
def db_url(pg_admin_url: str) -> str:
    return fresh_database(pg_admin_url, f"p_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RER_OFFLINE", raising=False)


@pytest.fixture
def make_store(db_url: str, tmp_path: Path) -> Iterator[Callable[..., PgPriceStore]]:
    """Stores on one database, as several servers would hold (each with its own engine)."""
    made: list[PgPriceStore] = []
    snapshot = truncated_snapshot(tmp_path)

    def make(fetcher: Any = None) -> PgPriceStore:
        store = PgPriceStore(
            db_url,
            snapshot_path=snapshot,
            fetcher=fetcher if fetcher is not None else MemoryFetcher(),
            now=Clock(NOW),
            token_ttl_s=0,
        )
        made.append(store)
        return store

    yield make
    for store in made:
        store.dispose()


def table_rows(store: PgPriceStore) -> list[tuple[Any, ...]]:
    with store.backend.engine.connect() as conn:
        stmt = sa.select(price_rows_t).order_by(price_rows_t.c.symbol, price_rows_t.c.date)
        return [tuple(r) for r in conn.execute(stmt)]


def close_on(df: pd.DataFrame, symbol: str, day: str) -> float:
    row = df[(df["symbol"] == symbol) & (df["date"] == pd.Timestamp(day))]
    assert len(row) == 1
    return float(row["close"].iloc[0])


# --------------------------------------------------------------------------- merging


def test_refresh_upserts_rows_that_load_merges_over_the_snapshot(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    fetcher = MemoryFetcher()
    store = make_store(fetcher)
    before = store.load(["MP", "SPY"])
    token = store.cache_token()
    report = store.refresh(["MP", "SPY"])
    assert report.updated == ["MP", "SPY"] and report.written
    assert report.symbols["MP"].new_rows == 10  # 2025-07-01 .. 07-15, no 4 July
    after = store.load(["MP", "SPY"])
    assert len(after) == len(before) + 20
    assert not after.duplicated(["symbol", "date"]).any()
    assert close_on(after, "MP", "2025-07-10") == pytest.approx(45.23)  # the real +50.6% day
    # One batched download, from a week before the last known row (the file store's rule).
    assert fetcher.calls == [(("MP", "SPY"), date(2025, 6, 23), TODAY + timedelta(days=1))]
    assert store.cache_token() != token
    cov = store.coverage().set_index("symbol")
    assert cov.loc["MP", "last_date"] == pd.Timestamp("2025-07-15")
    assert cov.loc["MP", "source"] == "Yahoo (shared database)"
    assert cov.loc["LYC.AX", "source"] == "snapshot"


def test_database_row_wins_over_snapshot_on_the_same_date(
    make_store: Callable[..., PgPriceStore],
) -> None:
    store = make_store()
    store.backend.ensure_schema()
    with store.backend.engine.begin() as conn:
        conn.execute(
            sa.insert(price_rows_t).values(
                symbol="MP", date=date(2025, 6, 30), close=99.5, adj_close=99.5
            )
        )
    mp = store.load(["MP"])
    assert close_on(mp, "MP", "2025-06-30") == pytest.approx(99.5)
    assert close_on(mp, "MP", "2025-06-27") == pytest.approx(
        close_on(store.snapshot(), "MP", "2025-06-27")
    )
    assert not mp.duplicated(["symbol", "date"]).any()


def test_failed_refresh_changes_no_row_and_keeps_the_token(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    store = make_store()
    store.refresh(["MP"])
    rows, token = table_rows(store), store.cache_token()
    store.fetcher = MemoryFetcher(fail=["MP", "SPY"])
    report = store.refresh(["MP", "SPY"], force=True)
    assert report.failed == ["MP", "SPY"] and not report.written
    assert table_rows(store) == rows
    assert store.cache_token() == token
    with store.backend.engine.connect() as conn:
        errors = dict(conn.execute(sa.select(state_t.c.symbol, state_t.c.error)).all())
    assert errors == {"MP": "fake failure", "SPY": "fake failure"}


def test_partial_refresh_keeps_the_failed_symbols_rows(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    store = make_store()
    store.refresh(["MP", "SPY"])
    mp_before = store.load(["MP"])
    store.fetcher = MemoryFetcher(fail=["MP"])
    report = store.refresh(["MP", "SPY"], force=True)
    assert report.failed == ["MP"] and report.written
    pd.testing.assert_frame_equal(store.load(["MP"]), mp_before)


def test_bad_downloaded_rows_never_reach_the_table(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    def spoil(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        bad = df["date"] == pd.Timestamp("2025-07-10")
        df.loc[bad, "close"] = float("nan")
        df.loc[bad & (df["symbol"] == "SPY"), ["close", "adj_close"]] = -1.0
        return df

    store = make_store(MemoryFetcher(transform=spoil))
    store.refresh(["MP", "SPY"])
    stored = {(r[0], r[1]) for r in table_rows(store)}
    assert ("MP", date(2025, 7, 9)) in stored and ("MP", date(2025, 7, 11)) in stored
    assert ("MP", date(2025, 7, 10)) not in stored and ("SPY", date(2025, 7, 10)) not in stored


def test_unchanged_download_rewrites_nothing(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    store = make_store()
    store.refresh(["MP"])
    rows, token = table_rows(store), store.cache_token()
    report = store.refresh(["MP"], force=True)
    assert report.symbols["MP"].status == "unchanged"
    assert table_rows(store) == rows  # write_seq included: ON CONFLICT ... WHERE changed
    assert store.cache_token() == token


def test_rebased_history_replaces_the_symbol_wholesale(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    store = make_store()
    store.refresh(["MP"])

    def halve(df: pd.DataFrame) -> pd.DataFrame:  # a split: every adjusted close re-based
        return df.assign(adj_close=df["adj_close"] * 0.5)

    fetcher = MemoryFetcher(transform=halve)
    store.fetcher = fetcher
    report = store.refresh(["MP"], force=True)
    assert report.symbols["MP"].status == "rebased"
    assert fetcher.calls[-1][1] is None  # the full history was fetched again
    mp = store.load(["MP"])
    real = read_snapshot()
    real = real[(real["symbol"] == "MP") & (real["date"] <= pd.Timestamp(TODAY))]
    assert len(mp) == len(real)  # no snapshot row of the old basis left in between
    merged = mp.merge(real, on="date", suffixes=("", "_real"))
    assert (merged["adj_close"] / merged["adj_close_real"]).round(9).eq(0.5).all()
    assert store.backend.read_state().full_history("MP")


# --------------------------------------------------------------------------- several servers


def test_a_refresh_by_one_server_is_served_by_another(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    first, other_fetcher = MemoryFetcher(), MemoryFetcher()
    a, b = make_store(first), make_store(other_fetcher)
    token_b = b.cache_token()
    a.refresh(["MP", "SPY"])
    assert b.cache_token() != token_b
    assert b.load(["MP"])["date"].max() == pd.Timestamp("2025-07-15")
    assert b.stale_symbols(["MP", "SPY"]) == []
    report = b.refresh(["MP", "SPY"])
    assert report.attempted == [] and other_fetcher.calls == []


def test_a_failed_attempt_is_shared_so_others_do_not_retry_at_once(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    a = make_store(MemoryFetcher(fail=["MP"]))
    b = make_store()
    a.refresh(["MP"])
    assert b.stale_symbols(["MP"], auto=True) == []  # page-load refreshes wait
    assert b.stale_symbols(["MP"]) == ["MP"]  # "Refresh now" still tries


def test_refresh_while_another_server_holds_the_lock_downloads_nothing(
    make_store: Callable[..., PgPriceStore], online: None
) -> None:
    fetcher = MemoryFetcher()
    store = make_store(fetcher)
    store.backend.ensure_schema()
    other = sa.create_engine(store.backend.engine.url)
    try:
        with other.connect() as conn:
            lock = sa.func.pg_try_advisory_lock(REFRESH_LOCK_KEY)
            assert conn.execute(sa.select(lock)).scalar() is True
            report = store.refresh(["MP"], force=True)
            assert getattr(report, "busy", False) and fetcher.calls == []
            assert "Another app server is updating prices" in report.summary()
            assert store.load(["MP"])["date"].max() == pd.Timestamp("2025-06-30")
            conn.execute(sa.select(sa.func.pg_advisory_unlock(REFRESH_LOCK_KEY)))
        report = store.refresh(["MP"])
        assert report.updated == ["MP"] and len(fetcher.calls) == 1
    finally:
        other.dispose()


def test_unreachable_database_serves_the_snapshot_with_a_message(
    tmp_path: Path, online: None
) -> None:
    fetcher = MemoryFetcher()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nowhere"
    store = PgPriceStore(url, snapshot_path=truncated_snapshot(tmp_path), fetcher=fetcher)
    try:
        mp = store.load(["MP"])
        assert mp["date"].max() == pd.Timestamp("2025-06-30") and len(mp) > 1000
        assert store.cache_problem and "unreachable" in store.cache_problem
        assert set(store.coverage()["source"]) == {"snapshot"}
        report = store.refresh(["MP"], force=True)
        assert report.failed == ["MP"] and fetcher.calls == []
        # While it is down, reruns do not wait for a connection again every time.
        tries: list[int] = []

        def connect() -> None:
            tries.append(1)
            raise AssertionError("connected again right after a failure")

        store.backend.engine.connect = connect  # type: ignore[method-assign]
        assert store.cache_token() == "unreachable" and len(store.load(["MP"])) == len(mp)
        assert tries == []
    finally:
        store.dispose()


def test_select_price_store_by_url(tmp_path: Path) -> None:
    def file_store() -> PriceStore:
        return PriceStore(cache_dir=tmp_path)

    pg = select_price_store("postgresql+psycopg://u@db.internal/rer", file_store=file_store)
    assert isinstance(pg.backend, PgCache) and isinstance(pg.fetcher, YahooFetcher)
    pg.dispose()
    for url in (None, "", "sqlite:///x.db", "not a url"):
        store = select_price_store(url, file_store=file_store)
        assert isinstance(store.backend, FileCache)
    assert is_postgres_url("postgresql://u@h/d") and not is_postgres_url("sqlite://")


# --------------------------------------------------------------------------- processes


class Worker:
    """tests/pg_refresh_worker.py in its own process: one app server refreshing prices."""

    def __init__(self, url: str, fake: FakeYahoo, snapshot: Path, go: Path | None) -> None:
        cmd = [sys.executable, "-m", "tests.pg_refresh_worker", url, str(fake.port)]
        cmd += [str(snapshot), "MP", "SPY"]
        if go is not None:
            cmd += ["--go", str(go)]
        self.err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in result)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.err, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert json.loads(line or "{}").get("ready"), self.stderr()

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().decode(errors="replace")[-3000:]

    def result(self) -> dict[str, Any]:
        out, _ = self.proc.communicate(timeout=WORKER_DEADLINE_S)
        assert self.proc.returncode == 0, self.stderr()
        self.err.close()
        return json.loads(out.strip().splitlines()[-1])


def history_requests(fake: FakeYahoo) -> dict[str, int]:
    """Price-history downloads per symbol (the timezone probes, range=1d, not counted)."""
    counts: dict[str, int] = {}
    for path, query in list(fake.log):
        if path.startswith("/v8/finance/chart/") and query.get("range") != "1d":
            sym = path.rsplit("/", 1)[1]
            counts[sym] = counts.get(sym, 0) + 1
    return counts


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    with running_fake(tmp_path, monkeypatch) as fake:
        fake.as_of = TODAY
        yield fake


def test_two_processes_racing_to_refresh_download_once(
    db_url: str, tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    snapshot = truncated_snapshot(tmp_path)
    go = tmp_path / "go"
    workers = [Worker(db_url, fake_yahoo, snapshot, go) for _ in range(2)]
    go.touch()
    results = [w.result() for w in workers]
    downloaders = [r for r in results if r["yahoo_calls"]]
    assert len(downloaders) == 1, results
    assert downloaders[0]["updated"] == ["MP", "SPY"]
    other = next(r for r in results if not r["yahoo_calls"])
    assert other["busy"] or other["attempted"] == []  # locked out, or came after: fresh
    assert history_requests(fake_yahoo) == {"MP": 1, "SPY": 1}
    for r in results:  # once the refresher is done, both servers show the same as-of date
        if not r["busy"]:
            assert r["last_dates"] == {"MP": "2025-07-15", "SPY": "2025-07-15"}


def test_refresh_in_progress_on_one_server_is_not_repeated_by_another(
    db_url: str, tmp_path: Path, fake_yahoo: FakeYahoo
) -> None:
    snapshot = truncated_snapshot(tmp_path)
    # History downloads are held until released below. The timezone probes are not: yfinance
    # gives those its own short timeout, and a probe that timed out would fail the symbol.
    fake_yahoo.fail("*", HANG, hang_s=WORKER_DEADLINE_S, probe=False)
    a = Worker(db_url, fake_yahoo, snapshot, go=None)
    deadline = time.monotonic() + WORKER_DEADLINE_S
    while fake_yahoo.hanging < 2:  # A holds the lock and both its downloads are in flight
        assert time.monotonic() < deadline and a.proc.poll() is None, a.stderr()
        time.sleep(0.05)
    requests_so_far = fake_yahoo.total_requests()
    b = Worker(db_url, fake_yahoo, snapshot, go=None).result()
    assert b["busy"] and b["yahoo_calls"] == 0 and b["attempted"] == []
    assert fake_yahoo.total_requests() == requests_so_far  # B sent nothing to Yahoo
    fake_yahoo.faults.clear()
    fake_yahoo.stop_event.set()  # release A's held request
    ra = a.result()
    assert ra["updated"] == ["MP", "SPY"] and ra["yahoo_calls"] == 1
    assert history_requests(fake_yahoo) == {"MP": 1, "SPY": 1}
    # B (or any later server) now serves A's rows without calling Yahoo again.
    c = Worker(db_url, fake_yahoo, snapshot, go=None).result()
    assert c["yahoo_calls"] == 0 and not c["busy"] and c["attempted"] == []
    assert c["last_dates"] == {"MP": "2025-07-15", "SPY": "2025-07-15"}
    assert history_requests(fake_yahoo) == {"MP": 1, "SPY": 1}
