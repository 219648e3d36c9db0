"""Alerts: rules (owner-scoped, limits), evaluation against the snapshot with hand-computed
expectations, an idempotent outbox, and delivery by SMTP (STARTTLS + AUTH, aiosmtpd) and a
signed webhook, including kills between the steps."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.alerts import rules as R
from lib.alerts.deliver import SIGNATURE_HEADER, WebhookConfig, send_pending, webhook_sender
from lib.alerts.evaluate import PriceIndex, evaluate
from lib.alerts.outbox import Targets, record
from lib.alerts.schema import deliveries_t, firings_t, messages_t
from lib.alerts.store import AlertNotFoundError, AlertStore, StaleAlertError
from lib.events.events import load_events
from lib.paths import ROOT
from lib.prices import read_snapshot
from lib.universe import load_universe
from lib.watchlists import LOCAL_OWNER, WatchlistNotFoundError, WatchlistStore
from scripts import alerts as cli
from tests.alert_servers import SMTP_PASSWORD, SMTP_USER, smtp_server, webhook_server
from tests.pg_server import fresh_database, pg_cluster

ALICE, BOB = "https://issuer.example|alice", "https://issuer.example|bob"
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'w.db'}"
    return fresh_database(request.getfixturevalue("pg_admin_url"), f"a_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def wl(db_url: str) -> Iterator[WatchlistStore]:
    s = WatchlistStore.open(db_url)
    yield s
    s.dispose()


@pytest.fixture(scope="module")
def index() -> PriceIndex:
    uni = load_universe()
    return PriceIndex(read_snapshot(), dict(zip(uni["symbol"], uni["exchange"], strict=True)))


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("daily_move", {"pct": "inf"}, "between"),
        ("daily_move", {"pct": 5, "direction": "sideways"}, "direction"),
        ("level_cross", {}, "price level"),
        ("move_n", {"pct": 5, "sessions": 2.5}, "whole number"),
        ("move_n", {"pct": 5, "sessions": 1000}, "between"),
        ("policy_event", {"categories": ["rumour"]}, "Unknown event kind"),
        ("catalyst_due", {"days": 0}, "between"),
        ("stale_price", {"sessions": -1}, "between"),
        ("astrology", {}, "Unknown alert kind"),
    ],
)
def test_invalid_rules_are_refused_with_a_sentence(kind, params, message) -> None:
    with pytest.raises(R.AlertRuleError, match=message):
        R.clean_params(kind, params)


def test_channels_always_include_the_inbox() -> None:
    assert R.clean_channels(["email"]) == ("inbox", "email")
    assert R.clean_channels([]) == ("inbox",)
    with pytest.raises(R.AlertRuleError):
        R.clean_channels(["sms"])


def test_crud_and_owner_isolation_on_every_path(wl: WatchlistStore) -> None:
    store = AlertStore(wl.engine)
    alice_list = wl.create(ALICE, "Alice", ["MP"])
    rid = store.add_rule(ALICE, alice_list, "daily_move", {"pct": 5, "direction": "down"})
    assert [r.description for r in store.rules(ALICE)] == ["daily close moves down at least 5 %"]
    # Bob cannot see, add to, edit, delete or read anything of Alice's.
    assert store.rules(BOB) == [] and store.inbox(BOB) == [] and store.unread(BOB) == 0
    with pytest.raises(WatchlistNotFoundError):
        store.add_rule(BOB, alice_list, "daily_move", {"pct": 5})
    with pytest.raises(AlertNotFoundError):
        store.update_rule(BOB, rid, 0, {"pct": 1}, ["inbox"])
    with pytest.raises(AlertNotFoundError):
        store.delete_rule(BOB, rid, 0)
    store.update_rule(ALICE, rid, 0, {"pct": 7, "direction": "either"}, ["inbox", "email"])
    with pytest.raises(StaleAlertError):
        store.delete_rule(ALICE, rid, 0)  # a tab that still shows revision 0
    (got,) = store.rules(ALICE, alice_list)
    assert got.params == {"pct": 7.0, "direction": "either"} and got.channels == ("inbox", "email")
    # Messages: another owner's id is refused too.
    rep = record(
        wl.engine, [_firing(ALICE, rid, "MP")], {rid: ("inbox",)}, lambda o: Targets(), NOW
    )
    with pytest.raises(AlertNotFoundError):
        store.mark_read(BOB, rep.messages[0])
    store.mark_read(ALICE, rep.messages[0])
    assert store.unread(ALICE) == 0
    store.delete_rule(ALICE, rid, 1)
    assert store.rules(ALICE) == []


def test_deleting_a_list_deletes_its_rules(wl: WatchlistStore) -> None:
    store = AlertStore(wl.engine)
    lid = wl.create(ALICE, "Gone soon", ["MP"])
    store.add_rule(ALICE, lid, "stale_price", {"sessions": 5})
    wl.delete(ALICE, lid)
    assert store.rules(ALICE) == []


def test_limits_per_list_and_per_owner(wl: WatchlistStore) -> None:
    store = AlertStore(wl.engine)
    lists = [wl.create(ALICE, f"L{i}", ["MP"]) for i in range(11)]
    for _ in range(R.MAX_RULES_PER_LIST):
        store.add_rule(ALICE, lists[0], "stale_price", {"sessions": 5})
    with pytest.raises(R.AlertRuleError, match="at most 50"):
        store.add_rule(ALICE, lists[0], "stale_price", {"sessions": 5})
    for lid in lists[1:10]:
        for _ in range(R.MAX_RULES_PER_LIST):
            store.add_rule(ALICE, lid, "stale_price", {"sessions": 5})
    with pytest.raises(R.AlertRuleError, match="at most 500"):
        store.add_rule(ALICE, lists[10], "stale_price", {"sessions": 5})
    blid = wl.create(BOB, "Bob", ["MP"])
    store.add_rule(BOB, blid, "stale_price", {"sessions": 5})  # per owner, not global


# --------------------------------------------------------------------------- evaluation


def _rule(kind: str, params: dict, symbols: tuple[str, ...], rid: int = 1, created="2026-06-01"):
    return R.Rule(
        rid,
        ALICE,
        1,
        "Test list",
        kind,
        R.clean_params(kind, params),
        symbols=symbols,
        created=created,
    )


def _firing(owner: str, rid: int, sym: str, day: str = "2026-10-08"):
    from lib.alerts.evaluate import Firing

    return Firing(
        f"{rid}:{sym}:{day}",
        rid,
        owner,
        "Alice",
        "daily_move",
        sym,
        day,
        f"{sym} moved",
        f"/Prices?symbols={sym}",
    )


def _catalysts():
    from scripts.alerts import catalysts_table

    return catalysts_table()


LIST = ("MP", "UUUU", "USAR", "LYC.AX")


@pytest.mark.parametrize(
    ("kind", "params", "symbols", "expected"),
    [
        # Last two closes: UUUU 10.26 -> 9.94 (-3.1 %), USAR 13.74 -> 13.23 (-3.7 %),
        # LYC.AX 19.49 -> 18.71 (-4.0 %), MP 46.31 -> 46.14 (-0.4 %).
        (
            "daily_move",
            {"pct": 3, "direction": "down"},
            LIST,
            {"1:UUUU:2026-10-08", "1:USAR:2026-10-07", "1:LYC.AX:2026-06-04"},
        ),
        ("daily_move", {"pct": 3, "direction": "up"}, LIST, set()),
        ("daily_move", {"pct": 3.8, "direction": "either"}, LIST, {"1:LYC.AX:2026-06-04"}),
        # MP 46.31 -> 46.14 passes 46.2 going down; UUUU 10.26 -> 9.94 passes 10.
        ("level_cross", {"level": 46.2, "direction": "down"}, ("MP",), {"1:MP:2026-10-08"}),
        ("level_cross", {"level": 46.2, "direction": "up"}, ("MP",), set()),
        ("level_cross", {"level": 10, "direction": "either"}, ("UUUU",), {"1:UUUU:2026-10-08"}),
        # Over 5 sessions: UUUU 10.71 -> 9.94 (-7.2 %), MP 46.09 -> 46.14 (+0.1 %).
        ("move_n", {"pct": 5, "sessions": 5}, ("MP", "UUUU"), {"1:UUUU:2026-10-08"}),
        # Policy events since 2026-06-01 naming the list: E124 (UUUU), E121 (MP).
        ("policy_event", {}, ("MP", "UUUU"), {"1:event:E124", "1:event:E121"}),
        ("policy_event", {"categories": ["export control"]}, ("MP", "UUUU"), {"1:event:E121"}),
        # Iluka's Eneabba refinery (P20) is due in 2027: 25 days from 2026-12-07.
        ("catalyst_due", {"days": 30}, ("ILU.AX",), {"1:catalyst:milestone-P20"}),
        ("catalyst_due", {"days": 20}, ("ILU.AX",), set()),
        # LYC.AX's last close is 2026-06-04: 131 weekdays to 2026-12-04 (its ASX peers stop
        # the same day); MP's is 2026-10-08: 41 weekdays.
        ("stale_price", {"sessions": 60}, ("LYC.AX", "MP"), {"1:LYC.AX:stale:2026-06-04"}),
        ("stale_price", {"sessions": 41}, ("MP",), {"1:MP:stale:2026-10-08"}),
    ],
)
def test_each_kind_against_the_snapshot(index, kind, params, symbols, expected) -> None:
    got = evaluate([_rule(kind, params, symbols)], index, load_events(), _catalysts(), TODAY)
    assert {f.key for f in got} == expected


def test_messages_say_what_fired_with_its_number_and_date(index) -> None:
    (f,) = evaluate(
        [_rule("daily_move", {"pct": 3.8}, ("LYC.AX",))], index, load_events(), _catalysts(), TODAY
    )
    assert f.text == "LYC.AX closed -4.0% on 2026-06-04 (daily close moves at least 3.8 %)."
    assert f.link == "/Prices?px_symbols=LYC.AX&px_range=1M"  # today's Prices names
    (e,) = evaluate(
        [_rule("policy_event", {}, ("UUUU",))], index, load_events(), _catalysts(), TODAY
    )
    assert e.title and e.source_url.startswith("https://") and e.link.endswith("pt_event=E124")


def test_stale_counts_no_return_across_vml_consolidation(index) -> None:
    s = index.get("VML.AX")
    dates = [str(d) for d in s.dates]
    i = dates.index("2025-06-23")
    assert s.adj[i - 1] != s.adj[i - 1]  # NaN before the break: no return spans it


# --------------------------------------------------------------------------- outbox


def test_rerun_fires_nothing_and_a_big_rule_sends_one_digest(wl: WatchlistStore) -> None:
    firings = [_firing(ALICE, 7, f"S{i:03d}") for i in range(200)]
    first = record(wl.engine, firings, {7: ("inbox",)}, lambda o: Targets(), NOW)
    assert first.new_firings == 200 and len(first.messages) == 1
    again = record(wl.engine, firings, {7: ("inbox",)}, lambda o: Targets(), NOW)
    assert again.new_firings == 0 and again.messages == []
    (msg,) = AlertStore(wl.engine).inbox(ALICE)
    assert len(msg.items) == 50 and "200 alerts" in msg.subject
    with wl.engine.connect() as conn:
        body = json.loads(conn.execute(sa.select(messages_t.c.body)).scalar())
    assert body["more"] == 150


def test_channel_without_a_verified_address_stays_in_the_inbox(wl: WatchlistStore) -> None:
    rep = record(
        wl.engine,
        [_firing(BOB, 3, "MP")],
        {3: ("inbox", "email")},
        lambda o: Targets(email=None),
        NOW,
    )
    assert rep.skipped_channels == [f"{BOB}: email"]
    with wl.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(deliveries_t)).scalar() == 0


# --------------------------------------------------------------------------- delivery


def _secrets(tmp: Path, smtp_port: int | None = None, ca: Path | None = None,
             hook: str | None = None) -> Path:  # fmt: skip
    lines = ["[alerts]", 'base_url = "https://rare.example.com"', 'email = "me@example.com"']
    if smtp_port:
        lines += ["[alerts.smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}",
                  f'username = "{SMTP_USER}"', f'password = "{SMTP_PASSWORD}"',
                  'from = "Alerts <alerts@example.com>"', f'ca_file = "{ca}"']  # fmt: skip
    if hook:
        lines += ["[alerts.webhook]", f'url = "{hook}"', 'secret = "0123456789abcdef-secret"']
    path = tmp / "secrets.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _local_rules(url: str, channels=("inbox", "email", "webhook")) -> None:
    wl = WatchlistStore.open(url)
    try:
        lid = wl.create(LOCAL_OWNER, "US <b>names</b>", ["UUUU", "USAR", "MP"])
        AlertStore(wl.engine).add_rule(
            LOCAL_OWNER, lid, "daily_move", {"pct": 3, "direction": "down"}, channels
        )
    finally:
        wl.dispose()


def _cli(url: str, secrets: Path, command: str = "run") -> str:
    out = io.StringIO()
    cli.main(
        [command, "--database-url", url, "--secrets", str(secrets), "--today", TODAY.isoformat()],
        stdout=out,
    )
    return out.getvalue()


def test_email_and_webhook_end_to_end_and_no_send_on_rerun(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    _local_rules(url)
    with smtp_server(tmp_path) as (box, port, ca), webhook_server() as (hook, hook_url):
        secrets = _secrets(tmp_path, port, ca, hook_url)
        out = _cli(url, secrets)
        assert "2 new firing(s) in 1 message(s)" in out and "sent 2" in out
        assert _cli(url, secrets).count("0 new firing(s)") == 1  # re-run: nothing again
        assert len(box.messages) == 1 and len(hook.requests) == 1
    mail = box.messages[0]
    assert box.recipients == [["me@example.com"]]
    assert mail["Message-ID"].endswith("@rare-earths-revival>")
    text = mail.get_body(("plain",)).get_content()
    html_part = mail.get_body(("html",)).get_content()
    assert "UUUU closed -3.1% on 2026-10-08" in text and "USAR closed -3.7% on 2026-10-07" in text
    assert "[US <b>names</b>]" in text  # plain text stays plain
    assert "US &lt;b&gt;names&lt;/b&gt;" in html_part and "<b>names</b>" not in html_part
    assert "https://rare.example.com/Prices?px_symbols=UUUU&px_range=1M" in text
    headers, body = hook.requests[0]
    expected = "sha256=" + hmac.new(b"0123456789abcdef-secret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    payload = json.loads(body)
    assert (
        headers["Idempotency-Key"] == payload["delivery_id"] == payload["message_id"] + ":webhook"
    )
    assert "UUUU closed -3.1%" in payload["text"]


def test_webhook_5xx_is_retried_then_parked_with_its_error_in_the_inbox(wl: WatchlistStore) -> None:
    rep = record(
        wl.engine,
        [_firing(ALICE, 9, "MP")],
        {9: ("inbox", "webhook")},
        lambda o: Targets(webhook="x"),
        NOW,
    )
    with webhook_server() as (hook, hook_url):
        with wl.engine.begin() as conn:
            conn.execute(sa.update(deliveries_t).values(target=hook_url))
        hook.statuses = [503, 502, 500]
        send = {"webhook": webhook_sender(WebhookConfig(hook_url, "0123456789abcdef"))}
        t = NOW
        states = []
        for _ in range(3):
            r = send_pending(wl.engine, send, t, "https://x", max_attempts=3)
            states.append((len(r.sent), len(r.retrying), len(r.parked)))
            t += timedelta(hours=1)
        assert states == [(0, 1, 0), (0, 1, 0), (0, 0, 1)]
        assert len(hook.requests) == 3
        ids = {h["Idempotency-Key"] for h, _ in hook.requests}
        assert ids == {rep.messages[0] + ":webhook"}  # every retry is the same delivery
        assert send_pending(wl.engine, send, t, "https://x").sent == []  # parked stays parked
    (msg,) = AlertStore(wl.engine).inbox(ALICE)
    assert msg.problems == ["webhook not delivered after 3 attempt(s): RuntimeError: HTTP 500"]
    with wl.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(firings_t)).scalar() == 1


def _kill(url: str, secrets: Path, step: str) -> int:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.alert_kill_worker",
            url,
            str(secrets),
            step,
            TODAY.isoformat(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode


def test_kill_between_firing_and_sending_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    _local_rules(url, channels=("inbox", "email"))
    with smtp_server(tmp_path) as (box, port, ca):
        secrets = _secrets(tmp_path, port, ca)
        assert _kill(url, secrets, "after-record") == 9
        assert box.messages == []  # killed before any send
        out = _cli(url, secrets)  # the next cron run
        assert "0 new firing(s)" in out and "sent 1" in out
        assert len(box.messages) == 1


def test_kill_after_send_before_mark_resends_with_the_same_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    _local_rules(url)
    with smtp_server(tmp_path) as (box, port, ca), webhook_server() as (hook, hook_url):
        secrets = _secrets(tmp_path, port, ca, hook_url)
        wl = WatchlistStore.open(url)
        try:
            from lib.alerts import config

            cli.run_rules(
                AlertStore(wl.engine),
                cli.PriceStore(),
                config.load(secrets),
                TODAY,
                datetime.now(UTC),
            )
        finally:
            wl.dispose()
        assert _kill(url, secrets, "after-send") == 9  # the first delivery went, unmarked
        sent_before = len(box.messages) + len(hook.requests)
        assert sent_before == 1
        out = _cli(url, secrets, "send")
        assert "sent 2" in out  # the unmarked one again, and the other channel
        ids = [m["Message-ID"] for m in box.messages] + [
            h["Idempotency-Key"] for h, _ in hook.requests
        ]
        assert len(ids) == 3 and len(set(ids)) == 2  # the resend carries the same id
