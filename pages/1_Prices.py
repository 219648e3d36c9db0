"""Prices: compare rare-earth equities over any range, rebased, in price or % change."""

from __future__ import annotations

import streamlit as st

from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.ui import data, exports, frame, phone, state, vega, widgets
from lib.ui import prices_link as px
from lib.ui import prices_state as ps
from lib.ui.views import prices as view
from lib.ui.views import prices_summary, risk

frame.page_setup(
    "Prices",
    ":material/show_chart:",
    "Daily closes of the rare-earth universe. Each series is rebased at its own first day "
    "in range, so late listings and exchange holidays never truncate the others.",
)

BIND = state.BIND  # every control below is in the URL (the widget key is the parameter)
ps.open_link(view.custom_link_window())
labels = data.symbol_labels()
if left_out := state.left_out_message(st.session_state, px.SYMBOLS):
    st.info(left_out, icon=":material/info:")
phone.chart_first("px_chart_box", px.SYMBOLS)

picked = st.multiselect(
    "Symbols (pick from the universe or type any Yahoo symbol)",
    options=view.symbol_options(st.session_state.get(px.SYMBOLS, [])),
    format_func=lambda s: labels.get(s, s),
    key=px.SYMBOLS,
    accept_new_options=True,
    select_all=False,
    max_selections=view.MAX_COMPARE,
    placeholder="MP, LYC.AX, 600111.SS…",
    bind=BIND,
)
c1, c2, c3 = st.columns([5, 3, 2], vertical_alignment="bottom")
range_key = (
    c1.segmented_control(
        "Range", px.RANGE_CHOICES, default=px.DEFAULT_RANGE, key=px.RANGE, bind=BIND
    )
    or px.DEFAULT_RANGE
)
mode = (
    c2.segmented_control("Show", px.MODES, default=px.DEFAULT_MODE, key=px.MODE, bind=BIND)
    or px.DEFAULT_MODE
)
currency_mode = (
    c3.segmented_control("Currency", px.CURRENCIES, default=px.DEFAULT_CCY, key=px.CCY, bind=BIND)
    or px.DEFAULT_CCY
)
c4, c5 = st.columns([1, 4], vertical_alignment="bottom")
log_scale = c4.toggle("Log scale", key=px.LOG, disabled=mode == "% change", bind=BIND)
benchmarks = c5.pills(
    "Benchmarks", view.BENCHMARKS, selection_mode="multi", key=px.BENCH, bind=BIND
)

picked_dates = None
if range_key == "Custom":
    picked_dates = st.date_input(
        "Custom range", value=view.default_custom_range(), key=px.CUSTOM, bind=BIND
    )
# Its body runs when it is open, or when a choice in it is on (so the URL keeps the choice).
more = st.expander(
    "More options", key=px.MORE, icon=":material/tune:", on_change="rerun", bind=BIND
)
if more.open or ps.more_options_on():
    with more:
        st.toggle(
            "Show pre-listing SPAC history (MP before 2020-11-18, USAR before 2025-03-14)",
            key=px.SPAC,
            bind=BIND,
        )
        if st.toggle("Overlay policy events", key=px.EVENTS, bind=BIND):
            e1, e2 = st.columns(2)
            e1.multiselect(
                "Event categories", CATEGORIES, key=px.EV_CAT, placeholder="All", bind=BIND
            )
            e2.multiselect(
                "Jurisdictions", JURISDICTIONS, key=px.EV_JUR, placeholder="All", bind=BIND
            )
show_spac, events = ps.more_options()
if not more.open and (on := ps.more_options_on()):
    st.caption(f":material/tune: On under More options: {on}.")

range_key, custom, range_note = view.resolve_range(range_key, picked_dates)
if range_note:
    st.info(range_note, icon=":material/date_range:")
symbols, problems = view.parse_symbols(picked)
for problem in problems:
    st.warning(widgets.escape_markdown(problem), icon=":material/error:")

if not symbols:
    st.info("Pick at least one symbol to chart.", icon=":material/info:")
    st.stop()

wanted = list(dict.fromkeys([*symbols, *(benchmarks or [])]))
ccy = "USD" if currency_mode == "USD" else "local"
frame.resolve_unknown_symbols(wanted)
align = st.session_state.get("px_align")  # None until the user sets it: aligned by default
choice = view.choice(wanted, ccy, show_spac, range_key, custom, mode, align)
shown, notes, summary = view.price_view_for(choice)
no_data, out_of_range = view.range_gaps_for(choice)
for sym in no_data:
    sym_md = widgets.escape_markdown(sym)
    st.warning(f"**{sym_md}**: {view.NO_OFFLINE_DATA}.", icon=":material/cloud_off:")
for gap in out_of_range:
    st.info(
        f"**{widgets.escape_markdown(gap.symbol)}**: {view.NO_PRICES_IN_RANGE} (its prices run "
        f"{widgets.fmt_date(gap.first)} to {widgets.fmt_date(gap.last)}).",
        icon=":material/date_range:",
    )
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
        persist_state="session",  # not in the URL (its default follows the data); kept
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
for note in view.data_notes_for(choice):  # data-quality caveats of the series shown
    st.caption(f":material/report: {widgets.escape_markdown(note)}")
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
