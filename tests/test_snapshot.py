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
        # Extensions (2026-12): new ends and the new files.
        ("MP", "2026-10-08", 46.14),
        ("VML.AX", "2025-06-20", 0.002),
        ("VML.AX", "2025-06-23", 0.1),
        ("CNY=X", "2026-09-18", 6.6975),
        ("SPY", "2026-07-31", 745.1796),
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
    # The 2026-12 files: currency, basis and caveats recorded per series.
    assert meta.loc["4063.T", "currency"] == "JPY"
    assert meta.loc["4063.T", "traded_close"] == "from 2026-03-30"
    assert "consolidation" in meta.loc["VML.AX", "adjustment"]
    assert "2025-06-23" in meta.loc["VML.AX", "notes"]
    assert "NOT dividend-adjusted" in meta.loc["ILU.AX", "adjustment"]
    assert meta.loc["SPY", "traded_close"] == "from 2026-09-18"
    assert "yfinance" not in meta.loc["SPY", "adjustment"]  # one basis since 2026-12
    for sym in ("LYC.AX", "ILU.AX", "ARU.AX", "VML.AX"):
        assert "2026-03-11 to 2026-03-27" in meta.loc[sym, "notes"], sym


def test_spy_adj_close_is_its_close_on_every_row(snap: pd.DataFrame) -> None:
    spy = snap[snap["symbol"] == "SPY"]
    assert len(spy) == 1692
    assert (spy["adj_close"] == spy["close"]).all()


def test_vml_consolidation_step_is_in_the_file_unadjusted(snap: pd.DataFrame) -> None:
    """The raw 0.002 -> 0.1 step (x50) is copied as is; adj_close stays empty (no guess)."""
    vml = snap[snap["symbol"] == "VML.AX"]
    assert vml["adj_close"].isna().all()
    assert close_on(snap, "VML.AX", "2025-06-23") / close_on(snap, "VML.AX", "2025-06-20") == 50


def _sources_md_table() -> dict[str, tuple[int, str, str]]:
    """file stem -> (rows, first, last) from the Files table of SOURCES.md."""
    out = {}
    for line in (SHARED / "SOURCES.md").read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(".csv") and cells[1].isdigit():
            out[cells[0][:-4]] = (int(cells[1]), cells[2], cells[3])
    return out


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/market-data not present")
def test_every_shared_file_is_in_the_snapshot_with_its_dates(snap: pd.DataFrame) -> None:
    meta = read_snapshot_meta().set_index("symbol")
    files = {p.stem for p in SHARED.glob("*.csv")}
    table = _sources_md_table()
    assert files == set(table) == set(snap["symbol"].unique()) == set(meta.index)
    for sym, (rows, first, last) in table.items():
        got = snap.loc[snap["symbol"] == sym, "date"]
        assert (len(got), f"{got.min():%Y-%m-%d}", f"{got.max():%Y-%m-%d}") == (rows, first, last)
        assert (meta.loc[sym, "rows"], meta.loc[sym, "first_date"], meta.loc[sym, "last_date"]) == (
            rows,
            first,
            last,
        ), sym


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
        assert [f"{d:%Y-%m-%d}" for d in got["date"]] == [r["date"] for r in rows], path.name
        for col in ("open", "high", "low", "close", "adj_close", "volume"):  # every row
            want = [float("nan") if r[col] == "" else float(r[col]) for r in rows]
            have = got[col].astype("float64").to_numpy()
            assert pd.Series(have).equals(pd.Series(want, dtype="float64")), (path.name, col)
