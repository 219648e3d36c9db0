"""Where email alerts go (Watchlists page, in the alerts section): the address in use, and a
typed address confirmed by a one-time code mailed through the server's ``[alerts.smtp]``.

The server's single-user address and a verified sign-in address win (lib.alerts.addresses);
the form appears only when neither exists. Addresses are shown through the inert-text helper,
so a typed address never becomes a link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn

import streamlit as st

from lib.alerts import config as alert_config
from lib.alerts.addresses import CODE_TTL, AddressBook
from lib.alerts.deliver import send_confirmation
from lib.ui import auth, data, widgets
from lib.watchlists.validate import WatchlistError

_FLASH = "_al_addr_flash"
_GEN = "_al_addr_gen"


def settings() -> alert_config.AlertsConfig | str:
    """``[alerts]`` from secrets.toml (AppTest injects its secrets there), or why it is unusable."""
    try:
        secrets = st.secrets.to_dict()
    except Exception:  # no secrets.toml at all is the normal local case
        secrets = {}
    try:
        return alert_config.parse(secrets)
    except alert_config.AlertConfigError as exc:
        return str(exc)


def book() -> AddressBook:
    return AddressBook(data.watchlist_store().engine)


def _say(kind: str, text: str) -> NoReturn:
    st.session_state[_FLASH] = (kind, text)
    st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1  # empty inputs after a write
    st.rerun()


def _refused(exc: Exception) -> None:
    st.warning(widgets.escape_markdown(str(exc)), icon=":material/warning:")


def section(owner: str) -> None:
    st.divider()
    st.markdown("**Email for alerts** (all your lists)")
    if msg := st.session_state.pop(_FLASH, None):
        getattr(st, msg[0])(widgets.escape_markdown(msg[1]))
    cfg = settings()
    if isinstance(cfg, str):
        st.warning(
            "Email alerts are off: " + widgets.escape_markdown(cfg), icon=":material/warning:"
        )
        return
    if cfg.smtp is None:
        st.caption(
            "This server sends no email (no `[alerts.smtp]` in its secrets.toml): alerts stay "
            "in the inbox."
        )
        return
    addresses = book()
    current = addresses.delivery_address(owner, cfg.email)
    if current is not None and current.source != "typed":
        why = {
            "config": "the address this server's configuration names",
            "sign-in": "the verified address you signed in with",
        }[current.source]
        st.caption(f"Email alerts go to {widgets.escape_markdown(current.address)}, {why}.")
        return
    status = addresses.status(owner)
    gen = st.session_state.get(_GEN, 0)
    if status.email:
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.caption(
            f"Email alerts go to {widgets.escape_markdown(status.email)} (confirmed by code)."
        )
        if c2.button("Remove", key="al_addr_remove", icon=":material/delete:"):
            _write(
                owner, lambda: addresses.remove(owner), "Address removed: alerts stay in the inbox."
            )
    else:
        st.caption(
            "No confirmed address yet: alerts that ask for email wait in the inbox. Type an "
            "address and confirm it with the code we send to it."
        )
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    typed = c1.text_input(
        "Change the address to" if status.email else "Email address",
        key=f"al_addr_{gen}",
        placeholder="name@example.com",
    )
    if c2.button("Send code", key="al_addr_send", icon=":material/send:"):
        smtp = cfg.smtp
        minutes = int(CODE_TTL.total_seconds() // 60)
        _write(
            owner,
            lambda: addresses.request_code(
                owner,
                typed,
                lambda to, code: send_confirmation(smtp, to, code, minutes, datetime.now(UTC)),
            ),
            f"A code was sent to that address. Enter it below within {minutes} minutes.",
        )
    if status.pending and status.expires_at:
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        code = c1.text_input(
            f"Code sent to {widgets.escape_markdown(status.pending)} "
            f"(valid until {status.expires_at:%H:%M} UTC)",
            key=f"al_code_{gen}",
            max_chars=16,
        )
        if c2.button("Confirm", key="al_code_ok", icon=":material/check:"):
            _write(
                owner,
                lambda: addresses.confirm(owner, code),
                "Address confirmed: email alerts go there now.",
            )


def _write(owner: str, action, done: str) -> None:  # type: ignore[no-untyped-def]
    """Run one address write after the sign-in check; a refusal is a warning, success reruns."""
    try:
        auth.check_write_access(owner)
        action()
    except (WatchlistError, auth.SignInRequired) as exc:
        _refused(exc)
        return
    _say("success", done)
