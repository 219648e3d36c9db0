"""Sign-in edge cases in Debian Chromium against the local OpenID Connect mock: forged,
expired and copied cookies, and sign-out reaching other tabs. The domain allow-list and the
settings the app must refuse are in tests/e2e/test_auth_settings.py.

Split from tests/e2e/test_auth.py (same fixtures and helpers, its own provider and server) so
the parts run on different test workers at once: together they were the run's longest file.
"""

# ruff: noqa: F811  (pytest fixtures imported from test_auth are parameters here by design)
from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from lib import watchlists as wl
from tests.e2e import open_new_watchlist, wait_for_app_run
from tests.e2e.test_auth import (  # noqa: F401 - fixtures used by name
    COOKIE_SECRET,
    ENDED,
    GATE,
    SECRET_LIST,
    USER_COOKIE,
    AuthAppServer,
    Provider,
    create_list,
    expect_signed_out,
    list_picker,
    new_page,
    open_app,
    picker_options,
    provider,
    server,
    sidebar,
    sign_in,
    sign_out,
    store,
    switch_page,
)

pytestmark = pytest.mark.e2e


def _signed_user_cookie(payload: str, age_days: float) -> str:
    """A ``_streamlit_user`` value signed like Streamlit does, as if issued ``age_days`` ago."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_days * 86400)

    return URLSafeTimedSerializer(COOKIE_SECRET, salt=USER_COOKIE, signer=Backdated).dumps(payload)


def test_bad_cookies_and_callbacks_end_signed_out(
    new_page: Any, server: AuthAppServer, provider: Provider
) -> None:
    """Expired or tampered identity cookie, and a callback with a wrong state: signed out with
    the sign-in prompt, never an exception and never someone's lists."""
    from itsdangerous import URLSafeTimedSerializer

    page = new_page()
    open_app(page, server)
    sign_in(page, server, provider, "alice")
    ctx = page.context
    good = next(c for c in ctx.cookies() if c["name"] == USER_COOKIE)
    payload = URLSafeTimedSerializer(COOKIE_SECRET, salt=USER_COOKIE).loads(good["value"])
    assert json.loads(payload)["sub"] == "alice"

    def with_cookie(value: str) -> None:
        ctx.clear_cookies(name=USER_COOKIE)
        ctx.add_cookies([{**good, "value": value}])
        open_app(page, server, "Watchlists")
        expect_signed_out(page)
        expect(page.get_by_text(GATE)).to_be_visible()
        expect(page.get_by_text(SECRET_LIST)).to_have_count(0)

    # A fresh cookie forged the same way is accepted: the checks below test expiry, not forging.
    ctx.clear_cookies(name=USER_COOKIE)
    ctx.add_cookies([{**good, "value": _signed_user_cookie(payload, age_days=0)}])
    open_app(page, server)
    expect(sidebar(page)).to_contain_text("Signed in as Alice Example")

    with_cookie(_signed_user_cookie(payload, age_days=40))  # expired
    tampered = json.dumps({**json.loads(payload), "sub": "bob", "name": "Bob Example"})
    with_cookie(good["value"].replace(good["value"].split(".")[0], _b64(tampered), 1))
    with_cookie(good["value"][:-3] + ("AAA" if not good["value"].endswith("AAA") else "BBB"))
    with_cookie("not-a-cookie")

    # A callback with a state this browser never started, or a provider error: signed out.
    for query in ("state=forged&code=abc", "error=access_denied&state=x", ""):
        ctx.clear_cookies()
        page.goto(f"{server.url}/oauth2callback?{query}")
        page.wait_for_url(re.compile(re.escape(server.url) + r"/?(\?.*)?$"))
        wait_for_app_run(page)
        expect_signed_out(page)
    # A sign-in that comes back with a wrong state (replayed/forged redirect): signed out.
    sidebar(page).get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider.url) + r"/oauth2/authorize"))
    page.goto(f"{server.url}/oauth2callback?state=wrong&code=stolen")
    page.wait_for_url(re.compile(re.escape(server.url) + r"/?(\?.*)?$"))
    wait_for_app_run(page)
    expect_signed_out(page)


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --------------------------------------------------------------------------- issue 25


def user_cookies(ctx: BrowserContext) -> list[Any]:
    """Streamlit's identity cookies (the user cookie, its token cookie and any chunks)."""
    return [c for c in ctx.cookies() if c["name"].startswith(USER_COOKIE)]


@pytest.mark.timeout(600)
def test_sign_out_ends_the_sign_in_in_other_tabs_and_for_copied_cookies(
    new_page: Any, server: AuthAppServer, provider: Provider, store: wl.WatchlistStore
) -> None:
    """Before issue 25 a cookie copied before sign-out kept reading and writing for 30 days,
    across restarts, and another open tab kept writing until reloaded."""
    from itsdangerous import URLSafeTimedSerializer

    tab1 = new_page()
    open_app(tab1, server)
    sign_in(tab1, server, provider, "alice")
    ctx = tab1.context
    copied = user_cookies(ctx)
    good = next(c for c in copied if c["name"] == USER_COOKIE)
    claims = json.loads(
        URLSafeTimedSerializer(COOKIE_SECRET, salt=USER_COOKIE).loads(good["value"])
    )
    assert isinstance(claims.get("iat"), int) and claims.get("nonce")  # what the row is keyed on

    tab2 = ctx.new_page()  # a second tab of the same browser
    open_app(tab2, server, "Watchlists")
    expect(list_picker(tab2)).to_be_visible()
    create_list(tab2, "Before sign-out")

    sign_out(tab1, server, provider)

    # The second tab still shows the form; its next action is refused, read and write.
    open_new_watchlist(tab2)
    tab2.locator(".st-key-wl_new_name input").fill("After sign-out")
    tab2.locator(".st-key-wl_create button").click()
    wait_for_app_run(tab2)
    expect(tab2.get_by_text(ENDED).first).to_be_visible()
    expect(list_picker(tab2)).to_have_count(0)
    expect(tab2.get_by_text("Before sign-out")).to_have_count(0)
    expect(tab2.get_by_test_id("stException")).to_have_count(0)
    alice = provider.owner("alice")
    assert store.find(alice, "After sign-out") is None
    assert store.find(alice, "Before sign-out") is not None

    # The copied cookie, replayed in another browser: refused, also after a server restart.
    thief = new_page()
    thief.context.add_cookies(copied)
    for restart in (False, True):
        if restart:
            server.restart()
        open_app(thief, server, "Watchlists")
        expect(thief.get_by_text(ENDED).first).to_be_visible()
        expect(list_picker(thief)).to_have_count(0)
        expect(thief.get_by_text("Before sign-out")).to_have_count(0)
        expect(sidebar(thief).get_by_role("button", name="Sign in")).to_be_visible()

    # Signing in again is a new sign-in: the lists are back.
    open_app(tab1, server)
    sign_in(tab1, server, provider, "alice")
    switch_page(tab1, "Watchlists")
    assert any("Before sign-out" in o for o in picker_options(tab1))
