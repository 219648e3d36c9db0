"""My events as a CSV file and back: the same guard and decoding rules as watchlist files.

The export is safe to open in a spreadsheet (text that starts like a formula gets one quote,
dates stay dates) and the import reads the app's own export back exactly. Every row goes
through the store's own validation, so hostile text is refused with the row named. The same
file is offered on Catalysts and next to the watchlist export (Watchlists, Import / export).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date

import pandas as pd

from lib.catalysts.private import (
    MAX_EVENTS_PER_OWNER,
    MAX_NOTE_LEN,
    MAX_SYMBOLS,
    MAX_TITLE_LEN,
    PrivateEventError,
    clean_fields,
)
from lib.universe import MAX_SYMBOL_LEN
from lib.watchlists.io import decode_text, guard_cell, unguard_cell

COLUMNS = ("date", "precision", "title", "note", "symbols", "source_url")
MAX_ROWS = MAX_EVENTS_PER_OWNER
_MAX_URL_LEN = 2000  # lib.catalysts.private.clean_fields
#: The largest file our own export can write, so that an import never refuses one: every
#: event at its limits, each character 4 bytes in UTF-8 (a doubled quote is only 2), each
#: text cell with its guard and two quotes, and the row's commas, date and precision.
_ROW_BYTES = (
    4 * (MAX_TITLE_LEN + MAX_NOTE_LEN + MAX_SYMBOLS * (MAX_SYMBOL_LEN + 1) + _MAX_URL_LEN)
    + 4 * 3  # guards
    + 4 * 2  # quotes around each text cell
    + len("2100-12-31,month,,,,\n")
)
MAX_IMPORT_BYTES = len(",".join(COLUMNS)) + 1 + MAX_ROWS * _ROW_BYTES


@dataclass(frozen=True)
class EventRow:
    date: str
    precision: str
    title: str
    note: str
    symbols: str
    source_url: str


def to_csv_bytes(mine: pd.DataFrame) -> bytes:
    """The owner's events (lib.catalysts.private frame) as a CSV with our header."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in mine.itertuples(index=False):
        w.writerow(
            [
                pd.Timestamp(r.date).date().isoformat(),
                r.precision,
                guard_cell(str(r.title)),
                guard_cell(str(r.note)),
                guard_cell(str(r.symbols)),
                guard_cell(str(r.source_url)),
            ]
        )
    return out.getvalue().encode("utf-8")


def is_events_csv(data: bytes) -> bool:
    """True when ``data`` starts with our events header (a My events file, not a watchlist)."""
    try:
        first = decode_text(data).splitlines()[:1]
    except ValueError:  # not text (an import says why)
        return False
    header = next(csv.reader(first), [])
    return [h.strip().lower() for h in header] == list(COLUMNS)


def _day(cell: str, n: int) -> str:
    """The row's date as the export writes it (YYYY-MM-DD): no guessing day or month order."""
    try:
        return date.fromisoformat(cell.strip()).isoformat()
    except ValueError:
        raise PrivateEventError(
            f"Row {n}: the date must be written YYYY-MM-DD (as the export does)."
        ) from None


def parse_csv(data: bytes) -> list[EventRow]:
    """Validated rows, or PrivateEventError naming the first bad row (nothing is imported)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PrivateEventError(
            f"The file is over {MAX_IMPORT_BYTES // 1024} KB, more than "
            f"{MAX_ROWS} events at their longest."
        )
    try:
        text = decode_text(data)
    except ValueError as exc:  # ImportProblem is a WatchlistError (a ValueError)
        raise PrivateEventError(str(exc)) from None
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    except csv.Error as exc:
        raise PrivateEventError(f"The file is not valid CSV ({exc}).") from None
    if not rows or [h.strip().lower() for h in rows[0]] != list(COLUMNS):
        raise PrivateEventError(
            "The file must start with the header " + ",".join(COLUMNS) + " (as the export does)."
        )
    if len(rows) - 1 > MAX_ROWS:
        raise PrivateEventError(f"At most {MAX_ROWS} events can be imported at once.")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(COLUMNS):
            raise PrivateEventError(f"Row {n} has {len(row)} cells; expected {len(COLUMNS)}.")
        day, precision, *texts = row
        title, note, symbols, url = (unguard_cell(t) for t in texts)
        iso = _day(day, n)
        try:
            d, p, t, nt, s, u = clean_fields(iso, precision.strip(), title, note, symbols, url)
        except PrivateEventError as exc:
            raise PrivateEventError(f"Row {n}: {exc}") from None
        out.append(EventRow(d.isoformat(), p, t, nt, s, u))
    return out


def new_rows(rows: Sequence[EventRow], mine: pd.DataFrame) -> tuple[list[EventRow], int]:
    """(rows to add, rows skipped): a row equal in every field to one of the owner's events is
    already there, so importing the same export twice adds nothing. Each existing event
    matches one row at most, so two equal events in a file stay two."""
    have = Counter(astuple(r) for r in parse_frame(mine))
    fresh: list[EventRow] = []
    for r in rows:
        if have[astuple(r)] > 0:
            have[astuple(r)] -= 1
        else:
            fresh.append(r)
    return fresh, len(rows) - len(fresh)


def parse_frame(mine: pd.DataFrame) -> list[EventRow]:
    """The owner's stored events (lib.catalysts.private frame) as rows an import compares."""
    return [
        EventRow(
            pd.Timestamp(r.date).date().isoformat(),
            str(r.precision),
            str(r.title),
            str(r.note),
            str(r.symbols),
            str(r.source_url),
        )
        for r in mine.itertuples(index=False)
    ]
