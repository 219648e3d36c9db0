"""The one data boundary for prices: snapshot -> local cache -> Yahoo Finance.

Layers, read in this order and merged per (symbol, date):

1. the shipped snapshot of real daily prices (``data/prices/snapshot.parquet``);
2. the local cache of rows fetched from Yahoo (``<user data dir>/prices/cache.parquet``);
   its rows win over the snapshot on the same date, and a symbol whose adjustment
   basis changed is replaced wholesale (``full_history``), never mixed;
3. Yahoo itself, reached only by :meth:`PriceStore.refresh`.

A refresh never deletes or overwrites good rows with bad ones: failed symbols are left
untouched, invalid rows are dropped before the merge, and the cache file is replaced
atomically (write to a temp file, fsync, ``os.replace``) under an inter-process lock.
If nothing was fetched, nothing is written, so the file stays byte-identical.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.paths import DATA_DIR, user_data_dir

log = logging.getLogger(__name__)

SNAPSHOT_DIR = DATA_DIR / "prices"
SNAPSHOT_PATH = SNAPSHOT_DIR / "snapshot.parquet"
SNAPSHOT_META_PATH = SNAPSHOT_DIR / "snapshot_meta.csv"
SNAPSHOT_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "adj_close", "volume"]
PRICE_FIELDS = ["open", "high", "low", "close", "adj_close"]

#: Set to 1 to never contact Yahoo (air-gapped deployments, CI).
ENV_OFFLINE = "RER_OFFLINE"

CACHE_FILE = "cache.parquet"
_STATE_KEY = b"rer_state"

#: Relative difference of adjusted closes on overlapping days above which we treat the
#: series as re-based (split, dividend, or a different source) and refetch it whole.
BASIS_TOLERANCE = 1e-4
#: How long an attempt counts as recent enough for automatic refreshes to skip it.
AUTO_RETRY_AFTER = timedelta(hours=6)
#: How many days before the last known row an incremental download starts, to detect re-basing.
OVERLAP_DAYS = 7


class PriceDataError(Exception):
    """Base class for price-store errors a page can show to the user."""


class CacheCorruptError(PriceDataError):
    """The local cache file exists but cannot be read; the snapshot is used instead."""


@dataclass(frozen=True)
class FetchResult:
    """What one batched download returned: tidy rows plus per-symbol errors."""

    rows: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    rate_limited: bool = False
    retries: int = 0


class Fetcher(Protocol):
    """Anything that can download daily prices; Yahoo in production, fakes in tests."""

    def available(self) -> bool: ...

    def fetch(self, symbols: Sequence[str], start: date | None, end: date) -> FetchResult: ...


@dataclass
class SymbolReport:
    symbol: str
    status: str  # updated | unchanged | failed | rebased | skipped
    new_rows: int = 0
    message: str = ""


@dataclass
class RefreshReport:
    """Outcome of one refresh, in words a page or the CLI can print."""

    attempted: list[str] = field(default_factory=list)
    symbols: dict[str, SymbolReport] = field(default_factory=dict)
    offline: bool = False
    rate_limited: bool = False
    written: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return sorted(s for s, r in self.symbols.items() if r.status == "failed")

    @property
    def updated(self) -> list[str]:
        return sorted(s for s, r in self.symbols.items() if r.status in ("updated", "rebased"))

    def summary(self) -> str:
        if self.offline:
            return "Yahoo Finance is unreachable; using the data already on disk."
        if not self.attempted:
            return "All prices are up to date."
        if self.failed and not self.updated:
            parts = ["no prices could be updated; using the data already on disk"]
        else:
            parts = [f"updated {len(self.updated)} of {len(self.attempted)} symbols"]
        if self.failed:
            parts.append("failed: " + ", ".join(self.failed))
        if self.rate_limited:
            parts.append("Yahoo rate-limited the request (retried with backoff)")
        return "; ".join(parts)


# --------------------------------------------------------------------------- snapshot


def empty_prices() -> pd.DataFrame:
    """A zero-row frame with the canonical tidy schema."""
    return normalise(pd.DataFrame({c: [] for c in SNAPSHOT_COLUMNS}))


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Coerce a tidy price frame to the canonical dtypes and column order."""
    out = df.reindex(columns=SNAPSHOT_COLUMNS).copy()
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["symbol"] = out["symbol"].astype("string")
    for col in PRICE_FIELDS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["volume"] = pd.to_numeric(out["volume"], errors="coerce").round().astype("Int64")
    return out


def read_snapshot(path: Path = SNAPSHOT_PATH) -> pd.DataFrame:
    return normalise(pd.read_parquet(path))


def read_snapshot_meta(path: Path = SNAPSHOT_META_PATH) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"symbol": "string"})


# --------------------------------------------------------------------------- cleaning


def clean_rows(rows: pd.DataFrame, today: date) -> tuple[pd.DataFrame, list[str]]:
    """Repair or reject malformed downloaded rows before they can reach the cache.

    Deliberate repairs: drop rows whose close/adj_close is missing or not positive,
    rows dated in the future, duplicated dates (the last one wins), then sort.
    Every repair is reported so it is logged, never silent.
    """
    warnings: list[str] = []
    if rows.empty:
        return empty_prices(), warnings
    df = normalise(rows)
    bad = df["adj_close"].isna() | (df["adj_close"] <= 0) | df["close"].isna()
    bad |= df["close"] <= 0
    if bad.any():
        for sym, n in df[bad].groupby("symbol").size().items():
            warnings.append(f"{sym}: dropped {n} row(s) with missing or non-positive prices")
        df = df[~bad]
    df, shifted = _repair_day_shift(df)
    warnings.extend(shifted)
    future = df["date"] > pd.Timestamp(today)
    if future.any():
        for sym, n in df[future].groupby("symbol").size().items():
            warnings.append(f"{sym}: dropped {n} row(s) dated after {today.isoformat()}")
        df = df[~future]
    dup = df.duplicated(["symbol", "date"], keep="last")
    if dup.any():
        for sym, n in df[dup].groupby("symbol").size().items():
            warnings.append(f"{sym}: removed {n} duplicated date(s)")
        df = df[~dup]
    df = df.sort_values(["symbol", "date"], ignore_index=True)
    for w in warnings:
        log.warning("price data repaired: %s", w)
    return df, warnings


#: Exchanges whose sessions are Sunday-Thursday; weekend dates there are real.
SUN_THU_SUFFIXES = (".SR", ".QA", ".KW", ".BH", ".OM", ".EGX")


def _repair_day_shift(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Undo a timezone error that moved every bar by one day, or drop stray weekend bars.

    A wrong exchange timezone turns Mon-Fri bars into Tue-Sat (or Sun-Thu) bars; such rows
    would otherwise land next to correctly dated ones and mix two calendars.
    """
    warnings: list[str] = []
    wd = df["date"].dt.day_of_week
    if not (wd >= 5).any():
        return df, warnings
    parts: list[pd.DataFrame] = []
    for sym, g in df.groupby("symbol", sort=False):
        days = set(g["date"].dt.day_of_week)
        if str(sym).endswith(SUN_THU_SUFFIXES) or not days & {5, 6}:
            parts.append(g)
            continue
        if days <= {1, 2, 3, 4, 5}:
            g = g.assign(date=g["date"] - pd.Timedelta(days=1))
            warnings.append(f"{sym}: dates were one day late (timezone error); moved back a day")
        elif days <= {6, 0, 1, 2, 3}:
            g = g.assign(date=g["date"] + pd.Timedelta(days=1))
            warnings.append(f"{sym}: dates were one day early (timezone error); moved on a day")
        else:
            weekend = g["date"].dt.day_of_week >= 5
            warnings.append(f"{sym}: dropped {int(weekend.sum())} row(s) dated on a weekend")
            g = g[~weekend]
        parts.append(g)
    return pd.concat(parts, ignore_index=True), warnings


def basis_changed(existing: pd.DataFrame, new: pd.DataFrame, tol: float = BASIS_TOLERANCE) -> bool:
    """True when overlapping days disagree: the history was re-adjusted (split/dividend)."""
    if existing.empty or new.empty:
        return False
    m = existing[["date", "adj_close"]].merge(new[["date", "adj_close"]], on="date")
    if m.empty:
        return False
    rel = (m["adj_close_y"] / m["adj_close_x"] - 1.0).abs()
    return bool((rel > tol).any())


# --------------------------------------------------------------------------- cache file


@dataclass
class CacheState:
    """Per-symbol bookkeeping kept inside the cache file's Parquet metadata (one atomic write)."""

    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)

    def entry(self, symbol: str) -> dict[str, Any]:
        return self.symbols.setdefault(symbol, {})

    def full_history(self, symbol: str) -> bool:
        return bool(self.symbols.get(symbol, {}).get("full_history"))

    def last_attempt(self, symbol: str) -> datetime | None:
        raw = self.symbols.get(symbol, {}).get("last_attempt")
        return datetime.fromisoformat(raw) if raw else None


def _read_cache_file(path: Path) -> tuple[pd.DataFrame, CacheState]:
    try:
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        state = CacheState(json.loads(meta[_STATE_KEY])) if _STATE_KEY in meta else CacheState()
        missing = set(SNAPSHOT_COLUMNS) - set(table.column_names)
        if missing:
            raise ValueError(f"missing columns {sorted(missing)}")
        df = normalise(table.to_pandas())
    except (OSError, pa.ArrowException, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CacheCorruptError(f"price cache {path} is unreadable ({exc})") from exc
    if df.duplicated(["symbol", "date"]).any():
        raise CacheCorruptError(f"price cache {path} has duplicated rows")
    return df, state


def _write_cache_file(path: Path, df: pd.DataFrame, state: CacheState) -> None:
    table = pa.Table.from_pandas(normalise(df), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_STATE_KEY] = json.dumps(state.symbols, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    atomic_write_bytes(path, buf.getvalue())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temp file + fsync + rename: a crash leaves the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Inter-process lock so two app servers never interleave read-merge-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- calendar


def last_expected_session(today: date) -> date:
    """The latest weekday whose close should be published by now (today's may not be)."""
    d = today - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


# --------------------------------------------------------------------------- the store


class PriceStore:
    """Snapshot + local cache + optional fetcher, behind one small API.

    Side effects (cache folder, fetcher, clock) are injected so tests need no patching.
    """

    def __init__(
        self,
        snapshot_path: Path = SNAPSHOT_PATH,
        cache_dir: Path | None = None,
        fetcher: Fetcher | None = None,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.snapshot_path = snapshot_path
        self.cache_dir = cache_dir if cache_dir is not None else user_data_dir() / "prices"
        self.fetcher = fetcher
        self.now = now
        self._snapshot: pd.DataFrame | None = None
        self.cache_problem: str | None = None
        # Attempts remembered in memory too: a refresh where everything failed writes
        # nothing (the file stays byte-identical), yet must not be retried on every page load.
        self._attempts: dict[str, datetime] = {}

    # ---- files
    @property
    def cache_path(self) -> Path:
        return self.cache_dir / CACHE_FILE

    @property
    def lock_path(self) -> Path:
        return self.cache_dir / ".lock"

    def cache_token(self) -> str:
        """A small value that changes whenever the cache file changes (a cache key for pages)."""
        try:
            st = self.cache_path.stat()
        except FileNotFoundError:
            return "none"
        return f"{st.st_mtime_ns}-{st.st_size}"

    def snapshot(self) -> pd.DataFrame:
        if self._snapshot is None:
            self._snapshot = read_snapshot(self.snapshot_path)
        return self._snapshot

    def read_cache(self) -> tuple[pd.DataFrame, CacheState]:
        """The cache rows, or empty if there is none; corruption is recorded, not raised."""
        if not self.cache_path.exists():
            return empty_prices(), CacheState()
        try:
            df, state = _read_cache_file(self.cache_path)
        except CacheCorruptError as exc:
            self.cache_problem = str(exc)
            log.error("%s; falling back to the snapshot", exc)
            return empty_prices(), CacheState()
        self.cache_problem = None
        return df, state

    def rebuild_cache(self) -> Path | None:
        """Move an unreadable cache aside (kept for inspection) so the next refresh starts clean."""
        with _file_lock(self.lock_path):
            if not self.cache_path.exists():
                return None
            try:
                _read_cache_file(self.cache_path)
                return None
            except CacheCorruptError:
                stamp = self.now().strftime("%Y%m%dT%H%M%S")
                aside = self.cache_path.with_name(f"{CACHE_FILE}.corrupt-{stamp}")
                os.replace(self.cache_path, aside)
                self.cache_problem = None
                return aside

    # ---- reading
    def load(self, symbols: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy daily prices for ``symbols`` (all if None), cache rows winning over the snapshot."""
        snap = self.snapshot()
        cache, state = self.read_cache()
        wanted = None if symbols is None else {s.upper() for s in symbols}
        if wanted is not None:
            snap = snap[snap["symbol"].isin(wanted)]
            cache = cache[cache["symbol"].isin(wanted)]
        replaced = [s for s in state.symbols if state.full_history(s)]
        if replaced:
            snap = snap[~snap["symbol"].isin(replaced)]
        if cache.empty:
            return snap.reset_index(drop=True)
        both = pd.concat([snap, cache], ignore_index=True)
        both = both.drop_duplicates(["symbol", "date"], keep="last")
        return both.sort_values(["symbol", "date"], ignore_index=True)

    def coverage(self) -> pd.DataFrame:
        """Per symbol: first and last date, rows, and which layer the latest row came from."""
        combined = self.load()
        if combined.empty:
            return pd.DataFrame(columns=["symbol", "first_date", "last_date", "rows", "source"])
        cache, _ = self.read_cache()
        cache_last = cache.groupby("symbol")["date"].max() if not cache.empty else pd.Series()
        g = combined.groupby("symbol")["date"]
        out = pd.DataFrame({"first_date": g.min(), "last_date": g.max(), "rows": g.size()})
        out["source"] = [
            "Yahoo (cache)"
            if sym in cache_last.index and cache_last[sym] >= out.loc[sym, "last_date"]
            else "snapshot"
            for sym in out.index
        ]
        return out.reset_index()

    # ---- refreshing
    def stale_symbols(self, symbols: Sequence[str], *, auto: bool = False) -> list[str]:
        """Symbols whose latest row is older than the last expected session.

        With ``auto`` (page-load refreshes) a symbol tried within AUTO_RETRY_AFTER is skipped,
        so a holiday on one exchange or a delisted ticker does not cost every page load.
        """
        now = self.now()
        expected = pd.Timestamp(last_expected_session(now.date()))
        combined = self.load(symbols)
        last = combined.groupby("symbol")["date"].max() if not combined.empty else pd.Series()
        _, state = self.read_cache()
        out = []
        for sym in dict.fromkeys(s.upper() for s in symbols):
            if sym in last.index and last[sym] >= expected:
                continue
            tried = max(
                (t for t in (state.last_attempt(sym), self._attempts.get(sym)) if t is not None),
                default=None,
            )
            if auto and tried is not None and now - tried < AUTO_RETRY_AFTER:
                continue
            out.append(sym)
        return out

    def refresh(
        self,
        symbols: Sequence[str],
        *,
        auto: bool = False,
        force: bool = False,
        progress: Callable[[str, str], None] | None = None,
    ) -> RefreshReport:
        """Bring ``symbols`` up to date from the fetcher; never loses or corrupts good rows."""
        report = RefreshReport()
        notify = progress or (lambda _sym, _msg: None)
        if os.environ.get(ENV_OFFLINE) == "1" or self.fetcher is None:
            report.offline = True
            return report
        targets = [s.upper() for s in symbols] if force else self.stale_symbols(symbols, auto=auto)
        targets = list(dict.fromkeys(targets))
        if not targets:
            return report
        if not self.fetcher.available():
            report.offline = True
            return report
        report.attempted = targets
        now = self.now()
        today = now.date()
        existing = self.load(targets)
        last = existing.groupby("symbol")["date"].max() if not existing.empty else pd.Series()

        # One batched call for symbols we already hold (only the missing range plus an
        # overlap to detect re-basing), one for symbols we have never seen (full history).
        known = [s for s in targets if s in last.index]
        unknown = [s for s in targets if s not in last.index]
        fetched: list[pd.DataFrame] = []
        errors: dict[str, str] = {}
        full_history: set[str] = set(unknown)
        if known:
            start = min(last[s] for s in known).date() - timedelta(days=OVERLAP_DAYS)
            res = self._fetch(known, start, today, report)
            fetched.append(res.rows)
            errors.update(res.errors)
        if unknown:
            res = self._fetch(unknown, None, today, report)
            fetched.append(res.rows)
            errors.update(res.errors)
        rows, warnings = clean_rows(pd.concat(fetched, ignore_index=True), today)
        report.warnings.extend(warnings)

        rebase = [
            s
            for s in known
            if basis_changed(existing[existing["symbol"] == s], rows[rows["symbol"] == s])
        ]
        if rebase:
            res = self._fetch(rebase, None, today, report)
            full, warnings = clean_rows(res.rows, today)
            report.warnings.extend(warnings)
            errors.update(res.errors)
            got = set(full["symbol"].unique())
            # A symbol whose full refetch failed keeps its old rows: drop its new rows too,
            # rather than mixing two adjustment bases.
            rows = pd.concat(
                [rows[~rows["symbol"].isin(rebase)], full[full["symbol"].isin(got)]],
                ignore_index=True,
            )
            full_history |= got
            for s in set(rebase) - got:
                why = errors.get(s, "no data returned")
                errors[s] = f"history was re-adjusted but the full refetch failed ({why})"

        self._merge_and_write(targets, rows, errors, full_history, now, report, notify)
        return report

    def _fetch(
        self, symbols: list[str], start: date | None, today: date, report: RefreshReport
    ) -> FetchResult:
        assert self.fetcher is not None
        try:
            res = self.fetcher.fetch(symbols, start, today + timedelta(days=1))
        except Exception as exc:  # the boundary: any fetcher failure is a per-symbol failure
            log.exception("price fetch failed")
            return FetchResult(empty_prices(), {s: f"download failed: {exc}" for s in symbols})
        report.rate_limited |= res.rate_limited
        return res

    def _merge_and_write(
        self,
        targets: list[str],
        rows: pd.DataFrame,
        errors: dict[str, str],
        full_history: set[str],
        now: datetime,
        report: RefreshReport,
        notify: Callable[[str, str], None],
    ) -> None:
        got = set(rows["symbol"].unique()) if not rows.empty else set()
        with _file_lock(self.lock_path):
            cache, state = self.read_cache()
            if self.cache_problem:
                report.warnings.append(self.cache_problem + " (left in place; not overwritten)")
                # Never overwrite a file we could not read: the user may want it back.
                for sym in targets:
                    report.symbols[sym] = SymbolReport(sym, "failed", message="cache unreadable")
                return
            before = self.load(targets)
            for sym in targets:
                if sym not in got:
                    msg = errors.get(sym, "no data returned")
                    report.symbols[sym] = SymbolReport(sym, "failed", message=msg)
                    notify(sym, f"failed: {msg}")
                    continue
                new = rows[rows["symbol"] == sym]
                if sym in full_history:
                    cache = cache[cache["symbol"] != sym]
                    state.entry(sym)["full_history"] = True
                old_dates = set(before.loc[before["symbol"] == sym, "date"])
                added = int((~new["date"].isin(old_dates)).sum())
                cache = pd.concat([cache, new], ignore_index=True)
                status = "rebased" if sym in full_history and old_dates else "updated"
                if added == 0 and status == "updated":
                    status = "unchanged"
                report.symbols[sym] = SymbolReport(sym, status, new_rows=added)
                notify(sym, f"{status}: {added} new row(s)")
            for sym in targets:
                self._attempts[sym] = now
                entry = state.entry(sym)
                entry["last_attempt"] = now.isoformat(timespec="seconds")
                if sym in got:
                    entry["last_success"] = entry["last_attempt"]
                    entry.pop("error", None)
                else:
                    entry["error"] = report.symbols[sym].message
            if not got:
                # Nothing fetched: leave the file exactly as it was (byte-identical).
                return
            cache = cache.drop_duplicates(["symbol", "date"], keep="last")
            cache = cache.sort_values(["symbol", "date"], ignore_index=True)
            _write_cache_file(self.cache_path, cache, state)
            report.written = True


# --------------------------------------------------------------------------- Yahoo


_PROBE_CACHE: dict[tuple[str, int], tuple[float, bool]] = {}
_PROBE_LOCK = threading.Lock()
PROBE_TTL_S = 300.0


def probe_reachable(host: str, port: int, timeout: float = 1.0, ttl: float = PROBE_TTL_S) -> bool:
    """Fast TCP probe (DNS included) with a hard deadline, remembered for ``ttl`` seconds.

    Runs in a daemon thread because socket timeouts do not cover name resolution.
    """
    key = (host, port)
    with _PROBE_LOCK:
        hit = _PROBE_CACHE.get(key)
        if hit and time.monotonic() - hit[0] < ttl:
            return hit[1]
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(timeout)
    ok = bool(result and result[0])
    with _PROBE_LOCK:
        _PROBE_CACHE[key] = (time.monotonic(), ok)
    return ok


def forget_probe() -> None:
    """Forget remembered reachability, e.g. when the user presses "Refresh now"."""
    with _PROBE_LOCK:
        _PROBE_CACHE.clear()


class _CaptureYFErrors(logging.Handler):
    """yfinance 1.x only logs per-ticker failures; collect them instead of reading dead globals."""

    _line = re.compile(r"\[([^\]]*)\]:\s*(.+)")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            m = self._line.search(line)
            if not m:
                continue
            for sym in re.findall(r"'([^']+)'", m.group(1)):
                self.errors[sym.upper()] = m.group(2).strip()


_RATE_LIMIT = re.compile(r"RateLimit|Too Many Requests|\b429 Client Error\b|\bHTTP 429\b")


def _is_rate_limit(msg: str) -> bool:
    """Only real rate-limit messages: a bare "429" also appears in URLs and port numbers."""
    return bool(_RATE_LIMIT.search(msg))


class YahooFetcher:
    """Daily history from Yahoo through yfinance, with a timeout and a bounded backoff."""

    def __init__(
        self,
        *,
        session: Any = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        max_backoff_total_s: float = 6.0,
        probe: Callable[[], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tz_cache_dir: Path | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self.session = session
        self.timeout = timeout
        # yfinance's cookie/crumb requests use their own 30 s timeout and symbols are fetched
        # a few at a time, so one download also gets a hard overall deadline.
        self.deadline_s = deadline_s if deadline_s is not None else max(30.0, 6 * timeout)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_total_s = max_backoff_total_s
        self._probe = probe or (lambda: probe_reachable("query2.finance.yahoo.com", 443))
        self.sleep = sleep
        self.tz_cache_dir = tz_cache_dir
        self.calls = 0

    def available(self) -> bool:
        return self._probe()

    def fetch(self, symbols: Sequence[str], start: date | None, end: date) -> FetchResult:
        pending = list(symbols)
        frames: list[pd.DataFrame] = []
        errors: dict[str, str] = {}
        rate_limited = False
        retries = 0
        slept = 0.0
        while pending:
            rows, errs = self._download_once(pending, start, end)
            frames.append(rows)
            got = set(rows["symbol"].unique()) if not rows.empty else set()
            limited = [s for s in pending if s not in got and _is_rate_limit(errs.get(s, ""))]
            for s in pending:
                if s not in got:
                    errors[s] = errs.get(s, "no data returned (unknown or delisted symbol?)")
                else:
                    errors.pop(s, None)
            if not limited:
                break
            rate_limited = True
            wait = self.backoff_s * (2**retries)
            if retries >= self.max_retries or slept + wait > self.max_backoff_total_s:
                break
            self.sleep(wait)
            slept += wait
            retries += 1
            pending = limited
        rows = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        return FetchResult(rows, errors, rate_limited, retries)

    def _download_once(
        self, symbols: list[str], start: date | None, end: date
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        import yfinance as yf  # imported lazily: pages that never refresh stay fast

        if self.tz_cache_dir is not None:
            self.tz_cache_dir.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(self.tz_cache_dir))
        handler = _CaptureYFErrors()
        yf_log = logging.getLogger("yfinance")
        yf_log.addHandler(handler)
        self.calls += 1
        try:
            kwargs: dict[str, Any] = {
                "auto_adjust": False,
                "actions": False,
                "progress": False,
                "threads": len(symbols) > 1,
                "timeout": self.timeout,
                "group_by": "column",
                "multi_level_index": True,
            }
            if self.session is not None:
                kwargs["session"] = self.session
            if start is None:
                kwargs["period"] = "max"
            else:
                kwargs["start"] = start.isoformat()
                kwargs["end"] = end.isoformat()
            raw = self._download_with_deadline(yf, list(symbols), kwargs)
        except TimeoutError:
            msg = f"timed out after {self.deadline_s:g} s"
            return empty_prices(), {s: handler.errors.get(s, msg) for s in symbols}
        except Exception as exc:
            return empty_prices(), {s: repr(exc) for s in symbols}
        finally:
            yf_log.removeHandler(handler)
        return download_to_tidy(raw), handler.errors

    def _download_with_deadline(self, yf: Any, symbols: list[str], kwargs: dict[str, Any]) -> Any:
        """Run yf.download in a daemon thread; give up (TimeoutError) after ``deadline_s``."""
        # yfinance memoises responses (including error responses) per URL for the life of
        # the process; a long-running server must not replay a stale failure forever.
        cache_get = getattr(yf.data.YfData.cache_get, "cache_clear", None)
        if cache_get is not None:
            cache_get()
        out: dict[str, Any] = {}

        def work() -> None:
            try:
                out["raw"] = yf.download(symbols, **kwargs)
            except BaseException as exc:  # handed back to the caller's thread
                out["exc"] = exc

        t = threading.Thread(target=work, name="yf-download", daemon=True)
        t.start()
        t.join(self.deadline_s)
        if t.is_alive():
            raise TimeoutError
        if "exc" in out:
            raise out["exc"]
        return out.get("raw")


def download_to_tidy(raw: pd.DataFrame | None) -> pd.DataFrame:
    """Turn yfinance's wide (Price x Ticker) frame into our tidy rows; all-NaN tickers vanish."""
    if raw is None or raw.empty:
        return empty_prices()
    if not isinstance(raw.columns, pd.MultiIndex):
        raise PriceDataError("unexpected download shape: single-level columns")
    names = list(raw.columns.names)
    level = names.index("Ticker") if "Ticker" in names else 1
    long = raw.stack(level=level)
    long.index = long.index.set_names(["date", "symbol"])
    long = long.reset_index()
    rename = {
        "Open": "open",
        "High": "high",
        "Low": "low",
        "Close": "close",
        "Adj Close": "adj_close",
        "Volume": "volume",
    }
    long = long.rename(columns=rename)
    if "adj_close" not in long:
        long["adj_close"] = long.get("close")
    long["date"] = pd.to_datetime(long["date"]).dt.tz_localize(None).dt.normalize()
    # Rows that are NaN in every field only exist because yfinance outer-joins tickers on
    # the union of dates (exchange holidays, failed tickers): drop them quietly. Rows with
    # some values but no close are malformed and go on to clean_rows, which logs them.
    fields = [c for c in ("open", "high", "low", "close", "adj_close", "volume") if c in long]
    long = long.dropna(subset=fields, how="all")
    return normalise(long)


def default_store() -> PriceStore:
    """The store the app uses: shipped snapshot, per-user cache, Yahoo."""
    return PriceStore(fetcher=YahooFetcher(tz_cache_dir=user_data_dir() / "yfinance-tz"))


def refresh_universe_symbols() -> list[str]:
    """Everything the app shows: the universe plus the FX series it converts with.

    Shared by the app's refresh and ``make refresh`` so the two never drift apart.
    """
    from lib import fx  # imported here: lib.fx imports this module
    from lib.universe import load_universe

    uni = load_universe()
    syms = [str(s) for s in uni["symbol"]]
    syms += fx.fx_symbols_for({str(c) for c in uni["currency"]})
    return list(dict.fromkeys(syms))
