"""The file backend: downloaded rows in one Parquet file, replaced atomically under a lock."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pandas as pd

from lib.prices.backend import Batch, StoreUnavailableError
from lib.prices.cache_file import (
    CACHE_FILE,
    CacheState,
    file_lock,
    naive_utc_text,
    read_cache_file,
    write_cache_file,
)
from lib.prices.schema import CacheCorruptError, CacheWriteError, empty_prices

log = logging.getLogger(__name__)


class FileCache:
    """``<cache_dir>/cache.parquet`` with its per-symbol state in the file's metadata.

    One machine's cache: concurrent writers serialise on ``<cache_dir>/.lock``; readers
    never block. An unreadable file is reported (``problem``), never overwritten.
    """

    label = "Yahoo (cache)"

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.problem: str | None = None

    @property
    def path(self) -> Path:
        return self.cache_dir / CACHE_FILE

    @property
    def lock_path(self) -> Path:
        return self.cache_dir / ".lock"

    def describe(self) -> str:
        return str(self.path)

    def token(self) -> str:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "none"
        return f"{st.st_mtime_ns}-{st.st_size}"

    def read(self, symbols: Sequence[str] | None = None) -> tuple[pd.DataFrame, CacheState]:
        if not self.path.exists():
            return empty_prices(), CacheState()
        try:
            df, state = read_cache_file(self.path)
        except CacheCorruptError as exc:
            self.problem = str(exc)
            log.error("%s; falling back to the snapshot", exc)
            return empty_prices(), CacheState()
        self.problem = None
        if symbols is not None:
            df = df[df["symbol"].isin({s.upper() for s in symbols})]
        return df, state

    def last_dates(self) -> pd.Series:
        rows, _ = self.read()
        return rows.groupby("symbol")["date"].max() if not rows.empty else pd.Series()

    @contextmanager
    def refresh_lock(self) -> Iterator[bool]:
        # Refreshes on one machine may overlap; each write re-reads under the file lock.
        yield True

    def write(self, batch: Batch) -> bool:
        got = batch.fetched
        with file_lock(self.lock_path):
            cache, state = self.read()
            if self.problem:
                raise StoreUnavailableError(
                    self.problem + " (left in place; not overwritten)", "cache unreadable"
                )
            for sym, error in batch.attempts.items():
                entry = state.entry(sym)
                entry["last_attempt"] = naive_utc_text(batch.at)
                if error is None:
                    entry["last_success"] = entry["last_attempt"]
                    entry.pop("error", None)
                else:
                    entry["error"] = error
            if not got:
                return False  # nothing fetched: the file stays byte-identical
            for sym in batch.replace & got:
                cache = cache[cache["symbol"] != sym]
                state.entry(sym)["full_history"] = True
            cache = pd.concat([cache, batch.rows], ignore_index=True)
            cache = cache.drop_duplicates(["symbol", "date"], keep="last")
            cache = cache.sort_values(["symbol", "date"], ignore_index=True)
            write_cache_file(self.path, cache, state)
            return True

    def set_aside(self, now: datetime) -> Path | None:
        try:
            return self._set_aside(now)
        except OSError as exc:  # the lock file itself may be refused (read-only folder)
            raise CacheWriteError(
                f"The price cache folder refused a write ({exc.strerror or exc}); "
                "the snapshot is still shown."
            ) from exc

    def _set_aside(self, now: datetime) -> Path | None:
        with file_lock(self.lock_path):
            if not self.path.exists():
                return None
            try:
                read_cache_file(self.path)
                return None
            except CacheCorruptError:
                aside = self.path.with_name(f"{CACHE_FILE}.corrupt-{now:%Y%m%dT%H%M%S}")
                try:
                    os.replace(self.path, aside)
                except OSError as exc:
                    raise CacheWriteError(
                        "The damaged price cache could not be set aside "
                        f"({exc.strerror or exc}); the snapshot is still shown."
                    ) from exc
                self.problem = None
                return aside

    def dispose(self) -> None:
        return None
