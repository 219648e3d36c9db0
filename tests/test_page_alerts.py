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


def _first_list(at) -> int:  # type: ignore[no-untyped-def]
    kinds = [s for s in at.selectbox if s.key and s.key.startswith("al_kind_")]
    assert kinds, "the alerts section is on the page"
    return int(kinds[0].key.removeprefix("al_kind_"))


def _shown(elements) -> list[str]:  # type: ignore[no-untyped-def]
    """Texts as a reader sees them (markdown escapes and link breaks removed)."""
    return [t.replace("\\", "").replace("\u2060", "") for t in texts(elements)]


def _alert_texts(at) -> str:  # type: ignore[no-untyped-def]
    return " ".join(
        " ".join(map(str, df.value["Alert"])) for df in at.dataframe if "Alert" in df.value
    )


def test_edit_a_rule_and_a_stale_edit_is_refused() -> None:
    from lib.alerts.store import STALE_MESSAGE, AlertStore

    at = ok(page_app(PAGE).run())
    lid = _first_list(at)
    store = watchlists.WatchlistStore.open(_db_url())
    alerts = AlertStore(store.engine)
    try:
        rid = alerts.add_rule(watchlists.LOCAL_OWNER, lid, "move_n", {"pct": 5, "sessions": 5})
        at.run()
        assert at.selectbox(key=f"al_pick_{lid}").value == rid
        assert at.number_input(key=f"al_e{rid}_r0_n").value == 5  # prefilled from the rule
        at.number_input(key=f"al_e{rid}_r0_pct").set_value(8.0)
        at.selectbox(key=f"al_e{rid}_r0_dir").set_value("up")
        at.multiselect(key=f"al_e{rid}_r0_ch").set_value(["email"])
        at.button(key=f"al_save_{lid}").click().run()
        ok(at)
        assert "Alert saved." in _shown(at.success)
        assert "close moves up at least 8 % over 5 sessions" in _alert_texts(at)
        (rule,) = alerts.rules(watchlists.LOCAL_OWNER, lid)
        assert rule.revision == 1 and rule.channels == ("inbox", "email")
        # Another tab saves first; this tab's edit, made on revision 1, is refused.
        alerts.update_rule(watchlists.LOCAL_OWNER, rid, 1, {"pct": 20, "sessions": 10}, [])
        at.number_input(key=f"al_e{rid}_r1_pct").set_value(9.0)
        at.button(key=f"al_save_{lid}").click().run()
        ok(at)
        assert STALE_MESSAGE in _shown(at.warning)
        (rule,) = alerts.rules(watchlists.LOCAL_OWNER, lid)
        assert rule.params["pct"] == 20 and rule.revision == 2
        assert at.number_input(key=f"al_e{rid}_r2_pct").value == 20  # the form shows it now
        # A stale delete is refused the same way; a current one goes through.
        alerts.update_rule(watchlists.LOCAL_OWNER, rid, 2, {"pct": 21, "sessions": 10}, [])
        at.button(key=f"al_del_{lid}").click().run()
        assert STALE_MESSAGE in _shown(at.warning)
        at.button(key=f"al_del_{lid}").click().run()
        ok(at)
        assert "Alert deleted." in _shown(at.success)
        assert alerts.rules(watchlists.LOCAL_OWNER) == []
    finally:
        store.dispose()


def test_a_typed_address_is_confirmed_by_the_code_it_receives(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re

    from tests.alert_servers import SMTP_PASSWORD, SMTP_USER, smtp_server

    with smtp_server(tmp_path) as (box, port, ca):
        at = page_app(PAGE)
        at.secrets["alerts"] = {
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "username": SMTP_USER,
                "password": SMTP_PASSWORD,
                "ca_file": str(ca),
            }
        }
        ok(at.run())
        at.text_input(key="al_addr_0").set_value("me@exam\u202eple.com")
        at.button(key="al_addr_send").click().run()
        ok(at)
        assert any("invisible characters" in t for t in _shown(at.warning))
        assert box.messages == []
        at.text_input(key="al_addr_0").set_value("Me@Example.com")
        at.button(key="al_addr_send").click().run()
        ok(at)
        assert box.recipients == [["Me@example.com"]]
        code = re.search(r"code is (\d{6})\.", box.messages[0].get_body(("plain",)).get_content())
        assert code
        wrong = f"{(int(code[1]) + 1) % 10**6:06d}"
        at.text_input(key="al_code_1").set_value(wrong)
        at.button(key="al_code_ok").click().run()
        ok(at)
        assert any("4 attempt(s) left" in t for t in _shown(at.warning))
        at.text_input(key="al_code_1").set_value(code[1])
        at.button(key="al_code_ok").click().run()
        ok(at)
    shown = " ".join(_shown(at.success) + _shown(at.caption))
    assert "Address confirmed" in shown and "Email alerts go to Me@example.com" in shown
    store = watchlists.WatchlistStore.open(_db_url())
    try:
        from lib.alerts.addresses import AddressBook

        got = AddressBook(store.engine).delivery_address(watchlists.LOCAL_OWNER, None)
        assert got is not None and got.address == "Me@example.com"
    finally:
        store.dispose()
