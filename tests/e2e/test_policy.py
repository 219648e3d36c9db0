"""Policy timeline in the browser: clicking an event marker opens its details."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e

CENTRES = """ps => ps.map(p => {
  const r = p.getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2, p.getAttribute('aria-label')];
})"""


def test_click_event_marker_opens_details(page: Page, app_server: AppServer) -> None:
    """A click on a timeline marker selects that event and shows its details and sources."""
    page.goto(f"{app_server.url}/Policy_timeline")
    wait_for_app_run(page)
    assert wait_for_charts(page) >= 1
    expect(page.get_by_text("Sources", exact=True)).to_have_count(0)

    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    marks = chart.locator('g.mark-symbol.role-mark path[aria-label*="Event: "]')
    centres = marks.evaluate_all(CENTRES)
    assert len(centres) > 50

    # Click the marker farthest from its neighbours, so the click cannot land on another event.
    def gap(c: list) -> float:
        return min(math.dist(c[:2], o[:2]) for o in centres if o is not c)

    x, y, label = max(centres, key=gap)
    title = re.search(r"Event: (.*?); Jurisdiction:", label)
    assert title, label
    page.mouse.move(x, y)
    page.mouse.click(x, y)

    heading = page.get_by_test_id("stHeading").filter(has_text=title.group(1))
    expect(heading).to_be_visible()
    wait_for_app_run(page)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Event (or click a marker)")
    # The picker label keeps the first 70 characters of a title (lib.events.event_option_label).
    shown = re.escape(title.group(1)[:70])
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(shown))
    expect(page.get_by_text("Sources", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _search(page: Page) -> str:
    return page.evaluate("() => window.location.search")


def test_short_event_link_stays_in_the_address_bar_and_back_takes_one_press(
    page: Page, app_server: AppServer
) -> None:
    """Issue 25: ?pt_event=E065 opened E065, then the id vanished from the address bar (so a
    re-shared link opened another view) and Back needed two presses."""
    page.goto(f"{app_server.url}/")
    wait_for_app_run(page)
    page.goto(f"{app_server.url}/Policy_timeline?pt_event=E065")
    wait_for_app_run(page)
    heading = page.get_by_test_id("stHeading").filter(has_text="DoD takes stake in MP")
    expect(heading).to_be_visible()
    assert "pt_event=E065" in _search(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/(\?.*)?$"))  # one press: back on Home
    page.go_forward()
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"pt_event=E065"))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_event_study_model_link_stays_and_back_restores_the_previous_choice(
    page: Page, app_server: AppServer
) -> None:
    page.goto(f"{app_server.url}/Event_study?es_model=mean_adjusted")
    wait_for_app_run(page, timeout=90_000)  # a cold study computes first
    model = page.get_by_test_id("stSelectbox").filter(has_text="Model")
    expect(model.get_by_role("combobox")).to_have_value(re.compile("Mean-adjusted"))
    assert "es_model=mean_adjusted" in _search(page)
    model.get_by_role("combobox").click()
    page.get_by_role("option", name=re.compile("^Market-adjusted")).click()
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"es_model=market_adjusted"))
    page.go_back()  # one press: the previous choice, read from the URL again
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"es_model=mean_adjusted"))
    expect(model.get_by_role("combobox")).to_have_value(re.compile("Mean-adjusted"))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_an_id_link_does_not_follow_the_reader_to_another_page(
    page: Page, app_server: AppServer
) -> None:
    page.goto(f"{app_server.url}/Event_study?es_model=mean_adjusted")
    wait_for_app_run(page, timeout=90_000)  # a cold study computes first
    page.locator(".st-key-app_nav").get_by_role("link", name="Policy timeline").click()
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"/Policy_timeline"))
    assert "es_model" not in _search(page)
