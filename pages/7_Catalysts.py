"""Catalysts: what comes next — policy deadlines, project milestones and earnings dates."""

from __future__ import annotations

import streamlit as st

from lib.catalysts.model import HORIZON_LABELS, KINDS
from lib.datafiles import JURISDICTIONS
from lib.ui import data, exports, frame, links, state, vega, widgets
from lib.ui.views import catalysts as view

frame.page_setup(
    "Catalysts",
    ":material/event_upcoming:",
    "Dated things to watch: policy deadlines (the status says when the outcome is not in our "
    "sources), project "
    "milestones at the precision their source gives (a bar spans a month, quarter or year; no "
    "day is invented) and earnings dates. Filter, then export the view as CSV, Excel or a "
    "calendar file.",
)

today = view.today()
BIND = state.BIND
universe = data.universe()
symbol_options = sorted(universe["symbol"])
# Not bound: the link keeps the horizon's id (?cat_h=past90), see lib.ui.links.
links.seed_id_link("cat_h", HORIZON_LABELS, label="horizon", default=view.DEFAULT_HORIZON)
state.check_link("cat_kind", "kind", KINDS)
state.check_link("cat_jur", "jurisdiction", JURISDICTIONS)
state.check_link("cat_sym", "symbol", symbol_options)

c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
horizon = c1.selectbox("Horizon", list(HORIZON_LABELS), format_func=HORIZON_LABELS.get, key="cat_h")
links.sync_id_link("cat_h", horizon, HORIZON_LABELS, default=view.DEFAULT_HORIZON)
kinds = c2.multiselect("Kind", KINDS, key="cat_kind", placeholder="All", bind=BIND)
jurs = c3.multiselect("Jurisdiction", JURISDICTIONS, key="cat_jur", placeholder="All", bind=BIND)
syms = c4.multiselect("Symbols", symbol_options, key="cat_sym", placeholder="All", bind=BIND)
active = st.session_state.get("active_watchlist_symbols") or []
use_list = st.toggle(
    "Only my active watchlist" + (f" ({len(active)} symbols)" if active else ""),
    key="cat_wl",
    disabled=not active,
    help="Pick an active watchlist in the sidebar to filter by it.",
)
wanted = tuple(dict.fromkeys([*syms, *(active if use_list else [])]))

owner = view.my_owner()
mine = view.my_events(owner)
table, spec = view.selected(
    horizon or view.DEFAULT_HORIZON, tuple(kinds), tuple(jurs), wanted, today, mine=mine
)
lo, hi = view.window(horizon or view.DEFAULT_HORIZON, today)
st.caption(
    f"{len(table)} catalyst(s) between {widgets.fmt_date(lo)} and {widgets.fmt_date(hi)} "
    f"(today is {widgets.fmt_date(today)})."
)
if "earnings" in (kinds or KINDS) and not view.has_offline_earnings():
    st.caption("No offline earnings dates; Yahoo's calendar adds them when online.")

if table.empty:
    if use_list:
        st.info("None of your active watchlist's symbols has a catalyst in this horizon.")
    else:
        st.info(
            "No catalysts in this horizon with these filters. Widen the horizon or clear a filter."
        )
else:
    vega.show(spec, key="cat_chart", alt_text="Timeline of catalysts; all are listed below.")
    st.dataframe(
        view.display_table(table),
        hide_index=True,
        width="stretch",
        column_config={
            "Source": st.column_config.LinkColumn("Source", display_text="source"),
            "Prices": st.column_config.LinkColumn("Prices", display_text="prices"),
            "Supply": st.column_config.LinkColumn("Supply", display_text="supply"),
        },
    )
    row = st.container(horizontal=True, gap="small")
    with row:
        widgets.download_csv(
            lambda: view.export_frame(table),
            label="Download CSV",
            file_name=f"catalysts_{horizon}_{today.isoformat()}.csv",
            key="cat_csv",
        )
        exports.download_xlsx(
            lambda: {"Catalysts": view.export_frame(table)},
            [exports.TableSource("Catalysts", view.SOURCE_NOTE, today)],
            file_name=f"catalysts_{horizon}_{today.isoformat()}.xlsx",
            key="cat_xlsx",
        )
        st.download_button(
            "Calendar (.ics)",
            data=lambda: view.ics_bytes(table),
            file_name=f"catalysts_{horizon}_{today.isoformat()}.ics",
            mime="text/calendar",
            key="cat_ics",
            icon=":material/calendar_add_on:",
            on_click="ignore",
            help="All-day entries; a month, quarter or year is written in the title.",
        )

with st.expander("Earnings dates from Yahoo", icon=":material/sync:"):
    st.caption(
        "Asks Yahoo for the next earnings date of the symbols above (or of the universe). "
        "A failed answer keeps the last good dates."
    )
    if st.button("Update earnings dates", key="cat_earn"):
        result = view.refresh_earnings(wanted or tuple(symbol_options), today)
        st.info(result.summary())

with st.expander("My events", icon=":material/edit_calendar:"):
    if owner is None:
        st.caption("Sign in to keep your own dated events; they are visible only to you.")
    else:
        st.caption(
            "Your own dated notes, visible only to you: they join this calendar and its "
            "calendar file. A month or year precision spans that period."
        )
        labels = view.event_labels(mine)
        pick = st.selectbox(
            "Event",
            [None, *labels],
            format_func=lambda i: "New event" if i is None else labels[i],
            key="cat_my_pick",
        )
        row = view.event_row(mine, pick)
        with st.form("cat_my_form", clear_on_submit=pick is None, border=False):
            f1, f2 = st.columns([1, 1])
            day = f1.date_input(
                "Date",
                value=row["date"].date() if row is not None else today,
                min_value=view.FIRST_DAY,
                max_value=view.LAST_DAY,
                key="cat_my_date",
            )
            prec = f2.selectbox(
                "Known to the",
                ["day", "month", "year"],
                index=["day", "month", "year"].index(row["precision"]) if row is not None else 0,
                key="cat_my_prec",
            )
            title = st.text_input(
                "Title",
                value=row["title"] if row is not None else "",
                max_chars=200,
                key="cat_my_title",
            )
            note = st.text_area(
                "Note",
                value=row["note"] if row is not None else "",
                max_chars=2000,
                key="cat_my_note",
            )
            g1, g2 = st.columns([1, 1])
            syms_text = g1.text_input(
                "Symbols (space-separated)",
                value=row["symbols"] if row is not None else "",
                key="cat_my_syms",
            )
            url = g2.text_input(
                "Source URL (https, optional)",
                value=row["source_url"] if row is not None else "",
                key="cat_my_url",
            )
            saved = st.form_submit_button(
                "Save event" if pick is None else "Save changes", key="cat_my_save"
            )
        if saved:
            problem = view.save_event(
                owner,
                pick,
                int(row["revision"]) if row is not None else 0,
                day=day,
                precision=prec,
                title=title,
                note=note,
                symbols=syms_text,
                source_url=url,
            )
            if problem:
                st.warning(widgets.escape_markdown(problem))
            else:
                st.rerun()
        io1, io2 = st.columns(2)
        io1.download_button(
            "Export my events (CSV)",
            data=lambda: view.export_my_events(mine),
            file_name="my_events.csv",
            mime="text/csv",
            key="cat_my_export",
            icon=":material/download:",
            on_click="ignore",
        )
        upload = io2.file_uploader(
            "Import events (CSV from this export)",
            type=["csv"],
            key=f"cat_my_import_{st.session_state.get('_cat_import_n', 0)}",
        )
        if upload is not None and io2.button("Import", key="cat_my_import_go"):
            added, problem = view.import_my_events(owner, upload.getvalue())
            st.session_state["_cat_import_n"] = st.session_state.get("_cat_import_n", 0) + 1
            if problem:
                st.warning(widgets.escape_markdown(problem))
            else:
                st.success(f"Imported {added} event(s).")
                st.rerun()
        if pick is not None and st.button("Delete this event", key="cat_my_delete"):
            problem = view.delete_event(owner, pick, int(row["revision"]))
            if problem:
                st.warning(widgets.escape_markdown(problem))
            else:
                st.session_state.pop("cat_my_pick", None)
                st.rerun()
