"""AppTest: the sidebar account block and the watchlist gate, signed in, signed out, no [auth]."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.ui import auth as ui_auth
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
}
ALICE_KEY = f"oidc:{ISS}|alice-sub"


def closed_port() -> int:
    """A loopback port with nothing listening (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth_secrets(metadata_url: str | None = None) -> dict[str, Any]:
    return {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
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
    page: str | None = None, user: dict[str, Any] | None = None, auth: bool = True, **state: Any
) -> AppTest:
    """app.py (then ``page``) with or without [auth], as ``user``; no exception allowed."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if auth:
        at.secrets["auth"] = auth_secrets()
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
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


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
    monkeypatch.setattr(ui_auth._LOG, "warning", lambda msg, *a, **k: seen.append(str(msg)))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback"}
    at.run()
    at.switch_page("pages/5_Watchlists.py")
    at.run()
    assert not at.exception
    # A typo in [auth] must not silently share everyone's lists: watchlists stay closed.
    assert ui_auth.SINGLE_USER_TEXT not in texts(at)
    assert ui_auth.MISCONFIGURED_TEXT in texts(at)
    assert not [b for b in at.button if b.key == "wl_create"]
    assert sidebar_buttons(at) == []
    assert any("incomplete" in m and "cookie_secret" in m for m in seen)
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
    assert seen == []


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
