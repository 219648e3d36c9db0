"""AppTest, issue 25: every Watchlists action lands on the list the user saw, or nowhere.

Two AppTest instances on one database are two browser tabs; a write straight to the store is
another tab (or user) changing a list behind the page's back. A stale action is refused with a
warning, the page reloads, and no list changes: not the one shown, not the first one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.ui.widgets import LINK_BREAK
from lib.universe import load_universe
from lib.watchlists import WatchlistStore
from tests.apptest_frame import ok, page_app
from tests.pg_server import fresh_database, pg_cluster

PAGE = "pages/5_Watchlists.py"


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_admin_url")
        monkeypatch.setenv(wl.ENV_DATABASE_URL, fresh_database(admin, f"t_{uuid.uuid4().hex[:12]}"))
    return str(request.param)


@pytest.fixture
def store() -> Iterator[WatchlistStore]:
    """The page's database, with the starter lists a first visit creates."""
    s = WatchlistStore.open(wl.resolve_database_url())
    s.ensure_starter_lists("local", load_universe())
    yield s
    s.dispose()


def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def tab(list_name: str | None = None) -> AppTest:
    """A new browser tab on the Watchlists page, showing ``list_name``."""
    at = ok(page_app(PAGE).run())
    if list_name is not None:
        s = WatchlistStore.open(wl.resolve_database_url())
        target = s.find("local", list_name)
        s.dispose()
        assert target is not None
        at.selectbox(key="wl_current").set_value(target.id).run()
        ok(at)
    return at


def everything(store: WatchlistStore) -> list[tuple[Any, ...]]:
    """Every list: name, symbols in order, notes."""
    return [
        (x.name, tuple((i.symbol, i.note) for i in store.get("local", x.id).items))
        for x in store.lists("local")
    ]


def shown(at: AppTest) -> int:
    value = at.selectbox(key="wl_current").value
    assert isinstance(value, int)
    return value


def refused(at: AppTest) -> None:
    ok(at)
    assert any("changed in another tab" in plain(w.value) for w in at.warning), [
        w.value for w in at.warning
    ]


# --------------------------------------------------------------------------- the flows


def test_move_down_in_a_stale_tab_moves_nothing(store: WatchlistStore) -> None:
    china = store.find("local", "China majors")
    assert china is not None
    b = tab("China majors")
    a = tab("China majors")
    a.text_input(key="wl_add_text").input("SPY")
    a.button(key="wl_add").click().run()
    ok(a)
    assert store.get("local", china.id).symbols[-1] == "SPY"
    before = everything(store)

    b.button(key="wl_down").click().run()  # B still shows China majors without SPY
    refused(b)
    assert everything(store) == before  # neither China majors nor the first list moved
    assert shown(b) == china.id
    # Reloaded, the same click now moves the symbol B sees, in B's list.
    first = store.get("local", china.id).symbols[0]
    b.button(key="wl_down").click().run()
    ok(b)
    assert store.get("local", china.id).symbols[1] == first
    assert everything(store)[0] == before[0]


def test_move_down_after_an_add_stays_on_the_list(store: WatchlistStore) -> None:
    """One tab: the label's size changes after Add; the next action is still on that list."""
    at = tab("Magnet makers")
    magnets = store.find("local", "Magnet makers")
    assert magnets is not None
    at.text_input(key="wl_add_text").input("SPY")
    at.button(key="wl_add").click().run()
    ok(at)
    assert shown(at) == magnets.id
    first_list = everything(store)[0]
    at.selectbox(key=f"wl_sym_{magnets.id}").set_value("SPY").run()
    at.button(key="wl_up").click().run()
    ok(at)
    assert store.get("local", magnets.id).symbols[-2] == "SPY"
    assert everything(store)[0] == first_list


def test_delete_in_a_stale_tab_deletes_nothing(store: WatchlistStore) -> None:
    b = tab("Magnet makers")
    b.button(key="wl_delete").click().run()
    assert "cannot be undone" in plain(b.warning[0].value)
    a = tab("Magnet makers")
    a.text_input(key="wl_rename_text").input("Magnets")
    a.button(key="wl_rename").click().run()
    ok(a)
    before = everything(store)

    b.button(key="wl_delete_yes").click().run()
    refused(b)
    assert everything(store) == before  # Magnets and the first list are both still there
    assert [n for n, _ in before][2] == "Magnets"


def test_delete_deletes_the_list_shown_not_the_first(store: WatchlistStore) -> None:
    at = tab("ETFs and benchmarks")
    at.text_input(key="wl_add_text").input("URA")  # the label's size changes
    at.button(key="wl_add").click().run()
    at.button(key="wl_delete").click().run()
    at.button(key="wl_delete_yes").click().run()
    ok(at)
    assert [x.name for x in store.lists("local")] == ["US revival", "China majors", "Magnet makers"]


def test_duplicate_after_rename_copies_that_list_and_keeps_it_active(
    store: WatchlistStore,
) -> None:
    china = store.find("local", "China majors")
    assert china is not None
    at = tab("China majors")
    at.sidebar.selectbox(key="_wl_active_pick").set_value(china.id).run()
    ok(at)
    at.text_input(key="wl_rename_text").input("China big four")
    at.button(key="wl_rename").click().run()
    ok(at)
    assert shown(at) == china.id
    at.button(key="wl_duplicate").click().run()
    ok(at)
    names = [x.name for x in store.lists("local")]
    assert names[-1] == "China big four (copy)" and "US revival (copy)" not in names
    copy = store.find("local", "China big four (copy)")
    assert copy is not None and copy.symbols == china.symbols
    assert shown(at) == copy.id
    # The sidebar's active list is still the renamed one, under its new name.
    assert at.session_state["active_watchlist_id"] == china.id
    assert at.session_state["active_watchlist"] == "China big four"
    assert at.sidebar.selectbox(key="_wl_active_pick").value == china.id


def test_duplicate_in_a_stale_tab_is_refused(store: WatchlistStore) -> None:
    b = tab("China majors")
    store.rename("local", store.find("local", "China majors").id, "CN")  # type: ignore[union-attr]
    before = everything(store)
    b.button(key="wl_duplicate").click().run()
    refused(b)
    assert everything(store) == before
    b.button(key="wl_duplicate").click().run()  # reloaded: now it copies CN
    ok(b)
    assert [x.name for x in store.lists("local")][-1] == "CN (copy)"


def test_add_in_a_stale_tab_lands_nowhere(backend: str, store: WatchlistStore) -> None:
    assert store.backend == backend
    a = tab("Magnet makers")
    b = tab("Magnet makers")
    a.text_input(key="wl_rename_text").input("Magnets")
    a.button(key="wl_rename").click().run()
    before = everything(store)
    b.text_input(key="wl_add_text").input("URA")
    b.button(key="wl_add").click().run()
    refused(b)
    assert not any(w.value.startswith("Added") for w in b.success)
    assert everything(store) == before  # URA is in no list
    assert b.text_input(key="wl_add_text").value == "URA"  # what the user typed is kept


def test_save_note_in_a_stale_tab_writes_nothing_and_keeps_the_typed_note(
    store: WatchlistStore,
) -> None:
    china = store.find("local", "China majors")
    assert china is not None
    b = tab("China majors")
    sym = china.symbols[1]
    b.selectbox(key=f"wl_sym_{china.id}").set_value(sym).run()
    store.add_symbols("local", china.id, ["SPY"])  # another tab, behind B's back
    before = everything(store)
    note_key = f"wl_note_{china.id}_{sym}"
    b.text_input(key=note_key).input("Baotou JV")
    b.button(key="wl_save_note").click().run()
    refused(b)
    assert everything(store) == before  # no note anywhere, no empty note either
    assert b.text_input(key=note_key).value == "Baotou JV"
    b.button(key="wl_save_note").click().run()  # reloaded: saved where the user meant
    ok(b)
    got = store.get("local", china.id)
    assert [i.note for i in got.items if i.symbol == sym] == ["Baotou JV"]


def test_remove_and_import_in_a_stale_tab_are_refused(store: WatchlistStore) -> None:
    us = store.find("local", "US revival")
    assert us is not None
    b = tab()
    store.set_note("local", us.id, "MP", "behind your back")
    before = everything(store)
    b.button(key="wl_remove").click().run()
    refused(b)
    b.get("file_uploader")[0].set_value(("m.csv", b"symbol\nURA\n", "text/csv")).run()
    store.set_note("local", us.id, "MP", "and again")
    before = everything(store)
    b.button(key="wl_import").click().run()
    refused(b)
    assert everything(store) == before


def test_a_deleted_list_is_reported_not_replaced(store: WatchlistStore) -> None:
    china = store.find("local", "China majors")
    assert china is not None
    b = tab("China majors")
    store.delete("local", china.id)
    before = everything(store)
    b.text_input(key="wl_add_text").input("URA")
    b.button(key="wl_add").click().run()
    ok(b)
    assert everything(store) == before  # URA did not go to the first list instead
    assert b.warning or b.error


# --------------------------------------------------------------------------- small defects


def test_import_resets_the_uploader_so_nothing_is_imported_twice(store: WatchlistStore) -> None:
    at = tab()
    at.get("file_uploader")[0].set_value(("m.csv", b"symbol\nURA\n", "text/csv")).run()
    assert any("Ready to import m.csv" in plain(c.value) for c in at.caption)
    at.button(key="wl_import").click().run()
    ok(at)
    assert store.find("local", "US revival").symbols[-1] == "URA"  # type: ignore[union-attr]
    # A fresh uploader: no file, Import disabled (a refused upload cannot re-import m.csv).
    assert at.get("file_uploader")[0].value is None
    assert at.button(key="wl_import").disabled
    # A refused file resets it too.
    at.get("file_uploader")[0].set_value(("bad.csv", b"ticker\nMP\n", "text/csv")).run()
    at.button(key="wl_import").click().run()
    ok(at)
    assert any("Nothing was imported" in plain(e.value) for e in at.error)
    assert at.button(key="wl_import").disabled


def test_names_differing_only_in_width_are_refused(store: WatchlistStore) -> None:
    at = tab()
    at.text_input(key="wl_new_name").input("Mp")
    at.button(key="wl_create").click().run()
    at.text_input(key="wl_new_name").input("Ｍｐ")
    at.button(key="wl_create").click().run()
    ok(at)
    assert "already have a watchlist with that name" in plain(at.error[0].value)
    assert [x.name for x in store.lists("local")][-1] == "Mp"


def test_the_added_message_never_autolinks(store: WatchlistStore) -> None:
    at = tab()
    at.text_input(key="wl_add_text").input("www.ax")
    at.button(key="wl_add").click().run()
    ok(at)
    message = next(w.value for w in [*at.warning, *at.success] if "Added" in w.value)
    assert "WWW.AX" in plain(message).replace(LINK_BREAK, "")
    assert "WWW.AX" not in plain(message)  # a word joiner breaks the autolinker's www.
