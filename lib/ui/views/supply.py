"""Supply gap: the cached pipelines the page (pages/6_Supply_gap.py) lays out.

Loaders are cached on the supply data-file token and small scalar choices, never on
DataFrames; anything that reads prices goes through ``data.token_cached``, so a price
refresh invalidates exactly that. Pure work lives in :mod:`lib.supply`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from lib.markets.links import prices_query
from lib.supply import capacity, equities, imports, production, scoreboard
from lib.supply import capacity_charts as cc
from lib.supply import charts as sc
from lib.supply.editions import editions_newest_first, mcs_editions, previous_edition
from lib.supply.load import SupplyData, data_token
from lib.ui import data, exports, links, vega, widgets
from lib.ui.scoreboard import load_or_explain, supply_data, supply_tables
from lib.ui.state import link_value_note

__all__ = ["load_or_explain", "supply_data"]

#: A Vega-Lite spec as Altair's ``to_dict()`` returns it (cached, so reruns skip validation).
Spec = vega.Spec

PRICES_PAGE = "pages/1_Prices.py"
SINCE = {"1Y": 365, "3Y": 3 * 365, "Since 2020": None}
#: Policy-timeline categories the "with milestones" link switches on in the Prices overlay.
MILESTONE_CATEGORIES = ["corporate milestone", "funding/loan/grant", "equity stake/price floor"]
COUNTRIES = [production.CHINA, production.REST, production.WORLD, "Australia", "United States",
             "Burma"]  # fmt: skip
COMPARE_PREFIX = "sup_compare_"
PIPELINE_YEARS = capacity.PIPELINE_YEARS
#: The chosen company's projects table (the basis says which figures are capacity).
PROJECT_COLUMNS = ["project", "stage", "capacity_stated", "unit", "capacity_basis", "status",
                   "target_year"]  # fmt: skip


# --------------------------------------------------------------------------- production


def editions() -> list[str]:
    """Every edition of the mine-production table, MCS newest first."""
    return editions_newest_first(supply_data().production)


def default_compare(edition: str) -> str:
    """The edition before ``edition`` (else the newest other one): the vintage view's default."""
    every, mcs = editions(), mcs_editions(supply_data().production)
    others = [e for e in every if e != edition] or [edition]
    prev = previous_edition(mcs, edition) or (mcs[-2] if len(mcs) > 1 else edition)
    return prev if prev in others else others[0]


def check_choice(
    key: str, label: str, allowed: Collection[str] | Callable[[str], bool], *, uses: str = "last"
) -> None:
    """Before a bound single-choice widget: name the link's values it cannot use, a repeated
    value included (Streamlit keeps one without a word); first run only. ``uses`` is "first"
    for a segmented control, "last" for a selectbox, toggle or slider."""
    if links.first_run(key):
        links.show(links.choice_link_notes(links.given(key), allowed, label, uses=uses))


#: What a bound toggle reads from a link (true/false in any case).
is_link_boolean = links.is_link_boolean


def check_compare_links(every: Sequence[str]) -> None:
    """Name the ``sup_compare_<edition>`` link values the page cannot show.

    A parameter for an edition that does not exist is dropped from the address bar; a value
    that is not another edition is named (the selectbox then opens on its default).
    """
    for key in [k for k in st.query_params if k.startswith(COMPARE_PREFIX)]:
        edition = key.removeprefix(COMPARE_PREFIX)
        if edition not in every:
            values = [f"{edition}: {v}" for v in st.query_params.get_all(key)]
            link_value_note("edition to compare", values or [edition])
            del st.query_params[key]
            continue
        others = [e for e in every if e != edition]
        check_choice(key, f"edition to compare with {edition}", others)


@st.cache_data(show_spinner=False, max_entries=4)
def _headline(token: str) -> tuple[Spec, pd.DataFrame]:
    frame = production.newest_split(supply_tables(token).production)
    return vega.to_spec(sc.headline_production_chart(frame)), frame


def headline_production() -> tuple[Spec, pd.DataFrame]:
    """China and the rest of the world 2010-2025, newest edition for each year."""
    return _headline(data_token())


@st.cache_data(show_spinner=False, max_entries=32)
def _production(
    token: str, edition: str, compare: str, country: str
) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    prod = supply_tables(token).production
    split = production.china_vs_rest(prod, edition)
    chosen = [e for e in dict.fromkeys([compare, edition]) if e]
    vintage = production.country_series(prod, country, chosen)
    return (
        vega.to_spec(sc.mine_production_chart(split)),
        vega.to_spec(sc.vintage_chart(vintage, country)),
        split,
        vintage,
        production.revisions(prod, compare, edition) if compare != edition else None,
    )


def production_charts(
    edition: str, compare: str, country: str
) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """One edition's China/rest split, the vintage view and what ``edition`` revised."""
    return _production(data_token(), edition, compare, country)


# --------------------------------------------------------------------------- shares, imports


@st.cache_data(show_spinner=False, max_entries=4)
def _shares(token: str, earlier: bool) -> tuple[Spec, pd.DataFrame]:
    pts = production.share_points(supply_tables(token).china_share)
    shown = pts if earlier else pts[pts["latest_vintage"]]
    return vega.to_spec(sc.china_share_chart(shown)), pts


def share_chart(earlier: bool) -> tuple[Spec, pd.DataFrame]:
    """China's share by stage (earlier USGS editions as grey rings when ``earlier``)."""
    return _shares(data_token(), earlier)


@st.cache_data(show_spinner=False, max_entries=4)
def _imports(token: str) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame]:
    us = supply_tables(token).us_trade
    frame = imports.import_dependence(us)
    return (
        vega.to_spec(sc.import_dependence_chart(frame, imports.NIR)),
        vega.to_spec(sc.import_dependence_chart(frame, imports.IMPORT_VALUE)),
        frame,
        imports.import_sources(us),
    )


def import_charts() -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame]:
    """Net import reliance and import value charts, their rows, and the import sources."""
    return _imports(data_token())


# --------------------------------------------------------------------------- pipeline


@st.cache_data(show_spinner=False, max_entries=4)
def _pipeline(token: str, unverified: bool) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame]:
    data_ = supply_tables(token)
    bars = capacity.pipeline_by_year(data_.pipeline, include_unverified=unverified)
    markers = capacity.pipeline_markers(data_.pipeline, include_unverified=unverified)
    panels = capacity.pipeline_panels(bars, markers)
    chart = cc.pipeline_chart(bars, data_.targets, panels, markers=markers)
    frame = capacity.timeline_frame(data_.pipeline)
    if not unverified:
        frame = frame[frame["confidence"] != "unverified"]
    timeline = cc.timeline_chart(frame, capacity.timeline_domain(frame), data_.targets)
    return vega.to_spec(chart), vega.to_spec(timeline), bars, markers


def pipeline_charts(unverified: bool) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame]:
    """Capacity bars per (stage, unit) with production and target markers, and the timeline."""
    return _pipeline(data_token(), unverified)


@st.cache_data(show_spinner=False, max_entries=8)
def _sentences(token: str, today: int, year: int) -> tuple[list[str], list[bool], pd.DataFrame]:
    rows = scoreboard.scoreboard(supply_tables(token), today, year)
    left_out = capacity.not_counted(supply_tables(token).pipeline, year)
    return [r.sentence for r in rows], [r.comparable for r in rows], left_out


def stage_sentences(year: int) -> tuple[list[str], list[bool], pd.DataFrame]:
    """One sentence per stage for capacity by ``year``, whether it compares like with like,
    and the rows the bars leave out (with why)."""
    return _sentences(data_token(), date.today().year, year)


# --------------------------------------------------------------------------- equities


@st.cache_data(show_spinner=False, max_entries=8)
def _listed(token: str, year: int) -> pd.DataFrame:
    pipe = supply_tables(token).pipeline
    listed = equities.listed_companies(pipe)
    return listed.assign(
        capacity_by_year=[equities.company_capacity(pipe, s, year) for s in listed["symbol"]]
    )


def listed(year: int) -> pd.DataFrame:
    """Listed pipeline companies with their capacity in place by ``year`` (per unit)."""
    return _listed(data_token(), year)


def _window_start(tidy: pd.DataFrame, since: str) -> pd.Timestamp | None:
    days = SINCE.get(since)
    return tidy["date"].max() - pd.Timedelta(days=days) if days and len(tidy) else None


@data.token_cached(max_entries=8)
def _with_returns(token: str, year: int, since: str, *, cache_token: str) -> pd.DataFrame:
    frame = _listed(token, year)
    tidy, _notes = data.display_prices(list(frame["symbol"]), "local", False)
    changes: list[float | None] = []
    spans: list[str] = []
    for sym in frame["symbol"]:
        own = tidy[tidy["symbol"] == sym]
        reb = equities.rebased_prices(own, [sym], _window_start(own, since))
        changes.append(float(reb["rebased"].iloc[-1]) - 100.0 if len(reb) else None)
        spans.append(
            f"{reb['date'].min():%d %b %Y} to {reb['date'].max():%d %b %Y}"
            if len(reb)
            else "no offline prices"
        )
    return frame.assign(price_change_pct=changes, price_window=spans)


def listed_with_returns(year: int, since: str) -> pd.DataFrame:
    """Each listed company's capacity by ``year`` next to its price change over ``since``."""
    return _with_returns(data_token(), year, since)


@data.token_cached(max_entries=32)
def company_view(
    symbol: str, since: str, *, cache_token: str
) -> tuple[Spec, pd.DataFrame, pd.DataFrame]:
    """Rebased prices and the symbol's dated policy-timeline events in that window."""
    tidy, _notes = data.display_prices([symbol], "local", False)
    rebased = equities.rebased_prices(tidy, [symbol], _window_start(tidy, since))
    events = equities.project_milestones(data.policy_events(), symbol)
    overlays = []
    if len(rebased):
        lo, hi = rebased["date"].min(), rebased["date"].max()
        events = events[(events["span_end"] >= lo) & (events["span_start"] <= hi)]
        if len(events):
            from lib.events.charts import event_rule_layer

            overlays = [event_rule_layer(events, start=lo, end=hi)]
    return vega.to_spec(sc.company_price_chart(rebased, overlays)), rebased, events


def company_rows(own: pd.DataFrame, rebased: pd.DataFrame) -> pd.DataFrame:
    """One company's projects and rebased prices in one table (the section's CSV)."""
    return pd.concat(
        [own.assign(kind="project"), rebased.assign(kind="rebased price")], ignore_index=True
    )


def prices_link(symbol: str, milestones: bool = False) -> dict[str, list[str]]:
    """The Prices page's own link parameters for ``symbol`` over its whole history (its state
    travels in the URL; this page never writes the Prices page's session keys), as the
    bound widgets write them, so opening it adds no Back step."""
    categories = MILESTONE_CATEGORIES if milestones else None
    return prices_query(
        [symbol], range_key="Max", labels=data.symbol_labels(), event_categories=categories
    )


# --------------------------------------------------------------------------- drawing helpers

#: Titles for the image exports (the on-page headings are subheaders, not chart titles).
IMAGE_TITLES = {
    "sup_chart_headline": "Rare-earth mine production, newest edition for each year",
    "sup_chart_production": "Rare-earth mine production by country, one edition",
    "sup_chart_vintage": "Mine production estimates by edition",
    "sup_chart_share": "China's share by supply-chain stage",
    "sup_chart_pipeline": "Western capacity pipeline by year",
    "sup_chart_timeline": "Capacity projects timeline",
    "sup_chart_nir": "US net import reliance for rare earths",
    "sup_chart_import_value": "US rare-earth import value",
    "sup_chart_company": "Company projects and share price",
}
#: Supply figures mix editions; each point's own edition/as-of date is in the tables.
IMAGE_NOTE = "Each figure's edition and as-of date are in the app's tables and the Excel export"
SUPPLY_SOURCE = "USGS, IEA, company and government releases (data/supply, per-row sources)"


def show(spec: Spec, key: str) -> None:
    """Draw a cached spec (lib.ui.vega), with PNG/SVG downloads of the same chart."""
    vega.show(spec, key=key)
    exports.chart_images(
        spec,
        exports.ImageMeta(
            IMAGE_TITLES.get(key, "Rare-earth supply"), SUPPLY_SOURCE, None, IMAGE_NOTE
        ),
        kind=key.removeprefix("sup_chart_"),
        key=f"{key}_img",
    )


def table(frame: pd.DataFrame, **column_config: object) -> None:
    """A sourced table: the source column is a link, confidence is plain text."""
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "source_url": st.column_config.LinkColumn("Source"),
            "confidence": st.column_config.TextColumn("Confidence"),
            **column_config,
        },
    )


def download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    widgets.download_csv(lambda: frame, label=label, file_name=f"supply_{name}.csv", key=key)


def workbook(data_: SupplyData) -> None:
    """Every supply table, one sheet each, with its per-row source and confidence."""
    tables = [
        ("Mine production", data_.production),
        ("Reserves", data_.reserves),
        ("US trade", data_.us_trade),
        ("China share", data_.china_share),
        ("China magnets", data_.china_magnets),
        ("Capacity pipeline", data_.pipeline),
        ("Targets", data_.targets),
    ]
    exports.download_xlsx(
        lambda: tables,
        [exports.TableSource(name, SUPPLY_SOURCE, None, "", "per row") for name, _ in tables],
        file_name="supply_gap.xlsx",
        key="sup_xlsx",
        label="Download all supply tables (.xlsx)",
    )
