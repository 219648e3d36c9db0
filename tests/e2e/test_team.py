"""A team deployment in the browser: two Streamlit processes behind nginx, one PostgreSQL.

Started exactly as `make serve-team N=2` starts it (scripts/serve_team.py), with watchlists in
a throwaway PostgreSQL database. Each browser is pinned to a backend with the proxy's sticky
cookie, so the two sessions are known to live in different processes. Before any browser is
pinned, each backend must answer through the proxy for its own cookie (on a loaded machine a
backend that is up but slow would otherwise be skipped for its backup), and the pinning itself
is asserted: the websocket that holds a Streamlit session is upgraded by the pinned process.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from scripts.serve_team import Team, find_nginx
from tests.e2e import create_watchlist, wait_for_app_run
from tests.pg_server import fresh_database, pg_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")
#: Reconnecting takes Streamlit's frontend a few health pings with backoff.
RECONNECT_TIMEOUT_MS = 90_000
#: Two app processes, nginx, PostgreSQL and two browsers share the machine: a script run may
#: take longer here than the suite's default wait allows.
TEAM_RUN_TIMEOUT_MS = 90_000
#: How long a started backend may take to answer through the proxy on a loaded machine.
READY_TIMEOUT_S = 120
#: Answers in a row, from the pinned backend, before it counts as ready.
READY_STREAK = 3
#: The proxy names the process that answered in this response header (and the sticky cookie).
SERVED_BY = "x-rer-backend"

#: Records every value of stApp's connection state (the element may be re-mounted).
WATCH_CONNECTION = """() => {
  const read = () => {
    const el = document.querySelector("[data-testid='stApp']");
    const state = el ? el.getAttribute("data-test-connection-state") : "NO_APP";
    const log = window.__connectionStates;
    if (log[log.length - 1] !== state) log.push(state);
  };
  window.__connectionStates = [];
  read();
  new MutationObserver(read).observe(document.body, {
    attributes: true, subtree: true, childList: true,
    attributeFilter: ["data-test-connection-state"],
  });
}"""


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    if find_nginx() is None:
        message = "nginx is missing: install Debian's nginx package (see .ci/run)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    assert shutil.which("runuser") or os.geteuid() != 0
    with pg_cluster() as admin_url:
        url = fresh_database(admin_url, f"team_{uuid.uuid4().hex[:10]}")
        env = {"RER_OFFLINE": "1", "RER_DATABASE_URL": url}
        team = Team(servers=2, env=env, per_backend_data_home=True)
        try:
            team.start()
        except Exception as exc:
            pytest.fail(f"team did not start: {exc}\n{team.logs()}")
        try:
            for backend in team.backends:
                wait_until_served_by(team, backend.name)
            yield team
        finally:
            team.stop()


def served_by(team: Team, backend: str, path: str) -> str:
    """The backend that answered ``path`` through the proxy for a browser pinned to ``backend``
    ("" for an error status, the error itself when there was no answer)."""
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(team.url + path, headers={"Cookie": f"rer_backend={backend}"})
    try:
        with no_proxy.open(request, timeout=10) as resp:
            resp.read()
            return resp.headers.get(SERVED_BY, "") if resp.status == 200 else ""
    except OSError as exc:
        return repr(exc)


def wait_until_served_by(team: Team, backend: str, timeout: float = READY_TIMEOUT_S) -> None:
    """Until the proxy answers a browser pinned to ``backend`` from ``backend`` itself,
    READY_STREAK times in a row (health and the page), not from a backup."""
    deadline = time.monotonic() + timeout
    streak, answers = 0, []
    while streak < READY_STREAK:
        if time.monotonic() > deadline:
            pytest.fail(
                f"{backend} did not answer through the proxy within {timeout:.0f} s; "
                f"last answers: {answers[-6:]}\n{team.logs()}"
            )
        answers += [served_by(team, backend, "/_stcore/health"), served_by(team, backend, "/")]
        streak = streak + 1 if answers[-2:] == [backend, backend] else 0
        if streak < READY_STREAK:
            time.sleep(0.2)  # polling the proxy, not waiting on the app


def pinned_page(browser: Browser, ctx_args: dict[str, Any], team: Team, backend: str) -> Page:
    """A new browser (context) whose sticky cookie points at ``backend``.

    ``page.sessions`` records, for every websocket the page opens (one per Streamlit session,
    a new one after a reconnect), the backend whose proxy answer upgraded it.
    """
    context: BrowserContext = browser.new_context(**ctx_args)
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    context.add_cookies([{"name": "rer_backend", "value": backend, "url": team.url}])
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    page.sessions = []  # type: ignore[attr-defined]
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")

    def on_upgrade(event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        page.sessions.append(headers.get(SERVED_BY, "<no header>"))  # type: ignore[attr-defined]

    cdp.on("Network.webSocketHandshakeResponseReceived", on_upgrade)
    page.cdp = cdp  # type: ignore[attr-defined]  (kept alive with the page)
    return page


def session_backends(page: Page, at_least: int = 1) -> list[str]:
    """The backends that upgraded the page's websockets so far (waits for ``at_least``)."""
    deadline = time.monotonic() + 10
    while len(page.sessions) < at_least and time.monotonic() < deadline:  # type: ignore[attr-defined]
        page.wait_for_timeout(100)  # lets Playwright deliver the CDP event
    return list(page.sessions)  # type: ignore[attr-defined]


def open_watchlists(page: Page, team: Team) -> str:
    """Load the Watchlists page; returns the backend that served it (proxy header)."""
    response = page.goto(f"{team.url}/Watchlists")
    assert response is not None and response.ok
    wait_for_app_run(page, TEAM_RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    return response.headers.get("x-rer-backend", "")


def create_list(page: Page, name: str) -> None:
    create_watchlist(page, name, TEAM_RUN_TIMEOUT_MS)


def list_names(page: Page) -> str:
    """The options of the list picker, as one text."""
    picker = page.locator(".st-key-wl_current").get_by_role("combobox")
    picker.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    text = " | ".join(options.all_inner_texts())
    page.keyboard.press("Escape")
    return text


def sticky_cookie(page: Page) -> str:
    return next(
        (c["value"] for c in page.context.cookies() if c["name"] == "rer_backend"), "<none>"
    )


def test_sessions_on_different_backends_see_each_others_watchlists(
    browser: Browser, browser_context_args: dict[str, Any], team: Team
) -> None:
    """A list created through one process shows through the other after a reload."""
    a = pinned_page(browser, browser_context_args, team, "b0")
    b = pinned_page(browser, browser_context_args, team, "b1")
    try:
        assert open_watchlists(a, team) == "b0"
        assert open_watchlists(b, team) == "b1"
        # The pinning itself: each Streamlit session (its websocket) lives on its backend.
        assert session_backends(a) == ["b0"] and session_backends(b) == ["b1"]
        create_list(a, "Made on b0")
        create_list(b, "Made on b1")
        assert "Made on b1" not in list_names(a)  # not yet: a has not rerun since

        a.reload()
        wait_for_app_run(a, TEAM_RUN_TIMEOUT_MS)
        b.reload()
        wait_for_app_run(b, TEAM_RUN_TIMEOUT_MS)
        assert "Made on b1" in list_names(a)
        assert "Made on b0" in list_names(b)
        assert sticky_cookie(a) == "b0" and sticky_cookie(b) == "b1"
        assert session_backends(a, 2) == ["b0", "b0"] and session_backends(b, 2) == ["b1", "b1"]
        assert a.js_errors == [] and b.js_errors == []  # type: ignore[attr-defined]
    finally:
        a.context.close()
        b.context.close()


def test_killing_a_backend_loses_only_its_sessions(
    browser: Browser, browser_context_args: dict[str, Any], team: Team
) -> None:
    """b1 dies: the b0 session never disconnects; the b1 session reconnects to b0."""
    a = pinned_page(browser, browser_context_args, team, "b0")
    b = pinned_page(browser, browser_context_args, team, "b1")
    try:
        assert open_watchlists(a, team) == "b0"
        assert open_watchlists(b, team) == "b1"
        assert session_backends(a) == ["b0"] and session_backends(b) == ["b1"]
        a.evaluate(WATCH_CONNECTION)
        b.evaluate(WATCH_CONNECTION)

        team.backend_named("b1").kill()

        # b's websocket went down with its process; the frontend reconnects through the
        # proxy, which sends it to the live process and re-points the sticky cookie.
        b.wait_for_function(
            "() => window.__connectionStates.some(s => s !== 'CONNECTED')",
            timeout=RECONNECT_TIMEOUT_MS,
        )
        b.wait_for_selector(
            "[data-testid='stApp'][data-test-connection-state='CONNECTED']",
            state="attached",
            timeout=RECONNECT_TIMEOUT_MS,
        )
        wait_for_app_run(b, TEAM_RUN_TIMEOUT_MS)
        assert sticky_cookie(b) == "b0"
        reconnected = session_backends(b, 2)[1:]
        assert reconnected and set(reconnected) == {"b0"}  # the new session lives on b0

        # a's session is untouched: it still works, and it never left CONNECTED.
        create_list(a, "Made on b0 after b1 died")
        assert a.evaluate("window.__connectionStates") == ["CONNECTED"]
        assert session_backends(a) == ["b0"]  # and still its first session

        # A reload of b lands on the live process and sees what a wrote.
        assert open_watchlists(b, team) == "b0"
        assert "Made on b0 after b1 died" in list_names(b)
        assert a.js_errors == []  # type: ignore[attr-defined]
    finally:
        a.context.close()
        b.context.close()
