"""Prices: the one data boundary (snapshot -> local cache -> Yahoo Finance), plus FX.

The names below are the package's public face; the modules say where each rule lives.
"""

from lib.prices.schema import (
    ENV_OFFLINE,
    PRICE_FIELDS,
    SNAPSHOT_COLUMNS,
    SNAPSHOT_META_PATH,
    SNAPSHOT_PATH,
    CacheCorruptError,
    CacheWriteError,
    FetchResult,
    PriceDataError,
    RefreshReport,
    SymbolReport,
    read_snapshot,
    read_snapshot_meta,
)
from lib.prices.store import PriceStore, default_store, refresh_universe_symbols
from lib.prices.yahoo import YahooFetcher, forget_probe, probe_reachable

__all__ = [
    "ENV_OFFLINE",
    "PRICE_FIELDS",
    "SNAPSHOT_COLUMNS",
    "SNAPSHOT_META_PATH",
    "SNAPSHOT_PATH",
    "CacheCorruptError",
    "CacheWriteError",
    "FetchResult",
    "PriceDataError",
    "PriceStore",
    "RefreshReport",
    "SymbolReport",
    "YahooFetcher",
    "default_store",
    "forget_probe",
    "probe_reachable",
    "read_snapshot",
    "read_snapshot_meta",
    "refresh_universe_symbols",
]
