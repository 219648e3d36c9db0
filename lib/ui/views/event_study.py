"""Event study page: abnormal returns around chosen policy events, cached on small keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from lib.events import benchmarks as bm
from lib.events import charts as event_charts
from lib.events import selection, study_text
from lib.events import study as es
from lib.events.events import event_option_label
from lib.markets.price_view import MAX_COMPARE
from lib.prices import quality
from lib.ui import data, exports, private_events, tables, vega
from lib.ui.widgets import as_percent
from lib.xlsx import TableSource

EventStudyError = es.EventStudyError
MODELS = es.MODELS
__all__ = ["MODELS", "EventStudyError", "event_option_label"]


#: The event the page opens on, and the model (the first of MODELS).
DEFAULT_EVENTS = ["E065"]
DEFAULT_MODEL = "market"
#: One cap for the symbol picker: its seed, its widget limit and its note all read it.
MAX_SYMBOLS = MAX_COMPARE
#: The bound window sliders: (key, (min, max), what a note calls it).
WINDOW_LINKS = (
    ("es_win", (-30, 30), "event window"),
    ("es_est", (-500, -2), "estimation window"),
)


def left_out_caption(excluded: pd.DataFrame) -> str | None:
    """Name the chosen events the study leaves out, and how to include them."""
    if excluded.empty:
        return None
    sched = excluded["scheduled"] if "scheduled" in excluded else pd.Series(False, excluded.index)
    parts = []
    if (~sched).any():
        ids = ", ".join(excluded.loc[~sched, "id"])
        parts.append(f"{int((~sched).sum())} inexact or unverified event(s): {ids} (tick the box "
                     "above to include them)")  # fmt: skip
    if sched.any():
        ids = ", ".join(excluded.loc[sched, "id"])
        parts.append(f"{int(sched.sum())} scheduled deadline(s): {ids} (choose them by event "
                     "to use one as day 0)")  # fmt: skip
    return "Left out " + "; ".join(parts) + "."


def scheduled_caption(chosen: pd.DataFrame) -> str | None:
    """A picked scheduled event is a deadline, not a dated outcome: say so."""
    if chosen.empty or "scheduled" not in chosen or not chosen["scheduled"].any():
        return None
    rows = chosen[chosen["scheduled"]]
    named = ", ".join(f"{i} ({o})" for i, o in zip(rows["id"], rows["outcome_label"], strict=True))
    return (
        f"Scheduled deadline(s) used as day 0: {named}. Day 0 is the deadline itself, not a "
        "reported decision."
    )


#: (owner, stamp of their events) from lib.ui.private_events.key(); nobody's: (None, "none").
Mine = tuple[str | None, str]
NOBODY: Mine = (None, "none")


def study_events(mine: Mine = NOBODY) -> pd.DataFrame:
    """The events a study can use: the curated ones, then the owner's own (ids M<n>)."""
    return selection.with_own_events(data.policy_events(), private_events.rows(*mine))


def event_labels(mine: Mine = NOBODY) -> dict[str, str]:
    """The event picker's labels by id: curated events, then the owner's own, marked."""
    events = study_events(mine)
    own = set(events.loc[events["category"] == private_events.MY_EVENTS, "id"])
    return {
        i: f"{label} (my event)" if i in own else label
        for i, label in event_option_label(events).items()
    }


def own_event_link_note(
    values: Sequence[str], labels: Mapping[str, str], owner: str | None
) -> str | None:
    """Why a link's own-event ids (M<n>) are not offered: they belong to one person."""
    missing = [v for v in values if selection.is_own_id(v) and v not in labels]
    if not missing:
        return None
    named = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    why = (
        "sign in as their owner to study them"
        if owner is None
        else "they are not among your events (another person's, or deleted)"
    )
    return (
        f"The link names own events ({named}): each is visible only to the person who "
        f"added it, and {why}."
    )


def universe_symbols() -> list[str]:
    """The symbols the study offers: the universe, in its order."""
    return [str(s) for s in data.universe()["symbol"]]


def select_events(
    by: str, values: Sequence[str], include_inexact: bool, mine: Mine = NOBODY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(included, left out) events chosen by id, category or place: inexact or unverified ones
    unless opted in, scheduled ones unless picked by id. The owner's own events (``mine``)
    are chosen by id, under the same rules."""
    events = study_events(mine)
    return selection.select_study_events(events, by, values, include_inexact=include_inexact)


def resolve_symbols(picked: Sequence[str], baskets: Sequence[str]) -> list[str]:
    """Picked symbols plus every member of the chosen baskets, in order, no repeats."""
    return selection.resolve_symbols(data.universe(), picked, baskets)


#: Benchmark choice that measures each non-US listing against its own region's other listings.
REGIONAL = "Regional peers (equal-weighted)"


class StudyKey(NamedTuple):
    """The small, normalised cache key of one study (see :func:`study_key`)."""

    event_ids: tuple[str, ...]
    symbols: tuple[str, ...]
    benchmark: str  # "" for none (mean-adjusted model only)
    model: str
    event_window: tuple[int, int]
    estimation_window: tuple[int, int]
    #: (owner, stamp) when an own event is chosen, else NOBODY: a curated-only study is shared
    #: by everyone; one with own events is reachable only by their owner, and any edit of
    #: their events (a new stamp) computes it again.
    mine: Mine = NOBODY


def study_key(
    event_ids: Sequence[str],
    symbols: Sequence[str],
    benchmark: str | None,
    model: str,
    event_window: tuple[int, int],
    estimation_window: tuple[int, int],
    mine: Mine = NOBODY,
) -> StudyKey:
    """One study's key; raises EventStudyError on bad input.

    ``benchmark`` is None when no symbol has prices on disk: only the mean-adjusted model,
    which needs none, can run then. ``mine`` is lib.ui.private_events.key() of the person
    asking; it joins the key only when an own event (id M<n>) is chosen."""
    if not benchmark:
        if model != "mean_adjusted":
            raise es.EventStudyError(
                "No benchmark has prices on disk, so this model cannot run. "
                "Choose the mean-adjusted model, which needs no benchmark."
            )
        benchmark = ""
    ids = tuple(sorted(set(event_ids)))
    own = any(selection.is_own_id(i) for i in ids) and mine[0] is not None
    return StudyKey(
        ids,
        tuple(dict.fromkeys(symbols)),
        benchmark,
        model,
        (int(event_window[0]), int(event_window[1])),
        (int(estimation_window[0]), int(estimation_window[1])),
        (mine[0], str(mine[1])) if own else NOBODY,
    )


@data.token_cached(ttl="1h", max_entries=64, show_spinner="Computing abnormal returns…")
def _event_study(
    key: StudyKey, *, cache_token: str
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    event_ids, symbols, benchmark, model, event_window, estimation_window, mine = key
    spec = es.StudySpec(event_window=event_window, estimation_window=estimation_window, model=model)
    ev = study_events(mine)
    ev = ev[ev["id"].isin(event_ids)]
    uni = data.universe()
    exchanges = dict(zip(uni["symbol"], uni["exchange"], strict=True))
    regional = benchmark == REGIONAL
    base = "SPY" if regional else benchmark
    wanted = [*symbols, *([base] if base else []), *(exchanges if regional else ())]
    prices = data.load_prices(list(dict.fromkeys(wanted)))
    res = es.run_event_study(
        ev,
        prices,
        list(symbols),
        base,
        spec,
        listing_dates=dict(zip(uni["symbol"], uni["listing_date"], strict=True)),
        exchanges=exchanges,
        benchmarks=bm.regional_benchmarks(prices, exchanges, symbols) if regional else None,
    )
    notes = [bm.low_fit_message(bm.model_fit(res.summary)) or "", *quality.describe(res.quality)]
    return res.ar, res.summary, tuple(n for n in notes if n)


def event_study(key: StudyKey) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """(ARs, summary, notes), cached on the key.

    The notes warn when the market model explains under 5 % of a symbol's returns and list the
    rows left out of returns (duplicated source rows, halt days)."""
    return _event_study(key)


@data.token_cached(ttl="1h", max_entries=64)
def _study_chart(key: StudyKey, kind: str, *, cache_token: str) -> vega.Spec | None:
    ar, summary, _ = _event_study(key)
    if kind == "paths":
        return vega.to_spec(car_paths_chart(ar)) if pairs_ok(summary)[0] else None
    chart = average_car_chart(ar, per_symbol=kind == "per_symbol")
    return vega.to_spec(chart) if chart is not None else None


#: kind -> (title, image file kind, text alternative, message when there is nothing to draw)
STUDY_CHARTS = {
    "paths": (
        "Cumulative abnormal return per event",
        "event_study_car",
        "Line chart: cumulative abnormal return per event.",
        "No pair has enough data to draw.",
    ),
    "average": (
        "Average cumulative abnormal return",
        "event_study_average_car",
        "Line chart: average cumulative abnormal return by day.",
        "No pair has enough data to average.",
    ),
}
STUDY_CHARTS["per_symbol"] = STUDY_CHARTS["average"]


def show_study_chart(key: StudyKey, kind: str, image_key: str) -> bool:
    """Draw one study chart with its PNG/SVG downloads, or say why there is none."""
    spec = study_chart(key, kind)
    title, image_kind, alt_text, empty = STUDY_CHARTS[kind]
    if spec is None:
        st.info(empty)
        return False
    vega.show(spec, alt_text=alt_text)
    exports.chart_images(
        spec,
        exports.ImageMeta(title, STUDY_SOURCE, None, key.model),
        kind=image_kind,
        key=image_key,
    )
    return True


def study_chart(key: StudyKey, kind: str) -> vega.Spec | None:
    """One chart of a study as a finished spec, cached with the study's own key: ``kind`` is
    "paths" (CAR per event), "average" or "per_symbol" (average CAR). None: nothing to draw."""
    return _study_chart(key, kind)


def benchmark_options() -> list[str]:
    """The regional-peer choice first (when any prices are on disk), then every such symbol."""
    have = sorted(data.available_symbols())
    return [REGIONAL, *have] if have else []


def short_symbols(summary: pd.DataFrame) -> list[str]:
    """Symbols with at least one pair that gets no CAR, in summary order (named on the page,
    so no symbol drops out of the view silently while the Summary tab is closed)."""
    bad = summary.loc[summary["status"] != study_text.STATUS_OK, "symbol"]
    return list(dict.fromkeys(bad.astype(str)))


def pairs_ok(summary: pd.DataFrame) -> tuple[int, int]:
    """(pairs with enough data, all pairs)."""
    ok = summary["status"] == study_text.STATUS_OK
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
    view = study_text.summary_view(summary)
    return as_percent(view, ["car", "ar_day0", "r_squared"]), view


STUDY_SOURCE = "Event study on Yahoo Finance daily closes; events from data/policy_events.csv"

#: Daily AR table headers with units (returns shown in percent points).
AR_LABELS: dict[str, object] = {
    "event_id": "Event",
    "symbol": "Symbol",
    "tau": "Session (0 = event)",
    "date": "Date",
    "ret": "Return (%)",
    "benchmark_ret": "Benchmark return (%)",
    "expected": "Expected return (%)",
    "ar": "AR (%)",
    "car": "CAR (%)",
    "status": "Data",
}
_PCT_COLUMNS = ["ret", "benchmark_ret", "expected", "ar", "car"]


def summary_labels(win: Sequence[int]) -> dict[str, object]:
    """Summary headers: what each number is, with its unit."""
    return {
        "event_id": "Event",
        "symbol": "Symbol",
        "event_date": "Event date",
        "event_session": "Event session (day 0)",
        "status": "Data",
        "car": f"CAR {list(win)} (%)",
        "t_stat": "t-statistic",
        "p_value": "p-value",
        "ar_day0": "AR day 0 (%)",
        "beta": "Beta",
        "r_squared": "R² (%)",
        "benchmark": "Benchmark",
        "n_est": "Estimation days",
        "detail": "Why no CAR",
        "note": "Note",
    }


def summary_display(shown: pd.DataFrame) -> Styler:
    """Numbers stay numeric (they sort); every gap reads '–'."""
    pct = tables.pct_points(2)
    return tables.clean(
        shown,
        {
            "car": pct,
            "ar_day0": pct,
            "t_stat": "{:.2f}",
            "p_value": "{:.4f}",
            "beta": "{:.2f}",
            "r_squared": "{:.1f}",
            "n_est": "{:.0f}",
            "event_date": tables.day,
            "event_session": tables.day,
        },
    )


def ar_display(ar: pd.DataFrame) -> Styler:
    """Daily ARs in percent points, gaps as '–'."""
    pct = tables.pct_points(2)
    return tables.clean(
        as_percent(ar, _PCT_COLUMNS), {**dict.fromkeys(_PCT_COLUMNS, pct), "date": tables.day}
    )


def study_sources(model: str, benchmark: str, key: StudyKey | None = None) -> list[TableSource]:
    basis = f"daily adjusted-close returns; model {model}, benchmark {benchmark}"
    source = STUDY_SOURCE
    if key is not None and key.mine != NOBODY:
        source += " and your own events (ids M<n>)"
    return [
        TableSource("Summary", source, None, basis, "per event (see Note)"),
        TableSource("Abnormal returns", source, None, basis, "per event"),
    ]
