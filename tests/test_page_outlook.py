"""AppTest: the Market outlook page with every scope, the equity join and the watchlist preset."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lib.outlook import ndpr as nd
from lib.outlook import projections as pj
from tests.apptest_frame import chart_specs, page_app

PAGE = "pages/4_Market_outlook.py"
SCOPES = sorted(pj.load_projections()["scope"].unique())


def chart_rows(at: AppTest, i: int) -> list[dict]:
    """Every data row of the i-th chart (Streamlit ships Altair datasets as Arrow)."""
    chart = at.get("vega_lite_chart")[i]
    rows: list[dict] = []
    for ds in chart.proto.datasets:
        rows += pa.ipc.open_stream(ds.data.data).read_pandas().to_dict("records")
    return rows


@pytest.fixture
def at() -> AppTest:
    """A fresh page per test: tests change widgets, so a shared run would leak between them."""
    return page_app(PAGE).run()


def test_page_runs_and_shows_every_projection_row(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == len(pj.load_projections()) >= 25
    assert table["Source"].str.startswith("https://").all()
    assert table["Publisher"].str.contains("UNVERIFIED").sum() == 5  # R4 R5 R6 R7 R9
    flagged = table.set_index("Row")["Flags"]
    assert pj.FLAG_CAGR in flagged["M10"] and pj.FLAG_CAGR in flagged["R6"]
    assert pj.FLAG_WINDOW in flagged["R7"]
    ndpr = at.dataframe[1].value.set_index("Row")
    assert ndpr.loc["Q1", "Confidence"] == "UNVERIFIED"
    assert len(ndpr) == len(nd.load_ndpr())
    assert [b.key for b in at.get("download_button")] == [
        "ol_paths_img_png", "ol_paths_img_svg", "dl_paths", "dl_table", "dl_outlook_xlsx",
        "ol_growth_img_png", "ol_growth_img_svg", "ol_ndpr_img_png", "ol_ndpr_img_svg",
        "dl_ndpr",
    ]  # fmt: skip


@pytest.mark.parametrize("scope", SCOPES)
def test_every_scope(at: AppTest, scope: str) -> None:
    at.selectbox(key="scope").set_value(scope).run()
    assert not at.exception, [e.value for e in at.exception]
    specs = chart_specs(at)
    assert len(specs) == 3  # paths, growth vs equities, NdPr
    path_rows = [r for r in chart_rows(at, 0) if "scope" in r]
    assert path_rows and {r["scope"] for r in path_rows} == {scope}
    verdicts = [m.value for m in at.markdown if m.value.startswith("**From ")]
    assert len(verdicts) == 1, [i.value for i in at.info]
    assert scope in verdicts[0] and "priced in" in verdicts[0]
    growth_rows = chart_rows(at, 1)
    starts = [r for r in growth_rows if r.get("kind") == "forecast"]
    assert starts[0]["level"] == pytest.approx(100.0)


def test_log_scale_and_scenario_reach_the_chart(at: AppTest) -> None:
    at.selectbox(key="scope").set_value("rare-earth magnets").run()
    at.toggle(key="log_scale").set_value(True).run()
    at.toggle(key="scenario_on_rare-earth magnets").set_value(True).run()
    assert not at.exception
    spec = chart_specs(at)[0]
    assert '"type": "log"' in json.dumps(spec)
    assert any(r.get("series") == "Your scenario" for r in chart_rows(at, 0))
    at.toggle(key="log_scale").set_value(False).run()


def test_hiding_superseded_editions_removes_them(at: AppTest) -> None:
    at.selectbox(key="scope").set_value("magnet REO consumption value").run()
    ids_before = {r["id"] for r in chart_rows(at, 0) if "id" in r}
    assert {"M11", "M12", "M13", "M14"} <= ids_before
    at.toggle(key="show_superseded").set_value(False).run()
    ids_after = {r["id"] for r in chart_rows(at, 0) if "id" in r}
    assert ids_after == {"M14"}  # Adamas' 2024 edition supersedes M13 (issue 14 data)
    at.toggle(key="show_superseded").set_value(True).run()


def test_no_equities_gives_a_clear_message() -> None:
    at = page_app(PAGE).run()
    at.multiselect(key="equity_symbols").set_value([]).run()
    assert not at.exception
    assert any("Pick at least one equity" in i.value for i in at.info)


def test_active_watchlist_preselects_equities() -> None:
    at = page_app(PAGE)
    at.session_state["_wl_active_pick"] = None
    at.run()
    from lib import watchlists

    store = watchlists.WatchlistStore.open(watchlists.resolve_database_url())
    summary = next(w for w in store.lists("local") if w.name == "China majors")
    china = store.get("local", summary.id)
    at = page_app(PAGE, state={"_wl_active_pick": china.id})
    at.run()
    assert not at.exception
    assert at.session_state["active_watchlist_symbols"] == china.symbols
    assert at.multiselect(key="equity_symbols").value == china.symbols
    verdict = next(m.value for m in at.markdown if m.value.startswith("**From "))
    assert "2024" in verdict  # Chinese names are on disk from 2024 only


def test_equities_without_prices_on_disk_give_a_warning() -> None:
    at = page_app(PAGE).run()
    at.multiselect(key="equity_symbols").set_value(["NEO.TO"]).run()  # not in the snapshot
    assert not at.exception
    assert any("prices on disk" in w.value for w in at.warning)


def test_a_scenario_too_large_to_chart_says_so_and_keeps_the_chart(at: AppTest) -> None:
    """Base 1e308 growing 100% a year used to overflow to infinity: an empty chart, no word."""
    scope = "rare-earth magnets"
    at.selectbox(key="scope").set_value(scope).run()
    at.toggle(key=f"scenario_on_{scope}").set_value(True)
    at.number_input(key=f"scenario_base_{scope}").set_value(1e308)
    at.number_input(key=f"scenario_cagr_{scope}").set_value(100.0).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("too large to chart" in w and "Lower the base" in w for w in warnings), warnings
    rows = chart_rows(at, 0)
    assert rows and not any(r.get("series") == "Your scenario" for r in rows)
    assert all(math.isfinite(r["value"]) for r in rows if isinstance(r.get("value"), float))
    # Back to a sane base: the scenario is drawn again and the warning is gone.
    at.number_input(key=f"scenario_base_{scope}").set_value(10.0).run()
    assert not any("too large to chart" in w.value for w in at.warning)
    assert any(r.get("series") == "Your scenario" for r in chart_rows(at, 0))


def _url(at: AppTest) -> dict[str, list[str]]:
    return {k: [v] if isinstance(v, str) else list(v) for k, v in at.query_params.items()}


@pytest.mark.parametrize(
    "query",
    [
        {"scope": ["rare-earth metals"]},
        {"scope": ["rare-earth magnets"]},  # the default: kept as the link wrote it
        {"equity_symbols": ["MP"]},
        {"scope": ["NdFeB magnets"], "equity_symbols": ["LYC.AX", "MP"]},
        {"equity_symbols": ["MP · MP Materials · NYSE · USD"]},  # an older link's label
    ],
    ids=["scope", "default scope", "equity", "both", "label"],
)
def test_short_links_stay_in_the_address_bar(query: dict[str, list[str]]) -> None:
    """Issue 25: ?scope=<id> and ?equity_symbols=MP opened the right view, then vanished from
    the address bar (the binding writes labels), so re-sharing opened another view."""
    at = page_app(PAGE, query=query).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _url(at) == query
    if "scope" in query:
        assert at.selectbox(key="scope").value == query["scope"][0]
    if "equity_symbols" in query:
        want = [s.split(" · ")[0] for s in query["equity_symbols"]]
        assert at.multiselect(key="equity_symbols").value == want
    assert not any("not available here" in i.value for i in at.info)


def test_a_changed_choice_writes_ids_and_the_default_writes_nothing() -> None:
    at = page_app(PAGE, query={"scope": "rare-earth metals"}).run()
    at.selectbox(key="scope").set_value("NdFeB magnets").run()
    assert _url(at) == {"scope": ["NdFeB magnets"]}
    at.multiselect(key="equity_symbols").set_value(["UUUU", "MP"]).run()
    assert _url(at) == {"scope": ["NdFeB magnets"], "equity_symbols": ["UUUU", "MP"]}
    at.selectbox(key="scope").set_value(SCOPES_FIRST).run()
    assert _url(at) == {"equity_symbols": ["UUUU", "MP"]}
    # The address bar reopens the same view.
    again = page_app(PAGE, query=_url(at)).run()
    assert again.selectbox(key="scope").value == SCOPES_FIRST
    assert again.multiselect(key="equity_symbols").value == ["UUUU", "MP"]


def test_an_equity_link_over_the_cap_names_the_rest() -> None:
    from lib.markets.price_view import MAX_COMPARE
    from tests.totality import UNIVERSE_SYMBOLS

    many = UNIVERSE_SYMBOLS[: MAX_COMPARE + 2]
    at = page_app(PAGE, query={"equity_symbols": many}).run()
    assert not at.exception
    assert at.multiselect(key="equity_symbols").value == many[:MAX_COMPARE]
    note = " ".join(i.value for i in at.info).replace("\\", "")
    assert all(s in note for s in many[MAX_COMPARE:]), note
    assert _url(at) == {"equity_symbols": many[:MAX_COMPARE]}  # the view it shows


SCOPES_FIRST = "rare-earth magnets"  # magnets first (lib.ui.views.outlook.scopes)
