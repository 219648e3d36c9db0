"""Private events on SQLite and PostgreSQL: CRUD, owner isolation on every path, limits,
hostile text and stale writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.catalysts import model
from lib.catalysts.private import (
    MAX_EVENTS_PER_OWNER,
    PrivateEventError,
    PrivateEventNotFoundError,
    PrivateEventStore,
    StalePrivateEventError,
    clean_fields,
)
from lib.watchlists import WatchlistStore
from tests.pg_server import fresh_database, pg_cluster

ALICE, BOB = "https://issuer.example|alice", "https://issuer.example|bob"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def events(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateEventStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'w.db'}"
    else:
        url = fresh_database(request.getfixturevalue("pg_admin_url"), f"p_{uuid.uuid4().hex[:12]}")
    wl = WatchlistStore.open(url)  # migrates to the latest schema (private_events is v6)
    yield PrivateEventStore(wl.engine)
    wl.dispose()


def test_crud_round_trip(events: PrivateEventStore) -> None:
    eid = events.add(
        ALICE,
        "2027-03-15",
        "day",
        "  Lynas half-year results ",
        "watch NdPr",
        ["lyc.ax", "MP"],
        "https://lynasrareearths.com/",
    )
    got = events.get(ALICE, eid)
    assert (got.date, got.title, got.symbols, got.revision) == (
        date(2027, 3, 15),
        "Lynas half-year results",
        ("LYC.AX", "MP"),
        0,
    )
    events.update(ALICE, eid, 0, "2027-06-20", "month", "Lynas results", "", "LYC.AX")
    got = events.get(ALICE, eid)
    assert got.date == date(2027, 6, 1) and got.precision == "month" and got.revision == 1
    frame = events.frame(ALICE)
    cat = model.from_private_events(frame)
    assert cat.loc[0, "when"] == "Jun 2027" and cat.loc[0, "kind"] == "my event"
    events.delete(ALICE, eid, 1)
    assert events.list(ALICE) == []


def test_another_owners_id_is_refused_on_every_path(events: PrivateEventStore) -> None:
    eid = events.add(ALICE, "2027-01-10", "day", "Alice's secret")
    assert events.list(BOB) == [] and events.frame(BOB).empty
    with pytest.raises(PrivateEventNotFoundError):
        events.get(BOB, eid)
    with pytest.raises(PrivateEventNotFoundError):
        events.update(BOB, eid, 0, "2027-01-11", "day", "taken over")
    with pytest.raises(PrivateEventNotFoundError):
        events.delete(BOB, eid, 0)
    assert events.get(ALICE, eid).title == "Alice's secret"  # untouched


def test_stale_writes_are_refused(events: PrivateEventStore) -> None:
    eid = events.add(ALICE, "2027-01-10", "day", "v0")
    events.update(ALICE, eid, 0, "2027-01-10", "day", "v1")  # another tab
    with pytest.raises(StalePrivateEventError):
        events.update(ALICE, eid, 0, "2027-01-10", "day", "from a stale tab")
    with pytest.raises(StalePrivateEventError):
        events.delete(ALICE, eid, 0)
    assert events.get(ALICE, eid).title == "v1"


def test_the_501st_event_is_refused(events: PrivateEventStore) -> None:
    with events.engine.begin() as conn:  # fast fill to the limit
        from datetime import UTC, datetime

        from lib.watchlists.db import private_events_t

        now = datetime.now(UTC)
        conn.execute(
            private_events_t.insert(),
            [
                dict(
                    owner=ALICE,
                    date=date(2027, 1, 1),
                    precision="day",
                    title=f"e{i}",
                    note="",
                    symbols="",
                    source_url="",
                    created_at=now,
                    updated_at=now,
                    revision=0,
                )
                for i in range(MAX_EVENTS_PER_OWNER)
            ],
        )
    with pytest.raises(PrivateEventError, match="at most 500"):
        events.add(ALICE, "2027-01-02", "day", "one too many")
    events.add(BOB, "2027-01-02", "day", "bob is not limited by alice")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "at most 200"),
        ({"note": "x" * 2001}, "at most 2000"),
        ({"title": "evil\u202ereversed"}, "invisible or control"),
        ({"title": "zero\u200bwidth"}, "invisible or control"),
        ({"note": "bell\x07"}, "invisible or control"),
        ({"source_url": "http://plain.example"}, "https"),
        ({"source_url": "javascript:alert(1)"}, "https"),
        ({"day": "1800-01-01"}, "between"),
        ({"day": "not a date"}, "date"),
        ({"precision": "week"}, "Precision"),
        ({"symbols": ["<script>"]}, ""),
    ],
)
def test_hostile_or_invalid_fields_are_refused(kwargs, message) -> None:
    args = {
        "day": "2027-01-01",
        "precision": "day",
        "title": "ok",
        "note": "",
        "symbols": (),
        "source_url": "",
    } | kwargs
    with pytest.raises(PrivateEventError, match=message):
        clean_fields(**args)


@settings(max_examples=60)
@given(st.text(max_size=250), st.text(max_size=300))
def test_any_text_is_either_refused_with_a_sentence_or_stored_clean(title, note) -> None:
    try:
        _, _, t, n, _, _ = clean_fields("2027-01-01", "day", title, note)
    except PrivateEventError as exc:
        assert str(exc).endswith(".")
        return
    assert 0 < len(t) <= 200 and len(n) <= 2000
    assert not any(ch in t for ch in "\u202e\u200b\x00")


def test_as_event_rows_feed_the_event_pipeline(events: PrivateEventStore) -> None:
    from lib.catalysts.private import MY_EVENTS, as_event_rows
    from lib.events.events import prepare_events

    events.add(ALICE, "2025-07-10", "day", "My MP note", symbols="MP")
    events.add(ALICE, "2025-08-15", "month", "Month-only note")
    events.add(ALICE, "2025-01-01", "year", "Year-only note")
    rows = prepare_events(as_event_rows(events.frame(ALICE)))
    assert list(rows["title"]) == ["My MP note", "Month-only note"]  # year-only stays out
    assert set(rows["jurisdiction"]) == {MY_EVENTS} and set(rows["category"]) == {MY_EVENTS}
    assert rows.loc[0, "symbol_list"] == ("MP",) and bool(rows.loc[0, "exact"])
    assert not bool(rows.loc[1, "exact"])  # month precision is drawn as a span
    assert as_event_rows(events.frame(BOB)).empty


# --------------------------------------------------------------------------- export / import


def test_export_reads_back_exactly_and_is_spreadsheet_safe(events: PrivateEventStore) -> None:
    from lib.catalysts.private_io import parse_csv, to_csv_bytes

    events.add(
        ALICE,
        "2027-01-05",
        "day",
        '=HYPERLINK("x")',
        "-5% since added",
        "MP",
        "https://example.com/a",
    )
    events.add(ALICE, "2027-02-01", "month", "'quoted", "+1 note")
    data = to_csv_bytes(events.frame(ALICE))
    assert b"\"'=HYPERLINK" in data and b",'-5% since added," in data
    rows = parse_csv(data)
    assert [(r.title, r.note) for r in rows] == [
        ('=HYPERLINK("x")', "-5% since added"),
        ("'quoted", "+1 note"),
    ]
    assert rows[0].symbols == "MP" and rows[1].date == "2027-02-01"


@settings(max_examples=80)
@given(st.text(max_size=200), st.text(max_size=300))
def test_any_storable_text_round_trips(title, note) -> None:
    from lib.catalysts.private_io import parse_csv, to_csv_bytes

    try:
        _, _, t, n, _, _ = clean_fields("2027-01-01", "day", title, note)
    except PrivateEventError:
        return
    frame = pd.DataFrame(
        [
            {
                "id": 1,
                "date": pd.Timestamp("2027-01-01"),
                "precision": "day",
                "title": t,
                "note": n,
                "symbols": "",
                "source_url": "",
                "revision": 0,
            }
        ]
    )
    (row,) = parse_csv(to_csv_bytes(frame))
    assert (row.title, row.note) == (t, n)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"symbol,note\nMP,x\n", "header"),
        (
            b"date,precision,title,note,symbols,source_url\n2027-01-01,day,\xe2\x80\xaeevil,,,\n",
            "Row 2: .*invisible",
        ),
        (
            b"date,precision,title,note,symbols,source_url\n2027-01-01,day,ok,,,http://x\n",
            "Row 2: .*https",
        ),
        (b"\x00\x01binary", "binary|UTF-16|header"),
    ],
)
def test_bad_imports_name_the_problem(data: bytes, message: str) -> None:
    from lib.catalysts.private_io import parse_csv

    with pytest.raises(PrivateEventError, match=message):
        parse_csv(data)


def test_import_is_all_or_nothing_at_the_limit(events: PrivateEventStore) -> None:
    rows = [("2027-01-01", "day", f"e{i}", "", "", "") for i in range(MAX_EVENTS_PER_OWNER)]
    assert events.add_many(ALICE, rows) == MAX_EVENTS_PER_OWNER
    with pytest.raises(PrivateEventError, match="Nothing was imported"):
        events.add_many(ALICE, [("2027-01-02", "day", "one more", "", "", "")])
    with pytest.raises(PrivateEventError):
        events.add_many(
            BOB,
            [
                ("2027-01-02", "day", "ok", "", "", ""),
                ("2027-01-02", "day", "bad\u202e", "", "", ""),
            ],
        )
    assert events.list(BOB) == []  # the good row before the bad one was not kept
