"""AppTest: Prices widget flows, URL state, overlays, and the frame's corrupt-cache path."""

from __future__ import annotations

import io
import json

import pandas as pd
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from lib.chart_image import png_size
from tests.apptest_frame import chart_specs, page_app
from tests.downloads import Deferred

PRICES = "pages/1_Prices.py"


def price_charts(at: AppTest) -> int:
    """Charts of the price view itself (the Risk section below adds its own)."""
    return sum("vconcat" in spec for spec in chart_specs(at))


def test_prices_default_view_renders_chart_table_and_url() -> None:
    at = page_app(PRICES).run()
    assert price_charts(at) == 1
    # The Risk section is closed and runs nothing until opened: one chart, one table.
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.main.dataframe) == 1, "summary table missing"
    # The seeded symbols are in the address bar (the bound picker writes each one's label).
    shown = [v.split(" · ")[0] for v in at.query_params["px_symbols"]]
    assert shown == ["MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ"]
    keys = [b.key for b in at.get("download_button")]
    assert keys == ["px_img_png", "px_img_svg", "px_download", "px_xlsx"]
    # Opened, it runs its open tab only (Drawdown): the drawdown chart, not the others.
    keys = [b.key for b in open_risk_tab(at, "Drawdown").get("download_button")]
    assert len(at.get("vega_lite_chart")) == 2
    assert {"px_dd_img_png", "px_risk_xlsx"} <= set(keys)
    assert not {"px_corr_img_svg", "px_roll_img_png"} & set(keys)
    for tab, image in (
        ("Correlation", "px_corr_img_svg"),
        ("Rolling correlation", "px_roll_img_png"),
    ):
        open_risk_tab(at, tab)
        keys = {b.key for b in at.get("download_button")}
        assert image in keys and "px_dd_img_png" not in keys and "px_risk_xlsx" in keys
        assert len(at.get("vega_lite_chart")) == 2


def test_prices_exports_render_real_files(deferred: dict[str, Deferred]) -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX"], "range": "1Y"}).run()
    assert not at.exception
    png = next(d for n, d in deferred.items() if n.startswith("prices_") and n.endswith(".png"))
    width, height = png_size(png.bytes())
    assert width == 1600 and height > 800  # price panel + zoom strip, 800 CSS px wide at 2x
    book = load_workbook(
        io.BytesIO(
            deferred[
                next(n for n in deferred if n.startswith("prices_1Y") and n.endswith(".xlsx"))
            ].bytes()
        )
    )
    assert book.sheetnames == ["Prices", "Summary", "Sources"]
    summary = list(book["Summary"].values)
    header = summary[0]
    mp = next(r for r in summary if r[0] == "MP")
    cap = mp[header.index("market_cap_usd")]
    assert isinstance(cap, float) and 1e9 < cap < 1e11
    open_risk_tab(at, "Drawdown")
    risk = load_workbook(
        io.BytesIO(deferred[next(n for n in deferred if n.startswith("risk_"))].bytes())
    )
    assert risk.sheetnames[:3] == ["Drawdowns", "Drawdown summary", "Correlation matrix"]


def test_summary_shows_market_cap_with_its_basis() -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX", "REMX"], "range": "1Y"}).run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("symbol")
    assert " bn" in table.loc["MP", "Market cap (USD)"]  # may add "(stale count, <date>)"
    assert "m shares" in table.loc["MP", "Share count (source, date)"]
    assert table.loc["LYC.AX", "Market cap (USD)"] == "–"
    assert table.loc["LYC.AX", "Share count (source, date)"] == "– no sourced share count"


def click(at: AppTest, key: str, value: object, default: object) -> None:
    """Set a URL-bound expander or tab as a click does: its value, and the address bar the
    browser then writes (AppTest has no browser, and Streamlit reads a bound control's URL
    parameter when no click came with the run)."""
    at.session_state[key] = value
    if value == default:
        at.query_params.pop(key, None)
    else:
        at.query_params[key] = "true" if value is True else str(value)


def open_risk_tab(at: AppTest, tab: str) -> AppTest:
    """Open the Risk section and select a tab as clicks would (each reruns; only the open
    section and tab run)."""
    click(at, "px_risk_open", True, False)
    click(at, "px_risk_tabs", tab, "Drawdown")
    at.run()
    assert not at.exception
    return at


def close_risk(at: AppTest) -> AppTest:
    click(at, "px_risk_open", False, False)
    return at.run()


def open_more_options(at: AppTest, is_open: bool = True) -> AppTest:
    """Open (or close) "More options" as a click would (it runs only when open)."""
    click(at, "px_more", is_open, False)
    at.run()
    assert not at.exception
    return at


def betas(at: AppTest) -> pd.DataFrame:
    open_risk_tab(at, "Beta")
    return next(d.value for d in at.main.dataframe if "Beta" in d.value.columns)


def test_risk_section_defaults_to_west_vs_china_and_reacts_to_controls() -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX", "600111.SS"], "range": "3Y"}).run()
    assert not at.exception
    open_risk_tab(at, "Drawdown")
    assert at.selectbox(key="px_risk_a").value == "West basket"
    assert at.selectbox(key="px_risk_b").value == "China basket"
    open_risk_tab(at, "Rolling correlation")
    roll = next(s for s in chart_specs(at) if "-session correlation" in json.dumps(s))
    assert "West basket vs China basket" in json.dumps(roll)
    assert any("common days are not shown" in c.value for c in at.caption)  # method caption
    table = betas(at)
    assert set(table["Benchmark"]) == {"SPY"} and table["Beta"].ne("–").all()
    at.selectbox(key="px_risk_bench").set_value("REMX")
    at.selectbox(key="px_risk_a").set_value("MP")
    at.select_slider(key="px_risk_window").set_value(21)
    at.run()
    assert not at.exception
    assert set(betas(at)["Benchmark"]) == {"REMX"}
    open_risk_tab(at, "Rolling correlation")
    specs = json.dumps(chart_specs(at))
    assert "21-session correlation, MP vs China basket" in specs


def test_risk_section_explains_a_range_too_short_to_correlate() -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX"], "range": "1M"}).run()
    assert not at.exception
    infos = " ".join(i.value for i in open_risk_tab(at, "Correlation").info)
    infos += " ".join(i.value for i in open_risk_tab(at, "Rolling correlation").info)
    assert "common trading days" in infos and "common sessions" in infos
    assert "–" in set(betas(at)["Beta"])


def test_prices_widgets_update_the_view() -> None:
    """The browser writes each choice into the URL (tests/e2e/test_prices.py watches the
    address bar; test_shareable_views checks every control is bound)."""
    at = page_app(PRICES).run()
    at.multiselect(key="px_symbols").set_value(["MP", "SPY"])
    at.button_group(key="px_range").set_value("Max")
    at.button_group(key="px_mode").set_value("% change")
    at.run()
    assert not at.exception
    assert at.session_state["px_symbols"] == ["MP", "SPY"]
    assert (at.session_state["px_range"], at.session_state["px_mode"]) == ("Max", "% change")
    spec = chart_specs(at)[0]
    assert spec["vconcat"][0]["layer"][0]["encoding"]["y"]["axis"]["format"] == "+.0%"


def test_deep_link_reproduces_view() -> None:
    at = page_app(PRICES, query={"symbols": ["REMX", "MP"], "range": "3Y", "mode": "price"}).run()
    assert not at.exception
    assert at.multiselect(key="px_symbols").value == ["REMX", "MP"]
    assert at.button_group(key="px_range").value == "3Y"
    assert at.button_group(key="px_mode").value == "Price"


def test_unknown_and_malformed_symbols_get_messages_and_chart_survives() -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "ZZZZ", "<script>"]}).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "ZZZZ" in warnings and "no offline data" in warnings
    assert "not a valid Yahoo symbol" in warnings
    assert price_charts(at) == 1


def test_usd_mode_converts_lynas_over_its_whole_series() -> None:
    # Before the 2026-11 snapshot AUD/USD ended 2024-12-31 and this page named the gap; AUD/USD
    # now runs to 2026-07-31, past LYC.AX's last row (2026-06-04), so there is no gap to name.
    # The gap message itself is tested in tests/test_fx.py::test_aud_uncovered_dates_are_named.
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX"], "ccy": "USD", "range": "Max"}).run()
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "AUDUSD=X" not in infos
    assert len(at.get("vega_lite_chart")) >= 1


def test_spac_toggle_adds_listing_marker() -> None:
    at = page_app(PRICES, query={"symbols": ["MP"], "range": "Max"}).run()
    layers_before = len(chart_specs(at)[0]["vconcat"][0]["layer"])
    open_more_options(at)
    at.toggle(key="px_spac").set_value(True).run()
    assert not at.exception
    assert len(chart_specs(at)[0]["vconcat"][0]["layer"]) == layers_before + 1


def test_active_watchlist_preselects_symbols() -> None:
    from lib import watchlists

    at = page_app().run()
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
    at = page_app(PRICES, query={"symbols": ["MP"], "range": "1Y"}).run()
    before = len(chart_specs(at)[0]["vconcat"][0]["layer"])
    open_more_options(at)
    at.toggle(key="px_events").set_value(True).run()
    at.multiselect(key="px_ev_cat").set_value(["export control"]).run()
    assert not at.exception
    detail = chart_specs(at)[0]["vconcat"][0]
    assert len(detail["layer"]) == before + 1
    assert "Policy" not in " ".join(w.value for w in at.warning)


def test_corrupt_cache_falls_back_to_snapshot_says_so_and_rebuilds(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    cache = home / "prices" / "cache.parquet"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PAR1 this is not a parquet file")
    monkeypatch.setenv("RER_DATA_HOME", str(home))
    at = page_app(PRICES, query={"symbols": ["MP"], "range": "Max"}).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "could not be read" in warning
    assert price_charts(at) == 1  # snapshot data still charted
    at.sidebar.button(key="_rebuild_cache").click().run()
    assert not cache.exists()
    assert list(cache.parent.glob("cache.parquet.corrupt-*"))
    assert not at.sidebar.warning


def test_a_universe_symbol_without_offline_data_says_so_without_an_exception() -> None:
    at = page_app(PRICES, query={"symbols": ["NEO.TO"]}).run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # symbols are escaped
    assert "NEO.TO" in warnings and "no offline data" in warnings


def test_different_data_ends_are_aligned_by_default_and_said() -> None:
    """Issue 14: MP runs to 2026-10-08, SPY to 2026-09-25 (snapshot of 2026-12); 1Y must
    cover the same year."""
    at = page_app(PRICES, query={"symbols": ["MP", "SPY"], "range": "1Y"}).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.toggle(key="px_align").value is True
    caps = " ".join(c.value for c in at.caption)
    assert "common date 25 Sep 2026" in caps
    summary = at.main.dataframe[0].value.set_index("symbol")
    assert set(summary["to"].astype(str)) == {"2026-09-25"}
    at.toggle(key="px_align").set_value(False).run()
    assert not at.exception
    summary = at.main.dataframe[0].value.set_index("symbol")
    assert str(summary.loc["MP", "to"]) == "2026-10-08"
    assert "not comparable" in " ".join(c.value for c in at.caption)


def test_risk_choices_survive_closing_the_section() -> None:
    at = page_app(PRICES, query={"symbols": ["MP", "LYC.AX"], "range": "3Y"}).run()
    open_risk_tab(at, "Rolling correlation")
    at.select_slider(key="px_risk_window").set_value(21).run()
    at.query_params["px_risk_window"] = "21"  # what the browser writes for the slider
    close_risk(at)
    assert not at.exception and len(at.get("vega_lite_chart")) == 1  # closed: nothing runs
    click(at, "px_risk_open", True, False)
    at.run()
    assert at.select_slider(key="px_risk_window").value == 21
    assert "21-session correlation" in json.dumps(chart_specs(at))  # the tab stayed open too


def test_more_options_apply_while_closed_and_say_so() -> None:
    at = page_app(PRICES, query={"symbols": ["MP"], "range": "Max"}).run()
    assert not at.get("toggle") or "px_spac" not in {t.key for t in at.get("toggle")}
    open_more_options(at).toggle(key="px_spac").set_value(True).run()
    at.query_params["px_spac"] = "true"  # what the browser writes for the toggle
    open_more_options(at, is_open=False)
    assert not at.expander(key="px_more").proto.expanded  # closed, its choice on: ...
    assert at.toggle(key="px_spac").value is True  # ...drawn inside, so the URL keeps it
    layers = chart_specs(at)[0]["vconcat"][0]["layer"]
    assert any("Before this date" in json.dumps(layer) for layer in layers)  # and applied
    assert any("On under More options: SPAC history" in c.value for c in at.caption)
    at.toggle(key="px_spac").set_value(False).run()
    at.query_params.pop("px_spac")
    at.run()
    assert "px_spac" not in {t.key for t in at.get("toggle")}  # all off: closed runs nothing
    assert open_more_options(at).toggle(key="px_spac").value is False
