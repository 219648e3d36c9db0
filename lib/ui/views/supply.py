"""Supply gap page: the cached pipeline and the six sections it renders.

The only Supply module that imports Streamlit. Loaders are cached on the data-file token
(and small scalar choices), never on DataFrames; pure work lives in :mod:`lib.supply`.
Self-contained so it can move to ``lib/ui/views/supply.py`` unchanged apart from imports.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.supply import charts as sc
from lib.supply import model
from lib.supply.load import SupplyData, data_token, load_supply
from lib.supply.schema import SupplyDataError
from lib.ui import data, exports, vega, widgets
from lib.ui.state import BIND, accept_short_link, check_link

#: A Vega-Lite spec as Altair's ``to_dict()`` returns it (cached, so reruns skip validation).
Spec = vega.Spec

PRICES_PAGE = "pages/1_Prices.py"
SINCE = {"1Y": 365, "3Y": 3 * 365, "Since 2020": None}
#: Policy-timeline categories switched on in the Prices overlay by "Open ... with milestones".
MILESTONE_CATEGORIES = ["corporate milestone", "funding/loan/grant", "equity stake/price floor"]


# --------------------------------------------------------------------------- cached loaders


@st.cache_data(show_spinner=False, max_entries=4)
def _supply(token: str) -> SupplyData:
    return load_supply()


def supply_data() -> SupplyData:
    """Every supply table, validated; re-read only when a file under data/supply changes."""
    return _supply(data_token())


@st.cache_data(show_spinner=False, max_entries=32)
def _production_charts(
    token: str, edition: str, compare: str, country: str
) -> tuple[Spec, Spec, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    data = _supply(token)
    split = model.china_vs_rest(data.production, edition)
    editions = [e for e in dict.fromkeys([compare, edition]) if e]
    vintage = model.country_series(data.production, country, editions)
    return (
        vega.to_spec(sc.mine_production_chart(split)),
        vega.to_spec(sc.vintage_chart(vintage, country)),
        split,
        vintage,
        model.revisions(data.production, compare, edition) if compare != edition else None,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def _share_chart(token: str, earlier: bool) -> tuple[Spec, pd.DataFrame]:
    pts = model.share_points(_supply(token).china_share)
    shown = pts if earlier else pts[pts["latest_vintage"]]
    return vega.to_spec(sc.china_share_chart(shown)), pts


@st.cache_data(show_spinner=False, max_entries=4)
def _pipeline(token: str, include_unverified: bool) -> tuple[Spec, Spec, pd.DataFrame]:
    data = _supply(token)
    bars = model.pipeline_by_year(data.pipeline, include_unverified=include_unverified)
    chart = sc.pipeline_chart(bars, data.targets, model.pipeline_panels(bars))
    frame = model.timeline_frame(data.pipeline)
    if not include_unverified:
        frame = frame[frame["confidence"] != "unverified"]
    timeline = sc.timeline_chart(frame, model.timeline_domain(frame), data.targets)
    return vega.to_spec(chart), vega.to_spec(timeline), bars


@st.cache_data(show_spinner=False, max_entries=8)
def _sentences(token: str, year: int) -> tuple[list[model.StageSentence], pd.DataFrame]:
    data = _supply(token)
    return model.stage_sentences(data, year), model.not_counted(data.pipeline, year)


@st.cache_data(show_spinner=False, max_entries=4)
def _imports(token: str) -> tuple[Spec, Spec, pd.DataFrame]:
    frame = model.import_dependence(_supply(token).us_trade)
    return (
        vega.to_spec(sc.import_dependence_chart(frame, model.NIR)),
        vega.to_spec(sc.import_dependence_chart(frame, model.IMPORT_VALUE)),
        frame,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def _gap(token: str) -> list[model.GapFigure]:
    return model.gap_row(_supply(token))


@st.cache_data(show_spinner=False, max_entries=8)
def _listed(token: str, year: int) -> pd.DataFrame:
    pipe = _supply(token).pipeline
    listed = model.listed_companies(pipe)
    return listed.assign(
        capacity_by_year=[model.company_capacity(pipe, s, year) for s in listed["symbol"]]
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _listed_with_returns(token: str, year: int, since: str, price_token: str) -> pd.DataFrame:
    """Each listed company's capacity by ``year`` next to its price change over ``since``."""
    listed = _listed(token, year)
    tidy, _notes = data.display_prices(list(listed["symbol"]), "local", False)
    changes: list[float | None] = []
    spans: list[str] = []
    for sym in listed["symbol"]:
        own = tidy[tidy["symbol"] == sym]
        days = SINCE.get(since)
        start = own["date"].max() - pd.Timedelta(days=days) if days and len(own) else None
        reb = model.rebased_prices(own, [sym], start)
        changes.append(float(reb["rebased"].iloc[-1]) - 100.0 if len(reb) else None)
        spans.append(
            f"{reb['date'].min():%d %b %Y} to {reb['date'].max():%d %b %Y}"
            if len(reb)
            else "no offline prices"
        )
    return listed.assign(price_change_pct=changes, price_window=spans)


# --------------------------------------------------------------------------- helpers


#: Titles for the image exports (the on-page headings are subheaders, not chart titles).
IMAGE_TITLES = {
    "sup_chart_production": "Rare-earth mine production by country",
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


def _price_token() -> str:
    """The price cache's version (inside the page functions ``data`` is the SupplyData)."""
    return data.price_store().cache_token()


def _show(spec: Spec, key: str) -> None:
    """Draw a cached spec (lib.ui.vega), with PNG/SVG downloads of the same chart."""
    vega.show(spec, key=key)
    title = IMAGE_TITLES.get(key, "Rare-earth supply")
    exports.chart_images(
        spec,
        exports.ImageMeta(title, SUPPLY_SOURCE, None, IMAGE_NOTE),
        kind=key.removeprefix("sup_chart_"),
        key=f"{key}_img",
    )


def _source_config() -> dict[str, object]:
    return {
        "source_url": st.column_config.LinkColumn("Source"),
        "confidence": st.column_config.TextColumn("Confidence"),
    }


def _download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    widgets.download_csv(lambda: frame, label=label, file_name=f"supply_{name}.csv", key=key)


def _data_error(exc: Exception) -> None:
    st.error(
        f"{exc} The Supply gap page needs every file in data/supply to be valid.",
        icon=":material/error:",
    )


def load_or_explain() -> SupplyData | None:
    """The data, or None after telling the user in words which file is broken."""
    try:
        return supply_data()
    except SupplyDataError as exc:
        _data_error(exc)
        return None


# --------------------------------------------------------------------------- gap row (Home too)


def gap_row() -> None:
    """Three metrics: China's mining and magnet shares, US import reliance; each with edition.

    Home calls this too. A failure to load data shows one caption instead of an exception.
    """
    try:
        figures = _gap(data_token())
    except SupplyDataError as exc:
        st.caption(f":material/error: Supply figures unavailable: {widgets.escape_markdown(exc)}")
        return
    cols = st.columns(len(figures))
    for col, fig in zip(cols, figures, strict=True):
        delta = None if fig.change is None else f"{fig.change:+.1f} pp"
        help_text = (
            f"{fig.basis}. {fig.edition}, data year {fig.year}; confidence {fig.confidence}. "
            + (
                f"Previous edition: {fig.previous_edition} said {fig.previous_value:g}% "
                f"for {fig.previous_year}. "
                if fig.previous_edition
                else ""
            )
            + fig.note
        )
        col.metric(
            f"{fig.label} ({fig.year})",
            fig.value_label,
            delta=delta,
            # Lower shares and lower reliance are the West's progress: show falls in green.
            delta_color="off" if not fig.change else "inverse",
            help=help_text,
            border=True,
        )
        col.caption(
            f"{widgets.escape_markdown(fig.edition)} · {widgets.escape_markdown(fig.change_label)}"
        )


# --------------------------------------------------------------------------- 1. mine production


def mine_production(data: SupplyData) -> None:
    st.subheader("1 · Mine production: China against the rest of the world")
    editions = model.editions_newest_first(data.production)
    mcs = model.mcs_editions(data.production)
    c1, c2, c3 = st.columns(3)
    check_link("sup_edition", "USGS edition", [str(e) for e in editions])
    edition = c1.selectbox("USGS edition", editions, index=0, key="sup_edition", bind=BIND)
    prev = model.previous_edition(mcs, edition) or (mcs[-2] if len(mcs) > 1 else edition)
    others = [e for e in editions if e != edition] or [edition]
    compare = c2.selectbox(
        "Compare with edition",
        others,
        index=others.index(prev) if prev in others else 0,
        key=f"sup_compare_{edition}",
        bind=BIND,
        help="The vintage view puts the same years from both editions side by side.",
    )
    countries = [model.CHINA, model.REST, model.WORLD, "Australia", "United States", "Burma"]
    check_link("sup_country", "country", countries)
    country = c3.selectbox("Vintage view of", countries, index=3, key="sup_country", bind=BIND)
    split_chart, vintage_chart, split, vintage, revs = _production_charts(
        data_token(), edition, compare, country
    )
    left, right = st.columns([3, 2])
    with left:
        _show(split_chart, "sup_chart_production")
        if (split["group"] == "World (no country split)").any():
            st.caption(
                ":material/info: This edition gives only world and US totals for some years, "
                "so China cannot be split out there."
            )
        st.caption(
            "Rest of world = world total minus China, from the same edition (derived). China's "
            "figure is its official quota, so undocumented output is missing. MCS 2016-2018 "
            "and 2020 world tables were not found."
        )
        _download(split, f"production_{edition}", "sup_dl_production")
    with right:
        _show(vintage_chart, "sup_chart_vintage")
        if vintage.empty:
            st.caption(f"No {widgets.escape_markdown(country)} figures in these editions.")
        _download(vintage, f"vintage_{country}", "sup_dl_vintage")
    if (
        revs is not None
        and (
            box := widgets.lazy_expander(
                f"What {edition} changed against {compare} ({len(revs)} figures)",
                key="sup_exp_revisions",
            )
        )
        is not None
    ):
        with box:
            if revs.empty:
                st.caption("No figure printed in both editions was changed.")
            st.dataframe(
                revs,
                hide_index=True,
                width="stretch",
                column_config={
                    "year": st.column_config.NumberColumn("Year", format="%d"),
                    "change_pct": st.column_config.NumberColumn("Change %", format="%+.0f%%"),
                    "change": st.column_config.NumberColumn("Change (t)", format="%+d"),
                    **_source_config(),
                },
            )
            _download(revs, f"revisions_{compare}_to_{edition}", "sup_dl_revisions")
    if (
        box := widgets.lazy_expander("Reserves by edition (t REO)", key="sup_exp_reserves")
    ) is not None:
        with box:
            st.caption(
                "World reserves fell from 130 million t (MCS2023) to more than 75 million t "
                "(MCS2026 v1.3) mostly through revisions (Vietnam, Russia, Brazil), not mining. "
                "Empty cells are 'not available' in USGS tables."
            )
            res = data.reserves
            st.dataframe(res, hide_index=True, width="stretch", column_config=_source_config())
            _download(res, "reserves", "sup_dl_reserves")


# --------------------------------------------------------------------------- 2. shares by stage


def china_share(data: SupplyData) -> None:
    st.subheader("2 · China's share by stage")
    earlier = st.toggle(
        "Show earlier editions of revised USGS shares",
        value=True,
        key="sup_share_earlier",
        bind=BIND,
    )
    chart, pts = _share_chart(data_token(), earlier)
    _show(chart, "sup_chart_share")
    st.caption(
        "A line joins only points from one publisher on one basis; different bases are never "
        "joined. Filled: published or derived from one edition. Hollow, dashed: unverified or "
        "a projection. Small grey rings: an earlier USGS edition of the same year."
    )
    st.caption(
        ":material/report: Gaps: China's share of **metal making** was not found in any source "
        "we read. The IEA mining share (62%, 2023) and the USGS-derived one (67.8-68.6%) differ "
        "in coverage, so they sit on separate lines."
    )
    if (box := widgets.lazy_expander("All share figures", key="sup_exp_shares")) is not None:
        with box:
            st.dataframe(
                pts.drop(columns=["latest_vintage", "hollow"]),
                hide_index=True,
                width="stretch",
                column_config=_source_config(),
            )
    _download(pts, "china_share", "sup_dl_share")


# --------------------------------------------------------------------------- 3. pipeline


def pipeline(data: SupplyData) -> None:
    st.subheader("3 · Western pipeline against targets")
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    unverified = c1.toggle(
        "Include unverified projects", value=True, key="sup_unverified", bind=BIND
    )
    check_link("sup_year", "year", [str(y) for y in model.PIPELINE_YEARS])
    year = c2.select_slider(
        "Capacity in place by",
        options=list(model.PIPELINE_YEARS),
        value=2028,
        key="sup_year",
        bind=BIND,
    )
    sentences, left_out = _sentences(data_token(), int(year))
    for sentence in sentences:
        icon = "" if sentence.comparable else ":material/report: "
        st.markdown(f"- {icon}{widgets.escape_markdown(sentence.text)}")
    chart, timeline, bars = _pipeline(data_token(), unverified)
    _show(chart, "sup_chart_pipeline")
    st.caption(
        "Bars: capacity in place by each year if every project keeps its target date, each "
        "stage in its own unit (never added across units). Faded, dashed bars are unverified. "
        "Black rules: government targets in the same unit (dashed = no date)."
    )
    _download(bars, "pipeline_by_year", "sup_dl_pipeline")
    st.markdown("**Project timeline**")
    _show(timeline, "sup_chart_timeline")
    st.caption(
        "Each project at its target year, coloured by status; hollow dashed = unverified. "
        "Grey dashed rules: years with government targets (hover for which)."
    )
    left, right = st.columns(2)
    with left:
        if (box := widgets.lazy_expander("Projects", key="sup_exp_projects")) is not None:
            with box:
                st.dataframe(
                    data.pipeline,
                    hide_index=True,
                    width="stretch",
                    column_config=_source_config(),
                )
        _download(data.pipeline, "capacity_pipeline", "sup_dl_projects", "Download projects")
    with right:
        if (box := widgets.lazy_expander("Government targets", key="sup_exp_targets")) is not None:
            with box:
                st.dataframe(
                    data.targets, hide_index=True, width="stretch", column_config=_source_config()
                )
                st.caption(
                    "EU CRMA benchmarks are shares of EU consumption, so they are listed, "
                    "not drawn against tonnes."
                )
        _download(data.targets, "targets", "sup_dl_targets", "Download targets")
    if len(left_out):
        items = "; ".join(
            f"{r.company} {r.project} ({r.why_not_counted})" for r in left_out.itertuples()
        )
        st.caption(
            f":material/report: Not in the bars for {year}: {widgets.escape_markdown(items)}."
        )


# --------------------------------------------------------------------------- 4. US imports


def us_imports(data: SupplyData) -> None:
    st.subheader("4 · US import dependence")
    nir_chart, value_chart, frame = _imports(data_token())
    left, right = st.columns(2)
    with left:
        _show(nir_chart, "sup_chart_nir")
    with right:
        _show(value_chart, "sup_chart_import_value")
    st.caption(
        "Compounds and metals, the stage where US output is small. Black line: the newest "
        "edition for each year; coloured points: every edition; hollow dashed: a bound such as "
        "'>95%' or an unverified figure. US policy measures progress as a dollar reduction in "
        "these imports; mineral concentrates are a net export (not drawn)."
    )
    src = model.import_sources(data.us_trade)
    if (
        box := widgets.lazy_expander("Where the imports come from", key="sup_exp_sources")
    ) is not None:
        with box:
            st.dataframe(src, hide_index=True, width="stretch", column_config=_source_config())
            _download(src, "us_import_sources", "sup_dl_import_sources")
    _download(frame, "us_import_dependence", "sup_dl_imports")


# --------------------------------------------------------------------------- 5. equities


def _open_on_prices(symbol: str) -> None:
    """Seed the Prices page's event overlay, then open it on ``symbol`` (URL carries it)."""
    st.session_state["px_events"] = True
    st.session_state["px_more"] = True  # show the overlay's filters
    st.session_state["px_ev_cat"] = list(MILESTONE_CATEGORIES)
    st.session_state["px_range"] = "Max"
    st.switch_page(PRICES_PAGE, query_params={"symbols": symbol, "range": "Max"})


@st.cache_data(show_spinner=False, max_entries=32)
def _company_view(
    symbol: str, since: str, price_token: str
) -> tuple[Spec, pd.DataFrame, pd.DataFrame]:
    """Rebased prices and the symbol's dated policy-timeline events in that window."""
    tidy, _notes = data.display_prices([symbol], "local", False)
    start = None
    days = SINCE.get(since)
    if days is not None and len(tidy):
        start = tidy["date"].max() - pd.Timedelta(days=days)
    rebased = model.rebased_prices(tidy, [symbol], start)
    events = model.project_milestones(data.policy_events(), symbol)
    overlays = []
    if len(rebased):
        lo, hi = rebased["date"].min(), rebased["date"].max()
        events = events[(events["span_end"] >= lo) & (events["span_start"] <= hi)]
    if len(rebased) and len(events):
        from lib.events.charts import event_rule_layer

        overlays = [event_rule_layer(events, start=lo, end=hi)]
    chart = vega.to_spec(sc.company_price_chart(rebased, overlays))
    return chart, rebased, events


def equities(data: SupplyData) -> None:
    st.subheader("5 · Joined with the equities")
    year = int(st.session_state.get("sup_year", 2028))
    listed = _listed(data_token(), year)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    labels = dict(zip(listed["symbol"], listed["company"], strict=True))
    company_labels = {s: f"{s} · {labels.get(s, s)}" for s in listed["symbol"]}
    check_link("sup_company", "company", [*company_labels, *company_labels.values()])
    accept_short_link("sup_company", company_labels)
    symbol = c1.selectbox(
        "Company",
        list(listed["symbol"]),
        format_func=lambda s: company_labels.get(s, s),
        key="sup_company",
        bind=BIND,
    )
    check_link("sup_since", "prices since", list(SINCE))
    since = c2.segmented_control(
        "Prices since", list(SINCE), default="3Y", key="sup_since", bind=BIND
    )
    since = since or "3Y"
    price_token = _price_token()
    chart, rebased, events = _company_view(symbol, since, price_token)
    own = data.pipeline[data.pipeline["symbol"] == symbol]
    left, right = st.columns([3, 2])
    with left:
        if rebased.empty:
            st.info(
                f"No offline prices for {symbol}; its pipeline is still listed. "
                "Prices fill in after a refresh from Yahoo Finance when online.",
                icon=":material/cloud_off:",
            )
        else:
            _show(chart, "sup_chart_company")
            last = float(rebased["rebased"].iloc[-1])
            st.caption(
                f"{symbol} rebased to 100 at its first close shown (local currency): "
                f"{last - 100:+.0f}% to {rebased['date'].max():%d %b %Y}. Rules: "
                f"{len(events)} dated milestones and funding events tagged {symbol} on the "
                "Policy timeline (hover for details)."
            )
        st.page_link(
            PRICES_PAGE,
            label=f"Open {symbol} on Prices",
            icon=":material/show_chart:",
            query_params={"symbols": symbol, "range": "Max"},
        )
        if st.button(
            f"Open {symbol} on Prices with milestones overlaid",
            key="sup_open_prices",
            icon=":material/event:",
        ):
            _open_on_prices(symbol)
    with right:
        st.markdown(f"**{widgets.escape_markdown(labels.get(symbol, symbol))}: projects**")
        st.dataframe(
            own[["project", "stage", "capacity_stated", "unit", "status", "target_year"]],
            hide_index=True,
            width="stretch",
        )
        by_year = listed.set_index("symbol").loc[symbol, "capacity_by_year"]
        st.caption(
            f"Capacity in place by {year} if on time, per unit: {widgets.escape_markdown(by_year)}."
        )
    if (
        box := widgets.lazy_expander(
            "Every listed company: pipeline next to its share price", key="sup_exp_listed"
        )
    ) is not None:
        with box:
            joined = _listed_with_returns(data_token(), year, since, price_token)
            st.dataframe(
                joined,
                hide_index=True,
                width="stretch",
                column_config={
                    "capacity_by_year": st.column_config.TextColumn(
                        f"Capacity by {year} (per unit)"
                    ),
                    "price_change_pct": st.column_config.NumberColumn(
                        f"Price change ({since}, local ccy)", format="%+.0f%%"
                    ),
                },
            )
            _download(joined, "listed_companies", "sup_dl_listed")
            st.caption(
                "Private builders (Noveon, Vulcan Elements, e-VAC, SRC) and companies outside our "
                "price universe (Solvay, Aclara) have no price series here."
            )
    widgets.download_csv(
        lambda: pd.concat(
            [own.assign(kind="project"), rebased.assign(kind="rebased price")], ignore_index=True
        ),
        label="Download CSV",
        file_name=f"supply_company_{symbol}.csv",
        key="sup_dl_company",
    )


# --------------------------------------------------------------------------- page


def render_page() -> None:
    """All six sections; a broken data file gives one clear error instead of a traceback."""
    data = load_or_explain()
    if data is None:
        return
    gap_row()
    mine_production(data)
    china_share(data)
    pipeline(data)
    us_imports(data)
    equities(data)
    st.caption(
        "Hover any point for its value, unit, edition or as-of date, source and confidence. "
        "Sources: USGS Mineral Commodity Summaries and Minerals Yearbook, IEA, company and "
        "government releases (see data/supply)."
    )
    tables = workbook_tables(data)
    exports.download_xlsx(
        lambda: tables,
        [exports.TableSource(name, SUPPLY_SOURCE, None, "", "per row") for name, _ in tables],
        file_name="supply_gap.xlsx",
        key="sup_xlsx",
        label="Download all supply tables (.xlsx)",
    )


def workbook_tables(data: SupplyData) -> list[tuple[str, pd.DataFrame]]:
    """Every supply table, one sheet each, with its per-row source and confidence."""
    return [
        ("Mine production", data.production),
        ("Reserves", data.reserves),
        ("US trade", data.us_trade),
        ("China share", data.china_share),
        ("China magnets", data.china_magnets),
        ("Capacity pipeline", data.pipeline),
        ("Targets", data.targets),
    ]
