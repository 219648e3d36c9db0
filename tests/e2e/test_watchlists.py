"""Watchlists in the browser: a list survives a server restart; two tabs never cross wires."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lib import watchlists as wl
from tests.e2e import (
    AppServer,
    create_watchlist,
    enter_text,
    eventually,
    open_tab,
    wait_for_app_run,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_server(own_app_server: AppServer) -> AppServer:
    """This module writes watchlists, so it has a server of its own (not the shared one)."""
    return own_app_server


NAME = "E2E restart check"
NOTE = "=1+1"


def test_watchlist_survives_restart_and_exports_safely(page: Page, app_server: AppServer) -> None:
    """Create a list and add symbols in the browser, restart, reload: it is there, and its
    CSV export neutralises a formula-like note."""
    page.goto(f"{app_server.url}/Watchlists")
    wait_for_app_run(page)
    create_watchlist(page, NAME)
    picker = page.locator(".st-key-wl_current")
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(re.escape(NAME)))

    # Straight on, as a reader does. The next rerun removes the one-shot "created" message
    # and re-mounts the tabs; the open tab must stay Symbols (untracked tabs sometimes went
    # back to Performance there, hiding the Add button below).
    open_tab(page, "Symbols")
    expect(page.get_by_text("Watchlist created.")).to_have_count(0)
    enter_text(page, "wl_add_text", "MP, LYC.AX")
    expect(page.get_by_role("tab", name="Symbols")).to_have_attribute("aria-selected", "true")
    enter_text(page, "wl_add_note", NOTE)
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

    open_tab(page, "Import / export")
    button = page.get_by_test_id("stDownloadButton").filter(has_text="Download watchlist")
    with page.expect_download() as info:
        button.locator("button").click()
    raw = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert [r["symbol"] for r in rows] == ["MP", "LYC.AX"]
    assert {r["note"] for r in rows} == {"'" + NOTE}


# --------------------------------------------------------------------------- two tabs (issue 25)

#: Two tabs on a shared 2-core machine: waits are generous (they end as soon as the app is done).
BUSY_MS = 120_000


def lists_on_disk(app_server: AppServer) -> dict[str, list[tuple[str, str]]]:
    """Every list the server stored: name -> [(symbol, note)] in order."""
    store = wl.WatchlistStore.open(f"sqlite:///{app_server.data_home / wl.DB_FILE}")
    try:
        return {
            x.name: [(i.symbol, i.note) for i in store.get(wl.LOCAL_OWNER, x.id).items]
            for x in store.lists(wl.LOCAL_OWNER)
        }
    finally:
        store.dispose()


def changed_on_disk(
    app_server: AppServer, before: dict[str, list[tuple[str, str]]], seconds: float = 30
) -> dict[str, list[tuple[str, str]]]:
    """The stored lists once they differ from ``before`` (or after ``seconds``)."""
    return eventually(lambda: lists_on_disk(app_server), lambda now: now != before, seconds)


def open_list(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/Watchlists")
    wait_for_app_run(page, BUSY_MS)
    pick(page, name)


def pick(page: Page, name: str) -> None:
    picker = page.locator(".st-key-wl_current").get_by_role("combobox")
    picker.click()
    page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(name) + r" \(")).click()
    expect(picker).to_have_value(re.compile("^" + re.escape(name)), timeout=BUSY_MS)
    wait_for_app_run(page, BUSY_MS)


def symbols_tab(page: Page) -> None:
    """Open the Symbols tab: a tab switch is a rerun (the page's tabs track their state), which
    also brings a stale view up to date."""
    open_tab(page, "Symbols", BUSY_MS)
    expect(page.locator(".st-key-wl_down button")).to_be_visible(timeout=BUSY_MS)


def settle(page: Page, message: str) -> None:
    """Rerun once so a one-shot message is gone."""
    page.get_by_test_id("stHeading").first.click()
    page.keyboard.press("r")
    expect(page.get_by_text(message)).to_have_count(0, timeout=BUSY_MS)
    wait_for_app_run(page, BUSY_MS)


def click(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} button").click()
    wait_for_app_run(page, BUSY_MS)


def test_two_tabs_a_stale_action_is_refused_and_lands_nowhere(
    page: Page, app_server: AppServer
) -> None:
    """Two tabs of one browser on "China majors": tab A adds a symbol, so tab B's view (and
    the picker's label "China majors (7)") is stale. B's Move down and Save note are refused
    with a warning and change no list; after the reload they land on China majors."""
    a, b = page, page.context.new_page()
    open_list(a, app_server.url, "China majors")
    open_list(b, app_server.url, "China majors")
    start = lists_on_disk(app_server)
    china = start["China majors"]

    # Both tabs open their Symbols tab first: opening it later would rerun B, and a rerun
    # brings B's view up to date, so its Move down would no longer be stale.
    symbols_tab(b)
    symbols_tab(a)
    enter_text(a, "wl_add_text", "SPY")
    click(a, "wl_add")
    expect(a.get_by_text("Added 1 symbol(s).")).to_be_visible(timeout=BUSY_MS)
    after_add = lists_on_disk(app_server)
    assert after_add["China majors"] == [*china, ("SPY", "")]

    click(b, "wl_down")
    expect(b.get_by_text("changed in another tab")).to_be_visible(timeout=BUSY_MS)
    assert lists_on_disk(app_server) == after_add  # nothing moved, in any list
    expect(b.locator(".st-key-wl_current").get_by_role("combobox")).to_have_value(
        re.compile(r"^China majors \(" + str(len(china) + 1) + r"\)"), timeout=BUSY_MS
    )

    # Reloaded: B's note goes to the symbol B sees, in China majors.
    settle(b, "changed in another tab")
    symbols_tab(b)
    note = b.get_by_role("textbox", name="Note", exact=True)
    expect(note).to_have_value(china[0][1])  # the note of the symbol B has selected
    note.fill("Baotou JV")
    expect(note).to_have_value("Baotou JV")
    click(b, "wl_save_note")
    expect(b.get_by_text("Note saved.")).to_be_visible(timeout=BUSY_MS)
    saved = lists_on_disk(app_server)
    assert saved["China majors"][0] == (china[0][0], "Baotou JV")
    assert {k: v for k, v in saved.items() if k != "China majors"} == {
        k: v for k, v in start.items() if k != "China majors"
    }

    # Tab A's view is now stale in turn: its Move down is refused too.
    symbols_tab(a)
    click(a, "wl_down")
    expect(a.get_by_text("changed in another tab")).to_be_visible(timeout=BUSY_MS)
    assert lists_on_disk(app_server) == saved
    for p in (a, b):
        expect(p.get_by_test_id("stException")).to_have_count(0, timeout=BUSY_MS)


def test_after_an_add_move_down_stays_on_that_list(page: Page, app_server: AppServer) -> None:
    """One tab: the picker's label changes after Add ("(4)" -> "(5)"); Move down still moves
    a symbol of this list, never the first list's."""
    open_list(page, app_server.url, "ETFs and benchmarks")
    symbols_tab(page)
    enter_text(page, "wl_add_text", "MP")
    click(page, "wl_add")
    expect(page.get_by_text("Added 1 symbol(s).")).to_be_visible(timeout=BUSY_MS)
    before = lists_on_disk(app_server)
    symbols_tab(page)
    click(page, "wl_down")
    after = changed_on_disk(app_server, before)
    etfs = [s for s, _ in before["ETFs and benchmarks"]]
    assert [s for s, _ in after["ETFs and benchmarks"]] == [etfs[1], etfs[0], *etfs[2:]]
    assert after["US revival"] == before["US revival"]
    expect(page.locator(".st-key-wl_current").get_by_role("combobox")).to_have_value(
        re.compile(r"^ETFs and benchmarks \("), timeout=BUSY_MS
    )
