"""Prices page: the cached view (data, summary, chart) for one set of choices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

import pandas as pd
import pyarrow as pa

from lib import charts, returns
from lib.export import export_filename
from lib.markets.price_view import (
    BENCHMARKS,
    MAX_COMPARE,
    PriceView,
    build_view,
    export_frame,
    listing_markers,
    missing_symbols,
    resolve_range,
)
from lib.prices import quality
from lib.prices.schema import NO_OFFLINE_DATA
from lib.ui import data, private_events, valuation, vega
from lib.ui.policy_events import event_overlay_layers
from lib.ui.widgets import as_percent
from lib.universe import InvalidSymbolError, normalise_symbol, symbol_key

MODES = list(charts.MODES)
__all__ = [
    "BENCHMARKS",
    "MAX_COMPARE",
    "MODES",
    "NO_OFFLINE_DATA",
    "export_filename",
    "export_frame",
    "missing_symbols",
    "resolve_range",
]

Events = tuple[tuple[str, ...], tuple[str, ...]] | None


def parse_symbols(picked: Sequence[str]) -> tuple[list[str], list[str]]:
    """(valid canonical symbols, one message per rejected entry)."""
    symbols: list[str] = []
    problems: list[str] = []
    for raw in picked:
        try:
            symbols.append(normalise_symbol(raw))
        except InvalidSymbolError as exc:
            problems.append(str(exc))
    return symbols, problems


def symbol_options(selected: list[str]) -> list[str]:
    """Universe symbols first, then anything else with data, then the user's own entries."""
    uni = list(data.universe()["symbol"])
    extra = sorted(data.offline_symbols() - set(uni))
    extra = [s for s in extra if "=" not in s]  # FX series are plumbing, not picks
    return list(dict.fromkeys([*uni, *extra, *selected]))


def default_custom_range() -> tuple[date, date]:
    cov = data.coverage()
    end = cov["last_date"].max().date() if not cov.empty else date.today()
    return (date(end.year - 1, end.month, 1), end)


def custom_link_window() -> tuple[date, date]:
    """The dates a link may set for the custom range: the range picker's own bounds.

    The picker has no explicit bounds (with them, Streamlit resets a cleared range to the
    default without a word, and the page could no longer say what it shows instead), so it
    takes Streamlit's: ten years either side of its default value. A date outside them would
    open a picker that cannot show it.
    """
    start, end = default_custom_range()
    return _years_from(start, -10), _years_from(end, 10)


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def mixed_currencies(symbols: Sequence[str]) -> bool:
    """True when the symbols are quoted in more than one currency (levels not comparable)."""
    ccy = data.currency_map()
    return len({ccy.get(s, "USD") for s in symbols}) > 1


class PriceChoice(NamedTuple):
    """The small cache key of one Prices view: everything its data and summary depend on.

    ``align`` None: end at the common end date when the symbols' ends differ by more than a
    week of sessions (lib.markets.price_view.default_align)."""

    symbols: tuple[str, ...]
    currency: str
    include_pre_listing: bool
    range_key: str
    custom: tuple[date, date] | None
    mode: str
    align: bool | None = None


def choice(
    symbols: Sequence[str],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    mode: str,
    align: bool | None = None,
) -> PriceChoice:
    """The page's choices as one key (symbols deduplicated, in order)."""
    return PriceChoice(
        symbol_key(symbols), currency, include_pre_listing, range_key, custom, mode, align
    )


@data.token_cached(ttl="1h", max_entries=64)
def _price_view(
    key: PriceChoice, *, cache_token: str
) -> tuple[PriceView, dict[str, str], pd.DataFrame]:
    tidy, notes = data.display_prices(key.symbols, key.currency, key.include_pre_listing)
    view = build_view(tidy, key.range_key, key.mode, key.custom, key.align)
    ccy = data.currency_map()
    if key.currency == "USD":
        ccy = dict.fromkeys(key.symbols, "USD")
    summary = returns.summary_table(view.tidy, ccy, data.name_map())
    return view, notes, as_percent(summary, ["return", "max_drawdown", "volatility"])


def price_view_for(key: PriceChoice) -> tuple[PriceView, dict[str, str], pd.DataFrame]:
    """The Prices page's view, FX notes and summary table, cached on the (small) choices."""
    return _price_view(key)


#: Said for a symbol that has prices, but none inside the chosen range.
NO_PRICES_IN_RANGE = "no prices in this range"


class Gap(NamedTuple):
    """A symbol with prices, none of them in the chosen range: where its prices are."""

    symbol: str
    first: date
    last: date


@data.token_cached(ttl="1h", max_entries=64)
def _range_gaps(key: PriceChoice, *, cache_token: str) -> tuple[tuple[str, ...], tuple[Gap, ...]]:
    tidy, _ = data.display_prices(key.symbols, key.currency, key.include_pre_listing)
    view = _price_view(key)[0]
    no_data = tuple(missing_symbols(key.symbols, tidy))
    shown = view.tidy
    if view.start is not None:
        shown = shown[shown["date"] >= pd.Timestamp(view.start)]
    have = set(shown["symbol"].unique()) if not shown.empty else set()
    spans = tidy.groupby("symbol")["date"].agg(["min", "max"]) if not tidy.empty else None
    notes = []
    for sym in key.symbols:
        if sym in no_data or sym in have or spans is None:
            continue
        notes.append(Gap(sym, spans.loc[sym, "min"].date(), spans.loc[sym, "max"].date()))
    return no_data, tuple(notes)


def range_gaps_for(key: PriceChoice) -> tuple[tuple[str, ...], tuple[Gap, ...]]:
    """(symbols with no data at all, the symbols that have prices but none in the chosen
    range, with their first and last date): "no offline data" and "no prices in this range"
    are different answers."""
    return _range_gaps(key)


@data.token_cached(ttl="1h", max_entries=64)
def _summary_table(key: PriceChoice, shares_token: str, *, cache_token: str) -> pa.Table:
    return valuation.summary_display_table(_price_view(key)[2])


def summary_table_for(key: PriceChoice) -> pa.Table:
    """The summary table as shipped (with market caps), once per view and share-count file."""
    return _summary_table(key, valuation.shares_token())


@data.token_cached(ttl="1h", max_entries=64)
def _price_chart(
    key: PriceChoice,
    log_scale: bool,
    benchmarks: tuple[str, ...],
    y_title: str | None,
    events: Events,
    mine: tuple[str | None, str] = (None, "none"),
    *,
    cache_token: str,
) -> vega.Spec:
    view, *_ = _price_view(key)
    overlays: list = []
    if key.include_pre_listing:
        marks = listing_markers(data.universe(), key.symbols, view.start, view.end)
        if not marks.empty:
            overlays.append(charts.listing_marker(marks))
    if events is not None:
        overlays.extend(event_overlay_layers(view.start, view.end, *events, mine=mine))
    plot = charts.prepare_plot(view.values, benchmarks)
    return vega.to_spec(charts.price_chart(plot, key.mode, log_scale, y_title, overlays))


def price_chart_for(
    key: PriceChoice,
    log_scale: bool,
    benchmarks: Sequence[str],
    y_title: str | None,
    events: Events,
) -> vega.Spec:
    """The finished Vega-Lite spec for one set of choices (draw it with ``vega.show``):
    building, validating and serialising the chart was most of a rerun, so it is cached
    like the data."""
    mine = private_events.key() if events is not None else (None, "none")
    return _price_chart(key, log_scale, tuple(benchmarks), y_title, events, mine)


@data.token_cached(ttl="1h", max_entries=64)
def _end_dates_note(key: PriceChoice, *, cache_token: str) -> str | None:
    view, _, summary = _price_view(key)
    return end_dates_note(view, summary)


def end_dates_note_for(key: PriceChoice) -> str | None:
    """:func:`end_dates_note` for one set of choices, built once per view."""
    return _end_dates_note(key)


@data.token_cached(ttl="1h", max_entries=64)
def _data_notes(key: PriceChoice, *, cache_token: str) -> list[str]:
    view, *_ = _price_view(key)
    return quality.series_notes(view.tidy)


def data_notes_for(key: PriceChoice) -> list[str]:
    """The data-quality caveats of the rows this view uses (lib.prices.quality): a return
    break, a source gap, unadjusted dividends, adjusted closes, repeated or halted days."""
    return _data_notes(key)


def end_dates_note(view: PriceView, summary: pd.DataFrame) -> str | None:
    """Say which series end when, if the selection's last dates differ (returns not comparable
    unless aligned)."""
    if view.end_spread == 0 or summary.empty:
        return None
    ends = summary.dropna(subset=["to"]).sort_values("to")
    listing = ", ".join(f"{r.symbol} {r.to:%d %b %Y}" for r in ends.itertuples())
    if view.aligned:
        return (
            f"Data ends differ ({listing}). Every series ends at the common date "
            f"{view.as_of:%d %b %Y}, so returns cover the same window."
        )
    return (
        f"Data ends differ by {view.end_spread} sessions ({listing}): each row's return runs to "
        "its own last date, so the figures are not comparable. Turn on alignment to compare."
    )


def export_for(view: PriceView, currency_mode: str) -> pd.DataFrame:
    """Exactly what is charted, at full resolution, with each row's currency."""
    return export_frame(view, data.currency_map(), currency_mode)
