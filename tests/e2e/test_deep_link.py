"""The first request a fresh server ever sees is a deep link with query parameters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, existing_pages, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server no other test has touched, so the deep link really is its first request."""
    server = AppServer(tmp_path_factory.mktemp("e2e-first")).start()
    yield server
    server.stop()


def test_first_request_is_a_deep_link(page: Page, app_server: AppServer) -> None:
    """A cold deep link to Prices renders sidebar, freshness, nav, the chart and the URL's state."""
    page.goto(f"{app_server.url}/Prices?symbols=MP&symbols=SPY&range=Max")
    wait_for_app_run(page)

    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Prices as of")
    nav = page.locator(".st-key-app_nav")
    for label in ("Home", *(p.replace("_", " ") for p in existing_pages() if p)):
        expect(nav).to_contain_text(label)
    expect(page.get_by_test_id("stHeading").first).to_contain_text("Prices")

    symbols = page.get_by_test_id("stMultiSelect").first
    expect(symbols).to_contain_text("MP")
    expect(symbols).to_contain_text("SPY")
    assert wait_for_charts(page) == 1  # the price chart (the Risk section runs when opened)
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert page.js_errors == []  # type: ignore[attr-defined]
    assert "px_range=Max" in page.url  # the older link, in today's names
