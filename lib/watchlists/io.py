"""Watchlists in and out: pasted text, CSV import, the export frame and file name, share links."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import urlencode

import pandas as pd

from lib.export import FORMULA_PREFIXES
from lib.universe import InvalidSymbolError, normalise_symbol, parse_symbol_list, sanitize_excerpt
from lib.watchlists.types import Watchlist
from lib.watchlists.validate import (
    MAX_IMPORT_BYTES,
    MAX_SYMBOLS_PER_LIST,
    ImportProblem,
    NewItem,
    WatchlistError,
    clean_note,
)

#: Cell prefixes a spreadsheet would run as a formula; an import refuses such cells.
_FORMULA_PREFIXES = ("=", "+", "-", "@")

#: The guard our CSV export puts before a text cell a spreadsheet would otherwise run.
GUARD = "'"

#: What gets the guard: formula starts, and a leading quote itself, so that a note which
#: really starts with a quote ("'=x") is told apart from a guarded one ("=x") on the way back.
_GUARDED_STARTS = (*FORMULA_PREFIXES, GUARD)


def guard_cell(text: str) -> str:
    """The CSV cell for ``text``: one quote in front when it starts like a formula or a quote.

    A spreadsheet shows the cell as text, and :func:`unguard_cell` gives ``text`` back exactly.
    """
    return GUARD + text if text.startswith(_GUARDED_STARTS) else text


def unguard_cell(cell: str) -> str:
    """Exactly the quote :func:`guard_cell` adds, removed; any other cell as it is."""
    if cell.startswith(GUARD) and cell[1:].startswith(_GUARDED_STARTS):
        return cell[1:]
    return cell


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16/32 with a BOM (Excel's "Unicode text")."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                name = codec.upper().replace("UTF", "UTF-").replace("--", "-")
                raise ImportProblem(
                    f"The file starts like {name} text but does not decode as it; "
                    "save it as CSV UTF-8 and try again."
                ) from None
    if b"\x00" in data:
        if _looks_utf16(data):
            raise ImportProblem(
                "The file looks like UTF-16 text without a byte-order mark; save it as CSV "
                "UTF-8 (or UTF-16 with a BOM) and try again."
            )
        raise ImportProblem("The file contains binary data (NUL bytes); expected a CSV text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(
            f"The file is not UTF-8 text (undecodable byte at position {exc.start})."
        ) from None


def _looks_utf16(data: bytes) -> bool:
    """ASCII-heavy UTF-16 has a NUL in every other byte (even offsets for BE, odd for LE)."""
    half = len(data) // 2
    if half < 2:
        return False
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    return max(even, odd) >= 0.9 * half and min(even, odd) <= 0.1 * half


def parse_pasted(text: str) -> list[NewItem]:
    """ "MP, LYC.AX 600111.SS" -> items; any bad token rejects the whole paste."""
    if len(text or "") > MAX_IMPORT_BYTES:
        raise ImportProblem("The pasted text is too long.")
    good, errors = parse_symbol_list(text or "")
    if errors:
        raise ImportProblem("Nothing was added. " + " ".join(errors[:5]))
    if not good:
        raise ImportProblem("No symbols found in the pasted text.")
    if len(good) > MAX_SYMBOLS_PER_LIST:
        raise ImportProblem(f"A watchlist holds at most {MAX_SYMBOLS_PER_LIST} symbols.")
    return [NewItem(s) for s in good]


def parse_import_csv(data: bytes, max_bytes: int = MAX_IMPORT_BYTES) -> list[NewItem]:
    """A CSV with a ``symbol`` column and an optional ``note`` column, or a clear refusal.

    Refusals name the row (as numbered in a spreadsheet, header = row 1), so the user can fix
    the file; the caller writes nothing unless every row is good.
    """
    if len(data) > max_bytes:
        raise ImportProblem(
            f"The file is {len(data) / 1024:.0f} KiB; the limit is {max_bytes // 1024} KiB."
        )
    if not data.strip():
        raise ImportProblem("The file is empty.")
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportProblem(f"The file is not valid CSV ({exc}).") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ImportProblem("The file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    if header[:3] == list(EVENTS_FILE_START):
        raise ImportProblem(
            "This file holds your own dated events (My events), not a watchlist: import it "
            "with 'Import my events'."
        )
    if "symbol" not in header:
        raise ImportProblem(
            "The file needs a 'symbol' column (and optionally 'note'); found: "
            + ", ".join(f"'{sanitize_excerpt(h)}'" for h in header[:6])
            + "."
        )
    extra = [h for h in header if h not in ("symbol", "note", *EXPORT_ONLY_COLUMNS)]
    if extra:
        raise ImportProblem(
            "Unexpected column(s): "
            + ", ".join(f"'{sanitize_excerpt(h)}'" for h in extra[:6])
            + ". Only 'symbol' and 'note' are read (plus the columns our own export adds)."
        )
    if len(set(header)) != len(header):
        raise ImportProblem("The header repeats a column name.")
    # Our own export (every column it writes, in its order) carries the formula guard.
    own_export = header == list(EXPORT_COLUMNS)
    sym_i = header.index("symbol")
    note_i = header.index("note") if "note" in header else None
    body = rows[1:]
    if not body:
        raise ImportProblem("The file has a header but no rows.")
    if len(body) > MAX_SYMBOLS_PER_LIST:
        raise ImportProblem(
            f"The file has {len(body)} rows; a watchlist holds at most {MAX_SYMBOLS_PER_LIST}."
        )
    items: list[NewItem] = []
    seen: set[str] = set()
    for n, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ImportProblem(f"Row {n} has {len(row)} cells; expected {len(header)}.")
        for cell in row:
            if cell.lstrip().startswith(_FORMULA_PREFIXES):
                raise ImportProblem(
                    f"Row {n} has a formula-like cell ('{sanitize_excerpt(cell.strip())}'); "
                    "cells may not start with =, +, - or @."
                )
        if own_export:
            row = [unguard_cell(c) for c in row]
        try:
            sym = normalise_symbol(row[sym_i])
            note = clean_note(row[note_i]) if note_i is not None else ""
        except (InvalidSymbolError, WatchlistError) as exc:
            raise ImportProblem(f"Row {n}: {exc}") from None
        if sym in seen:
            continue
        seen.add(sym)
        items.append(NewItem(sym, note))
    return items


#: How a My events file (lib.catalysts.private_io) starts: told apart from a watchlist file.
EVENTS_FILE_START = ("date", "precision", "title")

#: Columns our own export adds for reading; an import ignores them (symbol and note are the list).
EXPORT_ONLY_COLUMNS = ("name", "added_on", "added_price", "added_price_date")

#: The export's header, in order: how an import recognises our own file.
EXPORT_COLUMNS = ("symbol", "note", *EXPORT_ONLY_COLUMNS)


def items_frame(wl: Watchlist, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The list as a table for display and CSV export (re-importable: symbol, note first)."""
    names = names or {}
    return pd.DataFrame(
        {
            "symbol": [i.symbol for i in wl.items],
            "note": [i.note for i in wl.items],
            "name": [names.get(i.symbol, "") for i in wl.items],
            "added_on": [i.added_at.date() if i.added_at else None for i in wl.items],
            "added_price": [i.added_price for i in wl.items],
            "added_price_date": [i.added_price_date for i in wl.items],
        },
        columns=list(EXPORT_COLUMNS),
    )


def export_frame(wl: Watchlist, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`items_frame` for the CSV export: text cells guarded (:func:`guard_cell`), so a
    spreadsheet never runs a note and our own import reads every note back exactly."""
    out = items_frame(wl, names)
    for col in ("symbol", "note", "name"):
        out[col] = out[col].map(guard_cell)
    return out


def share_query(symbols: Sequence[str]) -> str:
    """``symbols=MP&symbols=LYC.AX`` for a link that opens a page with these symbols."""
    return urlencode([("symbols", s) for s in symbols])


_SAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


def export_name(list_name: str, as_of: date | None = None) -> str:
    """watchlist_US-revival_2026-11-28.csv; any characters in the name are made safe."""
    stem = _SAFE_FILE.sub("-", unicodedata.normalize("NFKD", list_name)).strip("-.") or "list"
    stem = stem[:40]
    suffix = f"_{as_of.isoformat()}" if as_of else ""
    return f"watchlist_{stem}{suffix}.csv"
