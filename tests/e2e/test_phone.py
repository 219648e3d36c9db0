"""Phone layout (390 × 844): the first screen of Home and Prices shows a chart, and no
control runs off the right edge (lib.ui.phone puts the chart above the controls)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e import AppServer, goto, wait_for_charts

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")
#: Every kind of control these pages draw, in the main area (the collapsed sidebar sits
#: off-screen on purpose), by Streamlit's own data-testid names.
CONTROLS = ", ".join(
    f'[data-testid="stMain"] [data-testid="{t}"]'
    for t in (
        "stMultiSelect", "stButtonGroup", "stSelectbox", "stCheckbox", "stToggle",
        "stExpander", "stDownloadButton", "stButton", "stSlider", "stDateInput",
        "stPageLink", "stMetric",
    )
)  # fmt: skip


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def overflowing_controls(page: Page) -> list[dict[str, Any]]:
    """Visible controls whose box leaves the viewport horizontally."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width > 0 && r.height > 0)
            .filter(([e, r]) => r.left < -1 || r.right > window.innerWidth + 1)
            .map(([e, r]) => ({testid: e.dataset.testid, left: r.left, right: r.right,
                               text: (e.innerText || '').slice(0, 40)}))""",
        CONTROLS,
    )


@pytest.mark.parametrize("path", ["", "Prices"], ids=["home", "prices"])
def test_first_phone_screen_shows_a_chart_and_nothing_overflows(
    phone: Page, app_server: AppServer, path: str
) -> None:
    goto(phone, app_server.url, path)
    assert wait_for_charts(phone) >= 1
    top = phone.get_by_test_id("stVegaLiteChart").first.bounding_box()
    assert top is not None
    # The chart starts on the first screen, with room to see part of it (not just its edge).
    assert 0 <= top["y"] <= PHONE["height"] - 150, top
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert (
        phone.get_by_test_id("stMultiSelect").count()
        + phone.get_by_test_id("stButtonGroup").count()
        >= 1
    ), "controls are still on the page, below the chart"
    assert overflowing_controls(phone) == []


def test_desktop_keeps_controls_above_the_chart(page: Page, app_server: AppServer) -> None:
    """The reordering is phone-only: at 1440 px the controls still lead the Prices page."""
    goto(page, app_server.url, "Prices")
    wait_for_charts(page)
    chart = page.get_by_test_id("stVegaLiteChart").first.bounding_box()
    symbols = page.get_by_test_id("stMultiSelect").first.bounding_box()
    assert chart is not None and symbols is not None and symbols["y"] < chart["y"]
