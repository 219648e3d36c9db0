"""Typed alert addresses (issue 23): a one-time code by SMTP (aiosmtpd), only its hash stored,
wrong codes, expiry, attempts and send limits, owner isolation on SQLite and PostgreSQL, which
address wins, and an email sender that refuses any address not verified at send time."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.alerts import addresses as A
from lib.alerts.addresses import AddressBook, AddressError, clean_address
from lib.alerts.deliver import SmtpConfig, send_confirmation
from lib.alerts.outbox import Targets, record
from lib.alerts.schema import addresses_t, deliveries_t, firings_t
from lib.alerts.store import AlertStore
from lib.auth_sessions import SessionStore
from lib.watchlists import LOCAL_OWNER, WatchlistStore
from scripts import alerts as cli
from tests.alert_servers import SMTP_PASSWORD, SMTP_USER, smtp_server
from tests.pg_server import fresh_database, pg_cluster
from tests.test_alerts import ALICE, BOB, NOW, TODAY, _firing


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:  # the process's shared cluster
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def wls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WatchlistStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'w.db'}"
    else:
        url = fresh_database(request.getfixturevalue("pg_admin_url"), f"ad_{uuid.uuid4().hex[:12]}")
    s = WatchlistStore.open(url)
    yield s
    s.dispose()


class Clock:
    def __init__(self, start: datetime = NOW) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def tick(self, **kw: float) -> None:
        self.at += timedelta(**kw)


class Outbox:
    """A fake mailer: the codes it was asked to send, by address."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, to: str, code: str) -> None:
        self.sent.append((to, code))

    @property
    def code(self) -> str:
        return self.sent[-1][1]


def _book(wl: WatchlistStore, clock: Clock | None = None, codes: str = "") -> AddressBook:
    """An address book on ``clock``; ``codes`` (e.g. "111111 222222") fixes the codes made."""
    made = iter(codes.split())
    return AddressBook(
        wl.engine, now=clock or Clock(), make_code=(lambda: next(made)) if codes else A.new_code
    )


# --------------------------------------------------------------------------- what is an address


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type an email address"),
        ("   ", "Type an email address"),
        ("a" * 250 + "@example.com", "longer than 254"),
        ("me@example.com\r\nBcc: all@example.com", "control or invisible"),
        ("me@exam\tple.com", "control or invisible"),
        ("\u202emoc.elpmaxe@em", "control or invisible"),  # right-to-left override
        ("me\u200b@example.com", "control or invisible"),  # zero-width space
        ("mé@example.com", "plain ASCII"),
        ("me@exаmple.com", "plain ASCII"),  # a Cyrillic 'а'
        ("me @example.com", "no spaces"),
        ("me.example.com", "not an email address"),
        ("@example.com", "not an email address"),
        ("a@b@example.com", "not an email address"),
        (".me@example.com", "mailbox name"),
        ("m..e@example.com", "mailbox name"),
        ("<me>@example.com", "mailbox name"),
        ("x" * 65 + "@example.com", "mailbox name"),
        ("me@localhost", "domain name"),
        ("me@-example.com", "domain name"),
        ("me@example.123", "domain name"),
        ("me@[127.0.0.1]", "domain name"),
    ],
)
def test_hostile_or_wrong_addresses_get_a_sentence(typed: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        clean_address(typed)


def test_good_addresses_are_kept_with_a_lower_case_domain() -> None:
    assert clean_address("  Jane.Doe+alerts@Example.CO.uk ") == "Jane.Doe+alerts@example.co.uk"
    assert clean_address("o'neil@mail.example.com") == "o'neil@mail.example.com"


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", "１２３４５６", ""])
def test_a_code_is_six_ascii_digits(typed: str) -> None:
    with pytest.raises(AddressError, match="6 digits"):
        A.clean_code(typed)
    assert A.clean_code(" 123-456 ") == "123456"


# --------------------------------------------------------------------------- the code, by SMTP


def test_the_code_arrives_by_smtp_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    store = WatchlistStore.open(f"sqlite:///{tmp_path / 'w.db'}")
    book = _book(store)
    try:
        with smtp_server(tmp_path) as (box, port, ca):
            cfg = SmtpConfig(
                "127.0.0.1", port, SMTP_USER, SMTP_PASSWORD, "Alerts <a@example.com>", True, str(ca)
            )
            book.request_code(
                ALICE,
                "Alice@Example.com",
                lambda to, code: send_confirmation(cfg, to, code, 15, NOW),
            )
        (mail,) = box.messages
        assert box.recipients == [["Alice@example.com"]]
        code = re.search(r"code is (\d{6})\.", mail.get_body(("plain",)).get_content())[1]
        assert code in mail["Subject"]
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(addresses_t)).mappings().one()
        assert all(code not in str(v) for v in row.values())  # only salt$sha256
        assert row["code_hash"] == A.code_hash(
            ALICE, "Alice@example.com", code, row["code_hash"][:32]
        )
        assert book.status(ALICE).pending == "Alice@example.com"
        assert book.status(ALICE).email is None
        assert book.confirm(ALICE, code) == "Alice@example.com"
        assert book.status(ALICE) == A.AddressStatus(email="Alice@example.com")
        assert book.delivery_address(ALICE, None) == A.DeliveryAddress("Alice@example.com", "typed")
    finally:
        store.dispose()


def test_wrong_codes_expiry_and_send_limits(wls: WatchlistStore) -> None:
    clock, mail = Clock(), Outbox()
    book = _book(wls, clock)
    book.request_code(ALICE, "alice@example.com", mail)
    wrong = f"{(int(mail.code) + 1) % 10**6:06d}"
    with pytest.raises(AddressError, match=r"not right\. 4 attempt"):
        book.confirm(ALICE, wrong)
    assert book.status(ALICE).attempts_left == 4  # the refusal was committed
    for left in (3, 2, 1):
        with pytest.raises(AddressError, match=f"{left} attempt"):
            book.confirm(ALICE, wrong)
    with pytest.raises(AddressError, match="wrongly 5 times"):
        book.confirm(ALICE, wrong)
    with pytest.raises(AddressError, match="No code is waiting"):
        book.confirm(ALICE, mail.code)  # the right code is void now too
    assert book.status(ALICE).email is None

    with pytest.raises(AddressError, match="less than a minute ago"):
        book.request_code(ALICE, "alice@example.com", mail)
    clock.tick(seconds=61)
    book.request_code(ALICE, "alice@example.com", mail)
    clock.tick(minutes=15)
    with pytest.raises(AddressError, match="expired"):
        book.confirm(ALICE, mail.code)
    assert book.status(ALICE).pending is None

    for _ in range(3):  # five codes in 24 hours, then no more until the window passes
        clock.tick(minutes=2)
        book.request_code(ALICE, "alice@example.com", mail)
    clock.tick(minutes=2)
    with pytest.raises(AddressError, match="At most 5 codes"):
        book.request_code(ALICE, "alice@example.com", mail)
    assert len(mail.sent) == 5
    clock.tick(days=1)
    book.request_code(ALICE, "alice@example.com", mail)
    assert book.confirm(ALICE, mail.code) == "alice@example.com"
    with pytest.raises(AddressError, match="already confirmed"):
        book.request_code(ALICE, "alice@example.com", mail)


def test_a_failed_send_voids_the_code(wls: WatchlistStore) -> None:
    clock = Clock()
    book = _book(wls, clock)
    codes: list[str] = []

    def refused(to: str, code: str) -> None:
        codes.append(code)
        raise ConnectionRefusedError("no mail server")

    with pytest.raises(AddressError, match=r"could not be sent \(ConnectionRefusedError\)"):
        book.request_code(ALICE, "alice@example.com", refused)
    assert book.status(ALICE).pending is None
    with pytest.raises(AddressError, match="No code is waiting"):
        book.confirm(ALICE, codes[0])


def test_another_owner_can_neither_confirm_nor_use_an_address(wls: WatchlistStore) -> None:
    clock, mail = Clock(), Outbox()
    book = _book(wls, clock, codes="111111 222222")
    book.request_code(ALICE, "alice@example.com", mail)
    alice_code = mail.code
    with pytest.raises(AddressError, match="No code is waiting"):
        book.confirm(BOB, alice_code)
    # Bob may ask for a code to the same address, but it is mailed there, and Alice's code
    # is bound to her claim: it never confirms his.
    book.request_code(BOB, "alice@example.com", mail)
    assert mail.sent == [("alice@example.com", "111111"), ("alice@example.com", "222222")]
    with pytest.raises(AddressError, match="not right"):
        book.confirm(BOB, alice_code)
    assert book.status(BOB).email is None
    assert book.confirm(ALICE, alice_code) == "alice@example.com"
    assert book.delivery_address(BOB, None) is None
    assert not book.may_deliver(BOB, "alice@example.com", None)
    assert book.may_deliver(ALICE, "alice@example.com", None)
    book.remove(BOB)
    assert book.status(ALICE).email == "alice@example.com"  # Bob's remove is his own


def test_which_address_wins(wls: WatchlistStore) -> None:
    clock, mail = Clock(), Outbox()
    book = _book(wls, clock)
    assert book.delivery_address(LOCAL_OWNER, "me@example.com") == A.DeliveryAddress(
        "me@example.com", "config"
    )
    assert book.delivery_address(ALICE, "me@example.com") is None  # config is single-user only
    book.request_code(ALICE, "typed@example.com", mail)
    book.confirm(ALICE, mail.code)
    assert book.delivery_address(ALICE, None).source == "typed"
    SessionStore(wls.engine).admit("sid-alice", ALICE, "alice@issuer.example")
    assert book.delivery_address(ALICE, None) == A.DeliveryAddress(
        "alice@issuer.example", "sign-in"
    )
    assert not book.may_deliver(ALICE, "typed@example.com", None)
    # Single-user mode without a configured address: a typed, confirmed one works.
    book.request_code(LOCAL_OWNER, "local@example.com", mail)
    book.confirm(LOCAL_OWNER, mail.code)
    assert book.delivery_address(LOCAL_OWNER, None).address == "local@example.com"
    book.remove(LOCAL_OWNER)
    assert book.delivery_address(LOCAL_OWNER, None) is None


# --------------------------------------------------------------------------- delivery


def _secrets(tmp: Path, port: int, ca: Path) -> Path:
    path = tmp / "secrets.toml"
    path.write_text(
        "\n".join(
            [
                "[alerts]",
                'base_url = "https://rare.example.com"',
                "[alerts.smtp]",
                'host = "127.0.0.1"',
                f"port = {port}",
                f'username = "{SMTP_USER}"',
                f'password = "{SMTP_PASSWORD}"',
                f'ca_file = "{ca}"',
            ]
        )
        + "\n"
    )
    return path


def _cli(url: str, secrets: Path, command: str) -> str:
    out = io.StringIO()
    cli.main(
        [command, "--database-url", url, "--secrets", str(secrets), "--today", TODAY.isoformat()],
        stdout=out,
    )
    return out.getvalue()


def test_alerts_go_to_the_confirmed_address_and_never_to_an_unverified_one(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = WatchlistStore.open(url)
    try:
        book, mail = AddressBook(store.engine), Outbox()
        lid = store.create(ALICE, "Alice falling", ["UUUU", "USAR"])
        AlertStore(store.engine).add_rule(
            ALICE, lid, "daily_move", {"pct": 3, "direction": "down"}, ["inbox", "email"]
        )
        book.request_code(ALICE, "alice@example.com", mail)  # typed, not confirmed yet
        # A delivery recorded for an address that is not (or no longer) verified, e.g. an
        # outbox row written before a remove: the sender refuses it.
        record(
            store.engine,
            [_firing(BOB, 99, "MP")],
            {99: ("inbox", "email")},
            lambda o: Targets(email="bob@example.com"),
            NOW - timedelta(days=1),
        )
        with smtp_server(tmp_path) as (box, port, ca):
            secrets = _secrets(tmp_path, port, ca)
            out = _cli(url, secrets, "run")
            assert "not configured, inbox only: " + ALICE + ": email" in out  # unconfirmed
            assert "parked 1" in out
            assert box.messages == []
            book.confirm(ALICE, mail.code)
            with store.engine.begin() as conn:  # new closes: the next session fires again
                conn.execute(sa.delete(firings_t))
            out = _cli(url, secrets, "run")
            assert "sent 1" in out
            assert box.recipients == [["alice@example.com"]]
        (msg,) = AlertStore(store.engine).inbox(BOB)
        assert msg.problems == [
            "email not delivered after 1 attempt(s): UnverifiedAddress: the address is not a "
            "verified address of this account (any more); not sent"
        ]
        with store.engine.connect() as conn:
            parked = conn.execute(
                sa.select(deliveries_t.c.target).where(deliveries_t.c.status == "parked")
            ).scalars()
            assert list(parked) == ["bob@example.com"]
    finally:
        store.dispose()
