"""The local cache file: parquet plus per-symbol state, replaced atomically under a file lock."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.prices.schema import SNAPSHOT_COLUMNS, CacheCorruptError, normalise

CACHE_FILE = "cache.parquet"


_STATE_KEY = b"rer_state"


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


def read_cache_file(path: Path) -> tuple[pd.DataFrame, CacheState]:
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


def write_cache_file(
    path: Path, df: pd.DataFrame, state: CacheState, checkpoint: Checkpoint | None = None
) -> None:
    table = pa.Table.from_pandas(normalise(df), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_STATE_KEY] = json.dumps(state.symbols, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    atomic_write_bytes(path, buf.getvalue(), checkpoint)


#: Called with the name of each step of a write (see WRITE_STEPS); tests kill the process there.
Checkpoint = Callable[[str], None]
WRITE_STEPS = ("temp-created", "half-written", "synced", "replaced")


def _no_checkpoint(step: str) -> None:
    return None


def atomic_write_bytes(path: Path, data: bytes, checkpoint: Checkpoint | None = None) -> None:
    """Temp file + fsync + rename: a crash leaves the old or the new file, never half of one.

    ``checkpoint`` is called at each of WRITE_STEPS, so a test can crash the writer at an
    exact point instead of guessing with timers.
    """
    step = checkpoint or _no_checkpoint
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            step("temp-created")
            half = len(data) // 2
            fh.write(data[:half])
            fh.flush()
            step("half-written")
            fh.write(data[half:])
            fh.flush()
            os.fsync(fh.fileno())
            step("synced")
        os.replace(tmp, path)
        step("replaced")
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
def file_lock(path: Path) -> Iterator[None]:
    """Inter-process lock so two app servers never interleave read-merge-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
