"""PriceStore merge logic against an in-memory fetcher, plus the pure cleaning helpers."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lib.prices import FetchResult, PriceStore, forget_probe, probe_reachable, read_snapshot
from lib.prices.cache_file import CacheState, write_cache_file
from lib.prices.cleaning import basis_changed, clean_rows
from lib.prices.schema import empty_prices, normalise
from lib.prices.store import AUTO_RETRY_AFTER
from lib.prices.yahoo import _is_rate_limit
from tests.fake_yahoo import TODAY, Clock, closed_port, truncated_snapshot

NOW = datetime(2025, 7, 15, 22, 0)


class MemoryFetcher:
    """Serves the real snapshot rows (optionally transformed); records every call."""

    def __init__(
        self,
        *,
        fail: Sequence[str] = (),
        transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
        reachable: bool = True,
    ) -> None:
        self.data = read_snapshot()
        self.fail = set(fail)
        self.transform = transform
        self.reachable = reachable
        self.calls: list[tuple[tuple[str, ...], date | None, date]] = []

    def available(self) -> bool:
        return self.reachable

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


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RER_OFFLINE", raising=False)


def make_store(tmp_path: Path, fetcher: MemoryFetcher | None = None) -> PriceStore:
    return PriceStore(
        snapshot_path=truncated_snapshot(tmp_path),
        cache_dir=tmp_path / "cache",
        fetcher=fetcher or MemoryFetcher(),
        now=Clock(NOW),
    )


def close_on(df: pd.DataFrame, symbol: str, day: str) -> float:
    row = df[(df["symbol"] == symbol) & (df["date"] == pd.Timestamp(day))]
    assert len(row) == 1
    return float(row["close"].iloc[0])


# --------------------------------------------------------------------------- merging


def test_real_snapshot_values() -> None:
    mp = PriceStore().load(["MP"])
    assert close_on(mp, "MP", "2025-07-09") == pytest.approx(30.03)
    assert close_on(mp, "MP", "2025-07-10") == pytest.approx(45.23)


def test_merge_after_refresh_adds_rows(tmp_path: Path, online: None) -> None:
    fetcher = MemoryFetcher()
    store = make_store(tmp_path, fetcher)
    before = store.load(["MP", "SPY"])
    report = store.refresh(["MP", "SPY"])
    assert report.updated == ["MP", "SPY"]
    assert report.symbols["MP"].new_rows == 10  # 2025-07-01 .. 07-15, no 4 July
    after = store.load(["MP", "SPY"])
    assert len(after) == len(before) + 20
    assert close_on(after, "MP", "2025-07-10") == pytest.approx(45.23)
    # One batched call for both symbols, starting a week before the last known row.
    assert fetcher.calls == [(("MP", "SPY"), date(2025, 6, 23), TODAY + timedelta(days=1))]


def test_cache_wins_over_snapshot_on_same_date(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    row = store.load(["MP"]).tail(1).assign(close=99.5, adj_close=99.5)
    write_cache_file(store.backend.path, row, CacheState())
    mp = store.load(["MP"])
    assert close_on(mp, "MP", "2025-06-30") == pytest.approx(99.5)
    assert not mp.duplicated(["symbol", "date"]).any()


def test_failed_refresh_leaves_cache_byte_for_byte_intact(tmp_path: Path, online: None) -> None:
    store = make_store(tmp_path)
    store.refresh(["MP"])
    blob, mtime = store.backend.path.read_bytes(), store.backend.path.stat().st_mtime_ns
    store.fetcher = MemoryFetcher(fail=["MP", "SPY"])
    store.now = Clock(NOW + timedelta(days=1))
    report = store.refresh(["MP", "SPY"], force=True)
    assert report.failed == ["MP", "SPY"]
    assert store.backend.path.read_bytes() == blob
    assert store.backend.path.stat().st_mtime_ns == mtime


def test_partial_refresh_keeps_failed_symbols_rows(tmp_path: Path, online: None) -> None:
    store = make_store(tmp_path)
    store.refresh(["MP", "SPY"])
    mp_before = store.load(["MP"])
    store.fetcher = MemoryFetcher(fail=["MP"])
    report = store.refresh(["MP", "SPY"], force=True)
    assert report.failed == ["MP"] and report.written
    pd.testing.assert_frame_equal(store.load(["MP"]), mp_before)


def test_offline_env_never_calls_the_fetcher(tmp_path: Path) -> None:
    fetcher = MemoryFetcher()
    report = make_store(tmp_path, fetcher).refresh(["MP"], force=True)
    assert report.offline and fetcher.calls == []


def test_unreachable_fetcher_reports_offline(tmp_path: Path, online: None) -> None:
    fetcher = MemoryFetcher(reachable=False)
    report = make_store(tmp_path, fetcher).refresh(["MP"])
    assert report.offline and fetcher.calls == []
    assert not (tmp_path / "cache" / "cache.parquet").exists()


# --------------------------------------------------------------------------- staleness


def test_stale_symbols_auto_skip_window(tmp_path: Path, online: None) -> None:
    store = make_store(tmp_path, MemoryFetcher(fail=["SPY"]))
    assert store.stale_symbols(["MP", "SPY"]) == ["MP", "SPY"]
    store.refresh(["MP", "SPY"])  # MP succeeds (state written), SPY fails
    assert store.stale_symbols(["MP", "SPY"]) == ["SPY"]
    assert store.stale_symbols(["MP", "SPY"], auto=True) == []  # SPY tried just now
    # A fresh process sees the attempt in the cache file's state, too.
    other = PriceStore(store.snapshot_path, store.backend.cache_dir, now=Clock(NOW))
    assert other.stale_symbols(["SPY"], auto=True) == []
    later = Clock(NOW + AUTO_RETRY_AFTER + timedelta(minutes=1))
    store.now = later
    assert store.stale_symbols(["SPY"], auto=True) == ["SPY"]


def test_up_to_date_symbols_are_not_refetched(tmp_path: Path, online: None) -> None:
    fetcher = MemoryFetcher()
    store = make_store(tmp_path, fetcher)
    store.refresh(["MP"])
    report = store.refresh(["MP"])
    assert report.attempted == [] and len(fetcher.calls) == 1
    assert "up to date" in report.summary()


# --------------------------------------------------------------------------- re-adjustment


def _halve_old_adj(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(
        adj_close=df["adj_close"].where(df["date"] >= "2025-07-10", df["adj_close"] / 2)
    )


def test_rebased_history_replaces_series_wholesale(tmp_path: Path, online: None) -> None:
    store = make_store(tmp_path, MemoryFetcher(transform=_halve_old_adj))
    report = store.refresh(["MP"])
    assert report.symbols["MP"].status == "rebased"
    mp = store.load(["MP"]).set_index("date")
    assert float(mp.loc["2025-06-30", "adj_close"]) == pytest.approx(
        float(read_snapshot().query("symbol == 'MP'").set_index("date").loc["2025-06-30"].close) / 2
    )


def test_rebase_whose_full_refetch_fails_keeps_old_basis(tmp_path: Path, online: None) -> None:
    class FailsOnFullHistory(MemoryFetcher):
        def fetch(self, symbols: Sequence[str], start: date | None, end: date) -> FetchResult:
            if start is None:
                self.calls.append((tuple(symbols), start, end))
                return FetchResult(empty_prices(), {s: "timed out" for s in symbols})
            return super().fetch(symbols, start, end)

    store = make_store(tmp_path, FailsOnFullHistory(transform=_halve_old_adj))
    before = store.load(["MP"])
    report = store.refresh(["MP"])
    assert report.failed == ["MP"]
    assert "re-adjusted" in report.symbols["MP"].message
    pd.testing.assert_frame_equal(store.load(["MP"]), before)  # no half-new, half-old mix


@pytest.mark.parametrize(
    "new_factor, changed",
    [(1.0, False), (1.00001, False), (0.98, True), (2.0, True)],
)
def test_basis_changed(new_factor: float, changed: bool) -> None:
    old = read_snapshot().query("symbol == 'MP'").tail(5)
    new = old.assign(adj_close=old["adj_close"] * new_factor)
    assert basis_changed(old, new) is changed


# --------------------------------------------------------------------------- cleaning


def _rows(dates: list[str], closes: list[float | None], symbol: str = "MP") -> pd.DataFrame:
    return normalise(
        pd.DataFrame(
            {
                "date": pd.to_datetime(dates),
                "symbol": symbol,
                "open": closes,
                "high": closes,
                "low": closes,
                "close": closes,
                "adj_close": closes,
                "volume": 1,
            }
        )
    )


@pytest.mark.parametrize(
    "dates, closes, want_dates, warning",
    [
        (["2025-07-09", "2025-07-09", "2025-07-10"], [1, 2, 3], ["2025-07-09", "2025-07-10"],
         "duplicated"),
        (["2025-07-10", "2025-07-08", "2025-07-09"], [3, 1, 2],
         ["2025-07-08", "2025-07-09", "2025-07-10"], None),
        (["2025-07-09", "2025-07-10"], [None, 3], ["2025-07-10"], "missing"),
        (["2025-07-09", "2025-07-10"], [0, 3], ["2025-07-10"], "non-positive"),
        (["2025-07-15", "2025-07-16"], [1, 2], ["2025-07-15"], "dated after"),
        (["2025-07-08", "2025-07-12"], [1, 2], ["2025-07-07", "2025-07-11"], "one day late"),
        (["2025-07-06", "2025-07-09"], [1, 2], ["2025-07-07", "2025-07-10"], "one day early"),
        (["2025-07-07", "2025-07-12"], [1, 2], ["2025-07-07"], "weekend"),
    ],
    ids=["dupes", "unsorted", "null", "zero", "future", "tz-late", "tz-early", "stray-weekend"],
)  # fmt: skip
def test_clean_rows_repairs_deliberately(
    dates: list[str],
    closes: list[float | None],
    want_dates: list[str],
    warning: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="lib.prices"):
        out, warnings = clean_rows(_rows(dates, closes), TODAY)
    assert list(out["date"]) == [pd.Timestamp(d) for d in want_dates]
    if warning is None:
        assert warnings == []
    else:
        assert any(warning in w for w in warnings)
        assert any(warning in r.getMessage() for r in caplog.records)


def test_clean_rows_keeps_sunday_sessions_on_sun_thu_exchanges() -> None:
    out, warnings = clean_rows(_rows(["2025-07-06", "2025-07-07"], [1, 2], "1211.SR"), TODAY)
    assert list(out["date"]) == [pd.Timestamp("2025-07-06"), pd.Timestamp("2025-07-07")]
    assert warnings == []


@pytest.mark.parametrize(
    "msg, limited",
    [
        ("YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')", True),
        ("429 Client Error: Too Many Requests for url", True),
        ("HTTPError('404 Client Error: Not Found for url: http://127.0.0.1:42925/v10/x')", False),
        ("possibly delisted; no price data found", False),
    ],
)
def test_rate_limit_detection(msg: str, limited: bool) -> None:
    assert _is_rate_limit(msg) is limited


# --------------------------------------------------------------------------- offline probe


def test_probe_of_closed_port_is_false() -> None:
    assert probe_reachable("127.0.0.1", closed_port(), timeout=1.0, ttl=0) is False


def test_probe_result_is_remembered_until_forgotten() -> None:
    forget_probe()
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        assert probe_reachable("127.0.0.1", port, timeout=1.0) is True
    # The port is closed now, but the answer is remembered for a few minutes ...
    assert probe_reachable("127.0.0.1", port, timeout=1.0) is True
    forget_probe()  # ... unless the user asks again ("Refresh now").
    assert probe_reachable("127.0.0.1", port, timeout=1.0) is False


def test_probe_of_unresolvable_host_is_false() -> None:
    # Name resolution is blocked in tests; the probe must answer False, not raise.
    assert probe_reachable("query2.finance.yahoo.com", 443, timeout=1.0, ttl=0) is False


# --------------------------------------------------------------------------- one protocol


def test_both_backends_satisfy_the_protocol_without_overriding_the_store() -> None:
    """The rules live once, in PriceStore; a backend only keeps rows (no subclass overrides)."""
    import inspect

    from lib.prices import backend, pg_store
    from lib.prices.file_cache import FileCache

    members = [
        m for m in vars(backend.CacheBackend) if not m.startswith("_") and m not in ("problem",)
    ]
    for cls in (FileCache, pg_store.PgCache):
        for name in members:
            assert hasattr(cls, name), f"{cls.__name__} lacks {name}"
    subclasses = [
        obj
        for mod in (pg_store, backend)
        for _, obj in inspect.getmembers(mod, inspect.isclass)
        if issubclass(obj, PriceStore) and obj is not PriceStore
    ]
    assert subclasses == []
