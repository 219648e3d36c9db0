"""Browser fixtures: Debian Chromium via pytest-playwright, one offline app server per module."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True}


@pytest.fixture
def context(context: Any) -> Any:
    """Only loopback traffic: e.g. the Material favicon would otherwise go to Google Fonts."""
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    # Actions (click, fill) wait as long as an app run may take on a loaded 2-core machine,
    # not Playwright's 30 s default.
    context.set_default_timeout(APP_RUN_TIMEOUT_MS)
    return context


@pytest.fixture
def page(context: Any) -> Any:
    """A page that records uncaught JavaScript errors (Vega spec errors land here)."""
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    return page


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


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One server per test module, with its own price cache and SQLite watchlists."""
    server = start_app_server(tmp_path_factory.mktemp("e2e-data"))
    yield server
    server.stop()
