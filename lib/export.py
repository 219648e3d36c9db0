"""CSV exports: full resolution, formula-injection safe, named after what they contain."""

from __future__ import annotations

from datetime import date

import pandas as pd

#: Spreadsheet apps execute cells starting with these (OWASP CSV injection guidance).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a formula-like *text* cell with a quote; numbers and missing values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Escape text columns only, so -12.5 stays a number and '=HYPERLINK(..)' becomes inert."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(neutralise_cell)
    out.columns = [str(neutralise_cell(str(c))) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with ISO dates and full float precision."""
    safe = escape_formulas(df)
    return safe.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n").encode("utf-8")


def export_filename(kind: str, range_key: str, as_of: date | None) -> str:
    """e.g. prices_1Y_asof-2026-07-31.csv; only safe characters, whatever the inputs."""
    stem = f"{kind}_{range_key}"
    if as_of is not None:
        stem += f"_asof-{as_of.isoformat()}"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem)
    return f"{safe}.csv"
