"""Links to the Prices page: its parameter names of today and the one builder every other
page, the watchlist share link and the alert digests use.

The names are the Prices widgets' keys (``bind="query-params"``: ``?px_range=3Y``); older
links (``?symbols=MP&range=Max``) still open, but the page has to rewrite them, and each
rewrite of the address bar is one more Back step. Pure, so lib.alerts builds its links without
importing lib.ui; lib.ui.prices_link parses what this writes (tests/test_prices_links.py:
every built link opens the view it asks for with nothing to rewrite and no note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from lib.datafiles import CATEGORIES
from lib.returns import RANGES

SYMBOLS, RANGE, CUSTOM, MODE, CCY, LOG, BENCH = (
    "px_symbols", "px_range", "px_custom", "px_mode", "px_ccy", "px_log", "px_bench"
)  # fmt: skip
MORE, SPAC, EVENTS, EV_CAT, EV_JUR = "px_more", "px_spac", "px_events", "px_ev_cat", "px_ev_jur"
RISK_OPEN, RISK_TAB = "px_risk_open", "px_risk_tabs"
RISK_BENCH, RISK_A, RISK_B = "px_risk_bench", "px_risk_a", "px_risk_b"
RISK_WINDOW, RISK_OVERLAP = "px_risk_window", "px_risk_overlap"

PRICES_PATH = "/Prices"
#: The range the page opens on; a link leaves it out (Streamlit's binding removes a default).
DEFAULT_RANGE = "1Y"
#: Symbol picker labels are "MP · MP Materials · NYSE · USD"; the id is the first part.
LABEL_SEP = " · "


def prices_query(
    symbols: Sequence[str],
    *,
    range_key: str = DEFAULT_RANGE,
    labels: Mapping[str, str] | None = None,
    event_categories: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """The Prices page's parameters for these symbols over ``range_key`` (one of
    ``lib.returns.RANGES``), in the order given, each once.

    ``labels``: the symbol picker's labels (``lib.ui.data.symbol_labels``). With them a symbol
    is written as the bound picker writes it, so an in-app link opens without a rewrite of the
    address bar; without them (a shared or e-mailed link) it goes as its id, which the page
    reads and rewrites once. ``event_categories`` switches the policy-event overlay on, for
    those categories (empty: every category).
    """
    if range_key not in RANGES:
        raise ValueError(f"Prices range {range_key!r} is not one of {', '.join(RANGES)}.")
    if unknown := [c for c in event_categories or () if c not in CATEGORIES]:
        raise ValueError(f"Unknown policy-event categories: {', '.join(unknown)}.")
    names = labels or {}
    query: dict[str, list[str]] = {}
    if symbols:
        query[SYMBOLS] = [names.get(s, s) for s in dict.fromkeys(symbols)]
    if range_key != DEFAULT_RANGE:
        query[RANGE] = [range_key]
    if event_categories is not None:
        query[EVENTS] = ["true"]
        if event_categories:
            query[EV_CAT] = list(dict.fromkeys(event_categories))
    return query


def prices_url(
    symbols: Sequence[str],
    *,
    range_key: str = DEFAULT_RANGE,
    labels: Mapping[str, str] | None = None,
    event_categories: Sequence[str] | None = None,
    path: str = PRICES_PATH,
) -> str:
    """``path?`` + :func:`prices_query`, URL-encoded (a repeated key per symbol)."""
    query = prices_query(
        symbols, range_key=range_key, labels=labels, event_categories=event_categories
    )
    return f"{path}?{urlencode(query, doseq=True)}" if query else path
