"""lib.auth_sessions: one row per sign-in; sign-out revokes it everywhere (SQLite + PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from lib import auth_sessions as sessions
from lib.auth_sessions import SessionState, SessionStore, session_id
from lib.watchlists import WatchlistStore
from lib.watchlists.db import auth_sessions_t
from tests.pg_server import fresh_database, pg_cluster

ISS = "https://id.example.com"
ALICE = f"oidc:{ISS}|alice"
BOB = f"oidc:{ISS}|bob"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def claims(**extra: object) -> dict[str, object]:
    return {"iss": ISS, "sub": "alice", "iat": 1_765_000_000, "nonce": "n1", **extra}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchlists.db'}"
    return fresh_database(request.getfixturevalue("pg_admin_url"), f"s_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[SessionStore]:
    wl = WatchlistStore.open(db_url)  # migrates: auth_sessions is schema v5
    yield SessionStore(wl.engine, now=clock)
    wl.dispose()


# --------------------------------------------------------------------------- the session id


def test_session_id_is_per_sign_in_and_needs_iat() -> None:
    sid = session_id(claims())
    assert sid is not None and len(sid) == 64
    assert session_id(claims()) == sid  # the same cookie, replayed: the same row
    assert session_id(claims(nonce="n2")) != sid  # a new sign-in: a new row
    assert session_id(claims(iat=1_765_000_001)) != sid
    assert session_id(claims(sid="provider-session")) != sid
    assert session_id(claims(sub="bob")) != sid
    assert session_id(claims(name="Alice", email="a@example.com")) == sid  # display claims: no
    for bad in ({"iat": None}, {"iat": "1765000000"}, {"iat": True}, {"sub": None}):
        assert session_id(claims(**bad)) is None


@given(a=st.dictionaries(st.sampled_from(["iss", "sub", "iat", "nonce", "sid"]), st.text()))
def test_session_id_is_total(a: dict[str, object]) -> None:
    sid = session_id(a)
    assert sid is None or len(sid) == 64


# --------------------------------------------------------------------------- the store


def test_first_sight_opens_a_row_and_sign_out_revokes_it_for_every_copy(
    store: SessionStore, clock: Clock
) -> None:
    sid = session_id(claims())
    assert sid is not None
    assert not store.has_signed_in(ALICE)
    assert store.admit(sid, ALICE, "alice@example.com") is SessionState.ACTIVE
    rec = store.get(sid)
    assert rec is not None and (rec.owner, rec.email, rec.created_at) == (
        ALICE,
        "alice@example.com",
        T0,
    )
    assert store.has_signed_in(ALICE) and not store.has_signed_in(BOB)
    # Another tab, or a copied cookie: the same id, still admitted until sign-out.
    assert store.admit(sid, ALICE) is SessionState.ACTIVE
    clock.now += timedelta(seconds=5)
    assert store.revoke(sid) is True
    assert store.revoke(sid) is False  # already ended
    for _ in range(2):  # every later rerun, anywhere, and after a restart (the row is on disk)
        assert store.admit(sid, ALICE) is SessionState.REVOKED
    assert store.get(sid).revoked_at == T0 + timedelta(seconds=5)  # type: ignore[union-attr]
    # Signing in again is a new token, so a new, active row; the old one stays revoked.
    new = session_id(claims(nonce="n2", iat=1_765_000_100))
    assert new is not None and store.admit(new, ALICE) is SessionState.ACTIVE
    assert store.admit(sid, ALICE) is SessionState.REVOKED


def test_a_session_never_serves_another_owner(store: SessionStore) -> None:
    sid = session_id(claims())
    assert sid is not None
    store.admit(sid, ALICE)
    assert store.admit(sid, BOB) is SessionState.REVOKED


def test_sessions_expire_after_30_days_and_touch_last_seen_sparingly(
    store: SessionStore, clock: Clock
) -> None:
    sid = session_id(claims())
    assert sid is not None
    store.admit(sid, ALICE)
    clock.now += timedelta(minutes=1)
    store.admit(sid, ALICE)
    assert store.get(sid).last_seen_at == T0  # type: ignore[union-attr]  # no write per rerun
    clock.now += sessions.TOUCH_EVERY
    store.admit(sid, ALICE)
    assert store.get(sid).last_seen_at == clock.now  # type: ignore[union-attr]
    clock.now = T0 + sessions.MAX_SESSION_AGE + timedelta(seconds=1)
    assert store.admit(sid, ALICE) is SessionState.EXPIRED


def test_revoke_owner_ends_every_sign_in_of_one_person(store: SessionStore) -> None:
    ids = [session_id(claims(nonce=f"n{i}")) for i in range(3)]
    bob = session_id(claims(sub="bob"))
    for sid in ids:
        store.admit(sid, ALICE, "alice@example.com")  # type: ignore[arg-type]
    store.admit(bob, BOB)  # type: ignore[arg-type]
    assert store.revoke_owner(ALICE) == 3
    assert all(store.admit(s, ALICE) is SessionState.REVOKED for s in ids)  # type: ignore[arg-type]
    assert store.admit(bob, BOB) is SessionState.ACTIVE  # type: ignore[arg-type]
    assert store.signed_in_owners() == {ALICE: "alice@example.com", BOB: None}


def test_two_servers_seeing_a_new_sign_in_at_once_make_one_row(db_url: str) -> None:
    a, b = WatchlistStore.open(db_url), WatchlistStore.open(db_url)
    try:
        sid = session_id(claims())
        assert sid is not None
        assert SessionStore(a.engine).admit(sid, ALICE) is SessionState.ACTIVE
        assert SessionStore(b.engine).admit(sid, ALICE) is SessionState.ACTIVE
        SessionStore(b.engine).revoke(sid)
        assert SessionStore(a.engine).admit(sid, ALICE) is SessionState.REVOKED
        with a.engine.connect() as conn:
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(auth_sessions_t)).scalar() == 1
            )
    finally:
        a.dispose()
        b.dispose()


def test_a_new_sign_in_purges_that_owners_sign_ins_past_30_days(
    store: SessionStore, clock: Clock
) -> None:
    store.admit("old", ALICE)  # will be past 30 days
    clock.now = T0 + timedelta(days=1)
    store.admit("out", ALICE)
    assert store.revoke("out")  # revoked, but young: must stay to refuse a replayed cookie
    store.admit("bob", BOB)
    clock.now = T0 + timedelta(days=31)
    store.admit("bob2", BOB)  # purges bob's ended rows only: none older than 30 days
    store.admit("new", ALICE)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(auth_sessions_t.c.owner, auth_sessions_t.c.id)).all()
    assert sorted(rows) == sorted([(ALICE, "out"), (ALICE, "new"), (BOB, "bob"), (BOB, "bob2")])
    assert store.admit("out", ALICE) is SessionState.REVOKED


def test_a_purged_sign_in_replayed_from_an_old_cookie_stays_expired(
    store: SessionStore, clock: Clock
) -> None:
    iat = T0.timestamp()
    assert store.admit("old", ALICE, issued_at=iat) is SessionState.ACTIVE
    clock.now = T0 + timedelta(days=31)
    store.admit("new", ALICE, issued_at=clock.now.timestamp())
    assert store.get("old") is None  # purged
    assert store.admit("old", ALICE, issued_at=iat) is SessionState.EXPIRED
    assert store.get("old") is None  # and not re-opened as a fresh row
    for bad in (float("nan"), 1e300):
        assert store.admit("odd", ALICE, issued_at=bad) is SessionState.EXPIRED
