"""AppTest: every page runs clean inside the app frame, plus the Prices page's widget flows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def run_page(page: str | None = None, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(page).run()
    return at


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


@pytest.mark.parametrize("page", [None, *PAGES], ids=["app.py", *PAGES])
def test_every_page_runs_without_exception(page: str | None) -> None:
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.markdown, "shared sidebar (data freshness) missing"
    assert any("Prices as of" in m.value for m in at.sidebar.markdown)


def test_landing_page_shows_baskets_kpis_and_links() -> None:
    at = run_page()
    labels = [m.label for m in at.metric]
    assert "MP YTD" in labels and "China 1 year" in labels
    assert all(m.value.startswith(("+", "-")) for m in at.metric)  # signed, never "125%"
    assert len(at.get("vega_lite_chart")) >= 1


def test_prices_default_view_renders_chart_table_and_url() -> None:
    at = run_page("pages/1_Prices.py")
    assert len(at.get("vega_lite_chart")) == 1
    assert at.dataframe, "summary table missing"
    assert at.query_params["symbols"] == ["MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ"]
    assert len(at.get("download_button")) == 1


def test_prices_widgets_update_url_state() -> None:
    at = run_page("pages/1_Prices.py")
    at.multiselect(key="px_symbols").set_value(["MP", "SPY"])
    at.button_group(key="px_range").set_value("Max")
    at.button_group(key="px_mode").set_value("% change")
    at.run()
    assert not at.exception
    assert at.query_params["symbols"] == ["MP", "SPY"]
    assert at.query_params["range"] in ("Max", ["Max"])
    assert at.query_params["mode"] in ("pct", ["pct"])
    spec = chart_specs(at)[0]
    assert spec["vconcat"][0]["layer"][0]["encoding"]["y"]["axis"]["format"] == "+.0%"


def test_deep_link_reproduces_view() -> None:
    at = run_page("pages/1_Prices.py", symbols=["REMX", "MP"], range="3Y", mode="price")
    assert not at.exception
    assert at.multiselect(key="px_symbols").value == ["REMX", "MP"]
    assert at.button_group(key="px_range").value == "3Y"
    assert at.button_group(key="px_mode").value == "Price"


def test_unknown_and_malformed_symbols_get_messages_and_chart_survives() -> None:
    at = run_page("pages/1_Prices.py", symbols=["MP", "ZZZZ", "<script>"])
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "ZZZZ" in warnings and "no offline data" in warnings
    assert "not a valid Yahoo symbol" in warnings
    assert len(at.get("vega_lite_chart")) == 1


def test_usd_mode_converts_lynas_over_its_whole_series() -> None:
    # Before the 2026-11 snapshot AUD/USD ended 2024-12-31 and this page named the gap; AUD/USD
    # now runs to 2026-07-31, past LYC.AX's last row (2026-01-02), so there is no gap to name.
    # The gap message itself is tested in tests/test_fx.py::test_aud_uncovered_dates_are_named.
    at = run_page("pages/1_Prices.py", symbols=["MP", "LYC.AX"], ccy="USD", range="Max")
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "AUDUSD=X" not in infos
    assert len(at.get("vega_lite_chart")) >= 1


def test_spac_toggle_adds_listing_marker() -> None:
    at = run_page("pages/1_Prices.py", symbols=["MP"], range="Max")
    layers_before = len(chart_specs(at)[0]["vconcat"][0]["layer"])
    at.toggle(key="px_spac").set_value(True).run()
    assert not at.exception
    assert len(chart_specs(at)[0]["vconcat"][0]["layer"]) == layers_before + 1


def test_active_watchlist_preselects_symbols() -> None:
    from lib import watchlists

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    store = watchlists.WatchlistStore.open(watchlists.resolve_database_url())
    summary = next(w for w in store.lists("local") if w.name == "China majors")
    china = store.get("local", summary.id)
    at.session_state["_wl_active_pick"] = china.id
    at.run()
    assert at.session_state["active_watchlist_symbols"] == china.symbols
    at.switch_page("pages/1_Prices.py").run()
    assert not at.exception
    assert at.multiselect(key="px_symbols").value == china.symbols


def test_event_overlay_toggle_adds_rules_in_range() -> None:
    at = run_page("pages/1_Prices.py", symbols=["MP"], range="1Y")
    before = len(chart_specs(at)[0]["vconcat"][0]["layer"])
    at.toggle(key="px_events").set_value(True).run()
    at.multiselect(key="px_ev_cat").set_value(["export control"]).run()
    assert not at.exception
    detail = chart_specs(at)[0]["vconcat"][0]
    assert len(detail["layer"]) == before + 1
    assert "Policy" not in " ".join(w.value for w in at.warning)


def test_landing_lists_latest_events_and_marks_them() -> None:
    at = run_page()
    text = " ".join(m.value for m in at.markdown)
    assert "Latest policy events" in " ".join(h.value for h in at.subheader)
    assert "2026" in text
    spec = chart_specs(at)[0]
    assert len(spec["layer"]) >= 3  # lines, hover points, event rules


def test_corrupt_cache_falls_back_to_snapshot_says_so_and_rebuilds(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    cache = home / "prices" / "cache.parquet"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PAR1 this is not a parquet file")
    monkeypatch.setenv("RER_DATA_HOME", str(home))
    at = run_page("pages/1_Prices.py", symbols=["MP"], range="Max")
    assert not at.exception
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "could not be read" in warning
    assert len(at.get("vega_lite_chart")) == 1  # snapshot data still charted
    at.sidebar.button(key="_rebuild_cache").click().run()
    assert not cache.exists()
    assert list(cache.parent.glob("cache.parquet.corrupt-*"))
    assert not at.sidebar.warning
