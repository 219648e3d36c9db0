"""Policy timeline: browse dated rare-earth policy events, their sources and price reactions."""

from __future__ import annotations

import streamlit as st

from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.ui import data, exports, frame, links, private_events, state, vega, widgets
from lib.ui.views import policy as view

frame.page_setup(
    "Policy timeline",
    ":material/timeline:",
    "Export controls, funding, tariffs and alliances from 2010 on, one lane per jurisdiction. "
    "Filled markers are exact days; hollow markers on a shaded span are known only to the month "
    "or approximately; a dashed outline means unverified; a cross with a dotted outline is a "
    "scheduled deadline whose outcome may not be in our sources.",
)

events = data.policy_events()
lo, hi = events["date"].min().date(), events["date"].max().date()

BIND = state.BIND
links.check_values("pt_jur", "jurisdiction", JURISDICTIONS)
links.check_values("pt_cat", "category", CATEGORIES)
links.check_values("pt_sym", "symbol", view.event_symbols(events))
if links.first_run("pt_dates"):
    links.show(links.date_range_link_notes(state.link_values("pt_dates"), lo, hi, "date"))
if links.first_run("pt_text"):
    links.show(links.text_link_notes(links.given("pt_text"), view.MAX_SEARCH, "search"))
c1, c2, c3 = st.columns(3)
places = c1.multiselect("Jurisdiction", JURISDICTIONS, key="pt_jur", placeholder="All", bind=BIND)
cats = c2.multiselect("Category", CATEGORIES, key="pt_cat", placeholder="All", bind=BIND)
syms = c3.multiselect(
    "Affected symbol", view.event_symbols(events), key="pt_sym", placeholder="All", bind=BIND
)
c4, c5 = st.columns([2, 3])
span = c4.date_input(
    "Date range", value=(lo, hi), min_value=lo, max_value=hi, key="pt_dates", bind=BIND
)
text = c5.text_input(
    "Search",
    key="pt_text",
    placeholder="e.g. magnets, MOFCOM, price floor",
    bind=BIND,
    max_chars=view.MAX_SEARCH,
)
start, end, span_note = view.date_span(span, lo, hi)
if span_note:
    st.info(span_note, icon=":material/date_range:")

tv = view.timeline_view(
    tuple(places), tuple(cats), start, end, tuple(syms), text or "", private_events.key()
)
shown = tv.shown
st.caption(f"{len(shown)} of {len(events)} events match.")
if shown.empty:
    st.info("No events match these filters. Widen the date range or clear a filter.")
    st.stop()

picked = vega.show(
    tv.chart,
    on_select="rerun",
    key="timeline",
    selection_mode=[view.PICK],
    alt_text="Timeline of policy events by jurisdiction; the events are listed in the table below.",
)
exports.chart_images(
    tv.chart,
    exports.ImageMeta("Rare-earth policy timeline", view.POLICY_SOURCE, hi),
    kind="policy_timeline",
    key="pt_img",
    height=480,
)
clicked = view.selected_event_id((picked or {}).get("selection"))
labels = view.event_option_label(shown)
# Not bound: the link carries the event id (?pt_event=E065), see lib.ui.links.
links.seed_id_link("pt_event", labels, label="event")
if clicked in labels and clicked != st.session_state.get("_pt_last_click"):
    st.session_state["pt_event"] = clicked
st.session_state["_pt_last_click"] = clicked
if st.session_state.get("pt_event") not in labels:
    st.session_state.pop("pt_event", None)
event_id = st.selectbox(
    "Event (or click a marker)", list(labels), format_func=labels.get, key="pt_event", index=None,
    placeholder="Choose an event",
)  # fmt: skip
links.sync_id_link("pt_event", event_id, labels)

if event_id:
    e = view.get_event(events, event_id)
    view.event_details(e)
    st.markdown("**Sources**")
    for i, url in enumerate(e.source_urls):
        if view.is_link(url):
            st.link_button(
                view.source_label(url), url, key=f"pt_src_{i}", icon=":material/open_in_new:"
            )
        else:
            st.text(url)

    have = sorted(data.available_symbols())
    peers = st.multiselect(
        "Peers to compare",
        have,
        default=[s for s in ("SPY", "REMX") if s in have],
        key="pt_peers",
    )
    w1, w2 = st.columns(2)
    before = w1.slider("Sessions before", 1, 60, 10, key="pt_before")
    after = w2.slider("Sessions after", 1, 120, 20, key="pt_after")
    reaction, missing = view.reaction_spec(
        e.date, tuple(e.symbols), tuple(peers), before, after, e.exact and not e.scheduled
    )
    if reaction is None:
        st.info("No price data around this event for the affected symbols or the chosen peers.")
    else:
        vega.show(reaction, alt_text=f"Line chart: prices around the event of {e.date_label}.")
        exports.chart_images(
            reaction,
            exports.ImageMeta(
                f"Prices around: {e.title}", exports.PRICE_SOURCE, None,
                f"Event {e.date_label}; rebased to 100 at the session before",
            ),
            kind=f"event_reaction_{event_id}",
            key="pt_reaction_img",
        )  # fmt: skip
        if missing:
            names = ", ".join(widgets.escape_markdown(s) for s in missing)
            st.caption(f"No offline prices around this date for: {names}")

st.subheader("Events")
table = tv.table
st.dataframe(
    tv.display,
    width="stretch",
    hide_index=True,
    column_config=view.events_column_config(),
)
d1, d2 = st.columns(2)
with d1:
    widgets.download_csv(
        lambda: table,
        label="Download events (CSV)",
        file_name=f"policy_events_{start.isoformat()}_{end.isoformat()}.csv",
        key="pt_download",
    )
with d2:
    exports.download_xlsx(
        lambda: [("Policy events", table)],
        [exports.TableSource("Policy events", view.POLICY_SOURCE, hi, "", "per row")],
        file_name=f"policy_events_{start.isoformat()}_{end.isoformat()}.xlsx",
        key="pt_xlsx",
    )
