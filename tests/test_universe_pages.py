"""Every universe symbol, alone and mixed with a symbol that has data (MP), on every page that
takes symbols: Prices (a shared ?symbols= link), Event study, Market outlook, Watchlists (add).

Prices and Watchlists: one AppTest session per symbol (a link, an add). Event study and Outlook:
one session per page, the picker changed to each symbol in turn (alone, and mixed when the
symbol has no data), which is how a user meets them. Each view must be total
(tests/totality.py), and where the symbol has no data the page must say so in a message that
names it.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.totality import (
    UNIVERSE_SYMBOLS,
    WITHOUT_DATA,
    assert_total,
    full_error_details,
    main_messages,
    make_watchlist,
    render,
)

pytestmark = pytest.mark.slow  # a sweep over the whole universe: `make test` runs it

MIXED_WITH = "MP"


def partner(symbol: str) -> str:
    """The symbol with data to mix in (MP itself is mixed with LYC.AX)."""
    return MIXED_WITH if symbol != MIXED_WITH else "LYC.AX"


def _plain(text: str) -> str:
    """What the user reads: markdown source without our backslash escapes."""
    return re.sub(r"\\(.)", r"\1", text)


def _names(at: AppTest, symbol: str) -> bool:
    """Some message, caption or table on the page names the symbol."""
    texts = [
        _plain(e.value)
        for kind in ("info", "warning", "error", "caption", "markdown", "success")
        for e in at.main.get(kind)
    ]
    tables = [str(d.value.to_dict()) for d in at.dataframe]
    return any(symbol in t for t in [*texts, *tables])


def _rerun(at: AppTest) -> AppTest:
    with full_error_details():
        return at.run()


def _check(at: AppTest, symbol: str, *, full_charts: int, ctx: str, alone: bool) -> None:
    """Total; and a symbol without data is explained: alone, by a message; mixed with one that
    charts, by naming it (otherwise it silently disappears from the view)."""
    assert_total(at, full_charts=full_charts, context=ctx)
    if symbol in WITHOUT_DATA:
        if alone:
            assert main_messages(at) or _names(at, symbol), f"{ctx}: no message, no data"
        else:
            assert _names(at, symbol), f"{ctx}: {symbol} has no data and nothing names it"


@pytest.mark.parametrize("symbol", UNIVERSE_SYMBOLS)
def test_prices_link(symbol: str) -> None:
    at = render("prices", {"symbols": symbol})
    _check(at, symbol, full_charts=1, ctx=f"?symbols={symbol}", alone=True)
    at.multiselect(key="px_symbols").set_value([symbol, partner(symbol)])
    _check(
        _rerun(at),
        symbol,
        full_charts=1,
        ctx=f"?symbols={symbol}&symbols={partner(symbol)}",
        alone=False,
    )
    assert len(at.main.get("vega_lite_chart")) >= 1, "MP has data: the mixed view charts it"


def _sweep(at: AppTest, key: str, *, full_charts: int, page: str) -> None:
    """One session, every symbol in turn, as a user would change the picker: the symbol alone,
    then (for a symbol without data, which must be named rather than silently dropped) mixed
    with one that charts. Every failing symbol is reported, not just the first."""
    failures: list[str] = []
    for symbol in UNIVERSE_SYMBOLS:
        steps = [[symbol]]
        if symbol in WITHOUT_DATA:
            steps.append([symbol, partner(symbol)])
        for value in steps:
            at.multiselect(key=key).set_value(value)
            ctx = f"{page} {'+'.join(value)}"
            try:
                _check(_rerun(at), symbol, full_charts=full_charts, ctx=ctx, alone=len(value) == 1)
            except AssertionError as exc:
                failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_event_study_every_symbol() -> None:
    _sweep(render("event"), "es_syms", full_charts=1, page="event study")


def test_market_outlook_every_symbol() -> None:
    _sweep(render("outlook"), "equity_symbols", full_charts=3, page="outlook")


@pytest.mark.parametrize("symbol", UNIVERSE_SYMBOLS)
def test_watchlist_add(symbol: str) -> None:
    """Added to an empty list, then MP added too: the Performance tab shows both rows."""
    list_id = make_watchlist([], name="Universe check")
    at = render("watchlists", state={"_wl_active_pick": list_id})
    for added in (symbol, partner(symbol)):
        at.text_input(key="wl_add_text").set_value(added)
        at.button(key="wl_add").click()
        ctx = f"watchlist add {added}"
        _check(_rerun(at), symbol, full_charts=0, ctx=ctx, alone=added == symbol)
    perf = [d.value for d in at.dataframe if "since_added" in d.value.columns]
    assert perf, "Performance table missing"
    assert list(perf[0]["symbol"]) == [symbol, partner(symbol)]
