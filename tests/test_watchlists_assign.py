"""Handing lists to a signed-in owner (lib.watchlists.assign, the CLI), SQLite + PostgreSQL."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib import watchlists as wl
from lib.auth_sessions import SessionStore
from lib.watchlists import NewItem, WatchlistStore
from lib.watchlists.assign import AssignError, assign_lists, owners, signed_in_owners
from scripts import watchlists as cli
from tests.pg_server import fresh_database, pg_cluster

ROOT = Path(__file__).resolve().parents[1]
ALICE = "oidc:https://id.example.com|alice-sub"
BOB = "oidc:https://id.example.com|bob-sub"


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchlists.db'}"
    admin = request.getfixturevalue("pg_admin_url")
    return fresh_database(admin, f"a_{uuid.uuid4().hex[:12]}")


def signed_in(store: WatchlistStore, *owners: str) -> None:
    """Record a sign-in for each owner, as the app does on their first page load."""
    for owner in owners:
        SessionStore(store.engine).admit(f"sid-{owner}"[-64:], owner, None)


@pytest.fixture
def store(db_url: str) -> Iterator[WatchlistStore]:
    """The database with ALICE and BOB signed in once (assign only hands lists to them)."""
    s = WatchlistStore.open(db_url)
    signed_in(s, ALICE, BOB)
    yield s
    s.dispose()


def snapshot(store: WatchlistStore) -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """Every owner's lists with symbols and notes: what must not change on a refusal."""
    out = {}
    for o in owners(store):
        out[o.owner] = [
            (
                x.name,
                store.get(o.owner, x.id).symbols,
                [i.note for i in store.get(o.owner, x.id).items],
            )
            for x in store.lists(o.owner)
        ]
    return out


def test_assign_moves_every_list_with_items_and_keeps_ids(store: WatchlistStore) -> None:
    a = store.create("local", "US revival", [NewItem("MP", "core"), NewItem("USAR")])
    b = store.create("local", "Magnets", ["NEO.TO"])
    store.create(ALICE, "Already mine", ["LYC.AX"])
    store.create(BOB, "Bob's", ["MP"])
    moved = assign_lists(store, "local", ALICE)
    assert moved == ["US revival", "Magnets"]
    assert store.lists("local") == []
    names = [x.name for x in store.lists(ALICE)]
    assert set(names) == {"Already mine", "US revival", "Magnets"}
    got = store.get(ALICE, a)
    assert got.symbols == ["MP", "USAR"] and got.items[0].note == "core"
    assert store.get(ALICE, b).symbols == ["NEO.TO"]
    assert [x.name for x in store.lists(BOB)] == ["Bob's"]
    with pytest.raises(wl.WatchlistNotFoundError):
        store.get("local", a)


def test_receiver_gets_no_starter_lists_on_top(store: WatchlistStore) -> None:
    import pandas as pd

    store.create("local", "Mine", ["MP"])
    assign_lists(store, "local", ALICE)
    universe = pd.DataFrame(
        {
            "symbol": ["MP"],
            "country": ["US"],
            "bloc": ["West"],
            "currency": ["USD"],
            "segment": ["miner"],
            "basket": ["US"],
        }
    )
    assert store.ensure_starter_lists(ALICE, universe) is False
    assert [x.name for x in store.lists(ALICE)] == ["Mine"]


def test_name_clash_refuses_everything_and_names_the_clash(store: WatchlistStore) -> None:
    store.create("local", "US revival", ["MP"])
    store.create("local", "Unique", ["USAR"])
    store.create(ALICE, "us REVIVAL", ["LYC.AX"])
    before = snapshot(store)
    with pytest.raises(AssignError, match=r"Nothing was moved.*'US revival'"):
        assign_lists(store, "local", ALICE)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("local", "local", "same"),
        ("nobody", ALICE, "no watchlists"),
        ("local", "", "owner"),
        ("local", "bad\x00owner", "owner"),
    ],
)
def test_bad_requests_change_nothing(
    store: WatchlistStore, src: str, dst: str, message: str
) -> None:
    store.create("local", "Keep", ["MP"])
    before = snapshot(store)
    with pytest.raises(wl.WatchlistError, match=message):
        assign_lists(store, src, dst)
    assert snapshot(store) == before


def test_cap_is_respected(store: WatchlistStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import lib.watchlists.assign as mod

    monkeypatch.setattr(mod, "MAX_LISTS_PER_OWNER", 2)
    store.create("local", "One", ["MP"])
    store.create("local", "Two", ["MP"])
    store.create(ALICE, "Three", ["MP"])
    with pytest.raises(AssignError, match="limit is 2"):
        assign_lists(store, "local", ALICE)
    assert len(store.lists("local")) == 2


def test_cli_owners_and_assign(db_url: str) -> None:
    s = WatchlistStore.open(db_url)
    signed_in(s, ALICE, BOB)
    s.create("local", "US revival", ["MP"])
    s.create(BOB, "US Revival", ["MP"])
    s.dispose()

    out = io.StringIO()
    assert cli.main(["--database-url", db_url, "owners"], out=out) == 0
    assert "1  local" in out.getvalue() and BOB in out.getvalue()

    out = io.StringIO()
    assert cli.main(["--database-url", db_url, "assign", "--from", "local", "--to", BOB], out) == 1
    assert "already has watchlists named 'US revival'" in out.getvalue()

    out = io.StringIO()
    assert (
        cli.main(["--database-url", db_url, "assign", "--from", "local", "--to", ALICE], out) == 0
    )
    assert "Moved 1 watchlist(s)" in out.getvalue()
    s = WatchlistStore.open(db_url)
    try:
        assert [x.name for x in s.lists(ALICE)] == ["US revival"]
    finally:
        s.dispose()


def test_cli_runs_as_documented_and_reads_the_env_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    s = WatchlistStore.open(url)
    s.create("local", "Before sign-in", ["MP"])
    s.dispose()
    env = {"RER_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "scripts/watchlists.py", "assign", "--from", "local", "--to", ALICE]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "has never signed in here" in res.stdout  # typo guard
    forced = [*cmd, "--force"]
    res = subprocess.run(forced, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Moved 1 watchlist(s)" in res.stdout
    res = subprocess.run(forced, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "no watchlists" in res.stdout


def test_cli_reads_the_secrets_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(wl.ENV_DATABASE_URL, raising=False)
    url = f"sqlite:///{tmp_path / 'from-secrets.db'}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.watchlists]\nurl = "{url}"\n')
    out = io.StringIO()
    assert cli.main(["--secrets", str(secrets), "owners"], out=out) == 0
    # The database named in the secrets was opened (created); its path is not printed, as
    # nowhere else shows server paths (issue 16).
    assert (tmp_path / "from-secrets.db").exists()
    assert "SQLite on this server" in out.getvalue()


def test_a_target_that_never_signed_in_is_refused_unless_forced(store: WatchlistStore) -> None:
    """A typo in the long owner key used to hand the lists to nobody, with exit 0."""
    store.create("local", "Before sign-in", ["MP"])
    typo = ALICE.replace("alice-sub", "alice-sbu")
    before = snapshot(store)
    with pytest.raises(AssignError, match="never signed in here"):
        assign_lists(store, "local", typo)
    assert snapshot(store) == before
    assert assign_lists(store, "local", typo, force=True) == ["Before sign-in"]
    assert assign_lists(store, typo, "local") == ["Before sign-in"]  # back to local: allowed


def test_cli_refuses_a_typo_lists_signed_in_owners_and_ends_sign_ins(db_url: str) -> None:
    s = WatchlistStore.open(db_url)
    SessionStore(s.engine).admit("sid-alice", ALICE, "alice@example.com")
    s.create("local", "Mine", ["MP"])
    s.dispose()
    out = io.StringIO()
    assert cli.main(["--database-url", db_url, "owners"], out=out) == 0
    assert f"{ALICE}  (alice@example.com)" in out.getvalue()
    out = io.StringIO()
    typo = ALICE + "x"
    assert cli.main(["--database-url", db_url, "assign", "--from", "local", "--to", typo], out) == 1
    assert "never signed in" in out.getvalue() and "--force" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["--database-url", db_url, "sign-out", "--owner", ALICE], out) == 0
    assert "Ended 1 active sign-in(s)" in out.getvalue()
    s = WatchlistStore.open(db_url)
    try:
        assert SessionStore(s.engine).admit("sid-alice", ALICE).value == "revoked"
        assert signed_in_owners(s) == {ALICE: "alice@example.com"}
    finally:
        s.dispose()


def test_cli_refuses_an_unreadable_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secrets.toml that does not parse must not send the move to the local SQLite file."""
    monkeypatch.delenv(wl.ENV_DATABASE_URL, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[connections.watchlists]\nurl = "postgresql://u:pw-value@db/x"\n[connections.watchlists]\n'
    )
    out = io.StringIO()
    assert cli.main(["--secrets", str(secrets), "owners"], out=out) == 1
    assert "could not be read" in out.getvalue() and "pw-value" not in out.getvalue()
