"""Prices: compare rare-earth equities over any range, rebased, in price or % change."""

from __future__ import annotations

import streamlit as st

from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.returns import RANGES
from lib.ui import data, exports, frame, phone, state, vega, widgets
from lib.ui.views import prices as view
from lib.ui.views import prices_summary, risk

frame.page_setup(
    "Prices",
    ":material/show_chart:",
    "Daily closes of the rare-earth universe. Each series is rebased at its own first day "
    "in range, so late listings and exchange holidays never truncate the others.",
)

MODES = view.MODES
state.init_price_state(view.custom_link_window())
labels = data.symbol_labels()
if left_out := state.left_out_message(st.session_state, "px_symbols"):
    st.info(left_out, icon=":material/info:")
phone.chart_first("px_chart_box", "px_symbols")

picked = st.multiselect(
    "Symbols (pick from the universe or type any Yahoo symbol)",
    options=view.symbol_options(st.session_state.get("px_symbols", [])),
    format_func=lambda s: labels.get(s, s),
    key="px_symbols",
    accept_new_options=True,
    select_all=False,
    max_selections=view.MAX_COMPARE,
    placeholder="MP, LYC.AX, 600111.SS…",
)
c1, c2, c3 = st.columns([5, 3, 2], vertical_alignment="bottom")
range_key = c1.segmented_control("Range", [*RANGES, "Custom"], key="px_range") or "1Y"
mode = c2.segmented_control("Show", MODES, key="px_mode") or MODES[0]
currency_mode = c3.segmented_control("Currency", ["Local", "USD"], key="px_ccy") or "Local"
c4, c5 = st.columns([1, 4], vertical_alignment="bottom")
log_scale = c4.toggle("Log scale", key="px_log", disabled=mode == "% change")
benchmarks = c5.pills("Benchmarks", view.BENCHMARKS, selection_mode="multi", key="px_bench")

picked_dates = None
if range_key == "Custom":
    picked_dates = st.date_input("Custom range", key="px_custom", value=view.default_custom_range())
# Runs only when opened; its choices apply (and are kept) while it is closed.
state.keep(*state.MORE_OPTION_KEYS)
if (
    more := widgets.lazy_expander("More options", key="px_more", icon=":material/tune:")
) is not None:
    with more:
        st.toggle(
            "Show pre-listing SPAC history (MP before 2020-11-18, USAR before 2025-03-14)",
            key="px_spac",
        )
        if st.toggle("Overlay policy events", key="px_events"):
            e1, e2 = st.columns(2)
            e1.multiselect("Event categories", CATEGORIES, key="px_ev_cat", placeholder="All")
            e2.multiselect("Jurisdictions", JURISDICTIONS, key="px_ev_jur", placeholder="All")
show_spac, events = state.more_options()
if more is None and (on := state.more_options_on()):
    st.caption(f":material/tune: On under More options: {on}.")

range_key, custom, range_note = view.resolve_range(range_key, picked_dates)
if range_note:
    st.info(range_note, icon=":material/date_range:")
symbols, problems = view.parse_symbols(picked)
for problem in problems:
    st.warning(widgets.escape_markdown(problem), icon=":material/error:")
state.sync_price_query_params()

if not symbols:
    st.info("Pick at least one symbol to chart.", icon=":material/info:")
    st.stop()

wanted = list(dict.fromkeys([*symbols, *(benchmarks or [])]))
ccy = "USD" if currency_mode == "USD" else "local"
frame.resolve_unknown_symbols(wanted)
align = st.session_state.get("px_align")  # None until the user sets it: aligned by default
choice = view.choice(wanted, ccy, show_spac, range_key, custom, mode, align)
shown, notes, summary = view.price_view_for(choice)
for sym in view.missing_symbols(wanted, shown.tidy):
    sym_md = widgets.escape_markdown(sym)
    st.warning(f"**{sym_md}**: {view.NO_OFFLINE_DATA}.", icon=":material/cloud_off:")
for sym, note in notes.items():
    sym_md, note_md = widgets.escape_markdown(sym), widgets.escape_markdown(note)
    st.info(f"**{sym_md}**: {note_md}", icon=":material/currency_exchange:")
if shown.values.empty:
    st.warning("No prices in this range for the chosen symbols. Try a longer range.")
    st.stop()

y_title = None
if mode == "Price":
    y_title = "Price (USD)" if ccy == "USD" else "Price (each listing's own currency)"
    if ccy == "local" and view.mixed_currencies(wanted):
        st.caption(
            ":material/warning: Mixed currencies: levels are not comparable. "
            "Switch **Currency** to USD, or use Rebased / % change."
        )
if shown.end_spread > 0:
    st.toggle(
        "Align to the common end date",
        value=shown.aligned,
        key="px_align",
        help="On by default when the symbols' data ends differ by more than five sessions.",
    )
    st.caption(f":material/event_busy: {view.end_dates_note_for(choice)}")
chart = view.price_chart_for(choice, log_scale, benchmarks or (), y_title, events)
with st.container(key="px_chart_box"):  # first on a phone (lib.ui.phone)
    vega.show(chart, key="px_chart")
    st.caption(
        f"{widgets.fmt_date(shown.start) if shown.start else 'First data'} → "
        f"{widgets.fmt_date(shown.end)} · "
        "hover for values, click a legend entry to highlight, drag in the lower strip to zoom."
    )
    exports.chart_images(
        chart,
        exports.ImageMeta(
            f"Rare-earth equities: {mode}", exports.PRICE_SOURCE, shown.as_of, y_title or mode
        ),
        kind="prices",
        key="px_img",
    )

st.subheader("Summary")
prices_summary.summary_widget(view.summary_table_for(choice), ccy)
d1, d2 = st.columns(2)
with d1:
    widgets.download_csv(
        lambda: view.export_for(shown, currency_mode),
        label="Download CSV (full resolution)",
        file_name=view.export_filename("prices", range_key, shown.as_of),
        key="px_download",
    )
with d2:
    exports.download_xlsx(
        lambda: [
            ("Prices", view.export_for(shown, currency_mode)),
            ("Summary", prices_summary.export_summary(summary)),
        ],
        [
            exports.TableSource("Prices", exports.PRICE_SOURCE, shown.as_of, currency_mode),
            exports.TableSource("Summary", exports.PRICE_SOURCE, shown.as_of, currency_mode),
        ],
        file_name=exports.xlsx_filename("prices", range_key, shown.as_of),
        key="px_xlsx",
    )

if (risk_box := risk.section()) is not None:
    with risk_box:
        risk.render(symbols, benchmarks or [], ccy, show_spac, range_key, custom, range_key)
