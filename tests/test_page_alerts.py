"""Alerts on the Watchlists page (AppTest): add a rule, run the evaluator, see the badge and
the inbox; mark read; refusals are sentences."""

from __future__ import annotations

import io
from datetime import date

from lib import watchlists
from scripts import alerts as cli
from tests.apptest_frame import ok, page_app, texts

PAGE = "pages/5_Watchlists.py"


def _db_url() -> str:
    return watchlists.resolve_database_url()


def test_add_rule_run_and_read_the_inbox() -> None:
    at = ok(page_app(PAGE).run())  # single-user mode: starter lists are made
    store = watchlists.WatchlistStore.open(_db_url())
    try:
        lid = store.create(watchlists.LOCAL_OWNER, "Falling US names", ["UUUU", "USAR", "MP"])
    finally:
        store.dispose()
    at.run()
    at.session_state["wl_current"] = lid
    at.run()
    ok(at)
    at.selectbox(key=f"al_kind_{lid}").set_value("daily_move")
    at.number_input(key=f"al_{lid}_pct").set_value(3.0)
    at.selectbox(key=f"al_{lid}_dir").set_value("down")
    at.button(key=f"al_add_{lid}").click().run()
    ok(at)
    assert "daily close moves down at least 3 %" in " ".join(
        " ".join(map(str, df.value["Alert"])) for df in at.dataframe if "Alert" in df.value
    )
    out = io.StringIO()
    assert cli.main(["run", "--today", date(2026, 12, 7).isoformat()], stdout=out) == 0
    assert "2 new firing(s) in 1 message(s)" in out.getvalue()
    at.run()
    ok(at)
    links = [p.proto.label for p in at.sidebar.get("page_link")]
    assert "Alerts inbox · 1 unread" in links
    inbox = [df.value for df in at.dataframe if "What" in df.value]
    assert inbox and set(inbox[0]["What"]) == {
        "UUUU closed -3.1% on 2026-10-08 (daily close moves down at least 3 %).",
        "USAR closed -3.7% on 2026-10-07 (daily close moves down at least 3 %).",
    }
    read = [b for b in at.button if b.key and b.key.startswith("al_read_")]
    read[0].click().run()
    ok(at)
    assert not any("unread" in p.proto.label for p in at.sidebar.get("page_link"))
    # A second run fires nothing new.
    out = io.StringIO()
    cli.main(["run", "--today", date(2026, 12, 7).isoformat()], stdout=out)
    assert "0 new firing(s)" in out.getvalue()


def test_a_refused_rule_says_why() -> None:
    from lib.alerts.store import AlertStore

    at = ok(page_app(PAGE).run())
    kinds = [s for s in at.selectbox if s.key and s.key.startswith("al_kind_")]
    assert kinds, "the alerts section is on the page"
    lid = int(kinds[0].key.removeprefix("al_kind_"))
    store = watchlists.WatchlistStore.open(_db_url())
    try:
        alerts = AlertStore(store.engine)
        for _ in range(50):
            alerts.add_rule(watchlists.LOCAL_OWNER, lid, "stale_price", {"sessions": 5})
    finally:
        store.dispose()
    at.run()
    at.button(key=f"al_add_{lid}").click().run()
    ok(at)
    assert any("at most 50 alerts" in t for t in texts(at.warning))
