"""Browser fixtures: Debian Chromium via pytest-playwright, one offline app server per module."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import CHROMIUM, VIEWPORT, AppServer, launch_options

NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test, even if a module forgets its pytestmark."""
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
    return context


@pytest.fixture
def page(context: Any) -> Any:
    """A page that records uncaught JavaScript errors (Vega spec errors land here)."""
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    return page


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One server per test module, with its own price cache and SQLite watchlists."""
    server = AppServer(tmp_path_factory.mktemp("e2e-data")).start()
    yield server
    server.stop()
