"""Watchlist files: our CSV export reads back exactly (Hypothesis over notes), UTF-16 files."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the profile)
from lib import watchlists as wl
from lib.export import FORMULA_PREFIXES, to_csv_bytes
from lib.watchlists import NewItem, Watchlist, WatchlistError, WatchlistItem


def valid_note(text: str) -> bool:
    try:
        return wl.clean_note(text) == text
    except WatchlistError:
        return False


#: Notes as the store keeps them, biased towards the starts a spreadsheet would run.
notes = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda p, rest: p + rest,
        st.sampled_from(["=", "+", "-", "@", "'", "''", "'=", "'-", " "]),
        st.text(max_size=40),
    ),
).filter(valid_note)


def watchlist(item_notes: list[str]) -> Watchlist:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    items = tuple(
        WatchlistItem(f"S{i}", i, n, at, 10.5 if i % 2 else None, date(2026, 10, 30))
        for i, n in enumerate(item_notes)
    )
    return Watchlist(1, "local", "L", at, at, items)


@given(st.lists(notes, min_size=1, max_size=8))
def test_our_csv_export_reads_back_exactly(item_notes: list[str]) -> None:
    wlist = watchlist(item_notes)
    data = to_csv_bytes(wl.export_frame(wlist, {"S0": "=evil name"}))
    back = wl.parse_import_csv(data)
    assert back == [NewItem(i.symbol, i.note) for i in wlist.items]


@given(notes)
def test_the_guard_is_exactly_undone_and_never_leaves_a_formula(note: str) -> None:
    cell = wl.guard_cell(note)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert wl.unguard_cell(cell) == note


def test_the_issue_example() -> None:
    data = to_csv_bytes(wl.export_frame(watchlist(["-5% since added"])))
    assert b"'-5% since added" in data  # a spreadsheet shows it as text
    assert wl.parse_import_csv(data)[0].note == "-5% since added"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_bom_are_read(codec: str) -> None:
    text = "symbol,note\r\nMP,稀土 magnets\r\nLYC.AX,\r\n"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    data = bom + text.encode(codec)
    assert wl.parse_import_csv(data) == [NewItem("MP", "稀土 magnets"), NewItem("LYC.AX")]


def test_utf16_without_a_bom_is_named_not_called_binary() -> None:
    data = "symbol\nMP\nSPY\n".encode("utf-16-le")
    with pytest.raises(wl.ImportProblem, match="UTF-16 text without a byte-order mark"):
        wl.parse_import_csv(data)
    with pytest.raises(wl.ImportProblem, match="binary data"):
        wl.parse_import_csv(b"symbol\nMP\n\x00\x01\x02")
