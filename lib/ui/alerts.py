"""Alerts in the app: a list's rules (Watchlists page), the inbox, and the sidebar badge.

Rules and messages are owner-scoped in lib.alerts.store; every write re-checks the sign-in
session (lib.ui.auth.check_write_access) and carries the revision the user saw. Untrusted text
(list names, event titles) is shown only in dataframes or through the inert-text helper.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

from lib.alerts import rules as R
from lib.alerts.store import AlertStore, StoredRule
from lib.datafiles import CATEGORIES
from lib.ui import alert_email, auth, data, widgets
from lib.watchlists.validate import WatchlistError

WATCHLISTS_PAGE = "pages/5_Watchlists.py"
_FLASH = "_al_flash"
#: The revision a write expects when the previous run showed another rule (always refused).
NO_REVISION = -1


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
    except (WatchlistError, auth.SignInRequired) as exc:  # rule, stale, gone, address, list
        st.warning(widgets.escape_markdown(str(exc)), icon=":material/warning:")
        return False
    return True


def flash(kind: str, text: str) -> NoReturn:
    """Rerun, and show ``text`` in the alerts section of the next run (escaped there)."""
    st.session_state[_FLASH] = (kind, text)
    st.rerun()


def show_flash() -> None:
    if msg := st.session_state.pop(_FLASH, None):
        getattr(st, msg[0])(widgets.escape_markdown(msg[1]))


def _params_form(
    kind: str, key: str, initial: Mapping[str, Any] | None = None
) -> dict[str, object]:
    """The inputs of one rule kind (prefilled from ``initial``), as the store's parameters."""
    was = dict(initial or {})
    c1, c2, c3 = st.columns(3)
    directions = {"either": "Either way", "up": "Up", "down": "Down"}
    if kind in ("daily_move", "move_n"):
        out: dict[str, object] = {
            "pct": c1.number_input(
                "At least (%)", 0.1, 10000.0, float(was.get("pct", 5.0)), 0.5, key=f"{key}_pct"
            ),
            "direction": c2.selectbox(
                "Direction",
                list(directions),
                index=list(directions).index(was.get("direction", "either")),
                format_func=directions.get,
                key=f"{key}_dir",
            ),
        }
        if kind == "move_n":
            out["sessions"] = c3.number_input(
                "Over sessions", 2, 260, int(was.get("sessions", 5)), key=f"{key}_n"
            )
        return out
    if kind == "level_cross":
        sides = {"either": "Either way", "up": "Crossing up", "down": "Crossing down"}
        return {
            "level": c1.number_input(
                "Level (listing currency)",
                0.000001,
                1e9,
                float(was.get("level", 10.0)),
                key=f"{key}_level",
            ),
            "direction": c2.selectbox(
                "Direction",
                list(sides),
                index=list(sides).index(was.get("direction", "either")),
                format_func=sides.get,
                key=f"{key}_dir",
            ),
        }
    if kind == "policy_event":
        return {
            "categories": c1.multiselect(
                "Event kinds",
                CATEGORIES,
                default=[c for c in was.get("categories", []) if c in CATEGORIES],
                placeholder="Any",
                key=f"{key}_cats",
            )
        }
    if kind == "catalyst_due":
        return {
            "days": c1.number_input(
                "Within days", 1, 365, int(was.get("days", 14)), key=f"{key}_days"
            )
        }
    return {
        "sessions": c1.number_input(
            "Sessions without a close", 1, 60, int(was.get("sessions", 3)), key=f"{key}_n"
        )
    }


def _channels(key: str, initial: tuple[str, ...] = ()) -> list[str]:
    return st.multiselect(
        "Also send by",
        ["email", "webhook"],
        default=[c for c in initial if c != "inbox"],
        key=key,
        placeholder="Inbox only",
    )


def rules_section(owner: str, watchlist_id: int) -> None:
    """The selected list's alert rules: what each means, add, edit or delete one; the address
    email alerts go to."""
    st.session_state["_alerts_owner"] = owner
    show_flash()
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
    channels = _channels(f"al_ch_{watchlist_id}")
    if st.button("Add alert", key=f"al_add_{watchlist_id}", icon=":material/add_alert:") and _write(
        lambda: store().add_rule(owner, watchlist_id, kind, params, ["inbox", *channels])
    ):
        flash("success", "Alert added.")
    if rules:
        _edit_rule(owner, watchlist_id, rules)
    alert_email.section(owner)


def _edit_rule(owner: str, watchlist_id: int, rules: list[StoredRule]) -> None:
    """Change or delete one rule. A write carries the revision the previous run showed, so an
    edit from a tab that still shows an older version is refused (the form then reloads)."""
    st.divider()
    labels = {r.id: f"{R.KINDS[r.kind][0]}: {r.description}" for r in rules}
    pick = st.selectbox(
        "Alert to change or delete",
        list(labels),
        format_func=labels.get,
        key=f"al_pick_{watchlist_id}",
    )
    rule = next(r for r in rules if r.id == pick)
    seen_key = f"_al_seen_{watchlist_id}"
    seen = st.session_state.get(seen_key)
    st.session_state[seen_key] = (rule.id, rule.revision)
    expected = int(seen[1]) if isinstance(seen, tuple) and seen[0] == rule.id else NO_REVISION
    key = f"al_e{rule.id}_r{rule.revision}"  # fresh inputs whenever the stored rule changes
    params = _params_form(rule.kind, key, rule.params)
    channels = _channels(f"{key}_ch", rule.channels)
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button("Save changes", key=f"al_save_{watchlist_id}", icon=":material/save:") and _write(
        lambda: store().update_rule(owner, rule.id, expected, params, ["inbox", *channels])
    ):
        flash("success", "Alert saved.")
    if b2.button("Delete alert", key=f"al_del_{watchlist_id}", icon=":material/delete:") and _write(
        lambda: store().delete_rule(owner, rule.id, expected)
    ):
        flash("success", "Alert deleted.")


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
