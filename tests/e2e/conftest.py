"""Browser fixtures: Debian Chromium via pytest-playwright, one offline app server per module."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e import APP_RUN_TIMEOUT_MS, CHROMIUM, VIEWPORT, AppServer, launch_options

NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")
#: expect() assertions retry up to this long (Playwright's default is 5 s): `make test` runs two
#: workers, each with a browser and app servers, on a 2-core machine.
EXPECT_TIMEOUT_MS = 15_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test, even if a module forgets its pytestmark.

    Under pytest-xdist (``make test`` runs ``--dist loadfile``) a browser module runs whole on
    one worker, with its one app server.
    """
    for item in items:
        if "tests/e2e/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    """CI must run the browser suite; a developer without Chromium gets a clear skip."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (see .ci/run)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


#: Test runs only (the benches keep a stock browser): V8 stops at its baseline compiler
#: (Sparkplug) instead of optimising hot code with Maglev and TurboFan. A test page lives a few
#: seconds, too short for optimised code to pay back its compile time. With reduced motion
#: (below), the browser suite took 572 instead of 671 CPU-s on this 2-core machine.
TEST_CHROMIUM_ARGS = ["--js-flags=--max-opt=1"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    options = launch_options()
    return {**browser_type_launch_args, **options, "args": options["args"] + TEST_CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Every test browser asks for reduced motion, as some readers' systems do: Streamlit then
    skips its transitions, and the tests wait for the app's state, never for an animation."""
    return {
        **browser_context_args,
        "viewport": VIEWPORT,
        "accept_downloads": True,
        "reduced_motion": "reduce",
    }


class People:
    """Chromium profiles reused across this worker's tests: one per person a test needs.

    A new browser context starts with an empty HTTP cache, so each first page load fetches and
    compiles Streamlit's front end again: measured on this 2-core machine, ~3.3 s and ~5.9 CPU-s
    per load, against ~2.3 s and ~4 CPU-s in a profile that has loaded the app before. Each
    person is a persistent context with its own profile folder (its own cookie jar) and one tab
    that tests reuse (``take_page``); between tests a person is reset to a stranger (other tabs
    closed, its tab on ``about:blank``, cookies, permissions, the visited sites' storage and the
    tab's session storage cleared) and keeps only the HTTP cache and the tab's renderer.
    """

    STORAGE = "local_storage,indexeddb,websql,service_workers,cache_storage,file_systems"

    def __init__(self, playwright: Any, launch_args: dict[str, Any], context_args: dict[str, Any],
                 root: Path) -> None:  # fmt: skip
        self._playwright = playwright
        self._launch_args = launch_args
        self._context_args = context_args
        self._root = root
        #: Each person's context and the sites its pages visited (cleared at reset).
        self._people: list[tuple[BrowserContext, set[str]]] = []
        self._taken = 0

    def take(self) -> BrowserContext:
        """The next person of this test, as a stranger to every app."""
        if self._taken == len(self._people):
            self._people.append(self._launch(len(self._people)))
        ctx, _ = self._people[self._taken]
        self._taken += 1
        return ctx

    def take_page(self) -> Page:
        """The next person's own tab, as a stranger to every app.

        The tab is reused from test to test (reset to ``about:blank``): a load in a tab that
        has shown the app before cost ~2.1 CPU-s on this 2-core machine, against ~3.7 CPU-s in
        a new tab, which starts a renderer process and compiles the front end again.
        """
        ctx = self.take()
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.js_errors = []  # type: ignore[attr-defined]
        return page

    def release(self) -> None:
        """After a test: every person it used becomes a stranger again."""
        for ctx, origins in self._people[: self._taken]:
            self._reset(ctx, origins)
        self._taken = 0

    def close(self) -> None:
        for ctx, _ in self._people:
            ctx.close()

    def _launch(self, n: int) -> tuple[BrowserContext, set[str]]:
        ctx = self._playwright.chromium.launch_persistent_context(
            self._root / f"person-{n}", **self._launch_args, **self._context_args
        )
        ctx.route(NOT_LOOPBACK, lambda route: route.abort())
        # Actions (click, fill) wait as long as an app run may take on a loaded 2-core machine,
        # not Playwright's 30 s default.
        ctx.set_default_timeout(APP_RUN_TIMEOUT_MS)
        origins: set[str] = set()

        def track(page: Page) -> None:
            page.on("framenavigated", lambda frame: origins.add(_origin(frame.url)))
            # Uncaught JavaScript errors (Vega spec errors land here), read by the tests.
            page.js_errors = []  # type: ignore[attr-defined]
            page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]

        for page in ctx.pages:
            track(page)
        ctx.on("page", track)
        return ctx, origins

    def _reset(self, ctx: BrowserContext, origins: set[str]) -> None:
        keeper, *others = ctx.pages or [ctx.new_page()]
        for page in others:
            page.close()
        if _origin(keeper.url):
            # The tab lives on, and with it the session storage of the site it shows (Streamlit
            # keeps only its logger settings there; the app keeps nothing in the browser).
            # (A crashed or closing page has no storage left to clear.)
            with contextlib.suppress(PlaywrightError):
                keeper.evaluate("() => { try { sessionStorage.clear() } catch (e) {} }")
        keeper.goto("about:blank")
        ctx.clear_cookies()
        ctx.clear_permissions()
        cdp = ctx.new_cdp_session(keeper)
        for origin in origins - {""}:
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": self.STORAGE})
        cdp.detach()
        origins.clear()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@pytest.fixture(scope="session")
def people_pool(
    playwright: Any,
    browser_type_launch_args: dict[str, Any],
    browser_context_args: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[People]:
    pool = People(
        playwright, browser_type_launch_args, browser_context_args,
        tmp_path_factory.mktemp("chromium-profiles"),
    )  # fmt: skip
    yield pool
    pool.close()


@pytest.fixture
def people(people_pool: People) -> Iterator[People]:
    """``people.take()`` is one more person (own cookie jar) for this test."""
    yield people_pool
    people_pool.release()


@pytest.fixture
def context(people: People) -> BrowserContext:
    """The test's browser: the first person of the pool (warm HTTP cache, no cookies)."""
    return people.take()


@pytest.fixture
def page(people: People) -> Page:
    """The first person's tab (reused, reset); ``page.js_errors`` lists uncaught JavaScript
    errors (Vega spec errors land here)."""
    return people.take_page()


def start_app_server(data_home: Path, attempts: int = 3) -> AppServer:
    """An AppServer on a free port; again on another port if that one was taken meanwhile
    (another test worker, or a browser's outgoing connection, can grab it before Streamlit
    binds it)."""
    for attempt in range(1, attempts + 1):
        server = AppServer(data_home)
        try:
            return server.start()
        except RuntimeError as exc:
            server.stop()
            if "already in use" not in str(exc) or attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One read-only app server for this worker's browser modules that only read: its data
    caches and the browser's HTTP cache stay warm from one module to the next.

    A module that writes (a watchlist, a restart) takes its own server instead, by overriding
    this name with ``own_app_server`` (see ``tests/e2e/test_watchlists.py``).
    """
    server = start_app_server(tmp_path_factory.mktemp("e2e-shared"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server for one module alone, with its own price cache and SQLite watchlists."""
    server = start_app_server(tmp_path_factory.mktemp("e2e-data"))
    yield server
    server.stop()
