"""Where downloaded price rows are kept: one protocol, a file and a PostgreSQL backend.

:class:`lib.prices.store.PriceStore` owns the rules (snapshot as the floor, stored rows on
top, never lose good rows, re-based symbols replaced whole); a backend only stores and
returns rows and the per-symbol bookkeeping. ``FileCache`` (``lib.prices.file_cache``) is a
Parquet file under an inter-process lock; ``PgCache`` (``lib.prices.pg_store``) is a table
shared by several servers, with a cluster-wide refresh lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from lib.prices.cache_file import CacheState
from lib.prices.schema import PriceDataError


class StoreUnavailableError(PriceDataError):
    """The stored rows cannot be read or written right now; the message says why, in words.

    ``reason`` is the short per-symbol form a refresh report shows ("cache unreadable").
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Batch:
    """What one refresh writes, decided by the store before the backend is touched.

    ``rows`` holds the new rows of every symbol that was fetched; ``replace`` the symbols
    fetched whole (their old stored rows go, and their snapshot rows are hidden);
    ``attempts`` maps every targeted symbol to its error, or None when it was fetched.
    """

    at: datetime
    rows: pd.DataFrame
    replace: set[str] = field(default_factory=set)
    attempts: dict[str, str | None] = field(default_factory=dict)

    @property
    def fetched(self) -> set[str]:
        return set(self.rows["symbol"].unique()) if not self.rows.empty else set()


class CacheBackend(Protocol):
    """Storage for downloaded rows and per-symbol attempts; the store keeps the rules."""

    #: Why the stored rows cannot be read (the snapshot is then served alone), else None.
    problem: str | None
    #: How the coverage table names a row that came from this backend.
    label: str

    def describe(self) -> str:
        """Where rows are kept, for logs and the CLI (never a password)."""
        ...

    def token(self) -> str:
        """A small value that changes whenever stored rows change (a cache key for pages)."""
        ...

    def read(self, symbols: Sequence[str] | None = None) -> tuple[pd.DataFrame, CacheState]:
        """Stored rows (all, or for ``symbols``) and bookkeeping; empty, with ``problem`` set,
        when they cannot be read."""
        ...

    def last_dates(self) -> pd.Series:
        """Per symbol, the date of its latest stored row."""
        ...

    def refresh_lock(self) -> AbstractContextManager[bool]:
        """Held for a whole refresh; yields False when another process is refreshing."""
        ...

    def write(self, batch: Batch) -> bool:
        """Persist ``batch`` atomically; True if rows were written.

        Raises StoreUnavailableError (nothing written) when the existing rows cannot be read,
        so a refresh never writes on top of rows it could not see; OSError passes through.
        """
        ...

    def set_aside(self, now: datetime) -> Path | None:
        """Move unreadable stored rows aside for inspection; the path, or None if none."""
        ...

    def dispose(self) -> None:
        """Release connections or handles."""
        ...
