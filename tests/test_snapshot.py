"""The shipped snapshot carries the real source values exactly and says where they come from."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from lib.prices import SNAPSHOT_COLUMNS, read_snapshot, read_snapshot_meta
from lib.universe import load_universe

SHARED = Path(__file__).resolve().parents[2] / "shared" / "market-data"


@pytest.fixture(scope="module")
def snap() -> pd.DataFrame:
    return read_snapshot()


def close_on(snap: pd.DataFrame, symbol: str, day: str) -> float:
    row = snap[(snap["symbol"] == symbol) & (snap["date"] == pd.Timestamp(day))]
    assert len(row) == 1, (symbol, day)
    return float(row["close"].iloc[0])


@pytest.mark.parametrize(
    ("symbol", "day", "close"),
    [
        ("MP", "2025-07-09", 30.03),
        ("MP", "2025-07-10", 45.23),
        ("MP", "2020-11-17", 14.39),
        ("MP", "2020-11-18", 15.09),
        ("MP", "2026-10-06", 48.53),
        ("URA", "2026-07-31", 39.07),
        ("600111.SS", "2026-07-17", 37.45),
        ("300748.SZ", "2026-07-17", 25.16),
        ("CNY=X", "2024-12-31", 7.2993),
        ("AUDUSD=X", "2024-12-31", 0.6185),
        ("LYC.AX", "2026-01-02", 12.22),
        # Added when ../shared/market-data gained files (SOURCES.md "Spot values"/caveats).
        ("LYC.AX", "2024-01-02", 7.17),
        ("AUDUSD=X", "2025-01-02", 0.6208),
        ("AUDUSD=X", "2026-07-31", 0.7026),
        ("000831.SZ", "2026-07-17", 45.65),
        ("600392.SS", "2026-07-17", 21.15),
        ("600366.SS", "2026-07-17", 11.56),
        ("000970.SZ", "2026-07-17", 13.46),
        ("ILU.AX", "2026-01-02", 5.88),
        ("ARU.AX", "2025-10-14", 0.445),
    ],
)
def test_sanity_prices_from_sources_md(snap: pd.DataFrame, symbol: str, day: str, close: float):
    assert close_on(snap, symbol, day) == close


def test_mp_dod_day_is_plus_50_6_percent(snap: pd.DataFrame) -> None:
    change = close_on(snap, "MP", "2025-07-10") / close_on(snap, "MP", "2025-07-09") - 1
    assert round(change * 100, 1) == 50.6


def test_schema_and_uniqueness(snap: pd.DataFrame) -> None:
    assert list(snap.columns) == SNAPSHOT_COLUMNS
    assert not snap.duplicated(["symbol", "date"]).any()
    assert (snap["date"].dt.day_of_week < 5).all()


def test_meta_covers_every_symbol_with_provenance(snap: pd.DataFrame) -> None:
    meta = read_snapshot_meta().set_index("symbol")
    assert set(meta.index) == set(snap["symbol"].unique())
    assert meta["source"].str.len().gt(0).all()
    counts = snap.groupby("symbol").size()
    assert (meta["rows"] == counts.reindex(meta.index)).all()
    assert meta.loc["LYC.AX", "currency"] == "AUD"
    # Every file in ../shared/market-data has its own provenance row (build fails otherwise).
    for sym in ("000831.SZ", "600392.SS", "600366.SS", "000970.SZ", "ILU.AX", "ARU.AX"):
        assert meta.loc[sym, "currency"] == ("AUD" if sym.endswith(".AX") else "CNY")
    assert "2025-09-02" in meta.loc["ILU.AX", "adjustment"]
    assert meta.loc["AUDUSD=X", "last_date"] == "2026-07-31"


def test_every_snapshot_equity_is_in_the_universe(snap: pd.DataFrame) -> None:
    equities = {s for s in snap["symbol"].unique() if "=" not in s}
    assert equities <= set(load_universe()["symbol"])


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/market-data not present")
def test_values_equal_source_csv_exactly(snap: pd.DataFrame) -> None:
    for path in sorted(SHARED.glob("*.csv")):
        with path.open() as fh:
            rows = list(csv.DictReader(fh))
        got = snap[snap["symbol"] == path.stem].reset_index(drop=True)
        assert len(got) == len(rows), path.name
        for i in (0, len(rows) // 2, len(rows) - 1):
            for col in ("open", "high", "low", "close", "adj_close"):
                raw = rows[i][col]
                value = got.loc[i, col]
                assert pd.isna(value) if raw == "" else float(raw) == value, (path.name, i, col)
