"""Sign-in in the sidebar and the watchlist gate: the Streamlit side of issues 12 and 25.

Once per script run (``current()``) this reads secrets.toml itself (Streamlit only logs a file
it cannot parse and then behaves as if there were none), checks ``[auth]``, resolves who the
visitor is, applies the allow-list and checks the server-side session row, so that a sign-out
ends the sign-in in every tab and for every copy of the cookie. Every failure ends closed:
watchlists unavailable with a sentence saying why, never the shared single-user lists and
never an exception box.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from lib import auth, auth_config, settings
from lib.auth_sessions import REFUSED_TEXT, SessionState, SessionStore, session_id
from lib.ui import data, st_internals
from lib.ui.widgets import escape_markdown

_LOG = st_internals.get_logger(__name__)

#: The address people reach the app on, when it differs from server.address (behind a proxy:
#: scripts/serve_team.py sets it to nginx's --host).
ENV_PUBLIC_ADDRESS = settings.ENV_PUBLIC_ADDRESS

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
    "Sign-in is misconfigured on this server, so watchlists are closed for everyone. "
    "The other pages work."
)
NO_IAT_TEXT = (
    "Your sign-in has no issue time (the identity token's iat claim), so it cannot be tied "
    "to a session that sign-out can end. Sign out and sign in again."
)
SESSION_CHECK_FAILED_TEXT = (
    "Your sign-in could not be checked against the session list (the watchlist database "
    "did not answer), so watchlists are closed for now. Reload the page in a minute."
)
PROBE_TIMEOUT_S = 3.0
#: How long a discovery-document check is trusted, by result (seconds).
_DISCOVERY_TTL = {"ok": 600.0, "invalid": 60.0, "unreachable": 30.0}

_FLASH_KEY = "_auth_flash"
_RUN_ATTR = "_rer_auth_run"
_exposure_checked = False
_logged: set[str] = set()
_discovery: dict[str, tuple[float, str, str | None]] = {}
_lock = threading.Lock()


class SignInRequired(PermissionError):
    """Raised instead of falling back to the shared owner when nobody may use watchlists."""


@dataclass(frozen=True)
class RunAuth:
    """Everything about sign-in for one script run, worked out once."""

    config: auth_config.AuthConfig
    identity: auth.Identity
    session: str | None = None


# --------------------------------------------------------------------------- reading state


def _secret_paths() -> list[str]:
    try:
        return [str(p) for p in st.get_option("secrets.files") or []]
    except Exception:
        return []


def _streamlit_secrets(files_found: bool) -> tuple[dict[str, Any], list[str]]:
    """st.secrets as a dict (AppTest injects its secrets there) and a problem if unreadable."""
    try:
        return st.secrets.to_dict(), []
    except Exception:
        if files_found:  # our parse succeeded, Streamlit's did not (e.g. a secrets folder)
            return {}, ["Streamlit could not load secrets.toml (see the log above)."]
        return {}, []  # no secrets.toml at all: the normal local case


def _log_once(message: str) -> None:
    with _lock:
        if message in _logged:
            return
        _logged.add(message)
    # Streamlit's log format has no level name; say it, so the line stands out.
    _LOG.warning(f"WARNING: {message}")


def _discovery_problem(url: str) -> str | None:
    """Fetch a provider's discovery document, cached per process; None unless it is wrong."""
    now = time.monotonic()
    with _lock:
        hit = _discovery.get(url)
    if hit and now - hit[0] < _DISCOVERY_TTL[hit[1]]:
        return hit[2]
    try:
        problem = auth_config.check_discovery_document(
            url, lambda u: auth_config.fetch_discovery(u, PROBE_TIMEOUT_S)
        )
        kind = "invalid" if problem else "ok"
    except auth_config.ProviderUnreachable as exc:
        # A provider that is down is not a wrong configuration: signed-in people keep working.
        _log_once(f"Sign-in provider not reachable at start-up check: {exc}")
        problem, kind = None, "unreachable"
    with _lock:
        _discovery[url] = (now, kind, problem)
    return problem


def load_config() -> auth_config.AuthConfig:
    """secrets.toml read and checked: files, [auth], the allow-list, each provider's document."""
    read = auth_config.read_secrets_files(_secret_paths())
    secrets, problems = _streamlit_secrets(bool(read.data))
    config = auth_config.check_auth_config(secrets, [*read.problems, *problems])
    if config.mode == "sign-in":
        found = [_discovery_problem(p.metadata_url) for p in config.providers if p.metadata_url]
        if bad := [p for p in found if p]:
            config = replace(config, mode="misconfigured", problems=tuple(bad), providers=())
    for problem in config.problems:
        _log_once(f"Sign-in is misconfigured, watchlists are closed: {problem}")
    return config


def _user() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no session context or an unreadable cookie: signed out
        return {}


def _sessions() -> SessionStore:
    return SessionStore(data.watchlist_store().engine)


def _resolve(config: auth_config.AuthConfig) -> RunAuth:
    user = _user()
    if config.mode == "misconfigured":
        signed_in = user.get("is_logged_in") is True
        label = auth.display_label(user) if signed_in else ""
        return RunAuth(config, auth.Identity(None, signed_in, label, MISCONFIGURED_TEXT))
    ident = auth.resolve_identity(user, config.sign_in)
    if config.mode != "sign-in" or ident.owner is None:
        return RunAuth(config, ident)
    if problem := auth_config.allow_list_problem(user, config):
        return RunAuth(config, replace(ident, owner=None, problem=problem))
    sid = session_id(user)
    if sid is None:
        return RunAuth(config, replace(ident, owner=None, problem=NO_IAT_TEXT))
    email = user.get("email") if user.get("email_verified") is True else None
    try:
        state = _sessions().admit(
            sid, ident.owner, email if isinstance(email, str) else None, user.get("iat")
        )
    except Exception:
        _LOG.warning("Sign-in session check failed", exc_info=True)
        return RunAuth(config, replace(ident, owner=None, problem=SESSION_CHECK_FAILED_TEXT))
    if state is not SessionState.ACTIVE:
        # Ended by a sign-out (any tab, any copy of the cookie) or too old: signed out here.
        return RunAuth(config, auth.Identity(None, False, ident.label, REFUSED_TEXT[state]), sid)
    return RunAuth(config, ident, sid)


def current() -> RunAuth:
    """This run's sign-in state, resolved on first use in each script run (fragments too).

    Kept on the session's run context, tagged with that run's marker: the next run (another
    tab's sign-out may have happened in between) resolves again, and every caller within one
    run (sidebar, active list, gate, page) shares one check and one database read.
    """
    scope = st_internals.run_scope()
    if scope is not None:
        holder, marker = scope
        kept = getattr(holder, _RUN_ATTR, None)
        if kept is not None and kept[0] is marker:
            return kept[1]
    run = _resolve(load_config())
    if scope is not None:
        setattr(holder, _RUN_ATTR, (marker, run))
    return run


def identity() -> auth.Identity:
    return current().identity


def watchlist_owner() -> str:
    """The owner key for watchlist reads and writes; never the shared owner by accident."""
    ident = identity()
    if ident.owner is None:
        raise SignInRequired(ident.problem or GATE_TEXT)
    return ident.owner


def check_write_access(owner: str) -> None:
    """Raise SignInRequired unless ``owner`` may still write right now.

    The hook for the watchlist store and pages: it re-reads the session row (not this run's
    kept answer), so a write that starts after a sign-out elsewhere is refused.
    """
    run = current()
    if run.identity.owner != owner:
        raise SignInRequired(run.identity.problem or GATE_TEXT)
    if run.session is None:  # single-user mode, or no [auth]: nothing to revoke
        return
    try:
        state = _sessions().admit(run.session, owner)
    except Exception:
        raise SignInRequired(SESSION_CHECK_FAILED_TEXT) from None
    if state is not SessionState.ACTIVE:
        raise SignInRequired(REFUSED_TEXT[state])


def _md(text: str) -> str:
    """Claims come from the identity provider: make them inert in markdown."""
    return escape_markdown(text)


# --------------------------------------------------------------------------- actions


def _metadata_reachable(url: str | None) -> bool:
    """GET the provider's discovery document; False on any error or a wrong document."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return True  # nothing to probe; st.login reports its own configuration errors
    try:
        return (
            auth_config.check_discovery_document(
                url, lambda u: auth_config.fetch_discovery(u, PROBE_TIMEOUT_S)
            )
            is None
        )
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


def _sign_out(sid: str | None) -> None:
    """End the sign-in on the server first (every tab and cookie copy), then in the browser."""
    if sid is not None:
        try:
            _sessions().revoke(sid)
        except Exception:
            # The browser still signs out; the copy of its cookie stays valid, so say so.
            _LOG.error("Sign-out could not revoke session %s", sid[:12], exc_info=True)
    scope = st_internals.run_scope()
    if scope is not None and hasattr(scope[0], _RUN_ATTR):
        delattr(scope[0], _RUN_ATTR)  # the rest of this run sees the sign-out too
    try:
        st.logout()
    except Exception:
        _LOG.warning("st.logout failed", exc_info=True)
        st.session_state[_FLASH_KEY] = "Sign-out failed; close the browser to end the session."


def _sign_in_buttons(where: str, config: auth_config.AuthConfig) -> None:
    for i, p in enumerate(config.providers):
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


def _misconfigured(config: auth_config.AuthConfig) -> None:
    """What is wrong, in the words of lib.auth_config (files, keys and lines, no values)."""
    st.error(MISCONFIGURED_TEXT, icon=":material/lock:")
    st.markdown("\n".join(f"- {_md(p)}" for p in config.problems))
    st.caption("An administrator fixes .streamlit/secrets.toml (docs/auth.md), then restarts.")


# --------------------------------------------------------------------------- start-up check


def check_exposure(config: auth_config.AuthConfig | None = None) -> str | None:
    """Log, once per server process, a warning for a reachable server without [auth].

    Runs on the first script run (Streamlit has no earlier hook for app code). Behind a proxy
    (``make serve-team``) the backends listen on loopback; RER_PUBLIC_ADDRESS names the
    address people actually reach.
    """
    global _exposure_checked
    if _exposure_checked:
        return None
    _exposure_checked = True
    config = config or current().config
    address = settings.current().public_address
    if not address:
        try:
            address = st.get_option("server.address")
        except Exception:
            address = None
    # A broken [auth] keeps watchlists closed (logged by load_config), so it counts here.
    message = auth.exposure_warning(address, config.sign_in)
    if message:
        _LOG.warning(f"WARNING: {message}")
    return message


# --------------------------------------------------------------------------- widgets


def sidebar_account() -> bool:
    """The account block of the sidebar; True when watchlists may be used on this run."""
    run = current()
    check_exposure(run.config)
    ident, config = run.identity, run.config
    with st.container(key="auth_account"):
        _flash()
        if config.mode == "misconfigured":
            st.warning(MISCONFIGURED_TEXT, icon=":material/lock:")
        elif ident.signed_in:
            st.caption(f":material/person: Signed in as {_md(ident.label)}")
            if ident.problem:
                st.warning(ident.problem, icon=":material/warning:")
            st.button(
                "Sign out",
                key="auth_sign_out",
                icon=":material/logout:",
                on_click=_sign_out,
                args=(run.session,),
            )
        elif config.sign_in:
            if ident.problem:
                st.warning(ident.problem, icon=":material/lock:")
            st.caption(f":material/lock: {SIGN_IN_TEXT}")
            _sign_in_buttons("sidebar", config)
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
    """Stop a watchlist page for visitors who may not use lists; returns only if allowed."""
    run = current()
    ident = run.identity
    if ident.owner is not None:
        return
    if run.config.mode == "misconfigured":
        _misconfigured(run.config)
        st.stop()
    if ident.signed_in and ident.problem:
        st.warning(ident.problem, icon=":material/warning:")
        st.stop()
    if ident.problem:  # a sign-in that was ended: say so above the usual prompt
        st.warning(ident.problem, icon=":material/lock:")
    st.info(f"{GATE_TEXT} {RETRY_TEXT}", icon=":material/lock:")
    _sign_in_buttons("main", run.config)
    st.stop()
