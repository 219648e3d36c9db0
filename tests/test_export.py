"""CSV export: formula-like text neutralised, numbers stay numbers, safe file names."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from lib.export import escape_formulas, export_filename, neutralise_cell, to_csv_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("MP Materials", "MP Materials"),
        ("", ""),
        (-12.5, -12.5),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_cell(value: object, expected: object) -> None:
    assert neutralise_cell(value) == expected


def test_csv_round_trip_keeps_numbers_numeric_and_text_escaped() -> None:
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-07-10", "2025-07-11"]),
            "symbol": ["MP", '=HYPERLINK("http://x","y")'],
            "return": [-0.123456789, 0.5],
        }
    )
    text = to_csv_bytes(df).decode()
    back = pd.read_csv(io.StringIO(text))
    assert back["return"].tolist() == [-0.123456789, 0.5]
    assert back["symbol"].tolist()[1].startswith("'=")
    assert back["date"].tolist() == ["2025-07-10", "2025-07-11"]


def test_string_dtype_columns_are_escaped() -> None:
    df = pd.DataFrame({"note": pd.array(["+x", "ok"], dtype="string")})
    assert escape_formulas(df)["note"].tolist() == ["'+x", "ok"]


@pytest.mark.parametrize(
    ("kind", "rng", "as_of", "expected"),
    [
        ("prices", "1Y", date(2026, 7, 31), "prices_1Y_asof-2026-07-31.csv"),
        ("prices", "Max", None, "prices_Max.csv"),
        ("prices", "../../etc", None, "prices_..-..-etc.csv"),
    ],
)
def test_export_filename(kind: str, rng: str, as_of: date | None, expected: str) -> None:
    assert export_filename(kind, rng, as_of) == expected
