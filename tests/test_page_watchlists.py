"""AppTest: the Watchlists page and the sidebar picker, on SQLite and a real PostgreSQL server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.watchlists import NewItem, WatchlistStore
from tests.apptest_frame import ok, page_app
from tests.pg_server import fresh_database, pg_cluster

PAGE = "pages/5_Watchlists.py"
ISSUER = "https://id.example.com"
# Owners are issuer+subject (lib.auth.owner_key), never the email.
ALICE, BOB = f"oidc:{ISSUER}|alice-sub", f"oidc:{ISSUER}|bob-sub"
ALICE_USER = {"is_logged_in": True, "iss": ISSUER, "sub": "alice-sub", "email": "alice@example.com"}
BOB_USER = {"is_logged_in": True, "iss": ISSUER, "sub": "bob-sub", "email": "bob@example.com"}
STARTERS = ["US revival", "China majors", "Magnet makers", "ETFs and benchmarks"]


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture
def store() -> Iterator[WatchlistStore]:
    """The same database the page opens (the per-test SQLite file, or RER_DATABASE_URL)."""
    s = WatchlistStore.open(wl.resolve_database_url())
    yield s
    s.dispose()


def page(user: dict | None = None, **state: object) -> AppTest:
    at = page_app(PAGE)
    if user is not None:
        at.user = user
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def list_names(at: AppTest) -> list[str]:
    return [o.rsplit(" (", 1)[0] for o in at.selectbox(key="wl_current").options]


def plain(markdown: str) -> str:
    """What the user reads: markdown source with our backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def current_label(at: AppTest) -> str:
    sb = at.selectbox(key="wl_current")
    assert sb.index is not None
    return str(sb.options[sb.index])


def all_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += (
        [e.value for e in at.error] + [e.value for e in at.warning] + [e.value for e in at.text]
    )
    parts += [e.value for e in at.success]
    for sb in at.selectbox:
        parts += list(sb.options)
    for df in at.dataframe:
        parts += df.value.astype(str).to_numpy().ravel().tolist()
    return "\n".join(str(p) for p in parts)


# --------------------------------------------------------------------------- first run


def test_first_run_shows_starter_lists_and_real_performance() -> None:
    at = ok(page())
    assert list_names(at) == STARTERS
    perf = at.dataframe[0].value.set_index("symbol")
    assert list(perf.index) == ["MP", "UUUU", "USAR", "AREC", "REEMF", "CRML"]
    # Columns with gaps are display text ('–' in the gaps; st.dataframe shows nulls as "None").
    assert perf.loc["MP", "last"] == "46.14" and perf.loc["MP", "currency"] == "USD"
    assert perf.loc["MP", "1D"] == f"{(46.14 / 46.31 - 1) * 100:+.1f}%"
    assert perf.loc["REEMF", "1D"] == "–" and perf.loc["REEMF", "last"] == "–"
    # Starter symbols record the price on disk when they were added.
    assert perf.loc["MP", "added_price"] in (46.14, "46.14")
    assert "no offline data" in perf.loc["REEMF", "status"]
    assert any("./Prices?px_symbols=MP&px_symbols=UUUU" in m.value for m in at.markdown)
    assert [b.label for b in at.get("download_button")] == [
        "Download performance (CSV)",
        "Download Excel (.xlsx)",
        "Download watchlist (CSV)",
        "Download my events (CSV)",
    ]
    # Sidebar picker on this page too, starting with no active list.
    assert at.sidebar.selectbox(key="_wl_active_pick").options[0] == "(none)"
    assert at.session_state["active_watchlist_symbols"] == []


def test_performance_shows_market_cap_and_dashes_never_none() -> None:
    at = ok(page())
    perf = at.dataframe[0].value.set_index("symbol")
    # The cap in billions, possibly followed by "(stale count, <date>)".
    assert re.match(r"^[\d.,]+ bn\b", perf.loc["MP", "Market cap (USD)"])
    assert "secondary, unverified" in perf.loc["MP", "Share count (source, date)"]
    assert perf.loc["REEMF", "Market cap (USD)"] == "–"
    assert perf.loc["REEMF", "Share count (source, date)"].startswith("– ")
    shown = at.dataframe[0].proto.arrow_data.styler.display_values
    assert shown, "the table is styled: gaps are displayed as '–'"
    text = all_text(at)
    assert "/tmp" not in text and "watchlists.db" not in text
    assert at.button(key="wl_refresh_shares").disabled  # offline: counts come from the file


def test_sidebar_picks_the_active_watchlist_for_other_pages(store: WatchlistStore) -> None:
    at = ok(page())
    target = store.find("local", "China majors").id  # type: ignore[union-attr]
    at.sidebar.selectbox(key="_wl_active_pick").set_value(target).run()
    ok(at)
    assert at.session_state["active_watchlist"] == "China majors"
    assert at.session_state["active_watchlist_symbols"][:2] == ["600111.SS", "000831.SZ"]
    # The page opens on the active list.
    assert at.selectbox(key="wl_current").value == target


# --------------------------------------------------------------------------- editing


def test_create_add_note_reorder_remove(store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_new_name").input("  My positions  ")
    at.button(key="wl_create").click().run()
    ok(at)
    assert "My positions" in list_names(at)
    assert current_label(at).startswith("My positions")
    at.text_input(key="wl_add_text").input("mp, LYC.AX 600111.SS ZZZQ")
    at.text_input(key="wl_add_note").input("core")
    at.button(key="wl_add").click().run()
    ok(at)
    assert "ZZZQ: unknown — will resolve from Yahoo when online" in plain(at.warning[0].value)
    lst = store.find("local", "My positions")
    assert lst is not None and lst.symbols == ["MP", "LYC.AX", "600111.SS", "ZZZQ"]
    assert {i.note for i in lst.items} == {"core"}
    assert lst.items[0].added_price == 46.14

    at.selectbox(key=f"wl_sym_{lst.id}").set_value("600111.SS").run()
    at.button(key="wl_up").click().run()
    ok(at)
    assert store.get("local", lst.id).symbols == ["MP", "600111.SS", "LYC.AX", "ZZZQ"]
    at.text_input(key=f"wl_note_{lst.id}_600111.SS").input("Baotou")
    at.button(key="wl_save_note").click().run()
    assert store.get("local", lst.id).items[1].note == "Baotou"
    at.selectbox(key=f"wl_sym_{lst.id}").set_value("ZZZQ").run()
    at.button(key="wl_remove").click().run()
    ok(at)
    assert store.get("local", lst.id).symbols == ["MP", "600111.SS", "LYC.AX"]


def test_the_open_tab_survives_a_message_coming_and_going(store: WatchlistStore) -> None:
    """The server holds the open tab (a tracked widget), so a rerun that re-mounts the tabs
    (the "Watchlist created." message above them goes) cannot send the reader back to
    Performance between typing symbols and clicking Add. Untracked tabs live in the browser
    alone: Chromium showed exactly that jump (tests/e2e/test_alerts_catalysts.py)."""
    at = ok(page())
    at.text_input(key="wl_new_name").input("Tab keeper")
    at.button(key="wl_create").click().run()
    assert "Watchlist created" in " ".join(s.value for s in ok(at).success)
    assert at.session_state["wl_tabs"] == "Performance"
    at.session_state["wl_tabs"] = "Symbols"  # the reader opens the Symbols tab
    at.text_input(key="wl_add_text").input("UUUU").run()  # Enter: the message is gone
    assert not ok(at).success
    assert at.session_state["wl_tabs"] == "Symbols"
    at.button(key="wl_add").click().run()
    assert ok(at).session_state["wl_tabs"] == "Symbols"
    lst = store.find("local", "Tab keeper")
    assert lst is not None and lst.symbols == ["UUUU"]


def test_bad_paste_adds_nothing(store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_add_text").input("SPY, <script>alert(1)</script>")
    at.button(key="wl_add").click().run()
    ok(at)
    assert "Nothing was added. '<script>alert(1)</scrip…' is too long" in plain(at.error[0].value)
    assert "SPY" not in store.find("local", "US revival").symbols  # type: ignore[union-attr]


def test_rename_duplicate_and_delete_with_confirmation(store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_rename_text").input("america")
    at.button(key="wl_rename").click().run()
    ok(at)
    assert list_names(at)[0] == "america"
    at.text_input(key="wl_rename_text").input("China MAJORS")
    at.button(key="wl_rename").click().run()
    assert "already have a watchlist with that name" in plain(at.error[0].value)
    at.button(key="wl_duplicate").click().run()
    ok(at)
    assert list_names(at)[-1] == "america (copy)"
    assert current_label(at).startswith("america (copy)")

    at.button(key="wl_delete").click().run()
    assert "cannot be undone" in plain(at.warning[0].value)
    assert "america (copy)" in list_names(at)  # nothing deleted yet
    at.button(key="wl_delete_no").click().run()
    assert not at.warning and "america (copy)" in list_names(at)
    at.button(key="wl_delete").click().run()
    at.button(key="wl_delete_yes").click().run()
    ok(at)
    assert "america (copy)" not in list_names(at)
    assert [x.name for x in store.lists("local")] == ["america", *STARTERS[1:]]


HOSTILE_NAMES = [
    "<script>alert('x')</script>",
    "**bold** [x](javascript:alert(1))",
    "Robert'); DROP TABLE watchlists;--",
    "稀土 :material/home: $x^2$",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_shown_as_text(name: str, store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_new_name").input(name)
    at.button(key="wl_create").click().run()
    ok(at)
    assert name in list_names(at)  # selectbox options are plain text
    assert any(t.value == f"Watchlist: {name}" for t in at.text)
    for md in at.markdown:  # never echoed into markdown
        assert name not in md.value
    assert store.find("local", name) is not None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("evil\u202etxt", "right-to-left"),
        ("   ", "give the watchlist a name"),
    ],
)
def test_bad_names_are_refused_cleanly(name: str, message: str, store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_new_name").set_value(name)
    at.button(key="wl_create").click().run()
    ok(at)
    assert message in plain(at.error[0].value)
    assert [x.name for x in store.lists("local")] == STARTERS


def test_a_10k_character_name_cannot_get_past_the_limit(store: WatchlistStore) -> None:
    at = ok(page())
    at.text_input(key="wl_new_name").set_value("x" * 10_000)
    at.button(key="wl_create").click().run()
    ok(at)  # the widget caps input at 60 characters; the store would refuse more anyway
    assert max(len(x.name) for x in store.lists("local")) <= wl.MAX_NAME_LEN


# --------------------------------------------------------------------------- import / export


def test_import_csv_into_this_list(store: WatchlistStore) -> None:
    at = ok(page())
    csv = b"symbol,note\nSPY,bench\nLYC.AX,\n"
    at.get("file_uploader")[0].set_value(("mine.csv", csv, "text/csv")).run()
    at.button(key="wl_import").click().run()
    ok(at)
    got = store.find("local", "US revival")
    assert got is not None and got.symbols[-2:] == ["SPY", "LYC.AX"]
    assert got.items[-2].note == "bench"


def test_import_into_a_new_list(store: WatchlistStore) -> None:
    at = ok(page())
    at.get("file_uploader")[0].set_value(("m.csv", b"symbol\nMP\nSPY\n", "text/csv")).run()
    at.radio(key="wl_import_target").set_value("A new watchlist").run()
    at.text_input(key="wl_import_name").input("Imported")
    at.button(key="wl_import").click().run()
    ok(at)
    assert current_label(at) == "Imported (2)"
    assert store.find("local", "Imported").symbols == ["MP", "SPY"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'symbol,note\nSPY,ok\nMP,=HYPERLINK("http://evil")\n', "Row 3 has a formula-like"),
        (b"ticker\nMP\n", "needs a 'symbol' column"),
        (b"", "empty"),
        (b"symbol\nMP\x00\x00\x01", "binary data"),
        (b"symbol\n\xff\xfeMP\n", "not UTF-8"),
        (b"symbol\n" + b"SPY\n" * 70_000, "limit is 256 KiB"),
        (b"symbol\nSPY\n'; DROP TABLE watchlists;--\n", "Row 3"),
    ],
)
def test_bad_import_files_write_nothing(
    content: bytes, message: str, store: WatchlistStore
) -> None:
    at = ok(page())
    before = store.find("local", "US revival")
    at.get("file_uploader")[0].set_value(("bad.csv", content, "text/csv")).run()
    at.button(key="wl_import").click().run()
    ok(at)
    assert at.error and "Nothing was imported" in plain(at.error[0].value)
    assert message in plain(at.error[0].value)
    assert store.find("local", "US revival") == before
    assert len(store.lists("local")) == len(STARTERS)


def test_pasted_import(store: WatchlistStore) -> None:
    at = ok(page())
    at.text_area(key="wl_paste").input("MP, LYC.AX, 600111.SS")
    at.button(key="wl_paste_add").click().run()
    ok(at)
    assert store.find("local", "US revival").symbols[-2:] == ["LYC.AX", "600111.SS"]  # type: ignore[union-attr]


def test_secrets_toml_url_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(wl.ENV_DATABASE_URL, raising=False)
    target = tmp_path / "from-secrets.db"
    at = page_app(PAGE)
    at.secrets["connections"] = {"watchlists": {"url": f"sqlite:///{target}"}}
    ok(at.run())
    assert target.exists()
    captions = [plain(c.value) for c in at.caption]
    assert any("SQLite on this server" in c for c in captions)
    assert not any(str(tmp_path) in c or "from-secrets.db" in c for c in captions)


# --------------------------------------------------------------------------- owners


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_admin_url")
        url = fresh_database(admin, f"p_{uuid.uuid4().hex[:12]}")
        monkeypatch.setenv(wl.ENV_DATABASE_URL, url)
    return str(request.param)


def test_signed_in_users_only_see_and_change_their_own_lists(
    backend: str, store: WatchlistStore
) -> None:
    assert store.backend == backend
    alice_id = store.create(ALICE, "Alice secret", [NewItem("MP", "alice note")])

    bob = BOB_USER
    at = ok(page(user=bob))
    assert list_names(at) == STARTERS  # Bob's own starter lists, none of Alice's
    assert "Alice secret" not in all_text(at) and "alice note" not in all_text(at)

    # A crafted session pointing at Alice's list id falls back to Bob's lists.
    at = ok(page(user=bob, wl_current=alice_id, active_watchlist_id=alice_id))
    assert at.selectbox(key="wl_current").value != alice_id
    assert "Alice secret" not in all_text(at)
    assert at.session_state["active_watchlist_symbols"] != ["MP"]
    at.text_input(key="wl_rename_text").input("Bob renamed")
    at.button(key="wl_rename").click().run()
    at.button(key="wl_delete").click().run()
    at.button(key="wl_delete_yes").click().run()
    ok(at)

    alice = store.get(ALICE, alice_id)
    assert (alice.name, alice.symbols, alice.items[0].note) == (
        "Alice secret",
        ["MP"],
        "alice note",
    )
    # Same account with a changed email: still Alice's lists (the key is issuer+subject).
    at = ok(page(user={**ALICE_USER, "email": "Alice@New.example"}))
    assert list_names(at)[0] == "Alice secret"
    assert "Bob renamed" not in list_names(at)
    # Another account claiming Alice's email, unverified: its own lists, never Alice's.
    mallory = {**BOB_USER, "sub": "mallory", "email": "alice@example.com", "email_verified": False}
    at = ok(page(user=mallory))
    assert "Alice secret" not in all_text(at)
    # Signed-out / no auth: the single local owner, which sees neither.
    at = ok(page(user={"is_logged_in": False}))
    assert "Alice secret" not in list_names(at) and "Bob renamed" not in list_names(at)
    assert store.find(BOB, "Bob renamed") is None  # Bob's rename+delete hit his own list
    assert {x.name for x in store.lists(BOB)} == set(STARTERS[1:])


# --------------------------------------------------------------------------- other pages


def test_prices_page_opens_the_active_watchlist(store: WatchlistStore) -> None:
    at = ok(page_app("pages/1_Prices.py").run())
    china = store.find("local", "China majors")
    assert china is not None
    at.sidebar.selectbox(key="_wl_active_pick").set_value(china.id).run()
    ok(at)
    assert at.session_state["px_symbols"] == china.symbols


def test_share_link_opens_the_symbols_on_the_prices_page() -> None:
    at = ok(page())
    link = next(m.value for m in at.markdown if "./Prices?" in m.value)
    query = link.split("./Prices?", 1)[1].rstrip(")")
    symbols = ["MP", "UUUU", "USAR", "AREC", "REEMF", "CRML"]
    assert query == "&".join(f"px_symbols={s}" for s in symbols)  # today's name, ids
    prices = page_app("pages/1_Prices.py")
    prices.query_params["px_symbols"] = symbols
    ok(prices.run())
    assert prices.session_state["px_symbols"] == ["MP", "UUUU", "USAR", "AREC", "REEMF", "CRML"]
