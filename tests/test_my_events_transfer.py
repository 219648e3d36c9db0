"""My events in the watchlist export/import: the file reads back exactly (hostile but storable
text included), stays spreadsheet-safe, and a bad file names its problem and writes nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import astuple

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.catalysts import private_io as pio
from lib.catalysts.private import (
    MAX_EVENTS_PER_OWNER,
    MAX_NOTE_LEN,
    MAX_SYMBOLS,
    MAX_TITLE_LEN,
    PrivateEventError,
    PrivateEventStore,
)
from lib.watchlists.validate import ImportProblem
from tests.apptest_frame import ok, page_app

HEADER = b"date,precision,title,note,symbols,source_url\n"

#: Text a person may store (no control or format characters) that a spreadsheet, markdown or
#: a browser would otherwise act on.
STORABLE = [
    ("2027-01-05", "day", '=HYPERLINK("http://x.invalid")', "-5% since added", "MP", ""),
    ("2027-02-01", "month", "'quoted", "+1 note\nsecond line, with a comma", "", ""),
    ("2027-01-01", "year", "@SUM(A1)", "'=already guarded?", "LYC.AX 600111.SS", ""),
    ("2025-07-10", "day", "**bold** <b>html</b> [x](//x.invalid/p)", "www.x.invalid", "", ""),
    ("1990-01-01", "day", "Ünïcødé 稀土 😀", '"quotes" and \t tab', "^GSPC", "https://a.example/?q=1"),
]  # fmt: skip


def _frame(rows: list[tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i, "date": pd.Timestamp(d), "precision": p, "title": t, "note": n,
             "symbols": s, "source_url": u, "revision": 0}
            for i, (d, p, t, n, s, u) in enumerate(rows, start=1)
        ],
        columns=["id", "date", "precision", "title", "note", "symbols", "source_url", "revision"],
    )  # fmt: skip


def test_export_reads_back_exactly_with_only_text_cells_guarded() -> None:
    data = pio.to_csv_bytes(_frame(STORABLE))
    back = pio.parse_csv(data)
    assert [astuple(r) for r in back] == STORABLE
    cells = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    for cell_row in cells:
        date_cell, precision_cell, *texts = cell_row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_cell)  # a date, never guarded
        assert precision_cell in ("day", "month", "year")
        for text in texts:  # nothing a spreadsheet would run
            assert not text.startswith(("=", "+", "-", "@")), text
    assert cells[0][2] == "'" + STORABLE[0][2] and cells[2][3] == "''=already guarded?"


def test_the_largest_export_reads_back() -> None:
    """Every event at its limits, in 4-byte characters: under the import's size limit."""
    sym = [f"^A{i:02d}" + "B" * 12 for i in range(MAX_SYMBOLS)]  # 16 characters, the most
    url = "https://x.example/" + "😀" * (2000 - 18)
    row = ("2100-12-31", "day", "😀" * MAX_TITLE_LEN, "😀" * MAX_NOTE_LEN, " ".join(sym), url)
    one, two = (len(pio.to_csv_bytes(_frame([row] * n))) for n in (1, 2))
    header, per_row = one - (two - one), two - one
    assert header + MAX_EVENTS_PER_OWNER * per_row <= pio.MAX_IMPORT_BYTES
    quoted = ('"' * MAX_TITLE_LEN, '"' * MAX_NOTE_LEN)  # a doubled quote is 2 bytes, not 4
    assert len(pio.to_csv_bytes(_frame([(*row[:2], *quoted, *row[4:])]))) < one
    back = pio.parse_csv(pio.to_csv_bytes(_frame([row] * 3)))
    assert [astuple(r) for r in back] == [row] * 3


def test_reimporting_an_export_adds_nothing_and_equal_events_stay_two() -> None:
    rows = pio.parse_csv(pio.to_csv_bytes(_frame([STORABLE[0], STORABLE[0], STORABLE[1]])))
    fresh, skipped = pio.new_rows(rows, _frame([]))
    assert len(fresh) == 3 and skipped == 0
    fresh, skipped = pio.new_rows(rows, _frame([STORABLE[0], STORABLE[1]]))
    assert [astuple(r) for r in fresh] == [STORABLE[0]] and skipped == 2
    fresh, skipped = pio.new_rows(rows, _frame([STORABLE[0], STORABLE[0], STORABLE[1]]))
    assert fresh == [] and skipped == 3


def _row(*cells: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().encode()


def _one(
    day: str = "2027-01-01",
    precision: str = "day",
    title: str = "t",
    note: str = "",
    symbols: str = "",
    url: str = "",
) -> bytes:
    """A file of one event row (header included)."""
    return HEADER + _row(day, precision, title, note, symbols, url)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "header"),
        (b"symbol,note\nMP,x\n", "header"),
        (HEADER + b"2027-01-01,day,a,b\n", "Row 2 has 4 cells; expected 6"),
        (_one(day="05/01/2027"), "Row 2: the date must be .*YYYY-MM-DD"),
        (_one(day="now"), "Row 2: the date"),
        (_one(day="2027-13-01"), "Row 2: the date"),
        (_one(day="1989-12-31"), "Row 2: Dates must be between"),
        (_one(precision="week"), "Row 2: Precision"),
        (_one(title=""), "Row 2: .*title"),
        (_one(title="x" * 201), "Row 2: Titles can be at most 200"),
        (_one(note="x" * 2001), "Row 2: Notes can be at most 2000"),
        (_one(title="a\u202eb"), "Row 2: .*U\\+202E"),
        (_one(title="a\u200bb"), "Row 2: .*U\\+200B"),
        (_one(note="x\x07"), "Row 2: .*U\\+0007"),
        (_one(symbols="M\u200bP"), "Row 2: .*invisible"),
        (_one(url="http://x.invalid"), "Row 2: .*https"),
        (_one(url="javascript:alert(1)"), "Row 2: .*https"),
        (_one(url="www.x.invalid"), "Row 2: .*https"),
        (_one() + _row("x", "day", "t", "", "", ""), "Row 3: the date"),
        (_one() + _row("2027-01-01", "day", "t", "", "", "") * 500, "At most 500 events"),
        (HEADER + b'2027-01-01,day,"' + b"x" * 140_000 + b'",,,\n', "not valid CSV"),
        (b"\x00\x01binary", "binary|UTF-16|header"),
        (HEADER + b"2027-01-01,day,\xff\xfe,,,\n", "not UTF-8"),
        (b"x" * (pio.MAX_IMPORT_BYTES + 1), "The file is over"),
    ],
)  # fmt: skip
def test_malformed_and_hostile_files_name_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(PrivateEventError, match=message):
        pio.parse_csv(data)


def test_spreadsheet_variants_of_the_export_still_read() -> None:
    """A BOM, CRLF line ends, blank lines and UTF-16 (Excel's 'Unicode text') are all fine."""
    data = pio.to_csv_bytes(_frame(STORABLE[:2]))
    plain = [STORABLE[0], STORABLE[2]]  # no line break inside a cell
    crlf = "\ufeff" + pio.to_csv_bytes(_frame(plain)).decode().replace("\n", "\r\n") + "\r\n"
    assert [astuple(r) for r in pio.parse_csv(crlf.encode())] == plain
    utf16 = b"\xff\xfe" + data.decode().encode("utf-16-le")
    assert [astuple(r) for r in pio.parse_csv(utf16)] == STORABLE[:2]
    assert pio.is_events_csv(utf16) and pio.is_events_csv(data)
    assert not pio.is_events_csv(b"symbol,note\nMP,\n") and not pio.is_events_csv(b"\xff\x00\x00")


def test_a_watchlist_import_of_an_events_file_says_where_it_goes() -> None:
    with pytest.raises(ImportProblem, match="Import my events"):
        wl.parse_import_csv(pio.to_csv_bytes(_frame(STORABLE[:1])))


# --------------------------------------------------------------------------- the page

PAGE = "pages/5_Watchlists.py"


def _events() -> list[tuple[str, ...]]:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        frame = PrivateEventStore(store.engine).frame(wl.LOCAL_OWNER)
        return [astuple(r) for r in pio.parse_frame(frame)]
    finally:
        store.dispose()


def _import(at: AppTest, data: bytes) -> AppTest:
    at.get("file_uploader")[1].set_value(("my_events.csv", data, "text/csv")).run()
    at.button(key="wl_my_import").click().run()
    return ok(at)


def _said(at: AppTest) -> str:
    return " ".join(
        re.sub(r"\\(.)", r"\1", str(e.value)) for e in (*at.success, *at.error, *at.info)
    )


def test_watchlists_page_imports_my_events_once_and_refuses_a_bad_file_whole() -> None:
    from lib.ui import private_events

    at = ok(page_app(PAGE).run())
    assert at.button(key="wl_my_import").disabled  # nothing uploaded yet
    data = pio.to_csv_bytes(_frame(STORABLE))
    _import(at, data)
    assert "Imported 5 event(s)" in _said(at)
    assert sorted(_events()) == sorted(STORABLE)
    assert private_events.export_csv(wl.LOCAL_OWNER) == pio.to_csv_bytes(
        _frame(sorted(STORABLE, key=lambda r: r[0]))
    )  # the page's download: the same file, in date order
    _import(at, data)  # the same file again: nothing new
    assert "Imported 0 event(s); 5 already among your events were skipped" in _said(at)
    assert len(_events()) == 5

    bad = data + _row("2027-01-01", "day", "evil\u202e", "", "", "")
    _import(at, bad)
    assert "Nothing was imported. Row 7" in _said(at) and "U+202E" in _said(at)
    assert len(_events()) == 5  # the good rows of a bad file are not imported either
    assert at.get("file_uploader")[1].value is None  # a fresh uploader after each import


def test_the_501st_event_is_refused_by_an_import_with_nothing_written() -> None:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        rows = [("2027-01-01", "day", f"e{i}", "", "", "") for i in range(MAX_EVENTS_PER_OWNER - 1)]
        PrivateEventStore(store.engine).add_many(wl.LOCAL_OWNER, rows)
    finally:
        store.dispose()
    at = ok(page_app(PAGE).run())
    two = (
        HEADER
        + _row("2027-03-01", "day", "a", "", "", "")
        + _row("2027-03-02", "day", "b", "", "", "")
    )
    _import(at, two)
    said = _said(at)
    assert "at most 500 events" in said and "would make 501" in said
    assert said.count("Nothing was imported") == 1
    assert len(_events()) == MAX_EVENTS_PER_OWNER - 1
