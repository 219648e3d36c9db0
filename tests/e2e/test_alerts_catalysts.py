"""Chromium with the OIDC mock: alice's private event and alerts are hers alone.

Alice signs in, adds a private event on Catalysts and an alert rule on Watchlists;
``scripts/alerts.py run`` fires it; her sidebar shows the inbox badge and the message. Bob,
signed in from another browser, sees neither her event nor her alerts.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from lib.alerts.store import AlertStore
from scripts import alerts as cli
from tests.e2e import wait_for_app_run
from tests.e2e.test_auth import (  # noqa: F401 - fixtures used by name
    new_page,
    open_app,
    provider,
    server,
    sidebar,
    sign_in,
    store,
)

pytestmark = pytest.mark.e2e

ALICE_EVENT = "Alice private milestone"


@pytest.mark.timeout(600)
def test_private_events_and_alerts_stay_with_their_owner(server, provider, store, new_page):  # noqa: F811
    alice = new_page()
    open_app(alice, server)
    sign_in(alice, server, provider, "alice")

    # A private event, through the Catalysts page's form.
    open_app(alice, server, "Catalysts?cat_h=next365")
    alice.get_by_test_id("stExpander").filter(has_text="My events").locator("summary").click()
    alice.locator(".st-key-cat_my_title input").fill(ALICE_EVENT)
    alice.locator(".st-key-cat_my_syms input").fill("MP")
    alice.locator(".st-key-cat_my_save button").click()
    wait_for_app_run(alice)
    expect(alice.get_by_test_id("stDataFrame").first).to_be_visible()
    owner = provider.owner("alice")
    from lib.catalysts.private import PrivateEventStore

    assert [e.title for e in PrivateEventStore(store.engine).list(owner)] == [ALICE_EVENT]

    # An alert on one of her lists, evaluated by the cron script.
    lid = store.create(owner, "Alice falling", ["UUUU", "USAR"])
    AlertStore(store.engine).add_rule(owner, lid, "daily_move", {"pct": 3, "direction": "down"})
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
    open_app(bob, server, "Watchlists")
    expect(sidebar(bob).get_by_text(re.compile("Alerts inbox"))).to_have_count(0)
    expect(bob.get_by_text("No alerts have fired yet.")).to_be_visible()
    assert "Alice falling" not in bob.content()
