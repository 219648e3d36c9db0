"""The local cache file: parquet plus per-symbol state, replaced atomically under a file lock."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.prices.schema import PRICE_FIELDS, SNAPSHOT_COLUMNS, CacheCorruptError, normalise

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


def naive_utc_text(moment: datetime) -> str:
    """The one way a time is stored in the cache state: naive (UTC if it carried a zone)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


_BOOL_KEYS = ("full_history",)
_TIME_KEYS = ("last_attempt", "last_success")
_TEXT_KEYS = ("error",)


def parse_state(raw: bytes) -> CacheState:
    """The typed cache state, or ValueError: a dict of symbol -> {full_history: bool,
    last_attempt/last_success: naive ISO time, error: text}; other keys pass untouched."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("state is not a mapping")
    for sym, entry in data.items():
        if not isinstance(sym, str) or not isinstance(entry, dict):
            raise ValueError("state entry is not a mapping")
        for key, value in entry.items():
            if key in _BOOL_KEYS and isinstance(value, bool):
                continue
            if key in _TEXT_KEYS and isinstance(value, str):
                continue
            if key in _TIME_KEYS and isinstance(value, str):
                if datetime.fromisoformat(value).tzinfo is not None:
                    raise ValueError(f"{key} of {sym} carries a time zone")
                continue
            if key in (*_BOOL_KEYS, *_TIME_KEYS, *_TEXT_KEYS):
                raise ValueError(f"state key {key!r} of {sym} has the wrong type")
    return CacheState(data)


def _check_schema(schema: pa.Schema) -> None:
    """Types as written by :func:`write_cache_file`; text in a price column is corruption."""
    missing = set(SNAPSHOT_COLUMNS) - set(schema.names)
    if missing:
        raise ValueError(f"missing columns {sorted(missing)}")
    kind = {name: schema.field(name).type for name in SNAPSHOT_COLUMNS}
    if not (pa.types.is_timestamp(kind["date"]) or pa.types.is_date(kind["date"])):
        raise ValueError(f"date column is {kind['date']}")
    if not (pa.types.is_string(kind["symbol"]) or pa.types.is_large_string(kind["symbol"])):
        raise ValueError(f"symbol column is {kind['symbol']}")
    for col in [*PRICE_FIELDS, "volume"]:
        t = kind[col]
        if not (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t)):
            raise ValueError(f"{col} column is {t}")


def read_cache_file(path: Path) -> tuple[pd.DataFrame, CacheState]:
    """The cache rows and state; anything that is not exactly what we write is corrupt."""
    try:
        table = pq.read_table(path)
        _check_schema(table.schema)
        meta = table.schema.metadata or {}
        state = parse_state(meta[_STATE_KEY]) if _STATE_KEY in meta else CacheState()
        df = normalise(table.to_pandas())
    except (
        OSError,
        pa.ArrowException,
        ValueError,
        TypeError,
        KeyError,
        json.JSONDecodeError,
    ) as exc:
        raise CacheCorruptError(f"price cache {path} is unreadable ({exc})") from exc
    if df.duplicated(["symbol", "date"]).any():
        raise CacheCorruptError(f"price cache {path} has duplicated rows")
    if df["symbol"].isna().any() or df["date"].isna().any():
        raise CacheCorruptError(f"price cache {path} has rows without a symbol or a date")
    have = set(df["symbol"].astype(str))
    hollow = sorted(s for s in state.symbols if state.full_history(s) and s not in have)
    if hollow:
        # full_history hides the snapshot's rows: without rows of its own, a symbol vanishes.
        raise CacheCorruptError(
            f"price cache {path} replaces {', '.join(hollow)} but holds no rows for them"
        )
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


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (reading it means setting it; the lock keeps threads from racing)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes, checkpoint: Checkpoint | None = None) -> None:
    """Temp file + fsync + rename: a crash leaves the old or the new file, never half of one.

    ``checkpoint`` is called at each of WRITE_STEPS, so a test can crash the writer at an
    exact point instead of guessing with timers.
    """
    step = checkpoint or _no_checkpoint
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes 0600; the file gets the mode a plain open() would (umask 002 in the
        # app's group: readable by the app when `make refresh` runs as another user).
        os.fchmod(fd, 0o666 & ~current_umask())
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
