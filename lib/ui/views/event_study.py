"""Event study page: abnormal returns around chosen policy events, cached on small keys."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from lib.events import charts as event_charts
from lib.events import study as es
from lib.events.events import event_option_label
from lib.prices import quality
from lib.ui import data
from lib.ui.widgets import as_percent

EventStudyError = es.EventStudyError
MODELS = es.MODELS
__all__ = ["MODELS", "EventStudyError", "event_option_label"]


def universe_symbols() -> list[str]:
    """The symbols the study offers: the universe, in its order."""
    return [str(s) for s in data.universe()["symbol"]]


def select_events(
    by: str, values: Sequence[str], include_inexact: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(included, left out as inexact or unverified) events chosen by id, category or place."""
    return es.select_study_events(data.policy_events(), by, values, include_inexact=include_inexact)


def resolve_symbols(picked: Sequence[str], baskets: Sequence[str]) -> list[str]:
    """Picked symbols plus every member of the chosen baskets, in order, no repeats."""
    return es.resolve_symbols(data.universe(), picked, baskets)


#: Benchmark choice that measures each non-US listing against its own region's other listings.
REGIONAL = "Regional peers (equal-weighted)"


@data.token_cached(ttl="1h", max_entries=64, show_spinner="Computing abnormal returns…")
def _event_study(
    event_ids: tuple[str, ...],
    symbols: tuple[str, ...],
    benchmark: str,
    model: str,
    event_window: tuple[int, int],
    estimation_window: tuple[int, int],
    *,
    cache_token: str,
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    spec = es.StudySpec(event_window=event_window, estimation_window=estimation_window, model=model)
    ev = data.policy_events()
    ev = ev[ev["id"].isin(event_ids)]
    uni = data.universe()
    exchanges = dict(zip(uni["symbol"], uni["exchange"], strict=True))
    regional = benchmark == REGIONAL
    base = "SPY" if regional else benchmark
    wanted = [*symbols, base, *(exchanges if regional else ())]
    prices = data.load_prices(list(dict.fromkeys(wanted)))
    res = es.run_event_study(
        ev,
        prices,
        list(symbols),
        base,
        spec,
        listing_dates=dict(zip(uni["symbol"], uni["listing_date"], strict=True)),
        exchanges=exchanges,
        benchmarks=es.regional_benchmarks(prices, exchanges, symbols) if regional else None,
    )
    notes = [es.low_fit_message(es.model_fit(res.summary)) or "", *quality.describe(res.quality)]
    return res.ar, res.summary, tuple(n for n in notes if n)


def event_study(
    event_ids: Sequence[str],
    symbols: Sequence[str],
    benchmark: str,
    model: str,
    event_window: tuple[int, int],
    estimation_window: tuple[int, int],
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """(ARs, summary, notes) cached on small keys; raises EventStudyError on bad input.

    The notes warn when the market model explains under 5 % of a symbol's returns and list the
    rows left out of returns (duplicated source rows, halt days)."""
    return _event_study(
        tuple(sorted(set(event_ids))),
        tuple(dict.fromkeys(symbols)),
        benchmark,
        model,
        (int(event_window[0]), int(event_window[1])),
        (int(estimation_window[0]), int(estimation_window[1])),
    )


def benchmark_options() -> list[str]:
    """The regional-peer choice first, then every symbol with prices on disk."""
    return [REGIONAL, *sorted(data.available_symbols())]


def pairs_ok(summary: pd.DataFrame) -> tuple[int, int]:
    """(pairs with enough data, all pairs)."""
    ok = summary["status"] == es.STATUS_OK
    return int(ok.sum()), len(summary)


def average_car_chart(ar: pd.DataFrame, per_symbol: bool) -> alt.LayerChart | None:
    """Mean CAR with its 95% band (all pairs or per symbol); None if no pair has data."""
    by_cols = ["symbol"] if per_symbol else []
    avg = es.average_car(ar, by=by_cols)
    if avg.empty:
        return None
    return event_charts.average_car_chart(avg, group="symbol" if per_symbol else None)


def car_paths_chart(ar: pd.DataFrame) -> alt.LayerChart:
    return event_charts.car_paths_chart(ar)


def summary_tables(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown with CAR and AR in percent points, exported as fractions)."""
    view = es.summary_view(summary)
    return as_percent(view, ["car", "ar_day0", "r_squared"]), view
