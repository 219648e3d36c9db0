"""The tidy price schema, the shipped snapshot's files, and the shapes a fetch reports in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd

from lib import settings
from lib.paths import DATA_DIR

SNAPSHOT_DIR = DATA_DIR / "prices"


SNAPSHOT_PATH = SNAPSHOT_DIR / "snapshot.parquet"


SNAPSHOT_META_PATH = SNAPSHOT_DIR / "snapshot_meta.csv"


SNAPSHOT_COLUMNS = ["date", "symbol", "open", "high", "low", "close", "adj_close", "volume"]


PRICE_FIELDS = ["open", "high", "low", "close", "adj_close"]


#: Set to 1 to never contact Yahoo (air-gapped deployments, CI).
ENV_OFFLINE = settings.ENV_OFFLINE

#: What a page or table says for a symbol with no rows on disk.
NO_OFFLINE_DATA = "no offline data; refreshes from Yahoo when online"


class PriceDataError(Exception):
    """Base class for price-store errors a page can show to the user."""


class CacheCorruptError(PriceDataError):
    """The local cache file exists but cannot be read; the snapshot is used instead."""


class CacheWriteError(PriceDataError):
    """The cache folder refused a write (disk full, permission denied); nothing was lost."""


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
    #: Another server holds the shared store's refresh lock; nothing was downloaded here.
    busy: bool = False

    @property
    def failed(self) -> list[str]:
        return sorted(s for s, r in self.symbols.items() if r.status == "failed")

    @property
    def skipped(self) -> list[str]:
        return sorted(s for s, r in self.symbols.items() if r.status == "skipped")

    @property
    def updated(self) -> list[str]:
        return sorted(s for s, r in self.symbols.items() if r.status in ("updated", "rebased"))

    def summary(self) -> str:
        if self.busy:
            return (
                "Another app server is updating prices from Yahoo right now; "
                "its results show here as soon as it finishes."
            )
        if self.offline:
            return "Yahoo Finance is unreachable; using the data already on disk."
        if self.skipped and not self.attempted:
            return "Not downloaded, the shared price cache is full: " + ", ".join(self.skipped)
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


def empty_coverage() -> pd.DataFrame:
    """Coverage of nothing, typed like a real one (``.dt`` and ``.max()`` keep working)."""
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype="string"),
            "first_date": pd.Series(dtype="datetime64[ns]"),
            "last_date": pd.Series(dtype="datetime64[ns]"),
            "rows": pd.Series(dtype="int64"),
            "source": pd.Series(dtype="string"),
        }
    )


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
