"""Supply gap: is the West closing the rare-earth gap in tonnes, not only in share prices?"""

from __future__ import annotations

import streamlit as st

from lib.ui import frame, links, scoreboard, widgets
from lib.ui.state import BIND
from lib.ui.views import supply as view

frame.page_setup(
    "Supply gap",
    ":material/factory:",
    "Who mines, separates and makes magnets, how fast Western capacity is coming, and whether "
    "the US imports less. Every figure keeps its edition, source and confidence.",
)
md = widgets.escape_markdown

data = view.load_or_explain()
if data is None:
    st.stop()

# ------------------------------------------------------------------ the gap at a glance
st.subheader("The gap by stage")
board = scoreboard.scoreboard()
if board is not None:
    view.download(board, "scoreboard", "sup_dl_scoreboard")
scoreboard.gap_row()

# ------------------------------------------------------------------ 1. mine production
st.subheader("1 · Mine production: China against the rest of the world")
headline, stitched = view.headline_production()
view.show(headline, "sup_chart_headline")
st.caption(
    "One bar per year from the newest USGS edition that prints it (edition above each bar): "
    "DS140 for 2010-2017 gives only the world total, so China cannot be split out there. "
    "Rest of world = world total minus China from the same edition (derived). Up to MCS2025 "
    "USGS marks China's figure as its official quota, so undocumented output is missing; "
    "MCS2026 dropped that footnote from China's 2024 figure in v1.1. MCS 2016-2018 and 2020 "
    "world tables were not found."
)
view.download(stitched, "production_newest_edition", "sup_dl_headline")

every = view.editions()
c1, c2, c3 = st.columns(3)
view.check_choice("sup_edition", "USGS edition", every)
edition = c1.selectbox("One USGS edition", every, key="sup_edition", bind=BIND)
others = [e for e in every if e != edition] or [edition]
view.check_compare_links(every)
compare = c2.selectbox(
    "Compare with edition",
    others,
    index=others.index(view.default_compare(edition)),
    key=f"{view.COMPARE_PREFIX}{edition}",
    bind=BIND,
    help="The vintage view puts the same years from both editions side by side.",
)
view.check_choice("sup_country", "country", view.COUNTRIES)
country = c3.selectbox("Vintage view of", view.COUNTRIES, index=3, key="sup_country", bind=BIND)
split_chart, vintage_chart, split, vintage, revs = view.production_charts(edition, compare, country)
left, right = st.columns([3, 2])
with left:
    view.show(split_chart, "sup_chart_production")
    if (split["group"] == "World (no country split)").any():
        st.caption(
            ":material/info: This edition gives only world and US totals for some years, "
            "so China cannot be split out there."
        )
    view.download(split, f"production_{edition}", "sup_dl_production")
with right:
    view.show(vintage_chart, "sup_chart_vintage")
    if vintage.empty:
        st.caption(f"No {md(country)} figures in these editions.")
    view.download(vintage, f"vintage_{country}", "sup_dl_vintage")
if revs is not None and (
    box := widgets.lazy_expander(
        f"What {edition} changed against {compare} ({len(revs)} figures)", key="sup_exp_revisions"
    )
):
    with box:
        if revs.empty:
            st.caption("No figure printed in both editions was changed.")
        view.table(
            revs,
            year=st.column_config.NumberColumn("Year", format="%d"),
            change_pct=st.column_config.NumberColumn("Change %", format="%+.0f%%"),
            change=st.column_config.NumberColumn("Change (t)", format="%+d"),
        )
        view.download(revs, f"revisions_{compare}_to_{edition}", "sup_dl_revisions")
if box := widgets.lazy_expander("Reserves by edition (t REO)", key="sup_exp_reserves"):
    with box:
        st.caption(
            "World reserves fell from 130 million t (MCS2023) to more than 75 million t "
            "(MCS2026 v1.3) mostly through revisions (Vietnam, Russia, Brazil), not mining. "
            "Empty cells are 'not available' in USGS tables."
        )
        view.table(data.reserves)
        view.download(data.reserves, "reserves", "sup_dl_reserves")

# ------------------------------------------------------------------ 2. China's share
st.subheader("2 · China's share by stage")
view.check_choice("sup_share_earlier", "earlier editions switch", view.is_link_boolean)
earlier = st.toggle(
    "Show earlier editions of revised USGS shares", value=True, key="sup_share_earlier", bind=BIND
)
share_chart, points = view.share_chart(earlier)
view.show(share_chart, "sup_chart_share")
st.caption(
    "A line joins only points from one publisher on one basis. The USGS line takes each year "
    "from the newest edition that prints it (newest edition for each year; the edition is "
    "written under each point). Filled: published or derived from one edition. Hollow, "
    "dashed: unverified or a projection. Small grey rings: an earlier USGS edition."
)
st.caption(
    ":material/report: Gaps: China's share of **metal making** was not found in any source "
    "we read. The IEA mining share (62%, 2023) and the USGS-derived one (67.8-68.6%) differ "
    "in coverage, so they sit on separate lines."
)
if box := widgets.lazy_expander("All share figures", key="sup_exp_shares"):
    with box:
        view.table(points.drop(columns=["latest_vintage", "hollow"]))
view.download(points, "china_share", "sup_dl_share")

# ------------------------------------------------------------------ 3. pipeline
st.subheader("3 · Western pipeline against targets")
c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
view.check_choice("sup_unverified", "unverified projects switch", view.is_link_boolean)
unverified = c1.toggle("Include unverified projects", value=True, key="sup_unverified", bind=BIND)
years = list(view.PIPELINE_YEARS)
view.check_choice("sup_year", "year", [str(y) for y in years])
year = int(
    c2.select_slider("Capacity in place by", options=years, value=2028, key="sup_year", bind=BIND)
)
sentences, comparable, left_out = view.stage_sentences(year)
for text, like_for_like in zip(sentences, comparable, strict=True):
    st.markdown(f"- {'' if like_for_like else ':material/report: '}{md(text)}")
pipeline_chart, timeline, bars, markers = view.pipeline_charts(unverified)
view.show(pipeline_chart, "sup_chart_pipeline")
st.caption(
    "Bars: nameplate or phase capacity in place by each year if every project keeps its date, "
    "each stage in its own unit (never added across units). Faded, dashed bars are "
    "unverified. Filled diamonds: a year's production (not capacity). Hollow triangles: a "
    "company's target or goal (not capacity). Black rules: government targets in the same "
    "unit (dashed = no date)."
)
view.download(bars, "pipeline_by_year", "sup_dl_pipeline")
view.download(markers, "pipeline_production_and_targets", "sup_dl_markers", "Download markers")
st.markdown("**Project timeline**")
view.show(timeline, "sup_chart_timeline")
st.caption(
    "Each project at its target year, coloured by status; hollow dashed = unverified. "
    "Grey dashed rules: years with government targets (hover for which)."
)
left, right = st.columns(2)
with left:
    if box := widgets.lazy_expander("Projects", key="sup_exp_projects"):
        with box:
            view.table(data.pipeline)
    view.download(data.pipeline, "capacity_pipeline", "sup_dl_projects", "Download projects")
with right:
    if box := widgets.lazy_expander("Government targets", key="sup_exp_targets"):
        with box:
            view.table(data.targets)
            st.caption(
                "EU CRMA benchmarks are shares of EU consumption, so they are listed, "
                "not drawn against tonnes."
            )
    view.download(data.targets, "targets", "sup_dl_targets", "Download targets")
if len(left_out):
    items = "; ".join(
        f"{r.company} {r.project} ({r.why_not_counted})" for r in left_out.itertuples()
    )
    st.caption(f":material/report: Not in the bars for {year}: {md(items)}.")

# ------------------------------------------------------------------ 4. US imports
st.subheader("4 · US import dependence")
nir_chart, value_chart, imports_frame, sources = view.import_charts()
left, right = st.columns(2)
with left:
    view.show(nir_chart, "sup_chart_nir")
with right:
    view.show(value_chart, "sup_chart_import_value")
st.caption(
    "Compounds and metals, the stage where US output is small. Black line: the newest "
    "edition for each year, its edition written on each point; coloured points: every "
    "edition; hollow dashed: a bound such as '>95%' or an unverified figure, which never "
    "joins the line. Mineral concentrates are a net export (not drawn)."
)
if box := widgets.lazy_expander("Where the imports come from", key="sup_exp_sources"):
    with box:
        view.table(sources)
        view.download(sources, "us_import_sources", "sup_dl_import_sources")
view.download(imports_frame, "us_import_dependence", "sup_dl_imports")

# ------------------------------------------------------------------ 5. equities
st.subheader("5 · Joined with the equities")
listed = view.listed(year)
names = dict(zip(listed["symbol"], listed["company"], strict=True))
c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
# Not bound: the link keeps its id (?sup_company=MP) even for the default, see lib.ui.links.
companies, first = {s: s for s in names}, next(iter(names))
links.seed_id_link("sup_company", companies, label="company", default=first)
symbol = c1.selectbox("Company (symbol)", list(companies), key="sup_company")
links.sync_id_link("sup_company", symbol, companies, default=first)
view.check_choice("sup_since", "prices since", list(view.SINCE), uses="first")
since = c2.segmented_control(
    "Prices since", list(view.SINCE), default="3Y", key="sup_since", bind=BIND
)
since = since or "3Y"
company_chart, rebased, events = view.company_view(symbol, since)
own = data.pipeline[data.pipeline["symbol"] == symbol]
left, right = st.columns([3, 2])
with left:
    if rebased.empty:
        st.info(
            f"No offline prices for {md(symbol)}; its pipeline is still listed. "
            "Prices fill in after a refresh from Yahoo Finance when online.",
            icon=":material/cloud_off:",
        )
    else:
        view.show(company_chart, "sup_chart_company")
        st.caption(
            f"{md(symbol)} rebased to 100 at its first close shown (local currency): "
            f"{float(rebased['rebased'].iloc[-1]) - 100:+.0f}% to "
            f"{rebased['date'].max():%d %b %Y}. Rules: {len(events)} dated milestones and "
            f"funding events tagged {md(symbol)} on the Policy timeline (hover for details)."
        )
    st.page_link(
        view.PRICES_PAGE,
        label=f"Open {symbol} on Prices",
        icon=":material/show_chart:",
        query_params=view.prices_link(symbol),
    )
    st.page_link(
        view.PRICES_PAGE,
        label=f"Open {symbol} on Prices with milestones overlaid",
        icon=":material/event:",
        query_params=view.prices_link(symbol, milestones=True),
    )
with right:
    st.markdown(f"**{md(names.get(symbol, symbol))} ({md(symbol)}): projects**")
    st.dataframe(
        own[view.PROJECT_COLUMNS],
        hide_index=True,
        width="stretch",
    )
    by_year = listed.set_index("symbol").loc[symbol, "capacity_by_year"]
    st.caption(f"Capacity in place by {year} if on time, per unit: {md(by_year)}.")
if box := widgets.lazy_expander(
    "Every listed company: pipeline next to its share price", key="sup_exp_listed"
):
    with box:
        joined = view.listed_with_returns(year, since)
        st.dataframe(
            joined,
            hide_index=True,
            width="stretch",
            column_config={
                "capacity_by_year": st.column_config.TextColumn(f"Capacity by {year} (per unit)"),
                "price_change_pct": st.column_config.NumberColumn(
                    f"Price change ({since}, local ccy)", format="%+.0f%%"
                ),
            },
        )
        view.download(joined, "listed_companies", "sup_dl_listed")
        st.caption(
            "Private builders (Noveon, Vulcan Elements, e-VAC, SRC) and companies outside our "
            "price universe (Solvay, Aclara) have no price series here."
        )
view.download(view.company_rows(own, rebased), f"company_{symbol}", "sup_dl_company")

st.caption(
    "Hover any point for its value, unit, edition or as-of date, source and confidence. "
    "Sources: USGS Mineral Commodity Summaries and Minerals Yearbook, IEA, company and "
    "government releases (see data/supply)."
)
view.workbook(data)
