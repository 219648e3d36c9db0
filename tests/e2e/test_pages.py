"""Every page of the app renders in the browser without an exception."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, existing_pages, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e

PAGES = existing_pages()


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_page_renders(page: Page, app_server: AppServer, path: str) -> None:
    """No stException, no JavaScript error, and every chart on a chart page is drawn."""
    page.goto(f"{app_server.url}/{path}")
    wait_for_app_run(page)
    expect(page.locator(".st-key-app_nav")).to_be_visible()
    errors = page.get_by_test_id("stException")
    assert errors.count() == 0, errors.first.inner_text()
    has_charts = PAGES[path][1]
    if has_charts:
        assert wait_for_charts(page) >= 1
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    assert page.js_errors == []  # type: ignore[attr-defined]
