"""AppTest: the Supply gap page inside the app frame, every control, and the Prices hand-off."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from lib.paths import ROOT
from lib.supply import capacity, equities, production
from lib.supply.editions import editions_newest_first
from lib.supply.load import load_supply
from tests.apptest_frame import page_app

PAGE = "pages/6_Supply_gap.py"
LATEST, PREVIOUS = "MCS2026 v1.3", "MCS2025"
#: Listed pipeline companies with prices in the shipped snapshot.
#: Listed companies with prices in the shipped snapshot (derived: the snapshot grows).
OFFLINE = set(pd.read_parquet(ROOT / "data" / "prices" / "snapshot.parquet")["symbol"])
CHART_KEYS = [
    "sup_chart_headline",
    "sup_chart_production",
    "sup_chart_vintage",
    "sup_chart_share",
    "sup_chart_pipeline",
    "sup_chart_timeline",
    "sup_chart_nir",
    "sup_chart_import_value",
    "sup_chart_company",
]


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def rows(at: AppTest, key: str) -> list[dict]:
    """Every data row of the chart ``key`` (Streamlit ships Altair datasets as Arrow)."""
    out: list[dict] = []
    charts = at.get("vega_lite_chart")
    i = CHART_KEYS.index(key) - (len(CHART_KEYS) - len(charts))  # only the company chart can go
    for ds in charts[i].proto.datasets:
        out += pa.ipc.open_stream(ds.data.data).read_pandas().to_dict("records")
    return out


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return " ".join(parts).replace("\\", "")


@pytest.fixture(scope="module")
def at() -> AppTest:
    return page_app(PAGE).run()


def test_page_renders_all_sections_charts_and_exports(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert len(at.get("vega_lite_chart")) == len(CHART_KEYS)
    heads = [h.value for h in at.subheader]
    assert [h.split(" · ")[0] for h in heads if h[0].isdigit()] == ["1", "2", "3", "4", "5"]
    downloads = at.get("download_button")
    assert len(downloads) >= 10
    labels = [m.label for m in at.metric]
    assert any("China's share of mining" in lab for lab in labels)
    assert any("US net import reliance" in lab for lab in labels)
    assert any(m.value == "67%" for m in at.metric)
    body = text(at)
    assert "15,200 t/yr" in body and "~240,000 t" in body  # magnet sentence, comparable figures
    assert "not output" in body  # capacity against output says so
    assert "metal making" in body and "not found" in body  # the gap is shown, not filled
    assert "no earlier figure on the same basis" in body
    for chart in at.get("vega_lite_chart"):  # each chart as shipped: spec + Arrow datasets
        size = len(chart.proto.spec.encode()) + sum(len(d.data.data) for d in chart.proto.datasets)
        assert size <= 100 * 1024


def test_default_edition_is_latest_and_vintage_compares_previous(at: AppTest) -> None:
    assert at.selectbox(key="sup_edition").value == LATEST
    assert at.selectbox(key=f"sup_compare_{LATEST}").value == PREVIOUS
    production = rows(at, "sup_chart_production")
    china = {r["year"]: r["tonnes_reo"] for r in production if r.get("group") == "China"}
    assert china == {2024: 270_000, 2025: 270_000}
    vintage = [r for r in rows(at, "sup_chart_vintage") if r.get("year") == 2024]
    assert {r["edition"]: r["tonnes_reo"] for r in vintage} == {PREVIOUS: 13_000, LATEST: 29_000}


@pytest.mark.parametrize("edition", editions_newest_first(load_supply().production))
def test_every_edition_renders(at: AppTest, edition: str) -> None:
    at.selectbox(key="sup_edition").set_value(edition).run()
    assert not at.exception, [e.value for e in at.exception]
    production = rows(at, "sup_chart_production")
    assert production and {r["edition"] for r in production} == {edition}
    if edition.startswith("DS140"):
        assert "cannot be split out" in text(at)


def test_compare_and_country_controls(at: AppTest) -> None:
    at.selectbox(key="sup_edition").set_value(LATEST).run()
    at.selectbox(key=f"sup_compare_{LATEST}").set_value("MCS2024").run()
    at.selectbox(key="sup_country").set_value(production.REST).run()
    assert not at.exception
    vintage = rows(at, "sup_chart_vintage")
    assert {r["edition"] for r in vintage} == {"MCS2024", LATEST}
    assert {r["country"] for r in vintage} == {production.REST}


def test_share_toggle_hides_earlier_editions(at: AppTest) -> None:
    at.toggle(key="sup_share_earlier").set_value(True).run()
    assert any(r.get("latest_vintage") is False for r in rows(at, "sup_chart_share"))
    at.toggle(key="sup_share_earlier").set_value(False).run()
    assert not at.exception
    assert all(r.get("latest_vintage") is not False for r in rows(at, "sup_chart_share"))


def test_pipeline_controls(at: AppTest) -> None:
    at.toggle(key="sup_unverified").set_value(False).run()
    assert not at.exception
    assert not any(r.get("confidence") == "unverified" for r in rows(at, "sup_chart_pipeline"))
    at.toggle(key="sup_unverified").set_value(True).run()
    assert any(r.get("confidence") == "unverified" for r in rows(at, "sup_chart_pipeline"))
    at.select_slider(key="sup_year").set_value(2025).run()
    assert not at.exception
    body = text(at)
    assert "by 2025 if every plant is on time adds up to 5,000 t/yr" in body


@pytest.mark.parametrize(
    "symbol", list(equities.listed_companies(load_supply().pipeline)["symbol"])
)
def test_every_company(at: AppTest, symbol: str) -> None:
    at.selectbox(key="sup_company").set_value(symbol).run()
    assert not at.exception, [e.value for e in at.exception]
    charts = len(at.get("vega_lite_chart"))
    infos = " ".join(i.value for i in at.info).replace("\\", "")
    if symbol in OFFLINE:
        assert charts == len(CHART_KEYS)
        assert any(r.get("symbol") == symbol for r in rows(at, "sup_chart_company"))
    else:
        assert charts == len(CHART_KEYS) - 1 and f"No offline prices for {symbol}" in infos
    links = {p.proto.label: p.proto for p in at.get("page_link")}
    link = links[f"Open {symbol} on Prices"]
    query = parse_qs(link.query_string)  # today's Prices names, the picker's label
    assert link.page == "Prices" and query.pop("px_range") == ["Max"]
    assert query == {"px_symbols": [query["px_symbols"][0]]}
    assert query["px_symbols"][0].startswith(f"{symbol} · ")
    overlay = parse_qs(links[f"Open {symbol} on Prices with milestones overlaid"].query_string)
    assert overlay["px_events"] == ["true"] and "corporate milestone" in overlay["px_ev_cat"]
    assert overlay["px_symbols"] == query["px_symbols"]


@pytest.mark.parametrize("since", ["1Y", "3Y", "Since 2020"])
def test_since_control_rebases_at_first_close(at: AppTest, since: str) -> None:
    at.selectbox(key="sup_company").set_value("MP").run()
    at.button_group(key="sup_since").set_value(since).run()
    assert not at.exception
    company = [r for r in rows(at, "sup_chart_company") if "rebased" in r]
    first = min(company, key=lambda r: r["date"])
    assert first["rebased"] == pytest.approx(100.0)


def test_prices_link_carries_the_overlay_and_supply_writes_no_prices_keys() -> None:
    """The milestones link opens Prices on its own URL parameters; Supply never seeds the
    Prices page's session keys."""
    at = page_app(PAGE).run()
    at.selectbox(key="sup_company").set_value("USAR").run()
    assert not at.exception
    for key in ("px_symbols", "px_events", "px_more", "px_ev_cat", "px_range"):
        assert key not in at.session_state, key
    link = next(
        p.proto for p in at.get("page_link") if p.proto.label.endswith("milestones overlaid")
    )
    query = parse_qs(link.query_string)
    prices = page_app("pages/1_Prices.py", query=query).run()  # type: ignore[arg-type]
    assert not prices.exception, [e.value for e in prices.exception]
    assert prices.multiselect(key="px_symbols").value == ["USAR"]
    assert prices.session_state["px_events"] is True
    assert prices.session_state["px_range"] == "Max"
    assert "corporate milestone" in prices.session_state["px_ev_cat"]
    # The link is what the bound widgets write: the address bar is not rewritten (no Back step).
    assert parse_qs(urlencode(prices.query_params, doseq=True)) == query


def test_broken_data_file_shows_error_not_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.supply.schema import SupplyDataError
    from lib.ui import scoreboard

    def broken(*_a: object) -> None:
        raise SupplyDataError("The supply data file targets.csv is invalid: row 3 unit: bad.")

    monkeypatch.setattr(scoreboard, "load_supply", broken)
    scoreboard.supply_tables.clear()
    at = page_app(PAGE).run()
    assert not at.exception
    assert "targets.csv is invalid" in " ".join(e.value for e in at.error).replace("\\", "")


def test_gap_row_compares_one_edition_and_colours_by_meaning() -> None:
    def home_gap_row() -> None:
        from lib.ui import scoreboard

        scoreboard.gap_row()

    at = AppTest.from_function(home_gap_row, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m for m in at.metric}
    assert set(metrics) == {
        "China's share of mining (2025)",
        "China's share of magnet making (2024)",
        "US net import reliance (2025)",
    }
    nir = metrics["US net import reliance (2025)"]
    assert (nir.value, nir.delta) == ("67%", "+14.0 pp vs 2024")  # 53% -> 67%, MCS2026 alone
    assert nir.proto.color == Metric.MetricColor.RED  # reliance rose: bad news for the West
    mining = metrics["China's share of mining (2025)"]
    assert (mining.value, mining.delta) == ("69.2%", "-1.9 pp vs 2024")
    assert mining.proto.color == Metric.MetricColor.GREEN
    assert not metrics["China's share of magnet making (2024)"].delta
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "MCS2026 v1.3 · +14.0 pp since 2024 (same edition), worse for the West" in captions
    assert "MCS2026 v1.3 revised 2024 from 80% (MCS2025) to 53%" in captions
    assert "vs MCS2025" not in captions


def test_scoreboard_heads_the_page_with_four_stages(at: AppTest) -> None:
    board = at.main.dataframe[0].value
    assert board["stage"].tolist() == ["Mining", "Separation and refining", "Metal making",
                                       "Magnets"]  # fmt: skip
    assert {"china_source", "trend", "confidence"} <= set(board.columns)
    magnets = board.set_index("stage").loc["Magnets"]
    assert magnets["west_by"] == "15,200 t/yr NdFeB magnets"
    assert "sup_dl_scoreboard" in {b.key for b in at.get("download_button")}


def test_compare_link_values_are_checked_and_named() -> None:
    at = page_app(
        PAGE, query={"sup_compare_MCS2099": "MCS2025", f"sup_compare_{LATEST}": "bogus"}
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info).replace("\\", "")
    assert "MCS2099: MCS2025" in notes and "bogus" in notes
    assert at.selectbox(key=f"sup_compare_{LATEST}").value == PREVIOUS
    assert "sup_compare_MCS2099" not in at.query_params


def test_every_link_value_the_page_cannot_use_is_named() -> None:
    """Streamlit drops a bound widget's unusable link value without a word; the page names it."""
    bad = {
        "sup_unverified": "-19383",
        "sup_share_earlier": "yes",
        "sup_year": "2031",
        "sup_since": "5Y",
        "sup_edition": "MCS2099",
        "sup_country": "Mars",
    }
    at = page_app(PAGE, query=bad).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = " ".join(i.value for i in at.info).replace("\\", "")
    assert all(value in notes for value in bad.values()), notes
    assert at.toggle(key="sup_unverified").value is True  # the default, as the note says


@pytest.mark.parametrize("symbol", ["USAR", "MP"])  # MP is the default: it vanished
def test_short_company_link_stays_in_the_address_bar(symbol: str) -> None:
    """Issue 25: ?sup_company=MP opened MP, then the binding dropped the default from the
    address bar, so a re-shared link opened whatever the default is then."""
    at = page_app(PAGE, query={"sup_company": symbol}).run()
    assert not at.exception
    assert at.selectbox(key="sup_company").value == symbol
    assert at.query_params["sup_company"] in (symbol, [symbol])
    assert not any("not available here" in i.value for i in at.info)
    bad = page_app(PAGE, query={"sup_company": "NOPE"}).run()
    assert "NOPE" in " ".join(i.value for i in bad.info)


def test_a_changed_company_writes_its_id_and_the_default_none() -> None:
    at = page_app(PAGE, query={"sup_company": "MP"}).run()
    at.selectbox(key="sup_company").set_value("LYC.AX").run()
    assert at.query_params["sup_company"] in ("LYC.AX", ["LYC.AX"])
    first = at.selectbox(key="sup_company").options[0]
    at.selectbox(key="sup_company").set_value(first).run()
    assert "sup_company" not in at.query_params  # the default view has no parameter
    again = page_app(PAGE, query={"sup_company": ["USAR", "LYC.AX"]}).run()
    assert again.selectbox(key="sup_company").value == "USAR"  # the first; the other named
    assert "LYC.AX" in " ".join(i.value for i in again.info).replace("\\", "")


_EDITIONS = editions_newest_first(load_supply().production)
_COUNTRIES = [
    production.CHINA,
    production.REST,
    production.WORLD,
    "Australia",
    "United States",
    "Burma",
]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edition=hs.sampled_from(_EDITIONS),
    compare=hs.integers(0, len(_EDITIONS) - 2),
    country=hs.sampled_from(_COUNTRIES),
    unverified=hs.booleans(),
    year=hs.sampled_from(list(capacity.PIPELINE_YEARS)),
    since=hs.sampled_from(["1Y", "3Y", "Since 2020"]),
)
def test_any_widget_state_renders(
    at: AppTest, edition: str, compare: int, country: str, unverified: bool, year: int, since: str
) -> None:
    at.selectbox(key="sup_edition").set_value(edition).run()
    others = [e for e in _EDITIONS if e != edition]
    at.selectbox(key=f"sup_compare_{edition}").set_value(others[compare])
    at.selectbox(key="sup_country").set_value(country)
    at.toggle(key="sup_unverified").set_value(unverified)
    at.select_slider(key="sup_year").set_value(year)
    at.button_group(key="sup_since").set_value(since)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("vega_lite_chart")) >= len(CHART_KEYS) - 1


def test_listed_companies_join_pipeline_and_price_change(at: AppTest) -> None:
    # The module's AppTest is shared: the property test above leaves a random year/toggle.
    at.select_slider(key="sup_year").set_value(2028)
    at.toggle(key="sup_unverified").set_value(False)
    at.button_group(key="sup_since").set_value("Since 2020")
    at.session_state["sup_exp_listed"] = True  # the expander runs only when opened
    at.run()
    joined = next(d.value for d in at.dataframe if "price_change_pct" in d.value.columns)
    by = joined.set_index("symbol")
    assert "10,000 t/yr NdFeB magnets" in by.loc["MP", "capacity_by_year"]
    assert by.loc["MP", "price_change_pct"] > 0  # MP is far above its 2020 listing price
    assert by.loc["NEO.TO", "price_window"] == "no offline prices"
    assert by["price_change_pct"].isna().sum() == len(set(by.index) - OFFLINE)


def test_expanders_run_only_when_opened() -> None:
    """Closed, the page sends none of the expanders' tables; opened, each shows its table."""
    at = page_app(PAGE).run()
    assert not at.exception
    always = len(at.main.dataframe)  # the chosen company's own projects, outside expanders
    keys = ["sup_exp_revisions", "sup_exp_reserves", "sup_exp_shares", "sup_exp_projects",
            "sup_exp_targets", "sup_exp_sources", "sup_exp_listed"]  # fmt: skip
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.main.dataframe) == always + len(keys)
    downloads = {b.key for b in at.get("download_button")}
    assert {"sup_dl_revisions", "sup_dl_reserves", "sup_dl_import_sources"} <= downloads
