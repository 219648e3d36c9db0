"""AppTest: the sidebar account block and the watchlist gate, signed in, signed out, no [auth]."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import auth
from lib import watchlists as wl
from lib.auth_config import DISCOVERY_FIELDS
from lib.auth_sessions import REFUSED_TEXT, SessionState, SessionStore, session_id
from lib.ui import auth as ui_auth
from lib.ui.widgets import LINK_BREAK
from lib.watchlists import WatchlistStore
from lib.watchlists.db import owners_t, watchlists_t
from tests.pg_server import fresh_database, pg_cluster

ROOT = Path(__file__).resolve().parents[1]
ISS = "https://id.example.com"
ALICE = {
    "is_logged_in": True,
    "iss": ISS,
    "sub": "alice-sub",
    "name": "Alice",
    "email": "alice@example.com",
    "email_verified": True,
    # Signed in now: a token older than the cookie's 30 days never opens a session row.
    "iat": int(time.time()),
    "nonce": "alice-nonce-1",
}
ALICE_KEY = f"oidc:{ISS}|alice-sub"
COOKIE_SECRET = "apptest-" + "k" * 32  # 40 bytes, not a published example


def closed_port() -> int:
    """A loopback port with nothing listening (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth_secrets(metadata_url: str | None = None, **extra: Any) -> dict[str, Any]:
    """A complete [auth]; the provider's address is a closed port (down) unless given."""
    return {
        **extra,
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": COOKIE_SECRET,
        "client_id": "app",
        "client_secret": "app-secret",
        "server_metadata_url": metadata_url
        or f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration",
    }


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app's watchlist database: the per-test SQLite file, or a fresh PostgreSQL one."""
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_admin_url")
        monkeypatch.setenv(wl.ENV_DATABASE_URL, fresh_database(admin, f"u_{uuid.uuid4().hex[:12]}"))
    return str(request.param)


@pytest.fixture
def store() -> Iterator[WatchlistStore]:
    """The same database the app opens."""
    s = WatchlistStore.open(wl.resolve_database_url())
    yield s
    s.dispose()


def run(
    page: str | None = None,
    user: dict[str, Any] | None = None,
    auth: bool | dict[str, Any] = True,
    **state: Any,
) -> AppTest:
    """app.py (then ``page``) with [auth] (True, or the table itself) or without, as ``user``;
    no exception allowed."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if auth:
        at.secrets["auth"] = auth_secrets() if auth is True else auth
    if user is not None:
        at.user = user
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """What the person reads: markdown with our escapes (backslashes, link breaks) removed."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts)).replace(LINK_BREAK, "")


def sidebar_buttons(at: AppTest) -> list[str]:
    """Labels of the account block's buttons (not e.g. the freshness block's Refresh now)."""
    return [b.label for b in at.sidebar.button if str(b.key).startswith("auth_")]


def test_no_auth_says_single_user_mode_and_keeps_the_shared_lists(store: WatchlistStore) -> None:
    at = run("pages/5_Watchlists.py", auth=False)
    assert ui_auth.SINGLE_USER_TEXT in texts(at)
    assert sidebar_buttons(at) == []  # no Sign in / Sign out without [auth]
    assert at.selectbox(key="wl_current").options  # the shared starter lists
    assert store.lists(wl.LOCAL_OWNER)


def test_signed_out_visitor_gets_a_sign_in_gate_and_nothing_is_written(
    backend: str, store: WatchlistStore
) -> None:
    assert store.backend == backend
    at = run("pages/5_Watchlists.py", user={"is_logged_in": False})
    assert "Sign in" in sidebar_buttons(at)
    assert ui_auth.GATE_TEXT in texts(at)
    assert ui_auth.SINGLE_USER_TEXT not in texts(at)
    # None of the write widgets exist, and no owner was seeded or given lists.
    keys = {w.key for w in at.button} | {w.key for w in at.text_input}
    assert not keys & {"wl_create", "wl_new_name", "wl_add", "wl_rename", "wl_delete"}
    assert not [s for s in at.sidebar.selectbox if s.key == "_wl_active_pick"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(watchlists_t)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(owners_t)).scalar() == 0


def test_signed_out_crafted_session_cannot_reach_any_list(store: WatchlistStore) -> None:
    lid = store.create(ALICE_KEY, "Alice secret", ["MP"])
    at = run(
        "pages/5_Watchlists.py",
        user={"is_logged_in": False},
        wl_current=lid,
        active_watchlist_id=lid,
        _wl_active_pick=lid,
    )
    assert "Alice secret" not in texts(at)
    assert at.session_state["active_watchlist_symbols"] == []
    assert at.session_state["active_watchlist_id"] is None


def test_read_only_pages_stay_open_when_signed_out() -> None:
    for page in ("pages/1_Prices.py", "pages/2_Policy_timeline.py"):
        at = run(page, user={"is_logged_in": False})
        assert ui_auth.GATE_TEXT not in texts(at)
        assert "Sign in" in sidebar_buttons(at)
    at = run(None, user={"is_logged_in": False})  # home
    assert at.title


def test_signed_in_user_sees_name_sign_out_and_own_lists(
    backend: str, store: WatchlistStore
) -> None:
    assert store.backend == backend
    store.create(ALICE_KEY, "Alice picks", ["MP"])
    store.create(wl.LOCAL_OWNER, "Shared before sign-in", ["MP"])
    at = run("pages/5_Watchlists.py", user=ALICE)
    assert "Signed in as Alice" in texts(at)
    assert ALICE_KEY not in texts(at) and "alice-sub" not in texts(at)
    assert sidebar_buttons(at) == ["Sign out"]
    names = [o.rsplit(" (", 1)[0] for o in at.selectbox(key="wl_current").options]
    assert "Alice picks" in names and "Shared before sign-in" not in names
    at.text_input(key="wl_new_name").input("Made by Alice")
    at.button(key="wl_create").click().run()
    assert not at.exception
    assert store.find(ALICE_KEY, "Made by Alice") is not None
    assert store.find(wl.LOCAL_OWNER, "Made by Alice") is None


def test_claims_are_shown_as_text() -> None:
    at = run(None, user={**ALICE, "name": "**Eve** [x](javascript:alert(1)) <b>"})
    cap = next(c.value for c in at.sidebar.caption if "Signed in as" in c.value)
    assert "**Eve**" not in cap and "](javascript" not in cap and "<b>" not in cap


def test_sign_in_without_subject_is_refused_with_a_message(store: WatchlistStore) -> None:
    at = run("pages/5_Watchlists.py", user={"is_logged_in": True, "email": "a@example.com"})
    assert "account id" in texts(at)
    assert sidebar_buttons(at) == ["Sign out"]
    assert store.lists("a@example.com") == [] and store.lists(wl.LOCAL_OWNER) == []


def test_provider_down_keeps_you_signed_out_with_a_message() -> None:
    at = run("pages/5_Watchlists.py", user={"is_logged_in": False})
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception
    assert ui_auth.PROVIDER_DOWN_TEXT in texts(at)
    assert ui_auth.GATE_TEXT in texts(at)


def test_incomplete_auth_section_fails_closed_and_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(ui_auth, "_exposure_checked", False)
    monkeypatch.setattr(ui_auth, "_logged", set())
    monkeypatch.setattr(ui_auth._LOG, "warning", lambda msg, *a, **k: seen.append(str(msg)))
    at = run("pages/5_Watchlists.py", auth={"redirect_uri": "http://127.0.0.1:8501/oauth2callback"})
    # A typo in [auth] must not silently share everyone's lists: watchlists stay closed.
    assert ui_auth.SINGLE_USER_TEXT not in texts(at)
    assert ui_auth.MISCONFIGURED_TEXT in texts(at)
    assert "has no cookie_secret" in texts(at)  # the page says what is wrong
    assert not [b for b in at.button if b.key == "wl_create"]
    assert sidebar_buttons(at) == []
    assert any("misconfigured" in m and "cookie_secret" in m for m in seen)
    assert not any("without an [auth] section" in m for m in seen)


@pytest.mark.parametrize(("address", "warns"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_start_up_warning_for_a_reachable_server_without_auth(
    address: str, warns: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit import config

    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    ui_auth._LOG.addHandler(handler)
    monkeypatch.setattr(ui_auth, "_exposure_checked", False)
    old = config.get_option("server.address")
    config.set_option("server.address", address)
    try:
        run(None, auth=False)
        run(None, auth=False)  # a second session does not repeat it
    finally:
        config.set_option("server.address", old)
        ui_auth._LOG.removeHandler(handler)
    warnings = [m for m in seen if "without an [auth] section" in m]
    assert len(warnings) == (1 if warns else 0)
    if warns:
        assert address in warnings[0]


def test_no_start_up_warning_with_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import config

    seen: list[str] = []
    monkeypatch.setattr(ui_auth, "_exposure_checked", False)
    monkeypatch.setattr(ui_auth._LOG, "warning", lambda msg, *a, **k: seen.append(str(msg)))
    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        run(None, user={"is_logged_in": False})
    finally:
        config.set_option("server.address", old)
    assert not [m for m in seen if "without an [auth] section" in m]
    assert not [m for m in seen if "misconfigured" in m]


def test_login_error_keeps_you_signed_out_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_login(provider: str | None = None) -> None:
        raise RuntimeError("authlib says no")

    monkeypatch.setattr(ui_auth, "_metadata_reachable", lambda url: True)
    monkeypatch.setattr(ui_auth.st, "login", broken_login)
    at = run("pages/5_Watchlists.py", user={"is_logged_in": False})
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception
    assert ui_auth.LOGIN_FAILED_TEXT in texts(at)
    assert ui_auth.GATE_TEXT in texts(at)


def test_no_owner_means_an_error_not_the_shared_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.auth import Identity

    monkeypatch.setattr(ui_auth, "identity", lambda: Identity(owner=None, signed_in=False))
    with pytest.raises(ui_auth.SignInRequired):
        ui_auth.watchlist_owner()


# --------------------------------------------------------------------------- issue 25: fail closed


@pytest.fixture
def secrets_file(tmp_path: Path) -> Iterator[Path]:
    """Point Streamlit's secrets.files at one temporary file (written by the test)."""
    from streamlit import config
    from streamlit.runtime.secrets import secrets_singleton

    path = tmp_path / "secrets.toml"
    old = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    secrets_singleton._reset()
    yield path
    config.set_option("secrets.files", old)
    secrets_singleton._reset()  # never leak a parsed file into the next test


GOOD_FILE = (
    "[auth]\n"
    'redirect_uri = "http://127.0.0.1:8501/oauth2callback"\n'
    f'cookie_secret = "{COOKIE_SECRET}"\n'
    'client_id = "app"\n'
    'client_secret = "very-secret-client-value"\n'
    'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n'
)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (GOOD_FILE.replace('client_id = "app"', "client_id = app"), "is not valid TOML"),
        (GOOD_FILE + '[auth]\nallowed_domains = ["example.com"]\n', "('auth',) twice"),
        ("[auth]\n", "[auth] in secrets.toml is empty"),
        (
            '[connections.watchlists]\nurl = "postgresql+psycopg://rer:pw-value@db/rer"\n'
            "[connections.watchlists]\n",
            "twice",
        ),
        ('[connections.watchlists]\ntype = "sql"\n', "[connections.watchlists]"),
    ],
    ids=["toml-error", "auth-twice", "auth-empty", "connection-twice", "connection-no-url"],
)
def test_a_secrets_file_that_cannot_be_used_closes_watchlists(
    secrets_file: Path, store: WatchlistStore, text: str, says: str
) -> None:
    """Streamlit would log "Failed to load secrets" and start single-user mode: we refuse."""
    secrets_file.write_text(text)
    at = run("pages/5_Watchlists.py", auth=False)
    shown = texts(at)
    assert ui_auth.MISCONFIGURED_TEXT in shown and says in shown
    assert ui_auth.SINGLE_USER_TEXT not in shown
    for secret in ("very-secret-client-value", COOKIE_SECRET, "pw-value"):
        assert secret not in shown
    assert not [b for b in at.button if b.key == "wl_create"]
    assert not [s for s in at.sidebar.selectbox if s.key == "_wl_active_pick"]
    assert store.lists(wl.LOCAL_OWNER) == []  # the local SQLite file got nothing


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"cookie_secret": "REPLACE-WITH-THE-OUTPUT-OF-secrets.token_urlsafe(32)"}, "published"),
        ({"cookie_secret": "local-testing-only"}, "published example"),
        ({"cookie_secret": "only-20-bytes-long.."}, "shorter than 32 bytes"),
        ({"client_secret": ""}, "no client_secret"),
        ({"allowed_emails": "not-an-address"}, "allowed_emails"),
    ],
)
def test_a_weak_or_incomplete_auth_closes_watchlists_for_signed_in_people_too(
    store: WatchlistStore, change: dict[str, str], says: str
) -> None:
    store.create(ALICE_KEY, "Alice picks", ["MP"])
    at = run("pages/5_Watchlists.py", user=ALICE, auth={**auth_secrets(), **change})
    assert ui_auth.MISCONFIGURED_TEXT in texts(at) and says in texts(at)
    assert "Alice picks" not in texts(at)
    assert not [b for b in at.button if b.key == "wl_create"]


class _Docs(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            json.dumps({k: f"http://127.0.0.1/{k}" for k in DISCOVERY_FIELDS})
            if self.path == "/good"
            else '{"hello": "this is not an OpenID Connect provider"}'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def docs_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Docs)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_the_start_up_check_fetches_the_discovery_document(docs_server: str) -> None:
    bad = run("pages/5_Watchlists.py", user=ALICE, auth=auth_secrets(f"{docs_server}/wrong"))
    assert ui_auth.MISCONFIGURED_TEXT in texts(bad)
    assert "not an OpenID Connect discovery document" in texts(bad)
    good = run("pages/5_Watchlists.py", user=ALICE, auth=auth_secrets(f"{docs_server}/good"))
    assert ui_auth.MISCONFIGURED_TEXT not in texts(good)
    assert good.selectbox(key="wl_current").options


# --------------------------------------------------------------------------- issue 25: allow-list


@pytest.mark.parametrize(
    ("allow", "claims", "allowed"),
    [
        ({"allowed_domains": ["example.com"]}, {}, True),
        ({"allowed_domains": ["example.org"]}, {}, False),
        ({"allowed_emails": ["alice@example.com"]}, {}, True),
        ({"allowed_domains": ["example.com"]}, {"email_verified": False}, False),
    ],
)
def test_only_allowed_accounts_get_lists(
    store: WatchlistStore, allow: dict[str, list[str]], claims: dict[str, Any], allowed: bool
) -> None:
    at = run("pages/5_Watchlists.py", user={**ALICE, **claims}, auth=auth_secrets(**allow))
    sessions = SessionStore(store.engine)
    if allowed:
        assert at.selectbox(key="wl_current").options
        assert sessions.has_signed_in(ALICE_KEY)
        return
    assert "This server only lets verified addresses" in texts(at) or "named" in texts(at)
    assert sidebar_buttons(at) == ["Sign out"]
    assert not [b for b in at.button if b.key == "wl_create"]
    assert store.lists(ALICE_KEY) == [] and not sessions.has_signed_in(ALICE_KEY)


# --------------------------------------------------------------------------- issue 25: sessions


def test_a_revoked_sign_in_is_refused_on_the_next_rerun(store: WatchlistStore) -> None:
    store.create(ALICE_KEY, "Alice picks", ["MP"])
    at = run("pages/5_Watchlists.py", user=ALICE)
    assert any("Alice picks" in o for o in at.selectbox(key="wl_current").options)
    sid = session_id(ALICE)
    assert sid is not None and SessionStore(store.engine).get(sid) is not None
    SessionStore(store.engine).revoke(sid)  # sign-out somewhere else (another tab, server)
    at.run()
    assert not at.exception
    assert REFUSED_TEXT[SessionState.REVOKED] in texts(at)
    assert "Alice picks" not in texts(at)
    assert "Sign in" in sidebar_buttons(at) and "Sign out" not in sidebar_buttons(at)
    assert at.session_state["active_watchlist_symbols"] == []


def test_sign_out_ends_the_session_for_a_second_tab_that_is_still_open(
    backend: str, store: WatchlistStore
) -> None:
    first = run("pages/5_Watchlists.py", user=ALICE)
    second = run("pages/5_Watchlists.py", user=ALICE)  # same cookie: same sign-in
    assert [b for b in second.button if b.key == "wl_create"]
    next(b for b in first.sidebar.button if b.label == "Sign out").click().run()
    assert not first.exception
    assert "Sign in" in sidebar_buttons(first)  # the same run already shows the sign-out
    assert not [b for b in first.button if b.key == "wl_create"]
    rec = SessionStore(store.engine).get(session_id(ALICE) or "")
    assert rec is not None and rec.revoked_at is not None
    # The second tab still shows its form; its next action is refused, read and write.
    second.text_input(key="wl_new_name").input("Written after sign-out")
    second.button(key="wl_create").click().run()
    assert not second.exception
    assert store.find(ALICE_KEY, "Written after sign-out") is None
    assert REFUSED_TEXT[SessionState.REVOKED] in texts(second)
    assert not [s for s in second.selectbox if s.key == "wl_current"]
    # The same cookie replayed in a new session (a copy made before sign-out): refused too.
    replay = run("pages/5_Watchlists.py", user=ALICE)
    assert REFUSED_TEXT[SessionState.REVOKED] in texts(replay)
    assert not [b for b in replay.button if b.key == "wl_create"]
    # Signing in again is a new identity token (new iat/nonce): lists are back.
    again = run("pages/5_Watchlists.py", user={**ALICE, "iat": ALICE["iat"] + 60, "nonce": "n2"})
    assert again.selectbox(key="wl_current").options


def test_check_write_access_rereads_the_session(
    store: WatchlistStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's hook: a write that starts after a sign-out elsewhere is refused."""
    run("pages/5_Watchlists.py", user=ALICE)
    sid = session_id(ALICE)
    assert sid is not None
    ident = auth.Identity(ALICE_KEY, True, "Alice")
    cfg = ui_auth.auth_config.check_auth_config({"auth": auth_secrets()})
    monkeypatch.setattr(ui_auth, "current", lambda: ui_auth.RunAuth(cfg, ident, sid))
    ui_auth.check_write_access(ALICE_KEY)  # active: no error
    with pytest.raises(ui_auth.SignInRequired):
        ui_auth.check_write_access("oidc:someone-else")
    SessionStore(store.engine).revoke(sid)
    with pytest.raises(ui_auth.SignInRequired, match="signed out"):
        ui_auth.check_write_access(ALICE_KEY)


def test_a_sign_in_without_iat_gets_no_lists(store: WatchlistStore) -> None:
    user = {k: v for k, v in ALICE.items() if k != "iat"}
    at = run("pages/5_Watchlists.py", user=user)
    assert ui_auth.NO_IAT_TEXT in texts(at)
    assert store.lists(ALICE_KEY) == []


def test_identity_is_resolved_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = ui_auth._resolve

    def counting(config: Any) -> Any:
        calls.append(1)
        return real(config)

    monkeypatch.setattr(ui_auth, "_resolve", counting)
    at = run("pages/5_Watchlists.py", user=ALICE)  # two runs: Home, then Watchlists
    assert len(calls) == 2
    at.text_input(key="wl_new_name").input("One more")
    at.button(key="wl_create").click().run()  # create, then the page's own st.rerun
    assert not at.exception
    runs = len(calls)
    at.run()
    assert len(calls) == runs + 1


def test_a_session_check_that_cannot_reach_the_database_closes_lists(
    store: WatchlistStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create(ALICE_KEY, "Alice picks", ["MP"])

    class Down:
        def admit(self, *args: object) -> None:
            raise OSError("database down")

    monkeypatch.setattr(ui_auth, "_sessions", Down)
    at = run("pages/5_Watchlists.py", user=ALICE)
    assert ui_auth.SESSION_CHECK_FAILED_TEXT in texts(at)
    assert "Alice picks" not in texts(at)
    assert not [b for b in at.button if b.key == "wl_create"]
    assert sidebar_buttons(at) == ["Sign out"]
