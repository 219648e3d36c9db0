"""scripts/catalysts.py ics: the calendar file parses back with icalendar and matches the page's."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from lib import watchlists as wl
from lib.catalysts import ics
from lib.catalysts.private import PrivateEventStore
from scripts import catalysts as cli

TODAY = date(2026, 12, 7)


def run(*argv: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = wl.WatchlistStore.open(url)
    store.create("local", "Australia", ["LYC.AX", "ILU.AX"])
    events = PrivateEventStore(store.engine)
    events.add("local", "2027-02-20", "day", "Lynas half-year results", symbols="LYC.AX")
    events.add("alice", "2027-02-21", "day", "Alice's own note")
    store.dispose()
    return url


def test_whole_calendar_round_trips() -> None:
    code, data, _ = run("ics", "--today", TODAY.isoformat())
    assert code == 0
    entries = ics.read_ics(data)
    table = cli.calendar(TODAY, ahead=365, back=90)
    assert [e.uid for e in entries] == [f"{u}@{ics.UID_DOMAIN}" for u in table["uid"]]
    assert [e.title for e in entries] == [ics.title_for(r) for _, r in table.iterrows()]
    assert [e.start for e in entries] == list(table["start"].dt.date)
    assert {"policy-E126", "policy-E128"} <= {e.uid.split("@")[0] for e in entries}


def test_watchlist_and_owner_filter(db: str) -> None:
    code, data, err = run(
        "--database-url", db, "ics", "--watchlist", "Australia", "--owner", "local",
        "--today", TODAY.isoformat(),
    )  # fmt: skip
    assert code == 0, err
    entries = ics.read_ics(data)
    uids = {e.uid.split("@")[0] for e in entries}
    assert "milestone-P20" in uids  # Iluka's Eneabba refinery, 2027
    assert "milestone-P13" not in uids  # USA Rare Earth is not on the list
    titles = {e.title for e in entries}
    assert "Lynas half-year results" in titles and "Alice's own note" not in titles


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["ics", "--watchlist", "Australia"], 2, "needs --owner"),
        (["ics", "--watchlist", "Nope", "--owner", "local"], 1, "No watchlist named"),
        (["ics", "--watchlist", "Australia", "--owner", "bob"], 1, "No watchlist named"),
    ],
)
def test_refusals(db: str, argv: list[str], code: int, message: str) -> None:
    got, data, err = run("--database-url", db, *argv)
    assert got == code and message in err and data == b""
