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

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from lib import settings
from lib.paths import user_data_dir
from lib.prices.backend import Batch, CacheBackend, StoreUnavailableError
from lib.prices.cache_file import CacheState
from lib.prices.calendar import last_expected_session
from lib.prices.cleaning import basis_changed, clean_rows
from lib.prices.file_cache import FileCache
from lib.prices.fx import fx_symbols_for
from lib.prices.schema import (
    SNAPSHOT_PATH,
    Fetcher,
    FetchResult,
    RefreshReport,
    SymbolReport,
    empty_coverage,
    empty_prices,
    read_snapshot,
)
from lib.prices.yahoo import YahooFetcher
from lib.universe import load_universe

log = logging.getLogger(__name__)


#: How long an attempt counts as recent enough for automatic refreshes to skip it.
AUTO_RETRY_AFTER = timedelta(hours=6)


#: How many days before the last known row an incremental download starts, to detect re-basing.
OVERLAP_DAYS = 7

#: How many symbols outside the universe (and its FX series) the shared cache keeps: any
#: visitor can type a symbol, and each one is a full-history download kept for everyone.
MAX_EXTRA_SYMBOLS = 100


class PriceStore:
    """Snapshot + stored downloads (a :class:`CacheBackend`) + optional fetcher, one small API.

    The rules live here once; the backend only keeps rows (a local file by default, or a
    PostgreSQL table shared by several servers, see ``lib.prices.pg_store``). Side effects
    (backend, fetcher, clock) are injected so tests need no patching.
    """

    def __init__(
        self,
        snapshot_path: Path = SNAPSHOT_PATH,
        cache_dir: Path | None = None,
        fetcher: Fetcher | None = None,
        now: Callable[[], datetime] = datetime.now,
        keep: Sequence[str] | None = None,
        max_extra_symbols: int = MAX_EXTRA_SYMBOLS,
        *,
        backend: CacheBackend | None = None,
    ) -> None:
        self.snapshot_path = snapshot_path
        # The symbols the cache always keeps (default: universe + FX); others are capped.
        self._keep = frozenset(keep) if keep is not None else None
        self.max_extra_symbols = max_extra_symbols
        if backend is None:
            backend = FileCache(cache_dir if cache_dir is not None else user_data_dir() / "prices")
        self.backend: CacheBackend = backend
        self.fetcher = fetcher
        self.now = now
        self._snapshot: pd.DataFrame | None = None
        # Attempts remembered in memory too: a refresh where everything failed writes
        # nothing (the file stays byte-identical), yet must not be retried on every page load.
        self._attempts: dict[str, datetime] = {}

    @property
    def cache_problem(self) -> str | None:
        """Why stored rows cannot be read right now (the snapshot is served alone), or None."""
        return self.backend.problem

    def cache_token(self) -> str:
        """A small value that changes whenever stored rows change (a cache key for pages)."""
        return self.backend.token()

    def snapshot(self) -> pd.DataFrame:
        if self._snapshot is None:
            self._snapshot = read_snapshot(self.snapshot_path)
        return self._snapshot

    def read_cache(self, symbols: Sequence[str] | None = None) -> tuple[pd.DataFrame, CacheState]:
        """The stored rows and bookkeeping; empty if unreadable (recorded, not raised)."""
        return self.backend.read(symbols)

    def rebuild_cache(self) -> Path | None:
        """Move unreadable stored rows aside (kept for inspection) so a refresh starts clean."""
        return self.backend.set_aside(self.now())

    def dispose(self) -> None:
        self.backend.dispose()

    # ---- reading
    def load(self, symbols: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy daily prices for ``symbols`` (all if None); stored rows win over the snapshot."""
        cache, state = self.read_cache(symbols)
        return layered(self.snapshot(), cache, state, symbols)

    def coverage(self) -> pd.DataFrame:
        """Per symbol: first and last date, rows, and which layer the latest row came from."""
        combined = self.load()
        if combined.empty:
            return empty_coverage()
        return coverage_table(combined, self.backend.last_dates(), self.backend.label)

    # ---- refreshing
    def attempt_state(self) -> CacheState:
        """Per-symbol refresh attempts as stored (shared by every server on a shared backend)."""
        _, state = self.read_cache(())
        return state

    def stale_symbols(self, symbols: Sequence[str], *, auto: bool = False) -> list[str]:
        """Symbols whose latest row is older than the last expected session.

        With ``auto`` (page-load refreshes) a symbol tried within AUTO_RETRY_AFTER is skipped,
        so a holiday on one exchange or a delisted ticker does not cost every page load.
        """
        now = self.now()
        expected = pd.Timestamp(last_expected_session(now.date()))
        combined = self.load(symbols)
        last = combined.groupby("symbol")["date"].max() if not combined.empty else pd.Series()
        state = self.attempt_state()
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
        """Bring ``symbols`` up to date from the fetcher; never loses or corrupts good rows.

        The backend's refresh lock is held throughout: on a shared backend a server that
        cannot take it downloads nothing and reports "busy"; staleness is decided after the
        lock is taken, so a server that waited sees the rows the previous holder wrote.
        """
        report = RefreshReport()
        notify = progress or (lambda _sym, _msg: None)
        if settings.current().offline or self.fetcher is None:
            report.offline = True
            return report
        try:
            with self.backend.refresh_lock() as got_lock:
                if not got_lock:
                    report.busy = True
                    log.info("price refresh skipped: another server holds the refresh lock")
                    return report
                self._refresh_locked(symbols, auto, force, report, notify)
        except StoreUnavailableError as exc:
            report.warnings.append(str(exc))
            for sym in dict.fromkeys(s.upper() for s in symbols):
                report.symbols[sym] = SymbolReport(sym, "failed", message=exc.reason)
        return report

    def _refresh_locked(
        self,
        symbols: Sequence[str],
        auto: bool,
        force: bool,
        report: RefreshReport,
        notify: Callable[[str, str], None],
    ) -> None:
        assert self.fetcher is not None
        targets = [s.upper() for s in symbols] if force else self.stale_symbols(symbols, auto=auto)
        targets = list(dict.fromkeys(targets))
        if not targets:
            return
        if not self.fetcher.available():
            report.offline = True
            return
        targets = self._within_extra_cap(targets, report)
        if not targets:
            return
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

        try:
            self._merge_and_write(targets, rows, errors, full_history, now, report, notify)
        except OSError as exc:
            # Disk full, permission denied...: the old file is untouched (atomic write), so
            # nothing good is lost; say so per symbol instead of raising out of a page.
            why = f"could not write the price cache: {exc.strerror or exc}"
            report.written = False
            report.warnings.append(why)
            for sym in targets:
                report.symbols[sym] = SymbolReport(sym, "failed", message=why)
                notify(sym, f"failed: {why}")

    @property
    def keep(self) -> frozenset[str]:
        if self._keep is None:
            self._keep = frozenset(refresh_universe_symbols())
        return self._keep

    def _within_extra_cap(self, targets: list[str], report: RefreshReport) -> list[str]:
        """Drop new non-universe symbols beyond :data:`MAX_EXTRA_SYMBOLS` (reported as skipped).

        Symbols the cache or snapshot already holds stay refreshable; only new ones are capped.
        """
        held = set(self.load()["symbol"].astype(str))
        extra_held = len((held - self.keep) - set(self.snapshot()["symbol"].astype(str)))
        room = max(0, self.max_extra_symbols - extra_held)
        out: list[str] = []
        for sym in targets:
            if sym in self.keep or sym in held:
                out.append(sym)
            elif room > 0:
                room -= 1
                out.append(sym)
            else:
                report.symbols[sym] = SymbolReport(
                    sym,
                    "skipped",
                    message=(
                        f"not downloaded: the shared price cache already keeps "
                        f"{self.max_extra_symbols} symbols outside the universe"
                    ),
                )
        return out

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
        """Decide each symbol's outcome, then hand the backend one batch to write atomically.

        Symbols that failed are not touched (only their attempt and error are noted); a
        symbol fetched whole replaces its old stored rows and hides its snapshot rows.
        """
        rows = rows.drop_duplicates(["symbol", "date"], keep="last")
        got = set(rows["symbol"].unique()) if not rows.empty else set()
        before = self.load(targets)  # snapshot + stored rows, as the user saw them
        if self.cache_problem:
            # Never write on top of rows we could not read: the user may want them back.
            report.warnings.append(self.cache_problem + " (left in place; not overwritten)")
            for sym in targets:
                report.symbols[sym] = SymbolReport(sym, "failed", message="cache unreadable")
            return
        batch = Batch(at=now, rows=rows[rows["symbol"].isin(targets)])
        for sym in targets:
            self._attempts[sym] = now
            if sym not in got:
                msg = errors.get(sym, "no data returned")
                report.symbols[sym] = SymbolReport(sym, "failed", message=msg)
                batch.attempts[sym] = msg
                notify(sym, f"failed: {msg}")
                continue
            batch.attempts[sym] = None
            new = rows[rows["symbol"] == sym]
            if sym in full_history:
                batch.replace.add(sym)
            old_dates = set(before.loc[before["symbol"] == sym, "date"])
            added = int((~new["date"].isin(old_dates)).sum())
            status = "rebased" if sym in full_history and old_dates else "updated"
            if added == 0 and status == "updated":
                status = "unchanged"
            report.symbols[sym] = SymbolReport(sym, status, new_rows=added)
            notify(sym, f"{status}: {added} new row(s)")
        try:
            report.written = self.backend.write(batch)
        except StoreUnavailableError as exc:
            report.warnings.append(str(exc))
            for sym in targets:
                report.symbols[sym] = SymbolReport(sym, "failed", message=exc.reason)


def coverage_table(combined: pd.DataFrame, stored_last: pd.Series, stored: str) -> pd.DataFrame:
    """Per symbol: first and last date, rows, and ``stored`` where the latest row is a stored
    (downloaded) one rather than the snapshot's. Shared by the file and PostgreSQL stores."""
    if combined.empty:
        return empty_coverage()
    g = combined.groupby("symbol")["date"]
    out = pd.DataFrame({"first_date": g.min(), "last_date": g.max(), "rows": g.size()})
    out["source"] = [
        stored
        if sym in stored_last.index and stored_last[sym] >= out.loc[sym, "last_date"]
        else "snapshot"
        for sym in out.index
    ]
    return out.reset_index()


def layered(
    snap: pd.DataFrame, cache: pd.DataFrame, state: CacheState, symbols: Sequence[str] | None
) -> pd.DataFrame:
    """The snapshot as the floor with stored rows on top (stored rows win on the same date).

    A symbol whose whole history was re-downloaded (a split or dividend re-adjusted it) drops
    its snapshot rows, so old and new adjustments never mix. Shared by the file and the
    PostgreSQL store.
    """
    if symbols is not None:
        wanted = {s.upper() for s in symbols}
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


def default_store() -> PriceStore:
    """The store the app uses: shipped snapshot, per-user cache, Yahoo."""
    return PriceStore(fetcher=YahooFetcher(tz_cache_dir=user_data_dir() / "yfinance-tz"))


def refresh_universe_symbols() -> list[str]:
    """Everything the app shows: the universe plus the FX series it converts with.

    Shared by the app's refresh and ``make refresh`` so the two never drift apart.
    """
    uni = load_universe()
    syms = [str(s) for s in uni["symbol"]]
    syms += fx_symbols_for({str(c) for c in uni["currency"]})
    return list(dict.fromkeys(syms))
