"""Watchlists: saved lists of symbols with their performance, import, export and a share link."""

from __future__ import annotations

import streamlit as st

from lib.ui import alerts as alerts_ui
from lib.ui import auth, exports, frame, private_events, widgets
from lib.ui.views import watchlists as wl

frame.page_setup(
    "Watchlists",
    ":material/bookmarks:",
    "Named lists of symbols that survive restarts. The active list in the sidebar preselects "
    "symbols on the Prices and Event study pages.",
)
auth.watchlists_gate()  # issue 12: signed-out visitors get a sign-in prompt, then stop


def show_error(exc: Exception) -> None:
    st.error(widgets.escape_markdown(str(exc)), icon=":material/error:")


try:
    store, owner = wl.open_store()
    lists = store.lists(owner)
except Exception:
    st.error(
        "The watchlist database could not be opened. Check RER_DATABASE_URL or "
        "[connections.watchlists] in secrets.toml, then reload the page.",
        icon=":material/database:",
    )
    st.stop()

signed_in = owner != wl.LOCAL_OWNER
st.caption(
    (":material/person: Lists belong to your signed-in account." if signed_in else "")
    + (" " if signed_in else "")
    + f"Stored in {widgets.escape_markdown(wl.storage_text())}."
)
wl.show_flash()

with st.expander("New watchlist", icon=":material/add:", expanded=not lists):
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    new_name = c1.text_input("Name", key="wl_new_name", max_chars=wl.MAX_NAME_LEN)
    if c2.button("Create", key="wl_create", icon=":material/add:"):
        try:
            new_id = store.create(owner, new_name)
        except wl.WatchlistError as exc:
            show_error(exc)
        else:
            wl.flash("success", "Watchlist created.")
            wl.go_to(new_id)

if not lists:
    st.info("You have no watchlists yet. Create one above.")
    st.stop()

current = wl.pick_list(lists)
try:
    wlist = store.get(owner, current)
except wl.WatchlistNotFoundError as exc:
    show_error(exc)
    st.stop()
# Every write below names this list and the revision the user saw: if another tab changed
# the list since, the store refuses the write and the page reloads (issue 25).
rev = wl.seen_revision(wlist)

known = wl.known_symbols()
name_of = wl.name_map()
# The tabs track their state (a tab switch is a rerun): untracked tabs are the browser's alone,
# and a rerun that re-mounts them (a message above them appearing or going) sent the reader
# back to Performance between typing symbols and clicking Add.
t_perf, t_edit, t_manage, t_io = st.tabs(
    ["Performance", "Symbols", "Manage", "Import / export"], key="wl_tabs", on_change="rerun"
)

with t_perf:
    if not wlist.items:
        st.info("This watchlist is empty. Add symbols on the Symbols tab.")
    else:
        perf = wl.performance(wlist, known)
        wl.performance_table_widget(perf)
        st.caption(
            "Last is the quoted close in the listing currency. Returns use adjusted closes; "
            "1M and 1Y start at the last close on or before the same day a month or year "
            "earlier, YTD at the previous year's last close. Market cap = sourced share count "
            "× last traded close, converted to USD; '–' says why where it is unknown."
        )
        p1, p2 = st.columns(2)
        with p1:
            widgets.download_csv(
                lambda: wl.performance_export(perf),
                label="Download performance (CSV)",
                file_name=wl.export_name(f"{wlist.name}-performance", wl.today()),
                key="wl_perf_csv",
            )
        with p2:
            exports.download_xlsx(
                lambda: [
                    ("Performance", wl.performance_export(perf)),
                    ("Symbols", wl.items_frame(wlist, name_of)),
                ],
                wl.export_sources(wl.today()),
                file_name=wl.export_name(f"{wlist.name}-performance", wl.today()).removesuffix(
                    ".csv"
                )
                + ".xlsx",
                key="wl_perf_xlsx",
            )
        wl.refresh_share_counts(wlist.symbols)
        link = wl.share_link(wlist.symbols)
        # Symbols are validated ([A-Z0-9.=^-]) and URL-encoded, so the link is inert text.
        st.markdown(f":material/show_chart: [Open these symbols on the Prices page]({link})")
        st.caption("Shareable link (anyone with access to this app can open it):")
        st.code(link, language=None)
        if len(wlist.symbols) > wl.MAX_SHARE:
            st.caption(f"The link carries the first {wl.MAX_SHARE} symbols.")

with t_edit:
    c1, c2, c3 = st.columns([3, 3, 1], vertical_alignment="bottom")
    to_add = c1.text_input("Add symbols", key="wl_add_text", placeholder="MP, LYC.AX, 600111.SS")
    add_note = c2.text_input("Note (optional)", key="wl_add_note", max_chars=wl.MAX_NOTE_LEN)
    if c3.button("Add", key="wl_add", icon=":material/add:") and (
        res := wl.run_write(
            lambda: store.add_symbols(
                owner,
                wlist.id,
                [wl.NewItem(i.symbol, add_note) for i in wl.parse_pasted(to_add)],
                price_lookup=wl.watchlist_price_lookup,
                expected_revision=rev,
            )
        )
    ):
        # Symbols only (validated); show_flash escapes the text, so nothing autolinks.
        text = f"Added {len(res.added)} symbol(s)."
        if res.already_there:
            text += " Already in the list: " + ", ".join(res.already_there) + "."
        unknown = [s for s in res.added if s not in known]
        if unknown:
            text += f" {', '.join(unknown)}: {wl.UNKNOWN_SYMBOL_NOTE}."
        wl.reload("success" if not unknown else "warning", text)

    if wlist.items:
        st.dataframe(
            wl.items_display(wl.items_frame(wlist, name_of)),
            column_config=wl.ITEM_LABELS,
            hide_index=True,
            width="stretch",
        )
        sym = st.selectbox("Symbol", wlist.symbols, key=f"wl_sym_{wlist.id}")
        b1, b2, b3, _ = st.columns([1, 1, 1, 3])
        for col, label, offset, icon in (
            (b1, "Move up", -1, ":material/arrow_upward:"),
            (b2, "Move down", +1, ":material/arrow_downward:"),
        ):
            if col.button(label, key=f"wl_{'up' if offset < 0 else 'down'}", icon=icon):
                moved = wl.run_write(
                    lambda o=offset: store.move_symbol(
                        owner, wlist.id, sym, o, expected_revision=rev
                    )
                )
                if moved is not None:
                    st.rerun()
        if b3.button("Remove", key="wl_remove", icon=":material/delete:"):
            removed = wl.run_write(
                lambda: store.remove_symbol(owner, wlist.id, sym, expected_revision=rev)
            )
            if removed is not None:
                wl.reload("success", f"Removed {sym}.")
        item = next(i for i in wlist.items if i.symbol == sym)
        n1, n2 = st.columns([5, 1], vertical_alignment="bottom")
        note = n1.text_input(
            "Note", value=item.note, key=f"wl_note_{wlist.id}_{sym}", max_chars=wl.MAX_NOTE_LEN
        )
        if (
            n2.button("Save note", key="wl_save_note")
            and wl.run_write(
                lambda: store.set_note(owner, wlist.id, sym, note, expected_revision=rev)
            )
            is not None
        ):
            wl.reload("success", "Note saved.")

with t_manage:
    st.text(f"Watchlist: {wlist.name}")
    r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
    renamed = r1.text_input("New name", key="wl_rename_text", max_chars=wl.MAX_NAME_LEN)
    if (
        r2.button("Rename", key="wl_rename")
        and wl.run_write(lambda: store.rename(owner, wlist.id, renamed, expected_revision=rev))
        is not None
    ):
        wl.reload("success", "Watchlist renamed.")
    d1, d2, _ = st.columns([1, 1, 3])
    if d1.button("Duplicate", key="wl_duplicate", icon=":material/content_copy:") and (
        copy_id := wl.run_write(lambda: store.duplicate(owner, wlist.id, expected_revision=rev))
    ):
        wl.flash("success", "Watchlist duplicated.")
        wl.go_to(copy_id)
    if d2.button("Delete…", key="wl_delete", icon=":material/delete_forever:"):
        st.session_state["_wl_confirm_delete"] = wlist.id
    if st.session_state.get("_wl_confirm_delete") == wlist.id:
        st.warning(
            f"Delete this watchlist and its {len(wlist.items)} symbol(s)? This cannot be undone.",
            icon=":material/warning:",
        )
        y, n, _ = st.columns([1, 1, 3])
        if y.button("Yes, delete", key="wl_delete_yes", type="primary"):
            st.session_state.pop("_wl_confirm_delete", None)
            deleted = wl.run_write(lambda: store.delete(owner, wlist.id, expected_revision=rev))
            if deleted is not None:
                wl.flash("success", "Watchlist deleted.")
                wl.go_to(None)
        if n.button("Cancel", key="wl_delete_no"):
            st.session_state.pop("_wl_confirm_delete", None)
            st.rerun()

with t_io:
    st.markdown("**Import** a CSV with a `symbol` column and an optional `note` column.")
    upload = st.file_uploader(
        f"CSV file (up to {wl.MAX_IMPORT_BYTES // 1024} KiB)",
        type=["csv"],
        key=wl.upload_key(),  # a fresh uploader after each import: nothing stale re-imports
        max_upload_size=1,  # MB, the smallest Streamlit allows; the app's own check is 256 KiB
    )
    if upload is not None:
        st.caption(
            f"Ready to import {widgets.escape_markdown(upload.name)} "
            f"({upload.size / 1024:,.1f} KiB)."
        )
    target = st.radio("Import into", ["This watchlist", "A new watchlist"], key="wl_import_target")
    import_name = ""
    if target == "A new watchlist":
        import_name = st.text_input(
            "Name of the new watchlist", key="wl_import_name", max_chars=wl.MAX_NAME_LEN
        )
    if st.button("Import file", key="wl_import", disabled=upload is None):
        wl.reset_upload()
        try:
            rows = wl.parse_import_csv(upload.getvalue() if upload else b"")
            if target == "A new watchlist":
                new_id = store.create(
                    owner, import_name, rows, price_lookup=wl.watchlist_price_lookup
                )
                wl.flash("success", f"Imported {len(rows)} symbol(s) into a new watchlist.")
                wl.go_to(new_id)
            res = store.add_symbols(
                owner,
                wlist.id,
                rows,
                price_lookup=wl.watchlist_price_lookup,
                expected_revision=rev,
            )
        except (wl.StaleWatchlistError, wl.WatchlistNotFoundError) as exc:
            wl.reload("warning", "Nothing was imported. " + str(exc))
        except wl.WatchlistError as exc:
            wl.reload("error", "Nothing was imported. " + str(exc))
        wl.reload("success", f"Imported {len(res.added)} new symbol(s).")

    pasted = st.text_area("Or paste symbols", key="wl_paste", placeholder="MP, LYC.AX, 600111.SS")
    if st.button("Add pasted symbols", key="wl_paste_add"):
        try:
            res = store.add_symbols(
                owner,
                wlist.id,
                wl.parse_pasted(pasted),
                price_lookup=wl.watchlist_price_lookup,
                expected_revision=rev,
            )
        except (wl.StaleWatchlistError, wl.WatchlistNotFoundError) as exc:
            wl.reload("warning", "Nothing was added. " + str(exc))
        except wl.WatchlistError as exc:
            st.error(
                "Nothing was added. " + widgets.escape_markdown(str(exc)), icon=":material/error:"
            )
        else:
            wl.reload("success", f"Added {len(res.added)} new symbol(s).")

    st.markdown("**Export** this watchlist (re-importable: symbol and note come first).")
    widgets.download_csv(
        lambda: wl.export_frame(wlist, name_of),
        label="Download watchlist (CSV)",
        file_name=wl.export_name(wlist.name, wl.today()),
        key="wl_export_csv",
    )
    st.markdown(
        "**My events**: your own dated events (on Catalysts, the Policy timeline, Prices and "
        "the Event study; only you see them), as a second CSV with its own import."
    )
    private_events.transfer_section(owner, key="wl_my")

with st.expander("Alerts on this list", icon=":material/notifications:", key="wl_alerts_open"):
    alerts_ui.rules_section(owner, wlist.id)

st.subheader("Alerts inbox")
alerts_ui.inbox_section(owner)
