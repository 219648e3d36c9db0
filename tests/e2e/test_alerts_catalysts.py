"""Chromium with the OIDC mock: alice's private event and alerts are hers alone.

Alice signs in, adds a private event on Catalysts, and on Watchlists makes a list and an alert
rule on it, all through the pages' forms; ``scripts/alerts.py run`` fires the rule; her sidebar
shows the inbox badge and the page the message. Bob, signed in from another browser, sees
neither her event nor her alerts.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from lib.alerts.store import AlertStore
from scripts import alerts as cli
from tests.e2e import choose_option, enter_text, eventually, open_tab, wait_for_app_run
from tests.e2e.test_auth import (  # noqa: F401 - fixtures used by name
    create_list,
    new_page,
    open_app,
    provider,
    server,
    sidebar,
    sign_in,
    store,
    switch_page,
)

pytestmark = pytest.mark.e2e

ALICE_EVENT = "Alice private milestone"


def open_alerts(page: Any, inside: Any) -> None:
    """Expand 'Alerts on this list' unless ``inside`` shows already. The page's expander has
    no key, so a rerun that drops a message above it (the 'Added…' flash) redraws it closed."""
    if not inside.is_visible():
        page.get_by_test_id("stExpander").filter(has_text="Alerts on this list").locator(
            "summary"
        ).click()
    expect(inside).to_be_visible()


@pytest.mark.timeout(600)
def test_private_events_and_alerts_stay_with_their_owner(server, provider, store, new_page):  # noqa: F811
    alice = new_page()
    open_app(alice, server)
    sign_in(alice, server, provider, "alice")

    # A private event, through the Catalysts page's form.
    open_app(alice, server, "Catalysts?cat_h=next365")
    alice.get_by_test_id("stExpander").filter(has_text="My events").locator("summary").click()
    # A form: its fields reach the app with the submit click, in one rerun.
    alice.locator(".st-key-cat_my_title input").fill(ALICE_EVENT)
    alice.locator(".st-key-cat_my_syms input").fill("MP")
    alice.locator(".st-key-cat_my_save button").click()
    owner = provider.owner("alice")
    from lib.catalysts.private import PrivateEventStore

    def titles() -> list[str]:
        return [e.title for e in PrivateEventStore(store.engine).list(owner)]

    assert eventually(titles, bool) == [ALICE_EVENT]  # the store, not the page's state
    wait_for_app_run(alice)
    expect(alice.get_by_test_id("stDataFrame").first).to_be_visible()

    # A list and an alert on it, through the Watchlists page's forms (a fresh load before a
    # write: see test_auth.test_two_users_sign_out_and_restart).
    open_app(alice, server, "Watchlists")
    create_list(alice, "Alice falling")
    open_tab(alice, "Symbols")
    enter_text(alice, "wl_add_text", "UUUU, USAR")
    alice.locator(".st-key-wl_add button").click()
    expect(alice.get_by_text("Added 2 symbol(s).")).to_be_visible()
    wait_for_app_run(alice)
    (lid,) = [x.id for x in store.lists(owner) if x.name == "Alice falling"]
    pct = alice.locator(f".st-key-al_{lid}_pct input")
    open_alerts(alice, pct)
    pct.fill("3")
    pct.press("Enter")
    wait_for_app_run(alice)
    open_alerts(alice, pct)
    choose_option(alice, "Direction", "Down")
    wait_for_app_run(alice)
    alice.locator(f".st-key-al_add_{lid} button").click()
    expect(alice.get_by_text("Alert added.")).to_be_visible()
    (rule,) = AlertStore(store.engine).rules(owner, lid)
    assert (rule.kind, rule.params) == ("daily_move", {"pct": 3.0, "direction": "down"})

    # The cron script evaluates it.
    out = io.StringIO()
    url = str(store.engine.url)
    cli.main(["run", "--database-url", url, "--today", date(2026, 12, 7).isoformat()], stdout=out)
    assert "2 new firing(s) in 1 message(s)" in out.getvalue()
    open_app(alice, server, "Watchlists")
    badge = sidebar(alice).get_by_text(re.compile(r"Alerts inbox · 1 unread"))
    expect(badge).to_be_visible()
    expect(
        alice.get_by_text(re.compile(r"Rare Earths Revival: 2 alerts on Alice falling"))
    ).to_be_visible()

    # Bob: none of it.
    bob = new_page()
    open_app(bob, server)
    sign_in(bob, server, provider, "bob")
    open_app(bob, server, "Catalysts?cat_h=next365")
    expect(bob.get_by_text(ALICE_EVENT)).to_have_count(0)
    assert ALICE_EVENT not in bob.content()
    switch_page(bob, "Watchlists")
    expect(sidebar(bob).get_by_text(re.compile("Alerts inbox"))).to_have_count(0)
    expect(bob.get_by_text("No alerts have fired yet.")).to_be_visible()
    assert "Alice falling" not in bob.content()
