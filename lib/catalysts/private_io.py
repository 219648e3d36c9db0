"""My events as a CSV file and back: the same guard and decoding rules as watchlist files.

The export is safe to open in a spreadsheet (text that starts like a formula gets one quote,
dates stay dates) and the import reads the app's own export back exactly. Every row goes
through the store's own validation, so hostile text is refused with the row named.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd

from lib.catalysts.private import PrivateEventError, clean_fields
from lib.watchlists.io import decode_text, guard_cell, unguard_cell

COLUMNS = ("date", "precision", "title", "note", "symbols", "source_url")
MAX_IMPORT_BYTES = 512 * 1024
MAX_ROWS = 500


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


def parse_csv(data: bytes) -> list[EventRow]:
    """Validated rows, or PrivateEventError naming the first bad row (nothing is imported)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PrivateEventError(f"The file is over {MAX_IMPORT_BYTES // 1024} KB.")
    try:
        text = decode_text(data)
    except ValueError as exc:  # ImportProblem is a WatchlistError (a ValueError)
        raise PrivateEventError(str(exc)) from None
    rows = list(csv.reader(io.StringIO(text)))
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
        date, precision, *texts = row
        title, note, symbols, url = (unguard_cell(t) for t in texts)
        try:
            d, p, t, nt, s, u = clean_fields(date, precision.strip(), title, note, symbols, url)
        except PrivateEventError as exc:
            raise PrivateEventError(f"Row {n}: {exc}") from None
        out.append(EventRow(d.isoformat(), p, t, nt, s, u))
    return out
