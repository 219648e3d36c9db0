"""lib.ui's pure helpers: the one markdown escape, percent formatting, symbol seeding."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.ui.state import seed_symbols
from lib.ui.widgets import as_percent, escape_markdown, fmt_pct
from lib.universe import symbol_key


@pytest.mark.parametrize(
    "text",
    [
        "[click](https://evil.example)",
        "<b>bold</b> *em* _em_ `code` # head",
        ":red[alarm] $x^2$ a=b & c | d ~ e",
        "1. not a list\n- nor this",
    ],
)
def test_escape_markdown_leaves_no_markup_character_bare(text: str) -> None:
    out = escape_markdown(text)
    bare = [
        ch
        for i, ch in enumerate(out)
        if ch in "\\`*_{}[]()<>#+-.!|~:$&=^"
        and (i == 0 or out[i - 1] != "\\")
        and not (ch == "\\" and i + 1 < len(out))
    ]
    assert bare == []
    assert out.replace("\\", "") == text.replace("\\", "")  # nothing else changes


def test_fmt_pct_and_as_percent_agree() -> None:
    assert fmt_pct(0.25) == "+25.0%" and fmt_pct(-0.032) == "-3.2%" and fmt_pct(None) == "n/a"
    frame = pd.DataFrame({"r": [0.25, -0.032], "name": ["a", "b"]})
    shown = as_percent(frame, ["r"])
    assert shown["r"].tolist() == pytest.approx([25.0, -3.2])
    assert frame["r"].tolist() == [0.25, -0.032]  # the export keeps fractions


def test_symbol_key_is_order_and_case_free() -> None:
    assert symbol_key(["mp", "LYC.AX", "MP"]) == ("LYC.AX", "MP")
    assert symbol_key([]) == ()


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, ["MP"]),
        ({"active_watchlist_symbols": ["UUUU", "ZZZ"], "active_watchlist": "W"}, ["UUUU"]),
        ({"es_syms": ["MP"], "_es_syms_watchlist": None}, ["MP"]),
        (
            {
                "es_syms": ["MP"],
                "_es_syms_watchlist": None,
                "active_watchlist": "W",
                "active_watchlist_symbols": ["USAR"],
            },
            ["USAR"],
        ),
        (
            {
                "es_syms": ["MP"],
                "_es_syms_watchlist": "W",
                "active_watchlist": "W",
                "active_watchlist_symbols": ["USAR"],
            },
            ["MP"],
        ),
    ],
)
def test_seed_symbols(state: dict, expected: list[str]) -> None:
    seed_symbols(state, "es_syms", ["MP"], {"MP", "UUUU", "USAR"})
    assert state["es_syms"] == expected


def test_seed_symbols_prefers_the_url_and_may_skip_the_known_filter() -> None:
    state: dict = {"active_watchlist_symbols": ["UUUU"], "active_watchlist": "W"}
    seed_symbols(state, "px_symbols", ["MP"], preferred=["ZZZZ"])
    assert state["px_symbols"] == ["ZZZZ"]
    state = {"active_watchlist_symbols": ["NEW.AX"], "active_watchlist": "W"}
    seed_symbols(state, "px_symbols", ["MP"])
    assert state["px_symbols"] == ["NEW.AX"]  # no known set: any symbol is offered
