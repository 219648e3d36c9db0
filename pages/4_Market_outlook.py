"""Market outlook: publishers' market-size projections made comparable, and set against equities."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import outlook_charts, ui
from lib import projections as pj
from lib.export import export_filename
from lib.universe import basket_members

ui.page_setup(
    "Market outlook",
    ":material/trending_up:",
    "Market-size projections from research publishers, one market definition at a time. "
    "Publishers disagree by a factor of three and restate their own figures, so every row "
    "carries its source and its flags.",
)

proj = ui.market_projections()
checks, paths, table = ui.outlook_tables()
scopes = sorted(proj["scope"].unique(), key=lambda s: (s != "rare-earth magnets", s))
units = dict(zip(proj["scope"], proj["unit"], strict=False))
counts = proj["scope"].value_counts()

# --------------------------------------------------------------------------- paths per scope
c1, c2, c3, c4 = st.columns([5, 2, 3, 3], vertical_alignment="bottom")
scope = c1.selectbox(
    "Market definition (scope)",
    scopes,
    key="scope",
    format_func=lambda s: f"{s} · {units[s]} · {counts[s]} rows",
    help="Each scope is a different market definition; they are never averaged together.",
)
log_scale = c2.toggle("Log scale", key="log_scale")
show_old = c3.toggle(
    "Superseded editions",
    value=True,
    key="show_superseded",
    help="Draw editions a publisher later restated, dashed, in the publisher's colour.",
)
with_unverified = c4.toggle(
    "Unverified in band",
    value=True,
    key="include_unverified",
    help="Count projections whose publisher could not be confirmed in the consensus band.",
)

unit = units[scope]
in_scope = paths[paths["scope"] == scope]
inputs = pj.consensus_inputs(in_scope, include_unverified=with_unverified)
band = pj.consensus(inputs)

scenario = None
with st.expander("Your scenario: own base and growth rate", icon=":material/edit:"):
    on = st.toggle("Draw my scenario", key=f"scenario_on_{scope}")
    first = band.iloc[0] if not band.empty else None
    s1, s2, s3 = st.columns(3)
    y0 = s1.number_input(
        "Base year",
        min_value=2015,
        max_value=2040,
        value=int(first["year"]) if first is not None else 2025,
        key=f"scenario_year_{scope}",
    )
    v0 = s2.number_input(
        f"Base ({unit})",
        min_value=0.001,
        value=round(float(first["median"]), 2) if first is not None else 10.0,
        key=f"scenario_base_{scope}",
    )
    g = s3.number_input(
        "CAGR (%)", min_value=-50.0, max_value=100.0, value=8.0, key=f"scenario_cagr_{scope}"
    )
    if on:
        scenario = (int(y0), float(v0), float(g))

st.altair_chart(
    ui.outlook_paths_chart(scope, log_scale, show_old, with_unverified, scenario),
    width="stretch",
)
notes = [
    f"Grey band: min–max across {inputs['series'].nunique()} publication(s); grey line: median."
    " Superseded editions and lower bounds are left out of the band.",
    "Dashed lines: an edition later restated by the same publisher (same colour).",
    outlook_charts.HOLLOW_NOTE + " (unverified publisher, lower bound or back-solved base)",
]
st.caption(" ".join(notes))
scope_checks = checks[checks["scope"] == scope]
for _, r in scope_checks[scope_checks["flags"].str.len() > 0].iterrows():
    st.markdown(f"- **{r['id']}** ({r['publisher']}): {r['flag_text']}")

# --------------------------------------------------------------------------- table
st.subheader("Stated against implied growth")
st.dataframe(
    pj.flag_styles(table),
    width="stretch",
    height=35 * (len(table) + 1) + 3,
    hide_index=True,
    column_config={
        "Source": st.column_config.LinkColumn("Source", display_text="open source"),
        "Notes": st.column_config.TextColumn("Notes", width="large"),
    },
)
st.caption(
    f"Red: stated CAGR more than {pj.TOLERANCE_PP} pp from the one implied by the published "
    "base and target. Amber: the stated window does not start and end at the base and target "
    "years. [UNVERIFIED publisher] marks figures whose publisher could not be confirmed."
)
e1, e2 = st.columns(2)
with e1:
    ui.download_csv(
        lambda: paths,
        label="Download yearly paths (CSV)",
        file_name=export_filename("projection_paths", "all-scopes", None),
        key="dl_paths",
    )
with e2:
    ui.download_csv(
        lambda: table,
        label="Download CAGR table (CSV)",
        file_name=export_filename("projection_cagr_checks", "all-scopes", None),
        key="dl_table",
    )

# --------------------------------------------------------------------------- vs equities
st.subheader("Has the equity market priced in this growth?")
uni = ui.universe()
labels = ui.symbol_labels()
watch = st.session_state.get("active_watchlist_symbols")
default = (
    list(watch)
    if isinstance(watch, list) and watch
    else [s for s in basket_members(uni, "West") if s in ui.offline_symbols()]
)
options = list(dict.fromkeys([*uni["symbol"], *default]))
q1, q2 = st.columns([3, 1], vertical_alignment="bottom")
symbols = q1.multiselect(
    "Equities (equal-weighted, each in its own currency)",
    options,
    default=default,
    format_func=lambda s: labels.get(s, s),
    key="equity_symbols",
)
years = pj.growth_years(inputs)
tidy = ui.display_prices(symbols, currency="local")[0] if symbols else None
if tidy is not None and not tidy.empty:
    first_year = tidy.groupby("symbol")["date"].min().min().year
    last_day = tidy.groupby("symbol")["date"].max().min()  # where the basket ends
    years = [y for y in years if first_year <= y and pd.Timestamp(y, 7, 1) <= last_day]
if not symbols:
    st.info("Pick at least one equity to compare with the forecasts.")
elif tidy is None or tidy.empty:
    st.warning("None of the chosen equities has prices on disk yet. Refresh prices when online.")
elif not years:
    st.info(
        f"The {scope} forecasts and the chosen equities' prices do not overlap by half a year "
        "or more, so there is nothing to compare. Try another scope or other equities."
    )
else:
    start = q2.selectbox(
        "Start year (= 100)",
        years,
        index=years.index(
            pj.best_start_year(inputs, [y for y in years if y < last_day.year] or years)
        ),
        key=f"growth_start_{scope}",
        help="Defaults to the year most publications cover, leaving a full year of prices.",
    )
    chart, cmp, basket = ui.outlook_growth(scope, with_unverified, symbols, int(start), log_scale)
    label = "the equal-weighted basket" if len(symbols) > 1 else symbols[0]
    st.altair_chart(chart, width="stretch")
    if not isinstance(cmp, pj.GrowthComparison):
        st.info("The overlap is shorter than half a year, too short to annualise honestly.")
    else:
        st.markdown(f"**{pj.growth_sentence(cmp, scope, label)}**")
        missing = sorted(set(symbols) - set(tidy["symbol"]))
        st.caption(
            f"Basket of {int(basket['members'].max())} member(s) with prices in the window; it "
            f"ends {ui.fmt_date(basket['date'].max())}, the last day all members have prices. "
            "Forecast line: median of each publication's path rebased to 100 in the start year."
            + (f" No prices on disk for: {', '.join(missing)}." if missing else "")
        )

# --------------------------------------------------------------------------- NdPr
st.subheader("NdPr oxide prices, forecasts and policy levels")
facts = ui.ndpr_price_facts()
st.altair_chart(ui.ndpr_panel(), width="stretch")
st.caption(
    "Red dashed line: the $110/kg NdPr floor in the July 2025 US DoD–MP agreement (a policy "
    "level, not a forecast). Green band: the $75–85/kg incentive price Benchmark says most "
    "ex-China projects need. Bars across a period are averages or forecasts for that period. "
    "Hollow points are unverified, derived, or converted by us from CNY/t at the day's CNY=X "
    "rate (Chinese domestic prices include VAT). Older CNY quotes have no rate on disk and are "
    "listed below only."
)
st.dataframe(
    pj.ndpr_table(facts),
    width="stretch",
    hide_index=True,
    column_config={
        "Source": st.column_config.LinkColumn("Source", display_text="open source"),
        "USD/kg (source)": st.column_config.NumberColumn(format="%.2f"),
    },
)
ui.download_csv(
    lambda: facts,
    label="Download NdPr price facts (CSV)",
    file_name=export_filename("ndpr_prices", "facts", None),
    key="dl_ndpr",
)
