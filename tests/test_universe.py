"""Symbol validation: canonical symbols in, clear messages for everything else."""

from __future__ import annotations

import pytest

from lib.universe import (
    InvalidSymbolError,
    basket_members,
    load_universe,
    normalise_symbol,
    parse_symbol_list,
    symbol_label,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mp", "MP"),
        ("  lyc.ax ", "LYC.AX"),
        ("600111.ss", "600111.SS"),
        ("CNY=X", "CNY=X"),
        ("^GSPC", "^GSPC"),
        ("ＭＰ", "MP"),  # full-width letters normalised by NFKC
    ],
)
def test_valid_symbols(raw: str, expected: str) -> None:
    assert normalise_symbol(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Empty"),
        ("   ", "Empty"),
        ("MP; DROP TABLE watchlists;--", "too long"),
        ("<script>", "not a valid Yahoo symbol"),
        ("A" * 10_000, "too long"),
        ("MP\x00", "control or invisible"),
        ("\u202eMP", "control or invisible"),
        ("M P", "not a valid Yahoo symbol"),
        ("=1+1", "not a valid Yahoo symbol"),
    ],
)
def test_hostile_or_malformed_symbols_rejected(raw: str, message: str) -> None:
    with pytest.raises(InvalidSymbolError, match=message) as err:
        normalise_symbol(raw)
    assert len(str(err.value)) < 200  # never echoes a 10k-char string back


def test_parse_pasted_list() -> None:
    good, errors = parse_symbol_list("MP, lyc.ax 600111.SS;MP\n<b>x</b>")
    assert good == ["MP", "LYC.AX", "600111.SS"]
    assert len(errors) == 1 and "not a valid" in errors[0]


def test_labels_and_baskets_from_universe() -> None:
    uni = load_universe()
    assert symbol_label(uni, "MP").startswith("MP — MP Materials (NYSE, USD)")
    assert symbol_label(uni, "ZZZZ") == "ZZZZ"
    assert "MP" in basket_members(uni, "West")
    assert "600111.SS" in basket_members(uni, "China")


def test_shin_etsu_and_vital_metals_rows() -> None:
    """Issue 21: the snapshot's two new series are universe rows with sources; neither is in a
    basket (4063.T has no offline yen rate for the USD baskets, VML.AX is a micro-cap)."""
    uni = load_universe().set_index("symbol")
    shin = uni.loc["4063.T"]
    assert (shin["name"], shin["exchange"], shin["currency"], shin["country"]) == (
        "Shin-Etsu Chemical", "TSE", "JPY", "Japan"
    )  # fmt: skip
    assert shin["segment"] == "magnets" and shin["basket"] == ""
    # Only the exchange code (4063) was seen in a source, so the Yahoo suffix is by convention.
    assert shin["ticker_check"] == "exch" and shin["source_url"].startswith("https://")
    assert "magnet" in shin["role"] and "outside China" in shin["role"]
    vml = uni.loc["VML.AX"]
    assert (vml["exchange"], vml["currency"], vml["basket"]) == ("ASX", "AUD", "")
    assert vml["source_url"].startswith("https://")
    assert "4063.T" not in basket_members(load_universe(), "West")
