"""Minimal examples the property tests found (tests/test_properties_*.py, test_universe_pages.py),
kept as plain regression tests. Each names its crash class in docs/totality-findings.md (C1..).

They fail on the code as found; they are not skipped or xfailed on purpose: a skipped test
hides the bug it was written for.
"""

from __future__ import annotations

import errno
import json
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.export import to_csv_bytes
from lib.markets.price_view import build_view, export_frame
from lib.prices import FetchResult, PriceStore, read_snapshot
from lib.prices.cache_file import CACHE_FILE, CacheState
from lib.prices.cache_file import write_cache_file as _write_cache_file
from lib.returns import summary_table
from tests.totality import (
    assert_total,
    full_error_details,
    make_watchlist,
    render,
    unsafe_markdown,
)

PRICES = "prices"


def ok(at: AppTest, *, charts: int = 0, ctx: object = "") -> AppTest:
    assert_total(at, full_charts=charts, context=ctx)
    return at


def messages(at: AppTest) -> str:
    """The main area's alerts as the reader sees them (markdown escapes removed)."""
    text = " ".join(e.value for k in ("info", "warning", "error") for e in at.main.get(k))
    return re.sub(r"\\(.)", r"\1", text)


# --------------------------------------------------------------------------- C1 empty view


@pytest.mark.parametrize("symbol", ["ASM.AX", "NEO.TO", "0769.HK", "6680.HK", "ZZZZ"])
def test_c1_prices_symbol_without_data_alone_says_so(symbol: str) -> None:
    at = ok(render(PRICES, {"symbols": symbol}), charts=1, ctx=symbol)
    assert symbol in messages(at)


def test_c1_prices_weekend_only_custom_range() -> None:
    """2026-08-01/02 is a Saturday/Sunday: the range holds no session for MP."""
    at = render(
        PRICES,
        {"symbols": "MP", "range": "Custom"},
        then=[
            lambda a: a.date_input(key="px_custom").set_value((date(2026, 8, 1), date(2026, 8, 2)))
        ],
    )
    ok(at, charts=1, ctx="weekend custom range")


def test_c1_prices_reversed_custom_range() -> None:
    at = render(
        PRICES,
        {"symbols": "MP", "range": "Custom"},
        then=[
            lambda a: a.date_input(key="px_custom").set_value((date(2026, 6, 1), date(2025, 6, 1)))
        ],
    )
    ok(at, charts=1, ctx="reversed custom range")


def test_c1_prices_active_watchlist_without_data() -> None:
    list_id = make_watchlist(["ASM.AX", "NEO.TO"])
    at = render(PRICES, state={"_wl_active_pick": list_id})
    ok(at, charts=1, ctx="active list without data")


def test_c1_summary_table_of_nothing_has_its_columns() -> None:
    """Root cause of C1: returns.summary_table builds DataFrame(rows) with no rows -> no columns."""
    empty = read_snapshot().iloc[0:0]
    table = summary_table(empty, {}, {})
    assert {"symbol", "return", "max_drawdown", "volatility"} <= set(table.columns)


def test_c1b_export_of_an_empty_view() -> None:
    """price_view.export_frame merges on date with an empty float 'date' column: ValueError."""
    empty = read_snapshot().iloc[0:0]
    view = build_view(empty, "1Y", "Rebased to 100")
    out = export_frame(view, {}, "Local")
    assert out.empty
    to_csv_bytes(out)


# --------------------------------------------------------------------------- C2 caps


def test_c2_thirteen_symbols_in_a_link_are_capped_with_a_message() -> None:
    syms = ["MP", "LYC.AX", "USAR", "UUUU", "REMX", "600111.SS", "300748.SZ", "AREC", "SPY",
            "LIT", "URA", "ILU.AX", "NEO.TO"]  # fmt: skip
    at = ok(render(PRICES, {"symbols": syms}), charts=1, ctx="13 symbols")
    assert len(at.multiselect(key="px_symbols").value) == 12
    assert "NEO.TO" in messages(at), "the page names the symbol it left out"


def test_c2_repeated_symbol_thirteen_times() -> None:
    ok(render(PRICES, {"symbols": ["MP"] * 13}), charts=1, ctx="MP x 13")


def test_c2_active_watchlist_with_thirteen_symbols() -> None:
    from tests.totality import UNIVERSE_SYMBOLS

    list_id = make_watchlist(UNIVERSE_SYMBOLS[:13])
    at = ok(render(PRICES, state={"_wl_active_pick": list_id}), charts=1, ctx="13-symbol list")
    assert len(at.multiselect(key="px_symbols").value) <= 12


# --------------------------------------------------------------------------- C3 half-set custom


@pytest.mark.parametrize("picked", [(date(2026, 3, 2),), ()], ids=["one-date", "cleared"])
def test_c3_custom_range_with_one_or_no_date_falls_back_with_a_message(picked: tuple) -> None:
    at = render(
        PRICES,
        {"symbols": "MP", "range": "Custom"},
        then=[lambda a: a.date_input(key="px_custom").set_value(picked)],
    )
    ok(at, charts=1, ctx=picked)
    assert messages(at), "the page says which range it shows instead"


# --------------------------------------------------------------------------- C4 markdown injection


@pytest.mark.parametrize(
    "text",
    ["![](http://x.invalid/a)", "[x](//x.invalid/p)", "[Login](https://x.invalid/l)"],
)
def test_c4_symbol_text_from_a_link_never_becomes_a_link_or_image(text: str) -> None:
    """universe.normalise_symbol quotes sanitize_excerpt(raw) unescaped; 1_Prices.py shows it
    with st.warning(str(exc))."""
    at = render(PRICES, {"symbols": ["MP", text]})
    assert not at.exception
    assert not unsafe_markdown(at), unsafe_markdown(at)


def test_c4b_valid_www_symbol_is_not_autolinked() -> None:
    """WWW.X.INVALID is a valid-looking Yahoo symbol; echoed as **WWW.X.INVALID** in the
    no-offline-data warning, GFM (micromark, case-insensitive) turns it into a link."""
    at = render(PRICES, {"symbols": ["MP", "WWW.X.INVALID"]})
    assert not at.exception
    assert not unsafe_markdown(at), unsafe_markdown(at)


def test_c4c_policy_titles_and_notes_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """2_Policy_timeline.py renders e.title (st.subheader), e.note (st.caption), jurisdiction
    and category (st.markdown) unescaped; the Home page escapes titles."""
    from lib.ui import data as ui

    real = ui.policy_events()
    bad = real.copy()
    bad["title"] = "[Login](https://x.invalid/t) ![](http://x.invalid/i)"
    bad["note"] = "![](http://x.invalid/n)"
    monkeypatch.setattr(ui, "policy_events", lambda: bad.copy())

    def pick(at: AppTest) -> None:
        at.session_state["pt_event"] = str(bad["id"].iloc[-1])

    at = render("policy", then=[pick])
    assert not at.exception
    assert not unsafe_markdown(at), unsafe_markdown(at)


# --------------------------------------------------------------------------- C5 cache content


def _write_cache(home: Path, table: pa.Table) -> Path:
    path = home / "prices" / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def _good_rows() -> pd.DataFrame:
    snap = read_snapshot()
    return snap[snap["symbol"] == "MP"].tail(5).reset_index(drop=True)


def _data_home() -> Path:
    import os

    return Path(os.environ["RER_DATA_HOME"])


def _cache_cases() -> dict[str, pa.Table]:
    rows = _good_rows()
    bool_date = pa.Table.from_pandas(rows.assign(date=True), preserve_index=False)
    good = pa.Table.from_pandas(rows, preserve_index=False)
    list_meta = good.replace_schema_metadata({b"rer_state": b"[1, 2, 3]"})
    wrong_types = good.replace_schema_metadata(
        {b"rer_state": json.dumps({"MP": {"full_history": "yes", "last_attempt": 5}}).encode()}
    )
    tz_aware = good.replace_schema_metadata(
        {b"rer_state": json.dumps({"MP": {"last_attempt": "2026-01-01T00:00:00+00:00"}}).encode()}
    )
    text_prices = pa.Table.from_pandas(rows.assign(adj_close="n/a"), preserve_index=False)
    return {
        "bool-date": bool_date,
        "state-is-a-list": list_meta,
        "state-wrong-types": wrong_types,
        "tz-aware-last-attempt": tz_aware,
        "text-prices": text_prices,
    }


@pytest.mark.parametrize("case", list(_cache_cases()))
@pytest.mark.parametrize("page_key", ["home", "prices"])
def test_c5_cache_with_wrong_content_falls_back_and_offers_rebuild(
    case: str, page_key: str
) -> None:
    _write_cache(_data_home(), _cache_cases()[case])
    at = render(page_key, {"symbols": "MP"} if page_key == "prices" else None)
    ok(at, charts=1, ctx=case)
    assert any(b.key == "_rebuild_cache" for b in at.sidebar.button), "Rebuild cache offered"


class _StubFetcher:
    """Returns two fresh MP rows: enough to make refresh write the cache."""

    def available(self) -> bool:
        return True

    def fetch(self, symbols, start, end) -> FetchResult:
        rows = _good_rows().assign(date=pd.to_datetime(["2026-10-07", "2026-10-08"] * 3)[:5])
        rows = rows.drop_duplicates("date")
        return FetchResult(rows=rows[rows["symbol"].isin(symbols)])


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES], ids=["ENOSPC", "EACCES"])
def test_c6_cache_write_failure_is_reported_not_raised(
    code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PriceStore._merge_and_write -> _write_cache_file -> atomic_write_bytes raises OSError."""
    import lib.prices.cache_file as prices

    monkeypatch.delenv("RER_OFFLINE", raising=False)

    def fail(path: Path, data: bytes, *args: object) -> None:
        raise OSError(code, "simulated write failure", str(path))

    monkeypatch.setattr(prices, "atomic_write_bytes", fail)
    store = PriceStore(
        cache_dir=tmp_path / "prices",
        fetcher=_StubFetcher(),
        now=lambda: datetime(2026, 10, 9, 12, 0),
    )
    report = store.refresh(["MP"], force=True)
    assert report.symbols["MP"].status == "failed"
    assert "simulated" in report.summary() or report.warnings


def test_c6b_rebuild_cache_on_a_read_only_folder_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sidebar's Rebuild button calls store.rebuild_cache(); os.replace can fail (EACCES)."""
    import lib.prices.cache_file as prices

    path = _data_home() / "prices" / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a parquet file")  # unreadable: the app offers Rebuild today

    def deny(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "simulated", str(dst))

    monkeypatch.setattr(prices.os, "replace", deny)

    def rebuild(at: AppTest) -> None:
        at.sidebar.button(key="_rebuild_cache").click()

    at = render("home", then=[rebuild])
    assert not at.exception, at.exception[0].message if at.exception else ""


# --------------------------------------------------------------------------- C7 round trip


def _export(*items: wl.WatchlistItem) -> bytes:
    now = datetime(2026, 1, 1)
    return to_csv_bytes(wl.items_frame(wl.Watchlist(1, "local", "x", now, now, items), {}))


def test_c7_exported_watchlist_imports_back() -> None:
    """The Watchlists page offers the export as "re-importable", but items_frame adds name,
    added_on, added_price, added_price_date and parse_import_csv refuses any column other than
    symbol and note: no exported list can be imported."""
    data = _export(wl.WatchlistItem(symbol="MP", position=0, note="core holding"))
    back = wl.parse_import_csv(data)
    assert [(i.symbol, i.note) for i in back] == [("MP", "core holding")]


# --------------------------------------------------------------------------- helpers used above


def test_helper_write_cache_file_is_valid_for_a_good_frame() -> None:
    """Control: a well-formed cache written by the app's own writer loads without problems."""
    path = _data_home() / "prices" / CACHE_FILE
    _write_cache_file(path, _good_rows(), CacheState({"MP": {"full_history": False}}))
    with full_error_details():
        at = render("home")
    ok(at, charts=1, ctx="good cache")
    assert not any(b.key == "_rebuild_cache" for b in at.sidebar.button)


# --------------------------------------------------------------------------- C8-C10 bounds


def test_c8_upload_size_is_bounded_before_the_app_reads_the_file() -> None:
    """Streamlit buffers uploads up to server.maxUploadSize (default 200 MB) in memory before
    parse_import_csv's 256 KiB check runs; the config must bound it (in MB, at least 1)."""
    import tomllib

    from lib.paths import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config.get("server", {}).get("maxUploadSize", 200) <= 1


@pytest.mark.parametrize("name", ["US\u200brevival", "US\u2060revival", "\ufeffUS revival"])
def test_c9_invisible_format_characters_are_rejected_in_names(name: str) -> None:
    """clean_name rejects bidi controls and Cc/Cs only; Cf (zero-width space, word joiner, BOM)
    pass, so 'US\\u200brevival' looks identical to 'US revival'."""
    with pytest.raises(wl.WatchlistError):
        wl.clean_name(name)


def test_c10_cache_file_is_readable_by_the_group(tmp_path: Path) -> None:
    """atomic_write_bytes writes via tempfile.mkstemp (mode 0600), so a `make refresh` run as
    another user of the app's group leaves a cache the app cannot read."""
    import os

    old = os.umask(0o002)
    try:
        path = tmp_path / "prices" / CACHE_FILE
        _write_cache_file(path, _good_rows(), CacheState({}))
        assert path.stat().st_mode & 0o040, oct(path.stat().st_mode)
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- C11-C13 no data at all


def _cache_hiding_the_snapshot() -> None:
    """A schema-valid cache whose state claims full history for every symbol but holds no rows:
    PriceStore.load drops those symbols' snapshot rows, so no prices are left at all."""
    snap = read_snapshot()
    state = {s: {"full_history": True} for s in sorted(set(snap["symbol"]))}
    table = pa.Table.from_pandas(snap.iloc[0:0], preserve_index=False)
    _write_cache(
        _data_home(), table.replace_schema_metadata({b"rer_state": json.dumps(state).encode()})
    )


@pytest.mark.parametrize("page_key", ["home", "policy", "outlook", "watchlists"])
def test_c11_sidebar_with_no_prices_at_all(page_key: str) -> None:
    """ui._sidebar_freshness calls .dt on PriceStore.coverage()'s untyped empty frame (the
    freshness table runs only when its expander is open, so it is opened here)."""
    _cache_hiding_the_snapshot()
    ok(render(page_key, state={"_freshness_open": True}), ctx=f"{page_key} without any prices")


def test_c12_home_without_any_kpi(monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py calls st.columns(len(home.kpis)); with no MP/REMX/basket data that is 0 columns."""
    from lib.ui import data as ui

    monkeypatch.setattr(ui, "coverage", lambda: _typed_empty_coverage())
    _cache_hiding_the_snapshot()
    at = render("home")
    ok(at, charts=1, ctx="home without data")


def test_c13_event_study_without_any_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    """3_Event_study.py: no symbol on disk -> benchmark selectbox is None -> ui._event_study
    sorts {*symbols, None}: TypeError."""
    from lib.ui import data as ui

    monkeypatch.setattr(ui, "coverage", lambda: _typed_empty_coverage())
    _cache_hiding_the_snapshot()
    ok(render("event"), charts=1, ctx="event study without data")


def _typed_empty_coverage() -> pd.DataFrame:
    """What coverage() should return when there is nothing (gets past C11 to the next layer)."""
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype="string"),
            "first_date": pd.Series(dtype="datetime64[ns]"),
            "last_date": pd.Series(dtype="datetime64[ns]"),
            "rows": pd.Series(dtype="int64"),
            "source": pd.Series(dtype="string"),
        }
    )


def test_c6_make_refresh_exits_non_zero_on_a_write_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make refresh` (scripts/refresh.py) prints the write failure and exits 1; the old cache
    file stays byte-identical."""
    import lib.prices.cache_file as cache_file
    from scripts import refresh

    monkeypatch.delenv("RER_OFFLINE", raising=False)
    store = PriceStore(
        cache_dir=tmp_path / "prices",
        fetcher=_StubFetcher(),
        now=lambda: datetime(2026, 10, 9, 12, 0),
    )
    _write_cache_file(store.backend.path, _good_rows(), CacheState({}))
    before = store.backend.path.read_bytes()

    def full(path: Path, data: bytes, *args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cache_file, "atomic_write_bytes", full)
    assert refresh.main(["--force", "--symbols", "MP"], store=store) == 1
    out = capsys.readouterr()
    assert "No space left on device" in out.out + out.err
    assert store.backend.path.read_bytes() == before


# --------------------------------------------------------------------------- C14 link values
# Found by test_every_link_value_is_used_or_named (issue 24): a value a link carries is what
# the page shows, or a note names it. Gaps in another helper's page are strict xfails naming
# the page, listed in tests/test_properties_pages.KNOWN_GAPS until that page is fixed.


def _unnamed(page: str, query: list[tuple[str, object]]) -> list[str]:
    from tests.totality import unaccounted_link_values

    at = ok(render(page, query), ctx=query)
    return unaccounted_link_values(at, page, query)


@pytest.mark.parametrize(
    "query",
    [
        [("show_superseded", "-5.0")],
        [("log_scale", ["true", "false"])],
        [("include_unverified", "1")],
        [("scope", ["rare-earth magnets", "no such scope"])],
    ],
    ids=["toggle-number", "toggle-repeated", "toggle-one", "scope-repeated"],
)
def test_c14_market_outlook_names_every_link_value_it_does_not_use(query: list) -> None:
    assert _unnamed("outlook", query) == []


def test_c14_supply_toggle_link_value_is_named() -> None:
    assert _unnamed("supply", [("sup_unverified", "-19383")]) == []


def test_c14_event_window_names_both_ends_it_drops() -> None:
    assert _unnamed("event", [("es_win", ["inf", "5"])]) == []


def test_c14_the_check_itself_catches_a_silent_drop() -> None:
    """The invariant is not vacuous: a toggle value the page neither shows nor names is found."""
    from tests.totality import unaccounted_link_values

    script = 'import streamlit as st\nst.toggle("Log", key="log_scale", bind="query-params")\n'
    for value, found in (("-5.0", ["log_scale='-5.0'"]), ("TRUE", []), ("false", [])):
        at = AppTest.from_string(script)
        at.query_params["log_scale"] = value
        at.run()
        assert unaccounted_link_values(at, "outlook", [("log_scale", value)]) == found, value
