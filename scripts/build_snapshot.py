"""Build the offline price snapshot from ../shared/market-data/*.csv.

Re-runnable (`make snapshot`). Values are copied exactly (round-trip float parsing);
nothing is filled, interpolated or invented. Per-symbol provenance goes to
`data/prices/snapshot_meta.csv` so the app can say where every series comes from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.prices import SNAPSHOT_COLUMNS, SNAPSHOT_META_PATH, SNAPSHOT_PATH  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "market-data"

# Provenance per file, summarised in our own words from SOURCES.md. ``traded_close`` says on
# which rows ``close`` is the exchange's traded close ("all", "none", "from YYYY-MM-DD"): SPY's
# Stooq closes are dividend-adjusted, several sources are forward-adjusted before a date, and
# the yfinance exports carry adjusted closes only. Quoted levels use only traded closes.
PROVENANCE: dict[str, dict[str, str]] = {
    "MP": {
        "currency": "USD",
        "adjustment": "raw (no dividends paid); adj_close = close",
        "source": "Stooq via DrRobAnthony/market-data@021bd8e to 2026-10-06; "
        "alm0421/alm0421@913b1f1 2026-10-07 on (91-day overlap identical)",
        "notes": "Rows before 2020-11-18 are the FVAC SPAC.",
        "traded_close": "all",
    },
    "SPY": {
        "currency": "USD",
        "adjustment": "one total-return basis: close = adj_close = Stooq dividend-adjusted close "
        "(dividends to 2026-09-18 reinvested); raw from 2026-09-18",
        "source": "Stooq via DrRobAnthony/market-data@005b391 to 2026-07-31; "
        "alm0421/alm0421@02750a1 adjusted close 2026-08-03 on",
        "notes": "close is not the traded price before 2026-09-18 (use for returns, not as a "
        "quoted level); no OHLC or volume from 2026-08-03.",
        "traded_close": "from 2026-09-18",
    },
    "URA": {
        "currency": "USD",
        "adjustment": "dividend-adjusted before 2025-12-30 (Stooq OHLC, yfinance adj_close); "
        "raw from 2025-12-30",
        "source": "Stooq via DrRobAnthony/market-data@005b391; adj_close dsturdy/Factor_Attribution"
        "@096a2ae; alm0421/alm0421@09a845d 2026-08-03 on",
        "notes": "",
        "traded_close": "from 2025-12-30",
    },
    "USAR": {
        "currency": "USD",
        "adjustment": "adjusted close only (no OHLCV); no distribution in the window",
        "source": "yfinance via dsturdy/Factor_Attribution@096a2ae; Tiingo via "
        "fmorae30/base-datos-acciones@06f8681 2026-08-03 on",
        "notes": "Rows before 2025-03-14 are the IPXX SPAC.",
        "traded_close": "none",
    },
    "UUUU": {
        "currency": "USD",
        "adjustment": "yfinance adjusted close only (no OHLCV)",
        "source": "yfinance via dsturdy/Factor_Attribution@096a2ae; alm0421/alm0421@913b1f1 "
        "2026-08-03 on",
        "notes": "A distribution after the source's snapshot would not be reflected.",
        "traded_close": "none",
    },
    "AREC": {
        "currency": "USD",
        "adjustment": "yfinance adjusted close only (no OHLCV)",
        "source": "yfinance via dsturdy/Factor_Attribution@096a2ae; raw Close of "
        "o-bensalah/survivorship-bias-free-data@023a111 2026-08-03 to 2026-08-13",
        "notes": "Unexplained drop 2024-12-31 -> 2025-01-02 kept as in source; stops before the "
        "2026-08-14 ex-date (0.043 distribution not on this basis).",
        "traded_close": "none",
    },
    "REMX": {
        "currency": "USD",
        "adjustment": "yfinance adjusted close only (no OHLCV); raw from 2025-12-22",
        "source": "yfinance via dsturdy/Factor_Attribution@096a2ae; alm0421/alm0421@cf1c4f9 "
        "2026-08-03 on",
        "notes": "",
        "traded_close": "none",
    },
    "LIT": {
        "currency": "USD",
        "adjustment": "yfinance adjusted close only (no OHLCV)",
        "source": "yfinance via dsturdy/Factor_Attribution@096a2ae; alm0421/alm0421@0d4d86f "
        "2026-08-03 on",
        "notes": "",
        "traded_close": "none",
    },
    "600111.SS": {
        "currency": "CNY",
        "adjustment": "forward-adjusted (qfq, additive); latest prices raw",
        "source": "Overwatch-mercy/stock-data@ad5c0a0",
        "notes": "2026-06-30 and 2026-07-01 identical in source (probable duplicate).",
        "traded_close": "from 2025-06-20",
    },
    "300748.SZ": {
        "currency": "CNY",
        "adjustment": "forward-adjusted (qfq, multiplicative); latest prices raw",
        "source": "Overwatch-mercy/stock-data@64d3222",
        "notes": "2026-07-08 missing in source; 2026-06-30/07-01 identical (probable duplicate).",
        "traded_close": "from 2025-11-06",
    },
    "LYC.AX": {
        "currency": "AUD",
        "adjustment": "yfinance auto-adjusted to 2026-01-02 (no dividends/splits); raw ASX prices "
        "from 2026-01-05",
        "source": "yfinance via naveenf/asxscreener@d523c62 (whole file) to 2026-01-02; "
        "asxgym/asx_data_daily@6605828 2026-01-05 on",
        "notes": "2025-08-28 trading halt (volume 0) kept; source gap 2026-03-11 to 2026-03-27 "
        "(the 2026-03-30 change spans three weeks); volume is not one measure across the splice.",
        "traded_close": "all",
    },
    "ILU.AX": {
        "currency": "AUD",
        "adjustment": "yfinance auto-adjusted (dividends) to 2026-01-02: close before 2025-09-02 "
        "is not the traded close; raw and NOT dividend-adjusted from 2026-01-05",
        "source": "yfinance via naveenf/asxscreener@d523c62 to 2026-01-02; "
        "asxgym/asx_data_daily@6605828 2026-01-05 on",
        "notes": "Dividends after 2026-01-02 are not adjusted (returns across an ex-date understate "
        "total return); source gap 2026-03-11 to 2026-03-27; 2026-01-02 row may be a "
        "non-final bar.",
        "traded_close": "from 2025-09-02",
    },
    "ARU.AX": {
        "currency": "AUD",
        "adjustment": "yfinance auto-adjusted to 2026-01-02 (no dividends/splits); raw ASX prices "
        "from 2026-01-05",
        "source": "yfinance via naveenf/asxscreener@d523c62 to 2026-01-02; "
        "asxgym/asx_data_daily@6605828 2026-01-05 on",
        "notes": "Halt days with volume 0 and O=H=L=C kept (2024-07-24, 2025-08-18/19, "
        "2025-10-28); no 2026-05-22 row; source gap 2026-03-11 to 2026-03-27.",
        "traded_close": "all",
    },
    "VML.AX": {
        "currency": "AUD",
        "adjustment": "raw ASX prices, NOT adjusted for the (presumed 50:1) share consolidation "
        "of 2025-06-23; adj_close empty",
        "source": "asxgym/asx_data_daily@6605828 (one file per ASX day)",
        "notes": "Close 0.002 (2025-06-20) -> 0.1 (2025-06-23): no return may cross that date; "
        "sub-cent ticks before it; no-trade days missing; source gap 2026-03-11 to 2026-03-27.",
        "traded_close": "all",
    },
    "4063.T": {
        "currency": "JPY",
        "adjustment": "yfinance auto-adjusted (half-yearly dividends) as of 2026-06-01; raw from "
        "2026-03-30",
        "source": "yfinance via libelolen57-dotcom/j-titan@c33c64c (data/4063.csv)",
        "notes": "close before 2026-03-30 is an adjusted, not a traded, price; no offline JPY FX "
        "(no USD view offline).",
        "traded_close": "from 2026-03-30",
    },
    "000831.SZ": {
        "currency": "CNY",
        "adjustment": "forward-adjusted (qfq, multiplicative); raw from 2024-06-25",
        "source": "Overwatch-mercy/stock-data@8196f57 (9 fields transcribed, checked by market-cap identity)",
        "notes": "2026-06-30 and 2026-07-01 identical in source (probable duplicate).",
        "traded_close": "from 2024-06-25",
    },
    "600392.SS": {
        "currency": "CNY",
        "adjustment": "presumed forward-adjusted; 2-decimal (effectively raw) since 2023-11-23",
        "source": "Overwatch-mercy/stock-data@adc4cd9 (9 fields transcribed, checked by market-cap identity)",
        "notes": "Adjustment basis not determinable from the file.",
        "traded_close": "all",
    },
    "600366.SS": {
        "currency": "CNY",
        "adjustment": "source adjustment: +0.001 CNY on every price up to 2026-06-26; raw from 2026-06-29",
        "source": "Overwatch-mercy/stock-data@c43585a (9 fields transcribed, checked by market-cap identity)",
        "notes": "Traded price = value - 0.001 before 2026-06-29; 2026-06-30 and 2026-07-01 identical (probable duplicate).",
        "traded_close": "from 2026-06-29",
    },
    "000970.SZ": {
        "currency": "CNY",
        "adjustment": "forward-adjusted (qfq, multiplicative); raw from 2025-05-28",
        "source": "Overwatch-mercy/stock-data@5629684 (9 fields transcribed, checked by market-cap identity)",
        "notes": "2026-04-13 to 2026-06-10 prices off the tick by 0.005 (source adjustment); 2026-06-30 and 2026-07-01 identical (probable duplicate).",
        "traded_close": "from 2026-06-11",
    },
    "CNY=X": {
        "currency": "CNY per USD",
        "adjustment": "FX rate (FRED DEXCHUS, NY noon buying rate)",
        "source": "FRED DEXCHUS via vichobug/fx-hedging-sim@157e8bb",
        "notes": "US business-day calendar; holiday blanks dropped.",
        "traded_close": "all",
    },
    "AUDUSD=X": {
        "currency": "USD per AUD",
        "adjustment": "FX rate (FRED DEXUSAL, NY noon buying rate)",
        "source": "FRED DEXUSAL via R4ff67/Investments@7b98b2b (2024); terrypacker/fin-sim-framework@d33f147 (2025-01-02 on)",
        "notes": "US business-day calendar; holiday blanks dropped; 2026-08-08 FRED vintage; ends 2026-07-31.",
        "traded_close": "all",
    },
}


def read_source_csv(path: Path) -> pd.DataFrame:
    """Parse one SOURCES.md-format file with exact (round-trip) floats."""
    # pandas >= 3 parses floats round-trip exactly by default.
    df = pd.read_csv(path, dtype={"volume": "Int64"})
    expected = ["date", "open", "high", "low", "close", "adj_close", "volume"]
    if list(df.columns) != expected:
        raise ValueError(f"{path.name}: columns {list(df.columns)} != {expected}")
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    df.insert(1, "symbol", path.stem)
    return df


def build(source_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = [read_source_csv(p) for p in sorted(source_dir.glob("*.csv"))]
    if not frames:
        raise SystemExit(f"no CSV files in {source_dir}")
    prices = pd.concat(frames, ignore_index=True)
    for col in ["open", "high", "low", "close", "adj_close"]:
        prices[col] = prices[col].astype("float64")
    prices["symbol"] = prices["symbol"].astype("string")
    prices = prices[SNAPSHOT_COLUMNS].sort_values(["symbol", "date"], ignore_index=True)
    if prices.duplicated(["symbol", "date"]).any():
        raise ValueError("duplicate (symbol, date) rows in the source files")
    rows = []
    for sym, g in prices.groupby("symbol", sort=True):
        prov = PROVENANCE.get(str(sym))
        if prov is None:
            raise ValueError(f"no provenance recorded for {sym}; add it to PROVENANCE")
        rows.append(
            {
                "symbol": sym,
                "first_date": g["date"].min().date().isoformat(),
                "last_date": g["date"].max().date().isoformat(),
                "rows": len(g),
                "has_ohlc": bool(g["open"].notna().any()),
                **prov,
            }
        )
    return prices, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args(argv)
    prices, meta = build(args.source)
    SNAPSHOT_PATH.parent.mkdir(parents=True, exist_ok=True)
    prices.to_parquet(SNAPSHOT_PATH, index=False, compression="zstd")
    meta.to_csv(SNAPSHOT_META_PATH, index=False, lineterminator="\n")
    print(f"wrote {len(prices)} rows for {len(meta)} symbols to {SNAPSHOT_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
