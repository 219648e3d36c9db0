"""AppTest with two signed-in identities (at.user): private events and alerts stay with their
owner on Catalysts, Home and Watchlists."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lib import watchlists as wl
from lib.alerts.evaluate import Firing
from lib.alerts.outbox import Targets, record
from lib.alerts.store import AlertStore
from lib.catalysts.private import PrivateEventStore
from tests.test_page_auth import ALICE, ALICE_KEY, ISS, run

BOB = {**ALICE, "sub": "bob-sub", "name": "Bob", "email": "bob@example.com"}
BOB["nonce"] = "bob-nonce-1"
BOB_KEY = f"oidc:{ISS}|bob-sub"


def _texts(at) -> str:
    parts = [str(e.value) for e in at.markdown] + [str(e.value) for e in at.text]
    for df in at.dataframe:
        parts += [str(v) for v in df.value.astype(str).to_numpy().ravel()]
    return "\n".join(parts)


def test_two_identities_see_only_their_own_events_and_alerts() -> None:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        events = PrivateEventStore(store.engine)
        events.add(ALICE_KEY, "2027-01-05", "day", "Alice only: board meeting", symbols="MP")
        lid = store.create(ALICE_KEY, "Alice list", ["UUUU"])
        rid = AlertStore(store.engine).add_rule(ALICE_KEY, lid, "daily_move", {"pct": 3})
        f = Firing(
            f"{rid}:UUUU:2026-10-08",
            rid,
            ALICE_KEY,
            "Alice list",
            "daily_move",
            "UUUU",
            "2026-10-08",
            "UUUU closed -3.1% on 2026-10-08.",
            "/Prices?symbols=UUUU",
        )
        record(store.engine, [f], {rid: ("inbox",)}, lambda o: Targets(), datetime.now(UTC))
    finally:
        store.dispose()

    alice = run("pages/7_Catalysts.py", user=ALICE)
    alice.query_params["cat_h"] = "next365"
    alice.run()
    assert "Alice only: board meeting" in _texts(alice)
    bob = run("pages/7_Catalysts.py", user=BOB)
    bob.query_params["cat_h"] = "next365"
    bob.run()
    assert not bob.exception and "Alice only" not in _texts(bob)

    alice_wl = run("pages/5_Watchlists.py", user=ALICE)
    assert "UUUU closed -3.1% on 2026-10-08." in _texts(alice_wl)
    assert any("1 unread" in p.proto.label for p in alice_wl.sidebar.get("page_link"))
    bob_wl = run("pages/5_Watchlists.py", user=BOB)
    assert "UUUU closed" not in _texts(bob_wl) and "Alice list" not in _texts(bob_wl)
    assert not any("unread" in p.proto.label for p in bob_wl.sidebar.get("page_link"))
    # Bob's own calls with Alice's ids are refused (the store's paths, as the page calls them).
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        (mine,) = PrivateEventStore(store.engine).list(ALICE_KEY)
        assert mine.date == date(2027, 1, 5)
        assert PrivateEventStore(store.engine).list(BOB_KEY) == []
        assert AlertStore(store.engine).rules(BOB_KEY) == []
    finally:
        store.dispose()
