"""lib.ui's pure helpers: the one markdown escape, percent formatting, symbol seeding."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from lib.ui.state import seed_symbols
from lib.ui.widgets import LINK_BREAK, as_percent, escape_markdown, fmt_pct, plain_text
from lib.universe import symbol_key
from tests.hypothesis_profiles import LIB_SCALE


@pytest.mark.parametrize(
    "text",
    [
        "[click](https://evil.example)",
        "<b>bold</b> *em* _em_ `code` # head",
        ":red[alarm] $x^2$ a=b & c | d ~ e",
        "1. not a list - nor this",
        "see http://x.invalid/a and www.x.invalid or a@x.invalid",
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
    # Nothing else changes but the invisible breaks before an autolink could start.
    assert out.replace("\\", "").replace(LINK_BREAK, "") == text.replace("\\", "")


#: GFM autolink literals as Streamlit's markdown finds them in the text after escapes and
#: character references are resolved (so the test looks at the text with backslashes removed).
_AUTOLINK = re.compile(r"(https?://|www\.)[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.I)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("WWW.EVIL.COM", "WWW.EVIL.COM"),
        ("go to https://evil.example/x?y=1", "go to https://evil.example/x?y=1"),
        ("mailto:a@b.example", "mailto:a@b.example"),
        ("\u202eMP gnissim", "MP gnissim"),
        ("\u2066LYC.AX\u2069", "LYC.AX"),
        ("ww\u200bw.evil.com", "www.evil.com"),
        ("M\x00P\nline\u2028two", "M P line two"),
        ("h\u00adttp\ufeff://x.invalid", "http://x.invalid"),
        ("tag\U000e0041s", "tags"),
        ("naïve café 東京 👍", "naïve café 東京 👍"),
    ],
)
def test_escaped_text_reads_the_same_but_cannot_link_or_reorder(text: str, shown: str) -> None:
    out = escape_markdown(text)
    resolved = out.replace("\\", "")
    assert resolved.replace(LINK_BREAK, "") == shown
    assert not _AUTOLINK.search(resolved), resolved
    hidden = [ch for ch in resolved if unicodedata.category(ch) in ("Cf", "Cc")]
    assert set(hidden) <= {LINK_BREAK}, hidden


@given(text=hs.text(max_size=80))
@settings(max_examples=settings().max_examples * LIB_SCALE, deadline=None)
def test_no_text_escapes_into_a_link_or_a_direction_override(text: str) -> None:
    resolved = escape_markdown(text).replace("\\", "")
    assert not _AUTOLINK.search(resolved)
    assert not [ch for ch in resolved if ch != LINK_BREAK and unicodedata.category(ch) == "Cf"]
    assert plain_text(resolved.replace(LINK_BREAK, "")) == resolved.replace(LINK_BREAK, "")


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
