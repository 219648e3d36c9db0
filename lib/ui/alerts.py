"""Alerts in the app: a list's rules (Watchlists page), the inbox, and the sidebar badge.

Rules and messages are owner-scoped in lib.alerts.store; every write re-checks the sign-in
session (lib.ui.auth.check_write_access) and carries the revision the user saw. Untrusted text
(list names, event titles) is shown only in dataframes or through the inert-text helper.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.alerts import rules as R
from lib.alerts.store import AlertStore
from lib.datafiles import CATEGORIES
from lib.ui import auth, data, widgets

WATCHLISTS_PAGE = "pages/5_Watchlists.py"


def store() -> AlertStore:
    return _store(data.watchlist_url())


@st.cache_resource(show_spinner=False)
def _store(url: str) -> AlertStore:
    return AlertStore(data.watchlist_store().engine)


def badge(owner: str) -> None:
    """A sidebar link to the inbox with the unread count (nothing when all is read)."""
    try:
        n = store().unread(owner)
    except Exception:  # a database hiccup must not take the sidebar down
        return
    if n:
        st.page_link(
            WATCHLISTS_PAGE,
            label=f"Alerts inbox · {n} unread",
            icon=":material/notifications_active:",
        )


def _write(action) -> bool:  # type: ignore[no-untyped-def]
    """Run a write; show its refusal as a warning. True when it went through."""
    try:
        auth.check_write_access(st.session_state.get("_alerts_owner", ""))
        action()
    except (R.AlertRuleError, auth.SignInRequired) as exc:
        st.warning(widgets.escape_markdown(str(exc)), icon=":material/warning:")
        return False
    return True


def _params_form(kind: str, key: str) -> dict[str, object]:
    """The inputs of one rule kind, returned as the parameters the store validates."""
    c1, c2, c3 = st.columns(3)
    directions = {"either": "Either way", "up": "Up", "down": "Down"}
    if kind in ("daily_move", "move_n"):
        out: dict[str, object] = {
            "pct": c1.number_input("At least (%)", 0.1, 10000.0, 5.0, 0.5, key=f"{key}_pct"),
            "direction": c2.selectbox(
                "Direction", list(directions), format_func=directions.get, key=f"{key}_dir"
            ),
        }
        if kind == "move_n":
            out["sessions"] = c3.number_input("Over sessions", 2, 260, 5, key=f"{key}_n")
        return out
    if kind == "level_cross":
        sides = {"either": "Either way", "up": "Crossing up", "down": "Crossing down"}
        return {
            "level": c1.number_input(
                "Level (listing currency)", 0.000001, 1e9, 10.0, key=f"{key}_level"
            ),
            "direction": c2.selectbox(
                "Direction", list(sides), format_func=sides.get, key=f"{key}_dir"
            ),
        }
    if kind == "policy_event":
        return {
            "categories": c1.multiselect(
                "Event kinds", CATEGORIES, placeholder="Any", key=f"{key}_cats"
            )
        }
    if kind == "catalyst_due":
        return {"days": c1.number_input("Within days", 1, 365, 14, key=f"{key}_days")}
    return {"sessions": c1.number_input("Sessions without a close", 1, 60, 3, key=f"{key}_n")}


def rules_section(owner: str, watchlist_id: int) -> None:
    """The selected list's alert rules: what each means, add one, delete one."""
    st.session_state["_alerts_owner"] = owner
    rules = store().rules(owner, watchlist_id)
    if rules:
        st.dataframe(
            pd.DataFrame(
                {
                    "Alert": [r.description for r in rules],
                    "Kind": [R.KINDS[r.kind][0] for r in rules],
                    "Channels": [", ".join(r.channels) for r in rules],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No alerts on this list yet.")
    st.caption(
        f"At most {R.MAX_RULES_PER_LIST} alerts per list and {R.MAX_RULES_PER_OWNER} in all. "
        "`scripts/alerts.py run` (and `make refresh`) evaluates them; new ones land in the "
        "inbox below, and by email or webhook where the server has them configured."
    )
    kind = st.selectbox(
        "New alert",
        list(R.KINDS),
        format_func=lambda k: f"{R.KINDS[k][0]}: {R.KINDS[k][1]}",
        key=f"al_kind_{watchlist_id}",
    )
    params = _params_form(kind, f"al_{watchlist_id}")
    channels = st.multiselect(
        "Also send by", ["email", "webhook"], key=f"al_ch_{watchlist_id}", placeholder="Inbox only"
    )
    if st.button("Add alert", key=f"al_add_{watchlist_id}", icon=":material/add_alert:") and _write(
        lambda: store().add_rule(owner, watchlist_id, kind, params, ["inbox", *channels])
    ):
        st.rerun()
    if rules:
        labels = {r.id: r.description for r in rules}
        pick = st.selectbox(
            "Alert to delete",
            list(labels),
            format_func=labels.get,
            key=f"al_del_pick_{watchlist_id}",
        )
        rev = next(r.revision for r in rules if r.id == pick)
        if st.button("Delete alert", key=f"al_del_{watchlist_id}") and _write(
            lambda: store().delete_rule(owner, pick, rev)
        ):
            st.rerun()


def inbox_section(owner: str) -> None:
    """Messages newest first, unread marked; delivery problems (parked webhooks) shown."""
    st.session_state["_alerts_owner"] = owner
    messages = store().inbox(owner)
    if not messages:
        st.caption("No alerts have fired yet.")
        return
    for m in messages:
        icon = ":material/mark_email_unread:" if not m.read else ":material/drafts:"
        with st.container(border=True):
            st.markdown(
                f"{icon} **{widgets.escape_markdown(m.subject)}** · "
                f"{m.created_at:%Y-%m-%d %H:%M} UTC"
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "List": [str(i.get("watchlist", "")) for i in m.items],
                        "What": [str(i.get("text", "")) for i in m.items],
                        "Title": [str(i.get("title", "")) for i in m.items],
                        "View": [str(i.get("link", "")) for i in m.items],
                        "Source": [str(i.get("source_url", "")) or None for i in m.items],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "View": st.column_config.LinkColumn("View", display_text="open"),
                    "Source": st.column_config.LinkColumn("Source", display_text="source"),
                },
            )
            for p in m.problems:
                st.warning(widgets.escape_markdown(p), icon=":material/error:")
            label = "Mark as read" if not m.read else "Mark as unread"
            if st.button(label, key=f"al_read_{m.message_id}") and _write(
                lambda m=m: store().mark_read(owner, m.message_id, read=not m.read)
            ):
                st.rerun()
