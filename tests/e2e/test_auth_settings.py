"""Sign-in settings in Debian Chromium against the local OpenID Connect mock: the domain
allow-list lets in verified addresses of allowed domains only, and settings the app must refuse
(a duplicated [auth], the documented example secret) close the watchlists.

Split from tests/e2e/test_auth_limits.py: these tests start their own app servers and need only
the provider, so they run on another worker while that module's sign-in flows run.
"""

# ruff: noqa: F811  (pytest fixtures imported from test_auth are parameters here by design)
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from lib import watchlists as wl
from tests.e2e.test_auth import (  # noqa: F401 - fixtures used by name
    DOCS_EXAMPLE_SECRET,
    MISCONFIGURED,
    SINGLE_USER,
    USER_COOKIE,
    AuthAppServer,
    Provider,
    auth_toml,
    list_picker,
    new_page,
    open_app,
    provider,
    sidebar,
    sign_in,
    switch_page,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def restricted(
    provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthAppServer]:
    """A second app whose [auth] lets in verified example.com addresses only."""
    home = tmp_path_factory.mktemp("e2e-auth-allow")
    srv = AuthAppServer(home / "data", secrets_file=home / "secrets.toml")
    srv.secrets_file.write_text(  # type: ignore[union-attr]
        auth_toml(srv, provider, 'allowed_domains = ["example.com"]\n')
    )
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.timeout(600)
def test_only_verified_addresses_of_allowed_domains_get_lists(
    new_page: Any, restricted: AuthAppServer, provider: Provider
) -> None:
    for who, allowed in (("mallory", False), ("eve", False), ("alice", True)):
        page = new_page()
        open_app(page, restricted)
        sign_in(page, restricted, provider, who)
        switch_page(page, "Watchlists")
        if allowed:
            expect(list_picker(page)).to_be_visible()
            continue
        expect(
            page.get_by_text("This server only lets verified addresses at example.com").first
        ).to_be_visible()
        expect(list_picker(page)).to_have_count(0)
        expect(page.locator(".st-key-wl_create")).to_have_count(0)
        expect(sidebar(page).get_by_role("button", name="Sign out")).to_be_visible()
    store = wl.WatchlistStore.open(wl.resolve_database_url(env={}, data_dir=restricted.data_home))
    try:
        from lib.auth_sessions import SessionStore

        sessions = SessionStore(store.engine)
        assert sessions.has_signed_in(provider.owner("alice"))
        assert not sessions.has_signed_in(provider.owner("mallory"))
        assert not sessions.has_signed_in(provider.owner("eve"))
        assert store.lists(provider.owner("mallory")) == []
    finally:
        store.dispose()


@pytest.mark.timeout(600)
def test_unusable_sign_in_settings_close_watchlists(
    new_page: Any, provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A duplicated [auth] (Streamlit: "Failed to load secrets", then single-user mode) and the
    documented example cookie_secret (anyone can sign a cookie with it) both close lists."""
    from itsdangerous import URLSafeTimedSerializer

    home = tmp_path_factory.mktemp("e2e-auth-broken")
    srv = AuthAppServer(home / "data", secrets_file=home / "secrets.toml")
    assert srv.secrets_file is not None
    srv.secrets_file.write_text(auth_toml(srv, provider) + '[auth]\nallowed_domains = ["x.org"]\n')
    srv.start()
    try:
        page = new_page()
        open_app(page, srv, "Watchlists")
        expect(page.get_by_text(MISCONFIGURED).first).to_be_visible()
        expect(page.get_by_text("('auth',) twice")).to_be_visible()
        expect(page.get_by_text(SINGLE_USER)).to_have_count(0)
        expect(sidebar(page).get_by_role("button", name="Sign in")).to_have_count(0)
        expect(list_picker(page)).to_have_count(0)
        expect(page.get_by_text("e2e-client-secret")).to_have_count(0)
        open_app(page, srv, "Prices")  # the read-only pages stay open
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()

        # The documented example secret: refused, and a cookie signed with it opens nothing.
        srv.secrets_file.write_text(auth_toml(srv, provider, secret=DOCS_EXAMPLE_SECRET))
        srv.restart()
        forged = json.dumps(
            {
                "iss": provider.url,
                "sub": "alice",
                "name": "Alice Example",
                "iat": int(time.time()),
                "nonce": "forged",
                "is_logged_in": True,
                "origin": srv.url,
                "provider": "default",
            }
        )
        value = URLSafeTimedSerializer(DOCS_EXAMPLE_SECRET, salt=USER_COOKIE).dumps(forged)
        page.context.add_cookies(
            [{"name": USER_COOKIE, "value": value, "domain": "127.0.0.1", "path": "/"}]
        )
        open_app(page, srv, "Watchlists")
        expect(page.get_by_text(MISCONFIGURED).first).to_be_visible()
        expect(page.get_by_text("published example")).to_be_visible()
        expect(list_picker(page)).to_have_count(0)
        expect(page.locator(".st-key-wl_create")).to_have_count(0)
    finally:
        srv.stop()
