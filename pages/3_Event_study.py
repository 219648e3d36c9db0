"""Event study: abnormal returns of rare-earth equities around policy events."""

from __future__ import annotations

import streamlit as st

from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.ui import exports, frame, links, private_events, state, widgets
from lib.ui.views import event_study as view

frame.page_setup(
    "Event study",
    ":material/query_stats:",
    "Did a policy event move the stocks more than the market explains? Abnormal returns (AR) "
    "and their cumulative sum (CAR) around each event, per symbol.",
)

with st.expander("Method and conventions", icon=":material/info:"):
    st.markdown(
        "- **Event day (0)** is each symbol's first trading session that could react, on its "
        "own exchange's clock: an event is taken at midday in its jurisdiction's time zone "
        "(08:00 if *before the open*, 18:00 if *after the close*), so a Washington event is "
        "day 0 on the next Sydney or Shanghai session. Weekend and holiday events land on "
        "the next session.\n"
        "- **Data quality**: duplicated source rows and zero-volume halt days are left out of "
        "returns (listed under the results).\n"
        "- **Benchmark**: *Regional peers* measures Chinese, ASX, Hong Kong and Canadian "
        "listings against an equal-weighted basket of the other listings of their region "
        "(US listings keep SPY); the Summary shows the market model's R² per pair.\n"
        "- **Returns** are daily adjusted-close returns; the benchmark is read on the symbol's "
        "own sessions, so different holidays do not misalign them. Non-US listings have no "
        "local index in the data and are measured against the chosen (US-listed) benchmark.\n"
        "- **t-statistic** = CAR / (estimation residual std x sqrt(window length)); two-sided "
        "p-value from Student's t. Pairs without enough data are listed with the reason, "
        "never dropped. SPAC-era prices (before listing) are not used."
    )

mine = private_events.key()  # the signed-in user's own events join the picker (ids M<n>)
universe_symbols = view.universe_symbols()
BY = {"Events": "event", "Category": "category", "Jurisdiction": "jurisdiction"}

BIND = state.BIND
c1, c2 = st.columns([2, 5], vertical_alignment="bottom")
if links.first_run("es_by"):
    links.show(links.choice_link_notes(state.link_values("es_by"), BY, "choose-by", uses="first"))
by_label = c1.segmented_control("Choose by", list(BY), default="Events", key="es_by", bind=BIND)
by = BY[by_label or "Events"]
if by == "event":
    labels = view.event_labels(mine)
    if links.first_run("es_events"):
        own_note = view.own_event_link_note(state.link_values("es_events"), labels, mine[0])
        if own_note:
            st.info(own_note, icon=":material/lock:")
    # Not bound: the link carries event ids (?es_events=E065), see lib.ui.links.
    links.seed_id_link("es_events", labels, label="event", multi=True, default=view.DEFAULT_EVENTS)
    values = c2.multiselect("Events", list(labels), format_func=labels.get, key="es_events")
    links.sync_id_link("es_events", values, labels, default=view.DEFAULT_EVENTS)
elif by == "category":
    links.check_values("es_cats", "category", CATEGORIES)
    values = c2.multiselect(
        "Categories", CATEGORIES, default=["export control"], key="es_cats", bind=BIND
    )
else:
    links.check_values("es_jur", "jurisdiction", JURISDICTIONS)
    values = c2.multiselect(
        "Jurisdictions", JURISDICTIONS, default=["China"], key="es_jur", bind=BIND
    )
if links.first_run("es_inexact"):
    notes = links.choice_link_notes(
        links.given("es_inexact"), links.is_link_boolean, "include-inexact choice"
    )
    links.show(notes)
inexact = st.checkbox(
    "Include events whose date is month-only or approximate, or that are unverified",
    key="es_inexact",
    bind=BIND,
)
chosen, excluded = view.select_events(by, values, inexact, mine)
if left_out := view.left_out_caption(excluded):
    st.caption(left_out)
if scheduled := view.scheduled_caption(chosen):
    st.info(scheduled, icon=":material/event_upcoming:")

links.check_values("es_syms", "symbol", universe_symbols)
state.seed_symbols(
    st.session_state, "es_syms", ["MP", "600111.SS"], set(universe_symbols),
    preferred=[s for s in state.link_values("es_syms") if s in set(universe_symbols)],
    limit=view.MAX_SYMBOLS,
)  # fmt: skip
if left_out := state.left_out_message(st.session_state, "es_syms"):
    st.info(left_out, icon=":material/info:")
s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
picked = s1.multiselect(
    "Symbols", universe_symbols, key="es_syms", bind=BIND, max_selections=view.MAX_SYMBOLS,
    help=f"Up to {view.MAX_SYMBOLS} symbols; baskets add their members on top.",
)  # fmt: skip
links.check_values("es_baskets", "basket", ["West", "China"])
baskets = s2.pills(
    "Add baskets", ["West", "China"], selection_mode="multi", key="es_baskets", bind=BIND
)
symbols = view.resolve_symbols(picked, baskets or [])

w1, w2, w3, w4 = st.columns(4)
for key, (lo, hi), name in view.WINDOW_LINKS:
    if links.first_run(key):
        links.show(links.range_link_notes(state.link_values(key), lo, hi, name))
win = w1.slider("Event window (sessions)", -30, 30, (-5, 10), key="es_win", bind=BIND)
est = w2.slider("Estimation window (sessions)", -500, -2, (-250, -30), key="es_est", bind=BIND)
# Not bound: the link carries the model's id (?es_model=mean_adjusted), see lib.ui.links.
links.seed_id_link("es_model", view.MODELS, label="model", default=view.DEFAULT_MODEL)
model = w3.selectbox("Model", list(view.MODELS), format_func=view.MODELS.get, key="es_model")
links.sync_id_link("es_model", model, view.MODELS, default=view.DEFAULT_MODEL)
bench_opts = view.benchmark_options()
if links.first_run("es_bench"):
    links.show(links.choice_link_notes(links.given("es_bench"), bench_opts, "benchmark"))
benchmark = w4.selectbox(
    "Benchmark", bench_opts, index=bench_opts.index("SPY") if "SPY" in bench_opts else 0,
    key="es_bench", disabled=model == "mean_adjusted", bind=BIND,
)  # fmt: skip

if chosen.empty or not symbols:
    st.info("Choose at least one event and one symbol.")
    st.stop()
try:
    study = view.study_key(chosen["id"], symbols, benchmark, model, win, est, mine)
    ar, summary, notes = view.event_study(study)
except view.EventStudyError as exc:
    st.error(widgets.escape_markdown(exc))
    st.stop()

n_ok, n_pairs = view.pairs_ok(summary)
st.markdown(f"**{n_ok} of {n_pairs}** event x symbol pairs have enough data.")
if n_ok < n_pairs:
    names = ", ".join(widgets.escape_markdown(s) for s in view.short_symbols(summary))
    st.warning(
        f"{n_pairs - n_ok} pair(s) have insufficient data and get no CAR ({names}); "
        "the Summary tab says why for each one.",
        icon=":material/data_alert:",
    )
for note in notes:
    st.caption(f":material/info: {widgets.escape_markdown(note)}")

shown, exported = view.summary_tables(summary)
# Only the open tab runs and draws (on_change="rerun"): opening the page draws one chart.
state.keep("es_group")
t2, t1, t3, t4 = st.tabs(
    ["CAR per event", "Average CAR", "Summary", "Daily ARs"], key="es_tabs", on_change="rerun"
)
if t1.open:
    with t1:
        group = st.radio("Average", ["All pairs", "Per symbol"], horizontal=True, key="es_group")
        kind = "per_symbol" if group == "Per symbol" else "average"
        if view.show_study_chart(study, kind, "es_avg_img"):
            st.caption(
                "Band: 95% confidence interval of the mean CAR across pairs (needs 2+ pairs)."
            )
if t2.open:
    with t2:
        view.show_study_chart(study, "paths", "es_car_img")
if t3.open:
    with t3:
        st.dataframe(
            view.summary_display(shown),
            width="stretch",
            hide_index=True,
            column_config=view.summary_labels(win),
        )
        widgets.download_csv(
            lambda: exported, label="Download summary (CSV)", file_name="event_study_summary.csv",
            key="es_dl_summary",
        )  # fmt: skip
if t4.open:
    with t4:
        st.dataframe(
            view.ar_display(ar), width="stretch", hide_index=True, column_config=view.AR_LABELS
        )
        widgets.download_csv(
            lambda: ar, label="Download abnormal returns (CSV)", file_name="event_study_ar.csv",
            key="es_dl_ar",
        )  # fmt: skip
exports.download_xlsx(
    lambda: [("Summary", exported), ("Abnormal returns", ar)],
    view.study_sources(model, benchmark, study),
    file_name="event_study.xlsx",
    key="es_xlsx",
)
