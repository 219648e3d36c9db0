"""Issue 7: Yahoo faults through the real yfinance path, crashes, corruption, re-adjustment."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lib.ui.data
from lib.paths import ROOT
from lib.prices import PriceStore, read_snapshot
from lib.prices.cache_file import WRITE_STEPS
from tests.apptest_frame import page_app
from tests.fake_yahoo import (
    CLOSE,
    DUPES,
    EMPTY,
    HANG,
    MALFORMED,
    NULL,
    REBASE,
    STATUS,
    TODAY,
    TZSHIFT,
    Clock,
    FakeYahoo,
    running_fake,
    store_for,
)

SEED_DAY = date(2025, 7, 8)


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    with running_fake(tmp_path, monkeypatch) as fake:
        yield fake


def seeded_store(fake: FakeYahoo, tmp_path: Path, **fetcher_kwargs: object) -> PriceStore:
    """A store whose cache already holds Yahoo rows up to SEED_DAY (a good earlier refresh)."""
    store = store_for(fake, tmp_path, **fetcher_kwargs)
    clock = store.now
    assert isinstance(clock, Clock)
    fake.as_of, clock.when = SEED_DAY, datetime.combine(SEED_DAY, dtime(22, 0))
    first = store.refresh(["MP", "SPY"])
    assert first.updated == ["MP", "SPY"] and first.written
    fake.as_of, clock.when = TODAY, datetime.combine(TODAY, dtime(22, 0))
    fake.reset_counts()
    return store


def file_fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def cached(store: PriceStore, symbol: str) -> pd.DataFrame:
    df, _ = store.read_cache()
    return df[df["symbol"] == symbol].reset_index(drop=True)


def close_on(df: pd.DataFrame, symbol: str, day: str) -> float:
    row = df[(df["symbol"] == symbol) & (df["date"] == pd.Timestamp(day))]
    assert len(row) == 1, f"{symbol} {day}: {len(row)} rows"
    return float(row["close"].iloc[0])


# --------------------------------------------------------------------------- partial failure


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        (STATUS, {"status": 500}),
        (STATUS, {"status": 503}),
        (STATUS, {"status": 404}),
        (CLOSE, {}),
        (MALFORMED, {}),
        (EMPTY, {}),
        (NULL, {}),
    ],
    ids=["500", "503", "404", "close-mid-body", "malformed-json", "empty", "all-null"],
)
def test_partial_failure_keeps_good_symbols_and_failed_rows(
    fake_yahoo: FakeYahoo, tmp_path: Path, kind: str, kwargs: dict
) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    mp_before = cached(store, "MP")
    fake_yahoo.fail("MP", kind, **kwargs)
    report = store.refresh(["MP", "SPY"])
    assert report.failed == ["MP"]
    assert report.updated == ["SPY"]
    assert "failed: MP" in report.summary()
    pd.testing.assert_frame_equal(cached(store, "MP"), mp_before)  # failed rows intact
    assert cached(store, "MP")["date"].max() == pd.Timestamp(SEED_DAY)
    assert close_on(store.load(["SPY"]), "SPY", "2025-07-15") > 0  # the good one advanced


# --------------------------------------------------------------------------- total failure


def test_total_failure_leaves_cache_byte_identical(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    before = file_fingerprint(store.backend.path)
    fake_yahoo.fail("*", STATUS, status=503)
    report = store.refresh(["MP", "SPY"])
    assert report.failed == ["MP", "SPY"]
    assert not report.written
    assert file_fingerprint(store.backend.path) == before
    # Still fully usable: the cached rows are served.
    assert close_on(store.load(["MP"]), "MP", "2025-07-08") == pytest.approx(31.19)
    # ... and page loads do not retry the failed symbols every time (in-memory memo).
    assert store.stale_symbols(["MP", "SPY"], auto=True) == []
    assert store.stale_symbols(["MP", "SPY"]) == ["MP", "SPY"]


def test_unreachable_yahoo_changes_nothing(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    before = file_fingerprint(store.backend.path)
    fake_yahoo.stop()  # the port is now closed: the probe fails fast
    report = store.refresh(["MP", "SPY"])
    assert report.offline
    assert "unreachable" in report.summary()
    assert file_fingerprint(store.backend.path) == before


# --------------------------------------------------------------------------- rate limiting


def test_rate_limit_backoff_is_bounded(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = seeded_store(
        fake_yahoo, tmp_path, max_retries=2, backoff_s=1.0, max_backoff_total_s=6.0,
        sleep=sleeps.append,
    )  # fmt: skip
    before = file_fingerprint(store.backend.path)
    fake_yahoo.fail("*", STATUS, status=429)
    report = store.refresh(["MP", "SPY"])
    assert report.rate_limited
    assert "rate-limited" in report.summary()
    assert report.failed == ["MP", "SPY"]
    assert sleeps == [1.0, 2.0]  # exponential, then stop: 3 attempts in all
    assert sum(sleeps) <= 6.0
    # 3 attempts x 2 symbols x (tz probe + chart) x yfinance's one cookie-strategy retry.
    assert 6 <= fake_yahoo.chart_requests() <= 24
    assert fake_yahoo.total_requests() <= 80
    assert file_fingerprint(store.backend.path) == before


def test_rate_limit_backoff_respects_total_cap(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = seeded_store(
        fake_yahoo, tmp_path, max_retries=5, backoff_s=1.0, max_backoff_total_s=2.5,
        sleep=sleeps.append,
    )  # fmt: skip
    fake_yahoo.fail("MP", STATUS, status=429)
    report = store.refresh(["MP", "SPY"])
    assert sleeps == [1.0]  # 1 + 2 would exceed the 2.5 s cap
    assert report.failed == ["MP"] and report.updated == ["SPY"]


def test_rate_limit_recovers_after_backoff(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = seeded_store(fake_yahoo, tmp_path, sleep=sleeps.append)
    fake_yahoo.fail("MP", STATUS, status=429, times=2)
    report = store.refresh(["MP", "SPY"])
    assert report.rate_limited and sleeps
    assert report.failed == []
    assert close_on(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


# --------------------------------------------------------------------------- timeouts


def test_hanging_server_is_cut_off_by_the_client_timeout(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    store = seeded_store(fake_yahoo, tmp_path, timeout=1.0)
    fake_yahoo.fail("MP", HANG, hang_s=60)
    report = store.refresh(["MP", "SPY"])
    # The refresh came back while the server was still holding MP's request open:
    # the client gave up on its own timeout rather than waiting for the server.
    assert fake_yahoo.hanging >= 1
    assert report.failed == ["MP"]
    assert report.updated == ["SPY"]


def test_overall_deadline_bounds_one_download(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = seeded_store(fake_yahoo, tmp_path, timeout=30.0, deadline_s=1.0)
    fake_yahoo.fail("*", HANG, hang_s=60)
    before = file_fingerprint(store.backend.path)
    report = store.refresh(["MP", "SPY"])
    assert fake_yahoo.hanging >= 1
    assert report.failed == ["MP", "SPY"]
    assert all("timed out" in report.symbols[s].message for s in ("MP", "SPY"))
    assert file_fingerprint(store.backend.path) == before


# --------------------------------------------------------------------------- malformed data


def test_null_closes_are_dropped_with_a_warning(
    fake_yahoo: FakeYahoo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    fake_yahoo.fail("MP", NULL, every=3)
    with caplog.at_level(logging.WARNING, logger="lib.prices"):
        report = store.refresh(["MP"])
    assert any("MP: dropped" in w and "missing" in w for w in report.warnings)
    assert any("MP: dropped" in r.getMessage() for r in caplog.records)
    mp = cached(store, "MP")
    assert mp["close"].notna().all() and mp["adj_close"].notna().all()
    assert report.updated == ["MP"]


def test_duplicated_unsorted_bars_land_once_in_order(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    fake_yahoo.fail("MP", DUPES)
    report = store.refresh(["MP"])
    assert report.updated == ["MP"]
    mp = store.load(["MP"])
    assert not mp.duplicated(["symbol", "date"]).any()
    assert mp["date"].is_monotonic_increasing
    assert close_on(mp, "MP", "2025-07-10") == pytest.approx(45.23)


def test_timezone_shifted_by_a_day_is_repaired(
    fake_yahoo: FakeYahoo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    fake_yahoo.fail("MP", TZSHIFT)
    with caplog.at_level(logging.WARNING, logger="lib.prices"):
        report = store.refresh(["MP"])
    assert any("one day late" in w for w in report.warnings)
    assert any("timezone" in r.getMessage() for r in caplog.records)
    mp = store.load(["MP"])
    assert (mp["date"].dt.day_of_week < 5).all()  # no Saturday bars
    assert close_on(mp, "MP", "2025-07-09") == pytest.approx(30.03)
    assert close_on(mp, "MP", "2025-07-10") == pytest.approx(45.23)
    assert report.symbols["MP"].status == "updated"  # aligned again, so no spurious re-basing


# --------------------------------------------------------------------------- split / dividend


def test_split_rewrite_replaces_whole_adjusted_series(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    ex_date = pd.Timestamp("2025-07-10")
    fake_yahoo.fail("MP", REBASE, factor=0.5, before=ex_date.date())
    report = store.refresh(["MP", "SPY"])
    assert report.symbols["MP"].status == "rebased"
    assert report.symbols["SPY"].status == "updated"
    mp = store.load(["MP"]).set_index("date")
    real = read_snapshot().query("symbol == 'MP' and date <= @pd.Timestamp(@TODAY)")
    real = real.set_index("date")
    assert mp.index.equals(real.index)  # the whole history, not only the new days
    expected = real["adj_close"].where(real.index >= ex_date, real["adj_close"] * 0.5)
    ratio = mp["adj_close"] / expected
    assert ratio.sub(1).abs().max() < 1e-9  # one basis everywhere: no old rows survive
    assert float(mp.loc["2020-11-18", "adj_close"]) == pytest.approx(
        float(real.loc["2020-11-18", "adj_close"]) * 0.5
    )


# --------------------------------------------------------------------------- crash mid-write

_WRITER = r"""
import os
import signal
import sys
from pathlib import Path

from lib.prices import read_snapshot
from lib.prices.cache_file import CacheState, write_cache_file

path, kill_at = Path(sys.argv[1]), sys.argv[2]
snap = read_snapshot()
versions = [snap, snap[snap["symbol"] != "SPY"]]
for i in range(2):  # two complete writes: a good file is on disk
    write_cache_file(path, versions[i % 2], CacheState({"MP": {"n": i}}))


def crash(step: str) -> None:
    if step == kill_at:
        print(step, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


write_cache_file(path, versions[0], CacheState({"MP": {"n": 2}}), checkpoint=crash)
print("not killed", flush=True)
"""


@pytest.mark.parametrize("kill_at", WRITE_STEPS)
def test_killed_writer_never_leaves_a_corrupt_cache(tmp_path: Path, kill_at: str) -> None:
    """SIGKILL at each step of a write (not at a guessed time): one complete file survives."""
    cache = tmp_path / "cache" / "cache.parquet"
    snap = read_snapshot()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(cache), kill_at],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert proc.stdout.decode().split() == [kill_at]  # killed exactly there
    store = PriceStore(cache_dir=cache.parent)
    df, state = store.read_cache()
    assert store.cache_problem is None
    # Before the rename the previous complete version (n=1, SPY dropped) is on disk; after
    # it, the new one (n=2, everything). Never a mix, never half a file.
    replaced = kill_at == "replaced"
    assert state.symbols["MP"]["n"] == (2 if replaced else 1)
    assert len(df) == (len(snap) if replaced else int((snap["symbol"] != "SPY").sum()))


# --------------------------------------------------------------------------- corrupt cache


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"\x00not parquet at all" * 100)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "wrong-schema":
        pq.write_table(pa.table({"x": [1, 2, 3]}), path)


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "wrong-schema"])
def test_corrupt_cache_falls_back_to_snapshot_and_rebuilds(
    fake_yahoo: FakeYahoo, tmp_path: Path, how: str
) -> None:
    store = seeded_store(fake_yahoo, tmp_path)
    _corrupt(store.backend.path, how)
    damaged = file_fingerprint(store.backend.path)
    fresh = PriceStore(snapshot_path=store.snapshot_path, cache_dir=store.backend.cache_dir)
    mp = fresh.load(["MP"])
    assert fresh.cache_problem and "unreadable" in fresh.cache_problem
    assert mp["date"].max() == pd.Timestamp("2025-06-30")  # the snapshot, still usable
    # A refresh never overwrites a file it could not read.
    report = store.refresh(["MP"])
    assert report.failed == ["MP"] and not report.written
    assert file_fingerprint(store.backend.path) == damaged
    # Rebuild moves it aside (kept for inspection); the next refresh starts clean.
    aside = store.rebuild_cache()
    assert aside is not None and aside.exists() and aside.read_bytes() == damaged[0]
    assert not store.backend.path.exists()
    assert store.cache_problem is None
    assert store.refresh(["MP"]).updated == ["MP"]
    assert close_on(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


# --------------------------------------------------------------------------- the UI says so


def test_app_names_failed_symbols_after_automatic_refresh(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_for(fake_yahoo, tmp_path)
    monkeypatch.setattr(lib.ui.data, "default_store", lambda: store)
    fake_yahoo.fail("SPY", STATUS, status=503)
    fake_yahoo.fail("REMX", STATUS, status=429)
    at = page_app(default_timeout=120).run()
    assert not at.exception
    shown = " ".join(c.value for c in at.sidebar.caption)
    assert "failed:" in shown and "SPY" in shown and "REMX" in shown
    assert "rate-limited" in shown
    assert close_on(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)
