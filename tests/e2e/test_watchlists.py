"""Watchlists in the browser: a list created in the UI survives a server restart."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, wait_for_app_run

pytestmark = pytest.mark.e2e

NAME = "E2E restart check"
NOTE = "=1+1"


def fill_text(page: Page, key: str, value: str) -> None:
    """Type into the text input with widget key ``key``; the next click commits it."""
    field = page.locator(f".st-key-{key} input")
    field.fill(value)
    expect(field).to_have_value(value)


def test_watchlist_survives_restart_and_exports_safely(page: Page, app_server: AppServer) -> None:
    """Create a list and add symbols in the browser, restart, reload: it is there, and its
    CSV export neutralises a formula-like note."""
    page.goto(f"{app_server.url}/Watchlists")
    wait_for_app_run(page)
    new = page.get_by_test_id("stExpander").filter(has_text="New watchlist")
    if not page.locator(".st-key-wl_new_name input").is_visible():
        new.locator("summary").click()
    fill_text(page, "wl_new_name", NAME)
    page.locator(".st-key-wl_create button").click()
    expect(page.get_by_text("Watchlist created.")).to_be_visible()
    wait_for_app_run(page)
    picker = page.locator(".st-key-wl_current")
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(re.escape(NAME)))

    # Rerun once so the one-shot "created" message is gone: its removal on the next rerun
    # re-mounts the tabs and would throw the Symbols tab back to Performance mid-edit.
    page.get_by_test_id("stHeading").first.click()
    page.keyboard.press("r")
    expect(page.get_by_text("Watchlist created.")).to_have_count(0)
    wait_for_app_run(page)
    page.get_by_role("tab", name="Symbols").click()
    fill_text(page, "wl_add_text", "MP, LYC.AX")
    fill_text(page, "wl_add_note", NOTE)
    page.locator(".st-key-wl_add button").click()
    expect(page.get_by_text("Added 2 symbol(s).")).to_be_visible()
    wait_for_app_run(page)

    app_server.restart()
    page.reload()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    picker = page.locator(".st-key-wl_current")
    picker.get_by_role("combobox").click()
    option = page.get_by_role("option").filter(has_text=f"{NAME} (2)")
    expect(option).to_have_count(1)
    option.click()
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(re.escape(NAME)))
    wait_for_app_run(page)

    page.get_by_role("tab", name="Import / export").click()
    button = page.get_by_test_id("stDownloadButton").filter(has_text="Download watchlist")
    with page.expect_download() as info:
        button.locator("button").click()
    raw = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert [r["symbol"] for r in rows] == ["MP", "LYC.AX"]
    assert {r["note"] for r in rows} == {"'" + NOTE}
