"""One Excel workbook per export: a sheet per table plus a *Sources* sheet.

Text a spreadsheet would execute (the CSV export's lib.export.FORMULA_PREFIXES) is written as
a typed string cell with Excel's quote-prefix marker, never a formula, and with no visible
apostrophe; numbers stay numbers and dates stay dates, so a user can chart or sum the workbook
without retyping anything.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from lib.export import FORMULA_PREFIXES, export_filename

SOURCES_SHEET = "Sources"
SOURCES_COLUMNS = ["Table", "Source", "As of", "Adjustment basis", "Confidence"]
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576 - 1  # Excel's row limit minus the header
MAX_CELL_CHARS = 32_767
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


class XlsxExportError(ValueError):
    """The tables cannot be written as a workbook (e.g. more rows than Excel allows)."""


@dataclass(frozen=True)
class TableSource:
    """Provenance of one table, written as a row of the Sources sheet."""

    table: str
    source: str
    as_of: date | None = None
    adjustment: str = ""
    confidence: str = ""


def sheet_names(names: Sequence[str], reserved: Sequence[str] = (SOURCES_SHEET,)) -> list[str]:
    """Excel-legal, unique (case-insensitively, as Excel compares) sheet names in order.

    Drops []:*?/\\ and edge apostrophes, caps at 31 characters and numbers duplicates
    ("Prices", "Prices (2)"); names in ``reserved`` are treated as already taken.
    """
    taken = {r.casefold() for r in reserved}
    out: list[str] = []
    for raw in names:
        base = _BAD_SHEET_CHARS.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", str(raw)))
        base = " ".join(base.split()).strip("'").strip() or "Sheet"
        if base.casefold() == "history":  # reserved by Excel
            base = "History table"
        name = base[:MAX_SHEET_NAME]
        n = 2
        while name.casefold() in taken:
            suffix = f" ({n})"
            name = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
            n += 1
        taken.add(name.casefold())
        out.append(name)
    return out


def _clean_text(text: str) -> str:
    """Text as written: control characters Excel refuses removed, capped at its cell limit.

    No apostrophe is added: a formula-like string stays inert because its cell is typed as a
    string (see :func:`_inert_strings`), so the reader sees exactly the text we had.
    """
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:MAX_CELL_CHARS]


def _inert_strings(ws: Any, row: int) -> None:
    """Type every text cell of ``row`` as a string: an XLSX string cell never evaluates.

    openpyxl would store ``=1+1`` as a formula; ``data_type="s"`` keeps it text. Formula-like
    text also gets Excel's own quote-prefix marker, so re-editing the cell keeps it text.
    """
    for cell in ws[row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_PREFIXES):
                cell.quotePrefix = True


def cell_value(value: Any) -> Any:
    """A value openpyxl stores with the right type: number, bool, datetime, or inert text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):
        ts = pd.Timestamp(value)
        if ts is pd.NaT or pd.isna(ts):
            return None
        if ts.tzinfo is not None:  # Excel has no time zones: write UTC wall time
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.to_pydatetime()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return _clean_text(value)
    return _clean_text(str(value))


def _write_table(ws: Any, df: pd.DataFrame) -> None:
    headers = [_clean_text(str(c)) for c in df.columns]
    ws.append(headers)
    _inert_strings(ws, 1)
    date_only: list[bool] = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            valid = s.dropna()
            midnight = valid.empty or bool((valid == valid.dt.normalize()).all())
            date_only.append(midnight)
        else:
            date_only.append(True)
    for row in df.itertuples(index=False, name=None):
        ws.append([cell_value(v) for v in row])
        _inert_strings(ws, ws.max_row)
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        fmt = DATE_FORMAT if date_only[j - 1] else DATETIME_FORMAT
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            if isinstance(cell.value, datetime):
                cell.number_format = fmt
        sample = [str(col)] + [str(v) for v in df[col].head(200).tolist()]
        ws.column_dimensions[letter].width = min(60, max(8, *(len(x) for x in sample)) + 2)
    ws.freeze_panes = "A2"


def workbook_bytes(
    tables: Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]],
    sources: Sequence[TableSource] = (),
) -> bytes:
    """The .xlsx bytes: one sheet per table (in order) and a final Sources sheet.

    Table names become sheet names (sanitised, unique); the Sources sheet names each table's
    source, as-of date, adjustment basis and confidence. Raises XlsxExportError if a table
    is longer than Excel allows, rather than silently cutting rows.
    """
    items = list(tables.items()) if isinstance(tables, Mapping) else list(tables)
    names = sheet_names([name for name, _ in items])
    wb = Workbook()
    wb.remove(wb.active)
    renamed: dict[str, str] = {}
    for (name, df), sheet in zip(items, names, strict=True):
        if len(df) > MAX_ROWS:
            raise XlsxExportError(
                f"table {name!r} has {len(df):,} rows; Excel sheets hold at most {MAX_ROWS:,}"
            )
        renamed.setdefault(str(name), sheet)  # a source names the first table so called
        _write_table(wb.create_sheet(sheet), df)
    src = pd.DataFrame(
        [
            (renamed.get(s.table, s.table), s.source, s.as_of, s.adjustment, s.confidence)
            for s in sources
        ],
        columns=SOURCES_COLUMNS,
    )
    src["As of"] = pd.to_datetime(src["As of"])
    _write_table(wb.create_sheet(SOURCES_SHEET), src)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_filename(kind: str, range_key: str, as_of: date | None) -> str:
    """Same stem as the CSV export (lib.export.export_filename), with .xlsx."""
    return export_filename(kind, range_key, as_of).removesuffix(".csv") + ".xlsx"
