"""Market outlook: publishers' market-size projections made comparable, and set against equities."""

from __future__ import annotations

import streamlit as st

from lib.ui import data, exports, frame, links, state, vega, widgets
from lib.ui.views import outlook as view

frame.page_setup(
    "Market outlook",
    ":material/trending_up:",
    "Market-size projections from research publishers, one market definition at a time. "
    "Publishers disagree by a factor of three and restate their own figures, so every row "
    "carries its source and its flags.",
)

checks, paths, table = view.outlook_tables()
scopes = view.scopes()

# --------------------------------------------------------------------------- paths per scope
BIND = state.BIND
c1, c2, c3, c4 = st.columns([5, 2, 3, 3], vertical_alignment="bottom")
for key, label in (("log_scale", "log scale"), ("show_superseded", "superseded editions"),
                   ("include_unverified", "unverified in band")):  # fmt: skip
    view.check_choice_link(key, label, view.is_link_boolean)
# Not bound: the link keeps the scope's id (?scope=rare-earth+oxides), see lib.ui.links.
first_scope = next(iter(scopes))  # magnets
links.seed_id_link("scope", scopes, label="scope", default=first_scope)
scope = c1.selectbox(
    "Market definition (scope)",
    list(scopes),
    key="scope",
    format_func=scopes.get,
    help="Each scope is a different market definition; they are never averaged together.",
)
links.sync_id_link("scope", scope, scopes, default=first_scope)
log_scale = c2.toggle("Log scale", key="log_scale", bind=BIND)
show_old = c3.toggle(
    "Superseded editions",
    value=True,
    key="show_superseded",
    bind=BIND,
    help="Draw editions a publisher later restated, dashed, in the publisher's colour.",
)
with_unverified = c4.toggle(
    "Unverified in band",
    value=True,
    key="include_unverified",
    bind=BIND,
    help="Count projections whose publisher could not be confirmed in the consensus band.",
)

consensus = view.scope_consensus(scope, with_unverified)
base_year, base_value = view.scenario_defaults(consensus)

scenario = None
with st.expander("Your scenario: own base and growth rate", icon=":material/edit:"):
    on = st.toggle("Draw my scenario", key=f"scenario_on_{scope}")
    s1, s2, s3 = st.columns(3)
    y0 = s1.number_input(
        "Base year",
        min_value=2015,
        max_value=2040,
        value=base_year,
        key=f"scenario_year_{scope}",
    )
    v0 = s2.number_input(
        f"Base ({consensus.unit})",
        min_value=0.001,
        value=base_value,
        key=f"scenario_base_{scope}",
    )
    g = s3.number_input(
        "CAGR (%)", min_value=-50.0, max_value=100.0, value=8.0, key=f"scenario_cagr_{scope}"
    )
    if on:
        scenario = (int(y0), float(v0), float(g))
        if problem := view.scenario_problem(consensus, scenario):
            st.warning(problem, icon=":material/warning:")
            scenario = None

band = view.band_note(consensus)
paths_chart = view.outlook_paths_chart(scope, log_scale, show_old, with_unverified, scenario)
vega.show(paths_chart, alt_text=f"Line chart: published market-size forecasts for {scope}.")
exports.chart_images(
    paths_chart,
    exports.ImageMeta(
        f"Market forecasts: {scope}", view.OUTLOOK_SOURCE, None, view.band_note(consensus)
    ),
    kind=f"outlook_{scope}",
    key="ol_paths_img",
)
notes = [
    view.band_note(consensus) + " Superseded editions and lower bounds are left out of the band.",
    "Dashed lines: an edition later restated by the same publisher (same colour).",
    view.HOLLOW_NOTE + " (unverified publisher, lower bound or back-solved base)",
]
st.caption(" ".join(notes))
for row_id, publisher, flag_text in view.flagged_rows(scope):
    esc = widgets.escape_markdown
    st.markdown(f"- **{esc(row_id)}** ({esc(publisher)}): {esc(flag_text)}")

# --------------------------------------------------------------------------- table
st.subheader("Stated against implied growth")
st.dataframe(
    view.flag_styles(table),
    width="stretch",
    height=35 * (len(table) + 1) + 3,
    hide_index=True,
    column_config={
        "Source": st.column_config.LinkColumn("Source", display_text="open source"),
        "Notes": st.column_config.TextColumn("Notes", width="large"),
    },
)
st.caption(
    f"Red: stated CAGR more than {view.TOLERANCE_PP} pp from the one implied by the published "
    "base and target. Amber: the stated window does not start and end at the base and target "
    "years. [UNVERIFIED publisher] marks figures whose publisher could not be confirmed."
)
e1, e2 = st.columns(2)
with e1:
    widgets.download_csv(
        lambda: paths,
        label="Download yearly paths (CSV)",
        file_name=view.export_filename("projection_paths", "all-scopes", None),
        key="dl_paths",
    )
with e2:
    widgets.download_csv(
        lambda: table,
        label="Download CAGR table (CSV)",
        file_name=view.export_filename("projection_cagr_checks", "all-scopes", None),
        key="dl_table",
    )
exports.download_xlsx(
    lambda: [("Yearly paths", paths), ("CAGR checks", table), ("NdPr prices", view.ndpr_facts())],
    view.outlook_sources(),
    file_name=exports.xlsx_filename("market_outlook", "all-scopes", None),
    key="dl_outlook_xlsx",
)

# --------------------------------------------------------------------------- vs equities
st.subheader("Has the equity market priced in this growth?")
labels = data.symbol_labels()
# Not bound: the link keeps symbol ids (?equity_symbols=MP), see view.seed_equities.
equity_ids = view.seed_equities(labels)
if left_out := state.left_out_message(st.session_state, view.EQUITIES):
    st.info(left_out, icon=":material/info:")
q1, q2 = st.columns([3, 1], vertical_alignment="bottom")
symbols = q1.multiselect(
    "Equities (equal-weighted, each in its own currency)",
    view.equity_options(st.session_state[view.EQUITIES]),
    format_func=lambda s: labels.get(s, s),
    key=view.EQUITIES,
)
view.sync_equities(symbols, equity_ids)
growth_years = view.growth_years(scope, with_unverified, symbols)
if not symbols:
    st.info("Pick at least one equity to compare with the forecasts.")
elif growth_years is None:
    st.warning("None of the chosen equities has prices on disk yet. Refresh prices when online.")
elif not growth_years.years:
    st.info(
        f"The {scope} forecasts and the chosen equities' prices do not overlap by half a year "
        "or more, so there is nothing to compare. Try another scope or other equities."
    )
else:
    view.check_choice_link(
        f"growth_start_{scope}", "start year", [str(y) for y in growth_years.years]
    )
    start = q2.selectbox(
        "Start year (= 100)",
        growth_years.years,
        index=growth_years.years.index(growth_years.default),
        key=f"growth_start_{scope}",
        bind=BIND,
        help="Defaults to the year most publications cover, leaving a full year of prices.",
    )
    growth = view.outlook_growth(scope, with_unverified, symbols, int(start), log_scale)
    label = "the equal-weighted basket" if len(symbols) > 1 else symbols[0]
    vega.show(growth.chart, alt_text="Line chart: forecast growth against the equities.")
    exports.chart_images(
        growth.chart,
        exports.ImageMeta(
            f"Forecast growth vs {label}: {scope}",
            f"{view.OUTLOOK_SOURCE}; {exports.PRICE_SOURCE}",
            growth.basket_end,
        ),
        kind=f"outlook_vs_equities_{scope}",
        key="ol_growth_img",
    )
    if growth.comparison is None:
        st.info("The overlap is shorter than half a year, too short to annualise honestly.")
    else:
        st.markdown(f"**{view.growth_sentence(growth.comparison, scope, label)}**")
        missing = growth.missing
        st.caption(
            f"Basket of {growth.members} member(s) with prices in the window; it "
            f"ends {widgets.fmt_date(growth.basket_end)}, the last day all members have prices. "
            "Forecast line: median of each publication's path rebased to 100 in the start year."
            + (
                " No prices on disk for: " + ", ".join(map(widgets.escape_markdown, missing)) + "."
                if missing
                else ""
            )
        )

# --------------------------------------------------------------------------- NdPr
st.subheader("NdPr oxide prices, forecasts and policy levels")
ndpr_chart = view.ndpr_panel()
vega.show(ndpr_chart, alt_text="Chart: NdPr oxide prices, forecasts and policy levels.")
exports.chart_images(
    ndpr_chart,
    exports.ImageMeta("NdPr oxide prices, forecasts and policy levels", view.NDPR_SOURCE, None),
    kind="ndpr_prices",
    key="ol_ndpr_img",
)
st.caption(
    "Red dashed line: the $110/kg NdPr floor in the July 2025 US DoD–MP agreement (a policy "
    "level, not a forecast). Green band: the $75–85/kg incentive price Benchmark says most "
    "ex-China projects need. Bars across a period are averages or forecasts for that period. "
    "Hollow points are unverified, derived, or converted by us from CNY/t at the day's CNY=X "
    "rate (Chinese domestic prices include VAT). Older CNY quotes have no rate on disk and are "
    "listed below only."
)
st.dataframe(
    view.ndpr_table(),
    width="stretch",
    hide_index=True,
    column_config={
        "Source": st.column_config.LinkColumn("Source", display_text="open source"),
        "USD/kg (source)": st.column_config.NumberColumn(format="%.2f"),
    },
)
widgets.download_csv(
    view.ndpr_facts,
    label="Download NdPr price facts (CSV)",
    file_name=view.export_filename("ndpr_prices", "facts", None),
    key="dl_ndpr",
)
