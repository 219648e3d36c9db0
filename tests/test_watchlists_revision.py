"""Every watchlist write carries the revision the user saw: a stale one is refused in the same
transaction and never lands anywhere else. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lib import watchlists as wl
from lib.watchlists import (
    DuplicateNameError,
    NewItem,
    StaleWatchlistError,
    WatchlistError,
    WatchlistNotFoundError,
    WatchlistStore,
)
from tests.pg_server import fresh_database, pg_cluster

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchlists.db'}"
    admin = request.getfixturevalue("pg_admin_url")
    return fresh_database(admin, f"r_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(db_url: str) -> Iterator[WatchlistStore]:
    s = WatchlistStore.open(db_url)
    yield s
    s.dispose()


def snapshot(store: WatchlistStore, owner: str = ALICE) -> list[tuple[Any, ...]]:
    """Everything an owner has: names, revisions, symbols in order, notes."""
    out = []
    for summary in store.lists(owner):
        got = store.get(owner, summary.id)
        out.append((got.id, got.name, got.revision, tuple((i.symbol, i.note) for i in got.items)))
    return out


#: Every write that targets one list, as (name, call with the expected revision).
WRITES: dict[str, Callable[[WatchlistStore, int, int], object]] = {
    "add_symbols": lambda s, i, r: s.add_symbols(ALICE, i, ["SPY"], expected_revision=r),
    "import_into": lambda s, i, r: s.add_symbols(
        ALICE, i, wl.parse_import_csv(b"symbol,note\nURA,x\n"), expected_revision=r
    ),
    "remove_symbol": lambda s, i, r: s.remove_symbol(ALICE, i, "MP", expected_revision=r),
    "move_symbol": lambda s, i, r: s.move_symbol(ALICE, i, "MP", +1, expected_revision=r),
    "reorder": lambda s, i, r: s.reorder(ALICE, i, ["LYC.AX", "MP"], expected_revision=r),
    "set_note": lambda s, i, r: s.set_note(ALICE, i, "MP", "typed", expected_revision=r),
    "rename": lambda s, i, r: s.rename(ALICE, i, "Renamed", expected_revision=r),
    "duplicate": lambda s, i, r: s.duplicate(ALICE, i, expected_revision=r),
    "delete": lambda s, i, r: s.delete(ALICE, i, expected_revision=r),
}
#: Writes that change the list itself (duplicate only reads it; delete removes it).
BUMPING = {"add_symbols", "import_into", "remove_symbol", "move_symbol", "reorder", "set_note"}
BUMPING |= {"rename"}


def two_lists(store: WatchlistStore) -> tuple[int, int]:
    first = store.create(ALICE, "First", [NewItem("MP", "a"), NewItem("LYC.AX", "b")])
    second = store.create(ALICE, "Second", [NewItem("MP", "c"), NewItem("LYC.AX", "d")])
    return first, second


@pytest.mark.parametrize("write", list(WRITES))
def test_a_stale_write_is_refused_and_changes_nothing_anywhere(
    store: WatchlistStore, write: str
) -> None:
    _, second = two_lists(store)
    seen = store.get(ALICE, second).revision
    store.set_note(ALICE, second, "LYC.AX", "changed in another tab")  # revision moves on
    before = snapshot(store)
    with pytest.raises(StaleWatchlistError, match="changed in another tab"):
        WRITES[write](store, second, seen)
    assert snapshot(store) == before  # neither this list nor the first one changed
    assert issubclass(StaleWatchlistError, WatchlistError)


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_at_the_current_revision_applies_and_bumps_it(
    store: WatchlistStore, write: str
) -> None:
    first, second = two_lists(store)
    other = snapshot(store)[0]
    current = store.get(ALICE, second).revision
    WRITES[write](store, second, current)
    assert snapshot(store)[0] == other  # the first list is untouched
    if write == "delete":
        assert [x.id for x in store.lists(ALICE)] == [first]
        return
    after = store.get(ALICE, second).revision
    assert after == (current + 1 if write in BUMPING else current)


def test_writes_return_what_the_page_needs(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "L", ["MP"])
    start = store.get(ALICE, lid).revision
    assert store.set_note(ALICE, lid, "MP", "x") == store.get(ALICE, lid).revision == start + 1
    assert store.rename(ALICE, lid, "M", expected_revision=start + 1) == start + 2
    assert store.delete(ALICE, lid, expected_revision=start + 2) == "M"


def test_every_change_bumps_and_the_summary_carries_it(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "L", ["MP"])
    revisions = [store.get(ALICE, lid).revision]
    store.add_symbols(ALICE, lid, ["SPY", "URA"])
    store.move_symbol(ALICE, lid, "URA", -2)
    store.set_note(ALICE, lid, "MP", "x")
    store.remove_symbol(ALICE, lid, "SPY")
    store.rename(ALICE, lid, "M")
    revisions.append(store.get(ALICE, lid).revision)
    assert revisions[1] == revisions[0] + 5
    assert store.lists(ALICE)[0].revision == revisions[1]
    # Nothing to do is not a change: adding a symbol already there keeps the revision.
    store.add_symbols(ALICE, lid, ["MP"])
    assert store.get(ALICE, lid).revision == revisions[1]


def test_move_down_moves_the_symbol_the_user_saw(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "L", ["MP", "LYC.AX", "URA"])
    seen = store.get(ALICE, lid)
    assert store.move_symbol(ALICE, lid, "MP", +1, expected_revision=seen.revision) == [
        "LYC.AX",
        "MP",
        "URA",
    ]
    assert store.move_symbol(ALICE, lid, "URA", +5) == ["LYC.AX", "MP", "URA"]  # clamped
    with pytest.raises(WatchlistError, match="not in this watchlist"):
        store.move_symbol(ALICE, lid, "SPY", +1)


def test_another_owners_list_is_refused_even_at_its_revision(store: WatchlistStore) -> None:
    bobs = store.create(BOB, "Bob's", [NewItem("MP", "bob note")])
    rev = store.get(BOB, bobs).revision
    for write in WRITES.values():
        with pytest.raises(WatchlistNotFoundError):
            write(store, bobs, rev)
    got = store.get(BOB, bobs)
    assert (got.name, got.symbols, got.items[0].note, got.revision) == (
        "Bob's",
        ["MP"],
        "bob note",
        rev,
    )


def test_two_tabs_at_one_revision_only_the_first_write_wins(store: WatchlistStore) -> None:
    """Two writers that both saw revision r: one applies, the other is refused (no lost update)."""
    lid = store.create(ALICE, "L", ["MP", "LYC.AX"])
    seen = store.get(ALICE, lid).revision
    url = store.engine.url.render_as_string(hide_password=False)
    stores = [WatchlistStore.open(url) for _ in "ab"]
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        start.wait()
        try:
            stores[i].set_note(ALICE, lid, "MP", f"tab {i}", expected_revision=seen)
        except StaleWatchlistError:
            result = "stale"
        else:
            result = f"tab {i}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.dispose()
    assert outcomes.count("stale") == 1
    winner = next(o for o in outcomes if o != "stale")
    got = store.get(ALICE, lid)
    assert got.items[0].note == winner and got.revision == seen + 1


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("first", "second"),
    [("Mp", "Ｍｐ"), ("US revival", "us REVIVAL"), ("ﬁsh", "FISH"), ("Straße", "STRASSE")],
)
def test_names_that_only_differ_in_case_or_width_clash(
    store: WatchlistStore, first: str, second: str
) -> None:
    lid = store.create(ALICE, first)
    with pytest.raises(DuplicateNameError, match="ignore case"):
        store.create(ALICE, second)
    other = store.create(ALICE, "Other")
    with pytest.raises(DuplicateNameError):
        store.rename(ALICE, other, second)
    store.rename(ALICE, lid, second)  # renaming a list to its own name in another form is fine
    assert store.find(ALICE, first).id == lid  # type: ignore[union-attr]
    assert store.create(BOB, second)  # names are per owner


def test_rows_stored_with_the_old_key_still_clash(store: WatchlistStore) -> None:
    """Rows written before name_key folded width keep their old key in the database."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO watchlists (owner, name, name_key, created_at, updated_at) "
                "VALUES (:o, :n, :k, :t, :t)"
            ),
            {"o": ALICE, "n": "Ｍｐ", "k": "ｍｐ", "t": now},
        )
    with pytest.raises(DuplicateNameError):
        store.create(ALICE, "MP")
    assert store.find(ALICE, "mp") is not None
    copy_id = store.duplicate(ALICE, store.find(ALICE, "mp").id)  # type: ignore[union-attr]
    assert store.get(ALICE, copy_id).name == "Ｍｐ (copy)"
