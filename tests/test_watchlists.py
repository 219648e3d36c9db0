"""Watchlist storage on SQLite and a real PostgreSQL server: schema, isolation, concurrency."""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lib import watchlists as wl
from lib.prices import PriceStore
from lib.universe import load_universe
from lib.watchlists import (
    DuplicateNameError,
    NewItem,
    WatchlistError,
    WatchlistNotFoundError,
    WatchlistStore,
)
from lib.watchlists import db as wl_db
from lib.watchlists.perf import last_price
from tests.pg_server import fresh_database, pg_cluster

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchlists.db'}"
    admin = request.getfixturevalue("pg_admin_url")
    return fresh_database(admin, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def store(db_url: str) -> Iterator[WatchlistStore]:
    s = WatchlistStore.open(db_url)
    yield s
    s.dispose()


# --------------------------------------------------------------------------- schema


def test_fresh_database_is_at_latest_version(store: WatchlistStore) -> None:
    assert store.schema_version() == wl.LATEST_VERSION == 8
    with store.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY 1")).all()
    assert [v[0] for v in versions] == list(range(1, wl.LATEST_VERSION + 1))


def test_upgrade_from_v1_keeps_every_row(db_url: str) -> None:
    engine = wl.make_engine(db_url)
    assert wl.migrate(engine, target=1) == 1
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO watchlists (owner, name, name_key, created_at, updated_at) "
                "VALUES (:o, :n, :k, :t, :t)"
            ),
            {"o": ALICE, "n": "Old list", "k": "old list", "t": now},
        )
        list_id = conn.execute(sa.text("SELECT id FROM watchlists")).scalar_one()
        for pos, (sym, note, px) in enumerate([("MP", "core", 17.5), ("LYC.AX", "", None)]):
            conn.execute(
                sa.text(
                    "INSERT INTO watchlist_items "
                    "(watchlist_id, symbol, position, note, added_at, added_price) "
                    "VALUES (:i, :s, :p, :n, :t, :px)"
                ),
                {"i": list_id, "s": sym, "p": pos, "n": note, "t": now, "px": px},
            )
        with pytest.raises(sa.exc.DBAPIError), conn.begin_nested():  # no v2 column yet
            conn.execute(sa.text("SELECT added_price_date FROM watchlist_items"))
    engine.dispose()

    store = WatchlistStore.open(db_url)
    try:
        assert store.schema_version() == wl.LATEST_VERSION
        got = store.get(ALICE, list_id)
        assert got.name == "Old list"
        assert got.symbols == ["MP", "LYC.AX"]
        assert got.items[0].note == "core" and got.items[0].added_price == 17.5
        assert got.items[0].added_at == now
        assert got.items[1].added_price is None and got.items[1].added_price_date is None
        # An existing account is not handed starter lists by the upgrade; a new one is.
        assert store.ensure_starter_lists(ALICE, load_universe()) is False
        assert [x.name for x in store.lists(ALICE)] == ["Old list"]
        assert store.ensure_starter_lists(BOB, load_universe()) is True
        # Re-opening an up-to-date database is a no-op.
        assert wl.migrate(store.engine) == wl.LATEST_VERSION
    finally:
        store.dispose()


def test_newer_schema_is_refused_not_downgraded(store: WatchlistStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            wl_db.version_t.insert().values(version=99, applied_at=datetime.now(UTC)),
        )
    with pytest.raises(WatchlistError, match="newer than this app"):
        wl.migrate(store.engine)


def test_restart_keeps_everything(db_url: str) -> None:
    s1 = WatchlistStore.open(db_url)
    lid = s1.create(ALICE, "Positions", [NewItem("MP", "avg 18"), NewItem("600111.SS")])
    s1.add_symbols(ALICE, lid, ["USAR"], price_lookup=lambda s: (date(2026, 7, 31), 20.25))
    s1.reorder(ALICE, lid, ["USAR", "MP"])
    s1.dispose()

    s2 = WatchlistStore.open(db_url)
    try:
        got = s2.get(ALICE, lid)
        assert got.symbols == ["USAR", "MP", "600111.SS"]
        assert got.items[1].note == "avg 18"
        assert got.items[0].added_price == 20.25
        assert got.items[0].added_price_date == date(2026, 7, 31)
    finally:
        s2.dispose()


# --------------------------------------------------------------------------- features


def test_create_rename_duplicate_delete(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "  Majors  ", ["MP", "lyc.ax"])
    assert store.get(ALICE, lid).name == "Majors"
    assert store.get(ALICE, lid).symbols == ["MP", "LYC.AX"]
    with pytest.raises(DuplicateNameError):
        store.create(ALICE, "MAJORS")
    store.rename(ALICE, lid, "Core")
    assert store.get(ALICE, lid).name == "Core"
    store.rename(ALICE, lid, "core")  # same list, only the case changes
    assert store.get(ALICE, lid).name == "core"
    copy_id = store.duplicate(ALICE, lid)
    copy = store.get(ALICE, copy_id)
    assert copy.name == "core (copy)" and copy.symbols == ["MP", "LYC.AX"]
    assert store.get(ALICE, store.duplicate(ALICE, lid)).name == "core (copy 2)"
    with pytest.raises(DuplicateNameError):
        store.rename(ALICE, copy_id, "Core")
    store.delete(ALICE, lid)
    with pytest.raises(WatchlistNotFoundError):
        store.get(ALICE, lid)
    assert store.get(ALICE, copy_id).symbols == ["MP", "LYC.AX"]  # the copy is independent


def test_add_remove_reorder_note(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "L")
    res = store.add_symbols(
        ALICE, lid, ["MP", NewItem("SPY", "benchmark"), "mp"], price_lookup=lambda s: None
    )
    assert res.added == ["MP", "SPY"] and res.already_there == ["MP"]
    store.add_symbols(ALICE, lid, ["USAR"])
    assert store.move_symbol(ALICE, lid, "USAR", -1) == ["MP", "USAR", "SPY"]
    assert store.move_symbol(ALICE, lid, "MP", +10) == ["USAR", "SPY", "MP"]
    assert store.reorder(ALICE, lid, ["SPY", "NOT-THERE"]) == ["SPY", "USAR", "MP"]
    store.set_note(ALICE, lid, "MP", "price floor $110/kg")
    assert store.get(ALICE, lid).items[2].note == "price floor $110/kg"
    assert store.remove_symbol(ALICE, lid, "USAR") is True
    assert store.remove_symbol(ALICE, lid, "USAR") is False
    assert store.get(ALICE, lid).symbols == ["SPY", "MP"]
    with pytest.raises(WatchlistError, match="not in this watchlist"):
        store.set_note(ALICE, lid, "USAR", "x")


def test_price_when_added_comes_from_the_price_store(store: WatchlistStore, tmp_path: Path) -> None:
    tidy = PriceStore(cache_dir=tmp_path / "px").load(["MP"])
    lid = store.create(ALICE, "L", ["MP"], price_lookup=lambda s: last_price(tidy, s))
    item = store.get(ALICE, lid).items[0]
    # MP's last row in the shipped snapshot.
    assert item.added_price_date == date(2026, 10, 8)
    assert item.added_price == pytest.approx(float(tidy["close"].iloc[-1]))
    assert item.added_at is not None and item.added_at.tzinfo is not None


def test_a_failing_price_lookup_never_blocks_saving(store: WatchlistStore) -> None:
    def boom(symbol: str) -> tuple[date, float] | None:
        raise RuntimeError("offline")

    lid = store.create(ALICE, "L", ["MP"], price_lookup=boom)
    assert store.get(ALICE, lid).items[0].added_price is None


def test_starter_lists_come_from_the_universe_once(store: WatchlistStore) -> None:
    uni = load_universe()
    assert store.ensure_starter_lists(ALICE, uni) is True
    lists = {x.name: store.get(ALICE, x.id).symbols for x in store.lists(ALICE)}
    assert list(lists) == ["US revival", "China majors", "Magnet makers", "ETFs and benchmarks"]
    assert lists["US revival"] == ["MP", "UUUU", "USAR", "AREC", "REEMF", "CRML"]
    assert lists["ETFs and benchmarks"] == ["REMX", "SPY", "LIT", "URA"]
    assert "600111.SS" in lists["China majors"] and "MP" not in lists["China majors"]
    assert "NEO.TO" in lists["Magnet makers"] and "JL" not in lists["Magnet makers"]
    # Editable like any list, and deleting one does not bring it back.
    first = store.lists(ALICE)[0].id
    store.delete(ALICE, first)
    assert store.ensure_starter_lists(ALICE, uni) is False
    assert len(store.lists(ALICE)) == 3


def test_limits(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "Big", [f"S{i}" for i in range(wl.MAX_SYMBOLS_PER_LIST)])
    with pytest.raises(WatchlistError, match="at most 200"):
        store.add_symbols(ALICE, lid, ["MP"])
    assert len(store.get(ALICE, lid).items) == wl.MAX_SYMBOLS_PER_LIST


# --------------------------------------------------------------------------- owner isolation


def test_owners_cannot_see_or_change_each_others_lists(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "Secret", [NewItem("MP", "alice's note")])
    assert store.lists(BOB) == []
    assert store.find(BOB, "Secret") is None
    attempts = [
        lambda: store.get(BOB, lid),
        lambda: store.rename(BOB, lid, "Pwned"),
        lambda: store.delete(BOB, lid),
        lambda: store.duplicate(BOB, lid),
        lambda: store.add_symbols(BOB, lid, ["SPY"]),
        lambda: store.remove_symbol(BOB, lid, "MP"),
        lambda: store.set_note(BOB, lid, "MP", "bob was here"),
        lambda: store.reorder(BOB, lid, ["MP"]),
        lambda: store.move_symbol(BOB, lid, "MP", 1),
    ]
    for attempt in attempts:
        with pytest.raises(WatchlistNotFoundError):
            attempt()
    got = store.get(ALICE, lid)
    assert (got.name, got.symbols, got.items[0].note) == ("Secret", ["MP"], "alice's note")
    assert store.lists(BOB) == []
    # Same name for a different owner is fine: uniqueness is per owner.
    bob_id = store.create(BOB, "Secret", ["SPY"])
    assert store.get(BOB, bob_id).symbols == ["SPY"]
    assert store.get(ALICE, lid).symbols == ["MP"]


# --------------------------------------------------------------------------- concurrency


def _add_worker(url: str, list_id: int, worker: int, n: int, barrier: object) -> None:
    s = WatchlistStore.open(url)
    barrier.wait()  # type: ignore[attr-defined]
    for i in range(n):
        s.add_symbols(ALICE, list_id, [f"W{worker}S{i}"])
    s.dispose()


def _seed_worker(url: str, owner: str, out: str, barrier: object) -> None:
    s = WatchlistStore.open(url)
    barrier.wait()  # type: ignore[attr-defined]
    created = s.ensure_starter_lists(owner, load_universe())
    s.dispose()
    (Path(out) / f"{uuid.uuid4().hex}.{'created' if created else 'skipped'}").touch()


def _run_processes(target: object, args_for: list[tuple[object, ...]]) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(args_for))
    procs = [ctx.Process(target=target, args=(*a, barrier)) for a in args_for]  # type: ignore[arg-type]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0] * len(procs)


def test_concurrent_writers_lose_no_update(store: WatchlistStore, db_url: str) -> None:
    lid = store.create(ALICE, "Shared")
    workers, per_worker = 4, 12
    _run_processes(_add_worker, [(db_url, lid, w, per_worker) for w in range(workers)])
    got = store.get(ALICE, lid)
    assert len(got.items) == workers * per_worker
    assert set(got.symbols) == {f"W{w}S{i}" for w in range(workers) for i in range(per_worker)}
    # Positions stay a clean 0..n-1 sequence: no two writers took the same slot.
    assert sorted(i.position for i in got.items) == list(range(workers * per_worker))


def test_concurrent_first_runs_seed_starters_once(
    store: WatchlistStore, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "outcomes"
    out.mkdir()
    _run_processes(_seed_worker, [(db_url, BOB, str(out)) for _ in range(4)])
    outcomes = sorted(p.suffix for p in out.iterdir())
    assert outcomes == [".created", ".skipped", ".skipped", ".skipped"]
    assert [x.name for x in store.lists(BOB)] == [
        "US revival",
        "China majors",
        "Magnet makers",
        "ETFs and benchmarks",
    ]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    s = WatchlistStore.open(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        s.dispose()


# --------------------------------------------------------------------------- hostile input

STORED_VERBATIM = [
    "Robert'); DROP TABLE watchlists;--",
    "<script>alert('x')</script>",
    "**bold** [link](javascript:alert(1))",
    "稀土 revival ✓",
    "مراقبة المعادن",
    "👩🏽‍🔬 picks",
    "x" * wl.MAX_NAME_LEN,
    "1; SELECT * FROM watchlists WHERE owner <> ''",
]


@pytest.mark.parametrize("name", STORED_VERBATIM)
def test_hostile_names_are_stored_verbatim(store: WatchlistStore, name: str) -> None:
    lid = store.create(ALICE, name, [NewItem("MP", name[:40])])
    got = store.get(ALICE, lid)
    assert got.name == name and got.items[0].note == name[:40].strip()
    assert [x.name for x in store.lists(ALICE)] == [name]
    assert store.lists(BOB) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "give the watchlist a name"),
        ("   \t ", "give the watchlist a name"),
        ("x" * 10_000, "at most 60"),
        ("x" * (wl.MAX_NAME_LEN + 1), "at most 60"),
        ("bad\x00name", "control characters"),
        ("evil\u202etxt.exe", "right-to-left"),
        ("bell\x07", "control characters"),
        ("line\nbreak", "control characters"),
    ],
)
def test_bad_names_are_rejected_and_nothing_is_written(
    store: WatchlistStore, name: str, message: str
) -> None:
    with pytest.raises(WatchlistError, match=message):
        store.create(ALICE, name, ["MP"])
    assert store.lists(ALICE) == []


@pytest.mark.parametrize(
    "symbol",
    [
        "'; DROP TABLE watchlist_items;--",
        "<script>",
        "A" * 10_000,
        "MP\x00",
        "\u202eMP",
        "",
        "MP LYC",
    ],
)
def test_bad_symbols_reject_the_whole_batch(store: WatchlistStore, symbol: str) -> None:
    lid = store.create(ALICE, "L", ["MP"])
    with pytest.raises(WatchlistError):
        store.add_symbols(ALICE, lid, ["SPY", symbol])
    with pytest.raises(WatchlistError):
        store.create(ALICE, "Other", ["SPY", symbol])
    assert store.get(ALICE, lid).symbols == ["MP"]
    assert [x.name for x in store.lists(ALICE)] == ["L"]


@pytest.mark.parametrize(
    ("note", "ok"),
    [("x" * wl.MAX_NOTE_LEN, True), ("x" * 10_000, False), ("a\x00b", False), ("two\nlines", True)],
)
def test_note_bounds(store: WatchlistStore, note: str, ok: bool) -> None:
    lid = store.create(ALICE, "L", ["MP"])
    if ok:
        store.set_note(ALICE, lid, "MP", note)
        assert store.get(ALICE, lid).items[0].note == note
    else:
        with pytest.raises(WatchlistError):
            store.set_note(ALICE, lid, "MP", note)
        assert store.get(ALICE, lid).items[0].note == ""


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("env", "secrets_url", "expected"),
    [
        ({"RER_DATABASE_URL": "postgresql+psycopg://u@db/w"}, "sqlite:///x.db", "postgresql"),
        ({}, "postgresql+psycopg://u:pw@db/w", "postgresql"),
        ({"RER_DATABASE_URL": "  "}, None, "sqlite"),
        ({}, None, "sqlite"),
    ],
)
def test_resolve_database_url(
    env: dict[str, str], secrets_url: str | None, expected: str, tmp_path: Path
) -> None:
    url = wl.resolve_database_url(env, secrets_url, tmp_path)
    assert sa.make_url(url).get_backend_name() == expected
    if expected == "sqlite":
        assert url == f"sqlite:///{tmp_path / 'watchlists.db'}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://user:hunter2@db.internal:5432/lists", "PostgreSQL"),
        ("sqlite:////tmp/secret-dir/watchlists.db", "SQLite on this server"),
    ],
)
def test_describe_url_names_the_database_kind_only(url: str, expected: str) -> None:
    """No password, host or server file path ever reaches the page."""
    assert wl.describe_url(url) == expected


# --------------------------------------------------------------------------- import / export

GOOD_CSV = "symbol,note\nMP,core holding\nlyc.ax,\n600111.SS,北方稀土\nMP,dup\n".encode()


def test_parse_import_csv_accepts_symbols_and_notes() -> None:
    items = wl.parse_import_csv(GOOD_CSV)
    assert items == [
        NewItem("MP", "core holding"),
        NewItem("LYC.AX"),
        NewItem("600111.SS", "北方稀土"),
    ]
    assert wl.parse_import_csv(b"\xef\xbb\xbfSymbol\r\nSPY\r\n") == [NewItem("SPY")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"symbol\n", "no rows"),
        (b"ticker,note\nMP,x\n", "needs a 'symbol' column"),
        (b"symbol,price\nMP,3\n", "Unexpected column"),
        (b"symbol,note\nMP,a,b\n", "Row 2 has 3 cells"),
        (b"symbol\nMP\n\x00\x01\x02", "binary data"),
        (b"symbol\nMP\n\xff\xfe\xfa", "not UTF-8"),
        (b'symbol,note\nMP,ok\nSPY,=HYPERLINK("http://x")\n', "Row 3 has a formula-like cell"),
        (b"symbol\n+MP\n", "Row 2 has a formula-like cell"),
        (b"symbol\n@SUM(A1)\n", "Row 2"),
        (b"symbol,note\nMP,ok\nSPY,ok\n-1,\n", "Row 4"),
        (b"symbol\nMP\n<script>\n", "Row 3: '<script>' is not a valid Yahoo symbol"),
        (b"symbol\n" + b"A" * 20 + b"\n", "Row 2: .* too long"),
        (b"symbol,note\nMP," + b"x" * 600 + b"\n", "Row 2: Notes can be at most 500"),
        (b"symbol\n" + b"MP\n" * 100_000, "limit is 256 KiB"),
        (b"symbol\n" + b"".join(f"S{i}\n".encode() for i in range(201)), "at most 200"),
        (b"symbol,symbol\nMP,MP\n", "repeats a column"),
    ],
)
def test_parse_import_csv_rejects_bad_files_with_the_row(data: bytes, message: str) -> None:
    with pytest.raises(wl.ImportProblem, match=message):
        wl.parse_import_csv(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MP, LYC.AX, 600111.SS", ["MP", "LYC.AX", "600111.SS"]),
        ("mp\nspy;MP", ["MP", "SPY"]),
    ],
)
def test_parse_pasted(text: str, expected: list[str]) -> None:
    assert [i.symbol for i in wl.parse_pasted(text)] == expected


@pytest.mark.parametrize("text", ["", "  ,, ", "MP, <b>x</b>", "MP '; DROP TABLE x;--"])
def test_parse_pasted_rejects_everything_on_any_bad_token(text: str) -> None:
    with pytest.raises(wl.ImportProblem):
        wl.parse_pasted(text)


def test_failed_import_into_a_list_writes_nothing(store: WatchlistStore) -> None:
    lid = store.create(ALICE, "L", ["MP"])
    with pytest.raises(wl.ImportProblem):
        store.add_symbols(ALICE, lid, wl.parse_import_csv(b"symbol\nSPY\n=1+1\n"))
    # Valid rows but too many for the list: the database refuses inside the transaction.
    too_many = [NewItem(f"S{i}") for i in range(wl.MAX_SYMBOLS_PER_LIST)]
    with pytest.raises(WatchlistError):
        store.add_symbols(ALICE, lid, too_many)
    assert store.get(ALICE, lid).symbols == ["MP"]


def test_export_round_trips_through_import(store: WatchlistStore) -> None:
    from lib.export import to_csv_bytes

    items = [NewItem("MP", "=cmd|' /C calc'!A0"), NewItem("SPY", "-5% since added")]
    lid = store.create(ALICE, "L", items)
    frame = wl.export_frame(store.get(ALICE, lid), {"MP": "MP Materials"})
    data = to_csv_bytes(frame)
    assert b"'=cmd" in data and b"'-5%" in data  # formulas neutralised on the way out
    assert wl.parse_import_csv(data) == items  # and our own import reads the notes back exactly
    assert list(frame.columns)[:2] == ["symbol", "note"] and frame["name"].iloc[0] == "MP Materials"
    # A file with only symbol and note is not our export: a quote there is the user's own.
    assert wl.parse_import_csv(b"symbol,note\nMP,'-5%\n") == [NewItem("MP", "'-5%")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("US revival", "watchlist_US-revival_2026-07-31.csv"),
        ("../../etc/passwd", "watchlist_etc-passwd_2026-07-31.csv"),
        ("稀土", "watchlist_list_2026-07-31.csv"),
    ],
)
def test_export_name_is_safe(name: str, expected: str) -> None:
    assert wl.export_name(name, date(2026, 7, 31)) == expected


def test_share_query_repeats_the_key() -> None:
    assert wl.share_query(["MP", "LYC.AX", "^GSPC"]) == "symbols=MP&symbols=LYC.AX&symbols=%5EGSPC"


# --------------------------------------------------------------------------- performance table


@pytest.fixture(scope="module")
def snapshot_prices(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return PriceStore(cache_dir=tmp_path_factory.mktemp("px")).load(["MP", "SPY", "LYC.AX"])


def test_performance_table_on_real_snapshot_values(snapshot_prices) -> None:  # type: ignore[no-untyped-def]
    from lib.watchlists.perf import performance_table

    items = [
        wl.WatchlistItem("MP", 0, "n", datetime(2025, 1, 2, 15, tzinfo=UTC)),
        wl.WatchlistItem("SPY", 1),
        wl.WatchlistItem("ZZZZ", 2),
        wl.WatchlistItem("URA", 3),
    ]
    t = performance_table(
        items, snapshot_prices, {"MP": "USD", "SPY": "USD", "URA": "USD"}, known={"MP", "URA"}
    ).set_index("symbol")
    mp = t.loc["MP"]
    assert mp["last"] == 46.14 and mp["currency"] == "USD" and mp["as_of"] == date(2026, 10, 8)
    # Adjusted closes in the snapshot: 46.31 (7 Oct 2026), 50.52 (31 Dec 2025),
    # 70.59 (8 Oct 2025), 16.39 (2 Jan 2025, the day it was added).
    assert mp["1D"] == pytest.approx(46.14 / 46.31 - 1)
    assert mp["YTD"] == pytest.approx(46.14 / 50.52 - 1)
    assert mp["1Y"] == pytest.approx(46.14 / 70.59 - 1)
    assert mp["since_added"] == pytest.approx(46.14 / 16.39 - 1)
    # Sparkline: the last year, from 8 Oct 2025 (70.59) to 8 Oct 2026 (46.14).
    assert len(mp["trend"]) == 60 and mp["trend"][0] == 70.59 and mp["trend"][-1] == 46.14
    assert list(t.index) == ["MP", "SPY", "ZZZZ", "URA"]  # list order kept
    assert t.loc["ZZZZ", "status"] == wl.UNKNOWN_SYMBOL_NOTE
    assert "no offline data" in t.loc["URA", "status"]  # known but not loaded
    assert t.loc["ZZZZ", "trend"] == [] and pd.isna(t.loc["ZZZZ", "1D"])


def test_since_added_falls_back_to_the_stored_price(snapshot_prices) -> None:  # type: ignore[no-untyped-def]
    from lib.watchlists.perf import performance_table

    early = wl.WatchlistItem("MP", 0, "", datetime(2019, 1, 2, tzinfo=UTC), 10.0, date(2019, 1, 2))
    t = performance_table([early], snapshot_prices, {"MP": "USD"})
    assert t.loc[0, "since_added"] == pytest.approx(46.14 / 10.0 - 1)


# --------------------------------------------------------------------------- the PG fixture


@pytest.mark.parametrize(("ci", "outcome"), [("", "skip"), ("true", "fail")])
def test_missing_postgresql_skips_locally_and_fails_in_ci(
    ci: str, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import pg_server

    monkeypatch.setattr(pg_server, "find_pg_bin", lambda: None)
    monkeypatch.setenv("CI", ci)
    expected = pytest.skip.Exception if outcome == "skip" else pytest.fail.Exception
    with pytest.raises(expected, match="no PostgreSQL server binaries"), pg_server.pg_cluster():
        pass
