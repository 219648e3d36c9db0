"""Market outlook page: projection paths per scope, the CAGR table, forecasts vs equities, NdPr.

The scope's consensus is computed once (cached) and shared by the chart, the notes and the
growth comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from lib.export import export_filename
from lib.markets.price_view import MAX_COMPARE
from lib.outlook import charts as outlook_charts
from lib.outlook import consensus, growth, ndpr, projections
from lib.outlook.consensus import ScenarioError, ScopeConsensus
from lib.outlook.growth import GrowthComparison, GrowthYears, growth_sentence
from lib.outlook.projections import FLAG_CAGR, FLAG_WINDOW, TOLERANCE_PP
from lib.ui import data, links, vega
from lib.ui.state import capped_symbols, seed_symbols
from lib.universe import basket_members, symbol_key
from lib.xlsx import TableSource

HOLLOW_NOTE = outlook_charts.HOLLOW_NOTE
__all__ = [
    "HOLLOW_NOTE",
    "TOLERANCE_PP",
    "GrowthComparison",
    "export_filename",
    "growth_sentence",
]


@st.cache_data(show_spinner=False)
def outlook_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """CAGR checks, yearly paths and the shown table: pure functions of the versioned CSV."""
    proj = data.market_projections()
    checks = projections.cagr_checks(proj)
    return checks, projections.projection_paths(proj), projections.checks_table(checks)


#: A toggle's link value Streamlit reads: true/false in any case.
is_link_boolean = links.is_link_boolean


def check_choice_link(
    key: str,
    label: str,
    allowed: Collection[str] | Callable[[str], bool],
    *,
    uses: str = "last",
) -> None:
    """Before a bound single-choice widget: name the link's values it cannot use, a repeated
    value included (Streamlit keeps one without a word); first run only."""
    if links.first_run(key):
        links.show(links.choice_link_notes(links.given(key), allowed, label, uses=uses))


def scopes() -> dict[str, str]:
    """scope -> picker label (unit, row count); magnets first, then alphabetical."""
    proj = data.market_projections()
    units = dict(zip(proj["scope"], proj["unit"], strict=False))
    counts = proj["scope"].value_counts()
    order = sorted(proj["scope"].unique(), key=lambda s: (s != "rare-earth magnets", s))
    return {s: f"{s} · {units[s]} · {counts[s]} rows" for s in order}


@st.cache_data(max_entries=64, show_spinner=False)
def scope_consensus(scope: str, include_unverified: bool) -> ScopeConsensus:
    """The scope's paths, consensus inputs and band, once per choice."""
    return consensus.scope_consensus(
        outlook_tables()[1], scope, include_unverified=include_unverified
    )


def scenario_defaults(sc: ScopeConsensus) -> tuple[int, float]:
    """Base year and value for "your scenario": the band's first median, else 2025 / 10."""
    if sc.band.empty:
        return 2025, 10.0
    first = sc.band.iloc[0]
    return int(first["year"]), round(float(first["median"]), 2)


Scenario = tuple[int, float, float]  # base year, base value, CAGR in percent


def _scenario_end(sc: ScopeConsensus, scenario: Scenario) -> int:
    """The scenario runs to the scope's last forecast year (at least one year)."""
    last = int(sc.paths["year"].max()) if not sc.paths.empty else scenario[0]
    return max(scenario[0] + 1, last)


def scenario_problem(sc: ScopeConsensus, scenario: Scenario) -> str | None:
    """Why the user's scenario cannot be drawn (a sentence), or None when it can."""
    try:
        consensus.scenario_path(*scenario, _scenario_end(sc, scenario))
    except ScenarioError as exc:
        return str(exc)
    return None


def band_note(sc: ScopeConsensus) -> str:
    return (
        f"Grey band: min–max across {sc.inputs['series'].nunique()} publication(s); "
        "grey line: median."
    )


def flagged_rows(scope: str) -> list[tuple[str, str, str]]:
    """(row id, publisher, flag text) of the scope's rows that carry a flag."""
    checks = outlook_tables()[0]
    rows = checks[(checks["scope"] == scope) & (checks["flags"].str.len() > 0)]
    return list(zip(rows["id"], rows["publisher"], rows["flag_text"], strict=True))


@st.cache_data(max_entries=64, show_spinner=False)
def outlook_paths_chart(
    scope: str,
    log_scale: bool,
    show_superseded: bool,
    include_unverified: bool,
    scenario: Scenario | None,
) -> vega.Spec:
    """The projection-paths chart for one set of choices, as a finished spec (building and
    converting the Altair chart dominated a rerun). A scenario :func:`scenario_problem`
    rejects is left out (the page says why)."""
    sc = scope_consensus(scope, include_unverified)
    shown = sc.paths if show_superseded else sc.paths[~sc.paths["superseded"]]
    scen = None
    if scenario is not None and scenario_problem(sc, scenario) is None:
        scen = consensus.scenario_path(*scenario, _scenario_end(sc, scenario))
    return vega.to_spec(
        outlook_charts.projection_paths_chart(
            shown, sc.band, unit=sc.unit, log_scale=log_scale, scenario=scen
        )
    )


# --------------------------------------------------------------------------- the CAGR table

FLAG_RED = "background-color: rgba(220, 38, 38, 0.22)"
FLAG_AMBER = "background-color: rgba(245, 158, 11, 0.22)"
_HOT = ("Flags", "Gap (pp)", "Stated CAGR %", "Implied CAGR %", "Stated window")


def flag_css(row: pd.Series) -> list[str]:
    """CSS per cell of one table row: the CAGR cells light up where the row is flagged."""
    flags = str(row["Flags"])
    css = FLAG_RED if FLAG_CAGR in flags else FLAG_AMBER if FLAG_WINDOW in flags else ""
    return [css if c in _HOT else "" for c in row.index]


def flag_styles(table: pd.DataFrame) -> Styler:
    """Highlight CAGR mismatches (red) and window mismatches (amber) where the eye lands."""
    numeric = ["Stated CAGR %", "Implied CAGR %", "Gap (pp)", "Implied over stated window %"]
    return table.style.apply(flag_css, axis=1).format(
        {c: "{:+.2f}" if c == "Gap (pp)" else "{:.2f}" for c in numeric}, na_rep="n/a"
    )


# --------------------------------------------------------------------------- vs equities


def default_equities() -> list[str]:
    """West basket members with prices on disk (when no watchlist is active)."""
    have = data.offline_symbols()
    return [s for s in basket_members(data.universe(), "West") if s in have]


def equity_options(selected: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*data.universe()["symbol"], *selected]))


#: The equity picker's key and link parameter.
EQUITIES = "equity_symbols"


def _default_equities(known: Collection[str]) -> list[str]:
    """What the picker shows without a link: the active watchlist's symbols (capped), else
    the West basket."""
    watch = [s for s in st.session_state.get("active_watchlist_symbols") or () if s in known]
    return capped_symbols(watch, MAX_COMPARE)[0] or default_equities()


def seed_equities(labels: Mapping[str, str]) -> dict[str, str]:
    """Before the equity picker: the link's symbols on its first run and after Back or
    Forward (ids, or an older link's labels), else the default; again the active watchlist's
    when the user switches list. At most MAX_COMPARE; the rest are named
    (``state.left_out_message``). Returns the picker's options, id -> label.

    The picker is not bound: Streamlit's binding writes labels and drops the ids a link
    carries (lib.ui.links), so the link would vanish from the address bar.
    """
    ss = st.session_state
    ids = {s: labels.get(s, s) for s in equity_options([])}
    default = _default_equities(ids)
    if links.seed_id_link(EQUITIES, ids, label="equity", multi=True, default=default):
        kept, left = capped_symbols(ss[EQUITIES], MAX_COMPARE)
        ss[EQUITIES], ss[f"_{EQUITIES}_left_out"] = kept, left
        ss[f"_{EQUITIES}_watchlist"] = ss.get("active_watchlist")
    else:  # re-seeds only when the user switched watchlist
        seed_symbols(ss, EQUITIES, default, known=ids)
    return ids


def sync_equities(symbols: Sequence[str], ids: Mapping[str, str]) -> None:
    """After the picker: the URL says its symbols by id (nothing for the default view)."""
    links.sync_id_link(EQUITIES, list(symbols), ids, default=_default_equities(ids))


def growth_years(
    scope: str, include_unverified: bool, symbols: Sequence[str]
) -> GrowthYears | None:
    """Start years to offer, or None when none of ``symbols`` has prices on disk."""
    tidy = data.display_prices(symbols, currency="local")[0] if symbols else None
    if tidy is None or tidy.empty:
        return None
    return growth.comparable_years(scope_consensus(scope, include_unverified).inputs, tidy)


@dataclass(frozen=True)
class OutlookGrowth:
    """What the "priced in?" section shows for one set of choices."""

    chart: vega.Spec
    comparison: GrowthComparison | None
    members: int  # basket members with prices in the window
    basket_end: pd.Timestamp | None
    missing: list[str]  # chosen symbols with no prices on disk


@data.token_cached(max_entries=64)
def _outlook_growth(
    scope: str,
    include_unverified: bool,
    symbols: tuple[str, ...],
    start_year: int,
    log_scale: bool,
    *,
    cache_token: str,
) -> OutlookGrowth:
    inputs = scope_consensus(scope, include_unverified).inputs
    tidy = data.display_prices(symbols, "local", False)[0]
    res = growth.equity_vs_consensus(inputs, tidy, start_year)
    equity = res.basket.assign(series="Equities (equal-weighted)")
    chart = outlook_charts.growth_vs_equity_chart(res.growth, equity, log_scale=log_scale)
    basket = res.basket
    return OutlookGrowth(
        vega.to_spec(chart),
        res.comparison,
        int(basket["members"].max()) if not basket.empty else 0,
        basket["date"].max() if not basket.empty else None,
        sorted(set(symbols) - set(tidy["symbol"])),
    )


def outlook_growth(
    scope: str, include_unverified: bool, symbols: Sequence[str], start_year: int, log_scale: bool
) -> OutlookGrowth:
    """Forecast growth vs the equal-weighted equities (chart, comparison, caption facts)."""
    return _outlook_growth(scope, include_unverified, symbol_key(symbols), start_year, log_scale)


# --------------------------------------------------------------------------- NdPr


@data.token_cached()
def ndpr_panel(*, cache_token: str) -> vega.Spec:
    """NdPr quotes (CNY ones converted at the CNY=X rate on disk) with reference levels."""
    cny = data.load_prices(["CNY=X"])
    fx_rate = cny.set_index("date")["adj_close"] if not cny.empty else None
    points = ndpr.ndpr_points(data.ndpr_price_facts(), fx_rate)
    return vega.to_spec(outlook_charts.ndpr_chart(points))


def ndpr_table() -> pd.DataFrame:
    return ndpr.ndpr_table(data.ndpr_price_facts())


def ndpr_facts() -> pd.DataFrame:
    return data.ndpr_price_facts()


OUTLOOK_SOURCE = "Published market-size forecasts (data/market_projections.csv, per-row sources)"
NDPR_SOURCE = "NdPr oxide price reports (data/ndpr_prices.csv, per-row sources)"


def outlook_sources() -> list[TableSource]:
    """The workbook's Sources sheet: every row of each table also carries its own URL."""
    return [
        TableSource("Yearly paths", OUTLOOK_SOURCE, None, "as published", "per row"),
        TableSource("CAGR checks", OUTLOOK_SOURCE, None, "as published", "per row"),
        TableSource("NdPr prices", NDPR_SOURCE, None, "USD/kg; CNY converted", "per row"),
    ]
