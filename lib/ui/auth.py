"""Sign-in in the sidebar and the watchlist gate: the only Streamlit code of issue 12.

Self-contained on purpose (imports lib.auth only), so it can move into lib/ui/ unchanged.
Every failure ends in the signed-out view with a sentence, never an exception box: Streamlit
itself drops an expired or tampered identity cookie and a callback with a wrong state, and a
provider that is down is checked here before the browser is sent to it.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

import streamlit as st

from lib import auth
from lib.ui.st_internals import get_logger
from lib.ui.widgets import escape_markdown

_LOG = get_logger(__name__)

SINGLE_USER_TEXT = (
    "Single-user mode: watchlists on this server are shared by everyone who can open it."
)
SIGN_IN_TEXT = "Sign in to use watchlists. Prices, policy, event study and outlook stay open."
GATE_TEXT = "Sign in to see and change your watchlists."
RETRY_TEXT = "If a sign-in did not finish, you are still signed out: try again."
PROVIDER_DOWN_TEXT = (
    "The sign-in service is not reachable right now, so you are still signed out. "
    "Try again in a minute; the other pages work without signing in."
)
LOGIN_FAILED_TEXT = (
    "Sign-in could not start: the server's [auth] settings are incomplete or wrong. "
    "You are still signed out; the other pages work without signing in."
)
MISCONFIGURED_TEXT = (
    "Sign-in is not set up completely on this server, so watchlists are closed. The other "
    "pages work; the server log says what is missing from [auth]."
)
PROBE_TIMEOUT_S = 3.0

_FLASH_KEY = "_auth_flash"
_exposure_checked = False


class SignInRequired(PermissionError):
    """Raised instead of falling back to the shared owner when nobody is signed in."""


# --------------------------------------------------------------------------- reading state


def _secrets() -> Mapping[str, Any]:
    """st.secrets as a plain dict; a missing or broken secrets.toml reads as empty."""
    try:
        return st.secrets.to_dict()
    except Exception:
        return {}


def auth_on() -> bool:
    """An [auth] section exists: signed-in mode, even if it is incomplete (fails closed)."""
    return auth.auth_section(_secrets()) is not None


def auth_ready() -> bool:
    """[auth] has everything st.login needs."""
    return auth.auth_configured(_secrets())


def _user() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no session context or an unreadable cookie: signed out
        return {}


def identity() -> auth.Identity:
    return auth.resolve_identity(_user(), auth_on())


def watchlist_owner() -> str:
    """The owner key for watchlist reads and writes; never the shared owner by accident."""
    owner = identity().owner
    if owner is None:
        raise SignInRequired(GATE_TEXT)
    return owner


def _md(text: str) -> str:
    """Claims come from the identity provider: make them inert in markdown."""
    return escape_markdown(text)


# --------------------------------------------------------------------------- actions


def _metadata_reachable(url: str | None) -> bool:
    """GET the provider's discovery document; False on any error or non-JSON answer."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return True  # nothing to probe; st.login reports its own configuration errors
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as resp:
            return resp.status == 200 and isinstance(json.loads(resp.read(1_000_000)), dict)
    except Exception:
        return False


def _sign_in(provider: str | None, metadata_url: str | None) -> None:
    if not _metadata_reachable(metadata_url):
        _LOG.warning("Sign-in provider discovery document not reachable: %s", metadata_url)
        st.session_state[_FLASH_KEY] = PROVIDER_DOWN_TEXT
        return
    try:
        if provider is None:
            st.login()
        else:
            st.login(provider)
    except Exception:
        _LOG.warning("st.login failed", exc_info=True)
        st.session_state[_FLASH_KEY] = LOGIN_FAILED_TEXT


def _sign_out() -> None:
    try:
        st.logout()
    except Exception:
        _LOG.warning("st.logout failed", exc_info=True)
        st.session_state[_FLASH_KEY] = "Sign-out failed; close the browser to end the session."


def _sign_in_buttons(where: str) -> None:
    providers = auth.login_providers(_secrets())
    for i, p in enumerate(providers):
        st.button(
            p.label,
            key=f"auth_sign_in_{where}_{i}",
            icon=":material/login:",
            on_click=_sign_in,
            args=(p.name, p.metadata_url),
            type="primary" if where == "main" else "secondary",
        )


def _flash() -> None:
    msg = st.session_state.pop(_FLASH_KEY, None)
    if msg:
        st.warning(msg, icon=":material/warning:")


# --------------------------------------------------------------------------- start-up check


def check_exposure() -> str | None:
    """Log, once per server process, a warning for a reachable server without [auth].

    Runs on the first script run (Streamlit has no earlier hook for app code).
    """
    global _exposure_checked
    if _exposure_checked:
        return None
    _exposure_checked = True
    secrets = _secrets()
    # Streamlit's log format has no level name; say it, so the line stands out at start-up.
    if problem := auth.auth_problem(secrets):
        _LOG.warning(f"WARNING: {problem}")
    try:
        address = st.get_option("server.address")
    except Exception:
        address = None
    # An incomplete [auth] keeps watchlists closed (logged above), so it counts as sign-in here.
    message = auth.exposure_warning(address, auth.auth_section(secrets) is not None)
    if message:
        _LOG.warning(f"WARNING: {message}")
    return message


# --------------------------------------------------------------------------- widgets


def sidebar_account() -> bool:
    """The account block of the sidebar; True when watchlists may be used on this run."""
    check_exposure()
    ident, on = identity(), auth_on()
    with st.container(key="auth_account"):
        _flash()
        if ident.signed_in:
            st.caption(f":material/person: Signed in as {_md(ident.label)}")
            if ident.problem:
                st.warning(ident.problem, icon=":material/warning:")
            st.button("Sign out", key="auth_sign_out", icon=":material/logout:", on_click=_sign_out)
        elif on and not auth_ready():
            st.warning(MISCONFIGURED_TEXT, icon=":material/lock:")
        elif on:
            st.caption(f":material/lock: {SIGN_IN_TEXT}")
            _sign_in_buttons("sidebar")
        else:
            st.caption(f":material/group: {SINGLE_USER_TEXT}")
    if ident.owner is None:
        # Nothing from an earlier identity may preselect symbols on other pages.
        st.session_state["active_watchlist_id"] = None
        st.session_state["active_watchlist"] = None
        st.session_state["active_watchlist_symbols"] = []
        return False
    return True


def watchlists_gate() -> None:
    """Stop a watchlist page for visitors who must sign in first; returns only if allowed."""
    ident = identity()
    if ident.owner is not None:
        return
    if ident.problem:
        st.warning(ident.problem, icon=":material/warning:")
        st.stop()
    if not auth_ready():
        st.warning(MISCONFIGURED_TEXT, icon=":material/lock:")
        st.stop()
    st.info(f"{GATE_TEXT} {RETRY_TEXT}", icon=":material/lock:")
    _sign_in_buttons("main")
    st.stop()
