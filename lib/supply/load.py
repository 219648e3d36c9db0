"""Read, validate and type the supply data files. Every loader validates before typing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib.paths import DATA_DIR
from lib.supply.schema import SCHEMAS, SupplyDataError, validate_supply

SUPPLY_DIR = DATA_DIR / "supply"

_INT = {
    "mine_production.csv": ["year", "tonnes_reo"],
    "reserves.csv": ["reserves_t_reo"],
    "us_trade.csv": ["year"],
    "china_share.csv": ["year"],
    "china_magnets.csv": ["year", "value"],
    "capacity_pipeline.csv": ["target_year"],
    "targets.csv": ["target_year"],
}
_FLOAT = {
    "us_trade.csv": ["value"],
    "china_share.csv": ["share_pct"],
    "capacity_pipeline.csv": ["capacity_value", "funding_usd_m"],
    "targets.csv": ["target_value"],
}


def read_raw(name: str, data_dir: Path = SUPPLY_DIR) -> pd.DataFrame:
    """The file exactly as on disk (all strings), so validation sees what a reader sees."""
    try:
        return pd.read_csv(data_dir / name, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SupplyDataError(f"The supply data file {name} could not be read: {first}.") from exc


def load_table(name: str, data_dir: Path = SUPPLY_DIR) -> pd.DataFrame:
    """Validated, typed rows of one file; raises SupplyDataError naming the bad cells."""
    raw = read_raw(name, data_dir)
    validate_supply(raw, name)
    df = raw.copy()
    for col in _INT.get(name, []):
        df[col] = pd.to_numeric(df[col].replace("", None)).astype("Int64")
    for col in _FLOAT.get(name, []):
        df[col] = pd.to_numeric(df[col].replace("", None)).astype("Float64")
    return df


@dataclass(frozen=True)
class SupplyData:
    """Every supply table, typed; one object so a view can be cached on a single token."""

    production: pd.DataFrame
    reserves: pd.DataFrame
    us_trade: pd.DataFrame
    china_share: pd.DataFrame
    china_magnets: pd.DataFrame
    pipeline: pd.DataFrame
    targets: pd.DataFrame


def load_supply(data_dir: Path = SUPPLY_DIR) -> SupplyData:
    """Load and validate all supply files (the first invalid one raises)."""
    t = {name: load_table(name, data_dir) for name in SCHEMAS}
    return SupplyData(
        production=t["mine_production.csv"],
        reserves=t["reserves.csv"],
        us_trade=t["us_trade.csv"],
        china_share=t["china_share.csv"],
        china_magnets=t["china_magnets.csv"],
        pipeline=t["capacity_pipeline.csv"],
        targets=t["targets.csv"],
    )


def data_token(data_dir: Path = SUPPLY_DIR) -> str:
    """Changes whenever a supply file changes: the cache key for everything derived."""
    parts = []
    for name in sorted(SCHEMAS):
        p = data_dir / name
        st = p.stat() if p.exists() else None
        parts.append(f"{name}:{st.st_mtime_ns if st else 0}:{st.st_size if st else 0}")
    return "|".join(parts)
