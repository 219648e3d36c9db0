"""Short links in the browser (issue 25): ?sup_company=MP, ?scope=<id>, ?equity_symbols=MP and
?cat_h=past90 open their view and stay in the address bar as written, a change writes the id,
and one Back press returns to the previous choice (lib.ui.links: id links are not bound)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, choose_option, wait_for_app_run

pytestmark = pytest.mark.e2e


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(page.evaluate("() => window.location.search").lstrip("?"))


def _shown(page: Page, select_label: str) -> object:
    box = page.get_by_test_id("stSelectbox").filter(has_text=select_label)
    return expect(box.get_by_role("combobox"))


def test_company_link_stays_and_back_takes_one_press(page: Page, app_server: AppServer) -> None:
    """MP is the company the page opens on: the binding used to drop it from the URL."""
    page.goto(f"{app_server.url}/")
    wait_for_app_run(page)
    page.goto(f"{app_server.url}/Supply_gap?sup_company=MP")
    wait_for_app_run(page)
    _shown(page, "Company (symbol)").to_have_value("MP")
    assert _query(page) == {"sup_company": ["MP"]}
    choose_option(page, "Company (symbol)", "LYC.AX")
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"sup_company=LYC\.AX"))
    page.go_back()  # one press: the link's company again, read from the URL
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"sup_company=MP$"))
    _shown(page, "Company (symbol)").to_have_value("MP")
    page.go_back()  # and one more leaves the page
    expect(page).to_have_url(re.compile(r"/(\?.*)?$"))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_scope_link_stays_and_back_takes_one_press(page: Page, app_server: AppServer) -> None:
    page.goto(f"{app_server.url}/Market_outlook?scope=NdFeB+magnets&equity_symbols=MP")
    wait_for_app_run(page)
    _shown(page, "Market definition").to_have_value(re.compile("^NdFeB magnets · "))
    assert _query(page) == {"scope": ["NdFeB magnets"], "equity_symbols": ["MP"]}
    choose_option(page, "Market definition", re.compile(r"^rare-earth metals · "))
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"scope=rare-earth\+metals"))
    assert _query(page)["equity_symbols"] == ["MP"]
    page.go_back()  # one press
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"scope=NdFeB\+magnets"))
    _shown(page, "Market definition").to_have_value(re.compile("^NdFeB magnets · "))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_horizon_link_stays_in_the_address_bar(page: Page, app_server: AppServer) -> None:
    page.goto(f"{app_server.url}/Catalysts?cat_h=past90")
    wait_for_app_run(page)
    _shown(page, "Horizon").to_have_value("Past 90 days")
    assert _query(page) == {"cat_h": ["past90"]}
    expect(page.get_by_test_id("stException")).to_have_count(0)
