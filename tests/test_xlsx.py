"""Excel export: a sheet per table, a Sources sheet, typed cells, no live formulas."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from lib.prices import PriceStore
from lib.xlsx import (
    SOURCES_COLUMNS,
    SOURCES_SHEET,
    TableSource,
    XlsxExportError,
    cell_value,
    sheet_names,
    workbook_bytes,
    xlsx_filename,
)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))
    return store.load(["MP", "LYC.AX"])


def _open(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))


def test_real_prices_keep_types_and_sources_sheet(real: pd.DataFrame) -> None:
    mp = real[real["symbol"] == "MP"].reset_index(drop=True)
    summary = pd.DataFrame(
        {"symbol": ["MP", "LYC.AX"], "name": ["MP Materials", "=Lynas"], "return": [-0.125, 0.3]}
    )
    data = workbook_bytes(
        {"Prices": mp, "Summary": summary},
        [
            TableSource("Prices", "Stooq snapshot", date(2026, 10, 6), "raw", "verified"),
            TableSource("Summary", "computed", date(2026, 10, 6), "adjusted close", "derived"),
        ],
    )
    assert data[:2] == b"PK"
    wb = _open(data)
    assert wb.sheetnames == ["Prices", "Summary", SOURCES_SHEET]
    ws = wb["Prices"]
    header = [c.value for c in ws[1]]
    assert header == list(mp.columns)
    assert ws.max_row == len(mp) + 1
    first = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert isinstance(first["date"].value, datetime)
    assert first["date"].value == mp["date"].iloc[0].to_pydatetime()
    assert first["date"].number_format == "yyyy-mm-dd"
    assert first["close"].data_type == "n"
    assert first["close"].value == pytest.approx(float(mp["close"].iloc[0]))
    assert first["volume"].data_type == "n"
    assert first["symbol"].value == "MP"
    s = wb["Summary"]
    assert s["B3"].value == "=Lynas"  # the text exactly, no visible apostrophe
    assert s["B3"].data_type == "s" and s["B3"].quotePrefix
    assert s["C2"].value == -0.125 and s["C2"].data_type == "n"
    src = wb[SOURCES_SHEET]
    assert [c.value for c in src[1]] == SOURCES_COLUMNS
    assert [c.value for c in src[2]] == [
        "Prices",
        "Stooq snapshot",
        datetime(2026, 10, 6),
        "raw",
        "verified",
    ]


def test_formula_injection_neutralised_in_text_and_headers() -> None:
    df = pd.DataFrame(
        {
            "=cmd|' /C calc'!A0": ["=1+1", "+SUM(A1)", "-2+3", "@x", "\tTAB", "plain"],
            "n": [-1.5, 2.0, np.nan, 4.0, 5.0, 6.0],
        }
    )
    wb = _open(workbook_bytes({"t": df}))
    ws = wb["t"]
    assert ws["A1"].value == "=cmd|' /C calc'!A0"
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.coordinate
    texts = ["=1+1", "+SUM(A1)", "-2+3", "@x", "\tTAB", "plain"]
    assert [ws.cell(r, 1).value for r in range(2, 8)] == texts
    assert [ws.cell(r, 1).quotePrefix for r in range(2, 8)] == [True] * 5 + [False]
    assert ws["B2"].value == -1.5 and ws["B2"].data_type == "n"
    assert ws["B4"].value is None  # NaN is an empty cell, not the text "nan"


def test_source_texts_are_neutralised_too() -> None:
    wb = _open(workbook_bytes({"t": pd.DataFrame({"a": [1]})}, [TableSource("t", "=evil()")]))
    cell = wb[SOURCES_SHEET]["B2"]
    assert cell.value == "=evil()" and cell.data_type == "s" and cell.quotePrefix


def test_no_formula_element_in_the_file() -> None:
    """The sheet XML itself holds no <f> element: a formula-like text cell is a string cell."""
    import zipfile

    data = workbook_bytes({"t": pd.DataFrame({"a": ["=1+1", '=HYPERLINK("x")'], "n": [1, 2]})})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert 't="s"' in sheet or 't="inlineStr"' in sheet


def test_sheet_names_sanitised_and_unique() -> None:
    names = sheet_names(
        ["Prices [USD]: 1/2*?", "prices [usd]  1 2", "x" * 40, "x" * 40, "", "Sources", "'q'"]
    )
    assert names[0] == "Prices USD 1 2"
    assert names[1] == "prices usd 1 2 (2)"
    assert names[2] == "x" * 31
    assert names[3] == "x" * 27 + " (2)"
    assert names[4] == "Sheet"
    assert names[5] == "Sources (2)"
    assert names[6] == "q"
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)


def test_workbook_uses_sanitised_names_in_sources_sheet() -> None:
    data = workbook_bytes(
        [("a/b", pd.DataFrame({"x": [1]})), ("a/b", pd.DataFrame({"x": [2]}))],
        [TableSource("a/b", "s")],
    )
    wb = _open(data)
    assert wb.sheetnames == ["a b", "a b (2)", SOURCES_SHEET]
    assert wb[SOURCES_SHEET]["A2"].value == "a b"
    assert wb["a b (2)"]["A2"].value == 2


def test_cell_value_types() -> None:
    assert cell_value(np.int64(3)) == 3 and isinstance(cell_value(np.int64(3)), int)
    assert cell_value(np.float32(0.5)) == 0.5
    assert cell_value(np.bool_(True)) is True
    assert cell_value(float("inf")) is None
    assert cell_value(pd.NA) is None and cell_value(pd.NaT) is None
    assert cell_value(date(2026, 1, 2)) == datetime(2026, 1, 2)
    aware = pd.Timestamp("2026-01-02 10:00", tz="Asia/Shanghai")
    assert cell_value(aware) == datetime(2026, 1, 2, 2, 0)
    assert cell_value("a\x00b\x07c") == "abc"  # control characters Excel rejects are dropped


def test_datetimes_with_time_keep_time_format() -> None:
    df = pd.DataFrame({"t": pd.to_datetime(["2026-01-02 10:30", None])})
    ws = _open(workbook_bytes({"t": df}))["t"]
    assert ws["A2"].value == datetime(2026, 1, 2, 10, 30)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["A3"].value is None


def test_too_many_rows_is_a_documented_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lib.xlsx.MAX_ROWS", 3)
    with pytest.raises(XlsxExportError, match="at most"):
        workbook_bytes({"t": pd.DataFrame({"a": range(4)})})


def test_filename_matches_csv_stem() -> None:
    assert xlsx_filename("prices", "1Y", date(2026, 7, 31)) == "prices_1Y_asof-2026-07-31.xlsx"


_cell = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(max_size=20),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
)


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(st.text(max_size=40), min_size=1, max_size=4),
    rows=st.lists(st.lists(_cell, min_size=2, max_size=2), max_size=6),
)
def test_any_tables_make_a_readable_workbook(names: list[str], rows: list[list[object]]) -> None:
    df = pd.DataFrame(rows, columns=["a", "b"]) if rows else pd.DataFrame(columns=["a", "b"])
    wb = _open(workbook_bytes([(n, df) for n in names], [TableSource(names[0], "s")]))
    assert len(wb.sheetnames) == len(names) + 1
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
