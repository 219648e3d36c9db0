"""Price chart specs: typed encodings, brush, hover, legend highlight, bounded data."""

from __future__ import annotations

import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from lib import charts, returns
from lib.markets import price_view
from lib.prices import PriceStore

TEN = ["MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ", "AREC", "REMX", "LIT", "URA"]


@pytest.fixture(scope="module")
def ten(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("c")).load(TEN)


def spec(chart) -> dict:  # type: ignore[no-untyped-def]
    return chart.to_dict()


def test_plot_respects_point_budget_and_keeps_every_series_shape(ten: pd.DataFrame) -> None:
    values = returns.mode_values(ten, "Rebased to 100")
    plot = charts.prepare_plot(values, ["REMX"])
    # one wide table serves lines and tooltip: dates as integer days, float32 values
    assert list(plot.table.columns) == ["d", "held", "ov", *[f"s{i}" for i in range(10)]]
    assert str(plot.table["d"].dtype) == "int32"
    assert all(str(plot.table[f"s{i}"].dtype) == "float32" for i in range(10))
    assert len(plot.table) <= charts.CHART_POINT_BUDGET + 4 * len(TEN)
    assert plot.benchmarks == ("REMX",)
    lines = plot.lines()
    # first, last, highest and lowest day of every series survive downsampling
    for agg in ("min", "max"):
        want = values.groupby("symbol")["date"].agg(agg)
        assert (lines.groupby("symbol")["date"].agg(agg).reindex(want.index) == want).all()
        want = values.groupby("symbol")["value"].agg(agg)
        got = lines.groupby("symbol")["value"].agg(agg).reindex(want.index)
        assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-6)
    # a plotted point is a real close of that day (float32 precision), never a held one
    real = values.set_index(["date", "symbol"])["value"]
    assert lines.set_index(["date", "symbol"])["value"].to_numpy() == pytest.approx(
        real.reindex(lines.set_index(["date", "symbol"]).index).to_numpy(), rel=1e-6
    )


def test_closed_exchange_day_is_held_for_the_tooltip_not_drawn() -> None:
    values = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-05", "2026-01-07"] * 1),
            "symbol": ["A", "A", "B", "B"],
            "value": [100.0, 101.0, 100.0, 103.0],
        }
    )
    values = pd.concat(
        [
            values,
            pd.DataFrame({"date": [pd.Timestamp("2026-01-07")], "symbol": ["A"], "value": [102.0]}),
        ]
    )
    plot = charts.prepare_plot(values)
    b = plot.table["s1"].tolist()
    assert b == [100.0, 100.0, 103.0]  # Jan 6 carries B's previous close for the tooltip...
    assert plot.table["held"].tolist() == [0, 2, 0]  # ...marked held (bit 1 = series B)
    drawn = plot.lines()
    assert drawn[drawn["symbol"] == "B"]["date"].dt.day.tolist() == [5, 7]  # ...not drawn


def test_chart_spec_has_brush_hover_legend_and_typed_fields(ten: pd.DataFrame) -> None:
    values = returns.mode_values(ten[ten["symbol"].isin(["MP", "LYC.AX"])], "Rebased to 100")
    d = spec(charts.price_chart(charts.prepare_plot(values), "Rebased to 100"))
    detail, overview = d["vconcat"]
    params = {p["name"]: p for p in d["params"]}  # Altair lifts params to the top level
    assert params["legend_pick"]["bind"] == "legend"
    assert params["hover"]["select"]["nearest"] is True
    assert params["brush"]["select"]["encodings"] == ["x"]
    assert params["brush"]["views"] == [overview["name"]]
    # each selection lives in exactly one view, else Vega fails with a duplicate signal
    lines_name, rule_name = detail["layer"][0]["name"], detail["layer"][1]["name"]
    assert params["legend_pick"]["views"] == [lines_name]
    assert params["hover"]["views"] == [rule_name]
    line = detail["layer"][0]
    assert line["encoding"]["x"]["scale"]["domain"] == {"param": "brush"}
    assert line["encoding"]["y"]["type"] == "quantitative"
    assert line["encoding"]["y"]["scale"]["zero"] is False
    # Series are told apart by their folded column (s0, s1...) through scales, not by a name
    # computed per row; the legend shows the symbols.
    color = line["encoding"]["color"]
    assert color["field"] == "key" and color["scale"]["domain"] == ["s0", "s1"]
    assert json.loads(color["legend"]["labelExpr"].removesuffix("[datum.label]")) == {
        "s0": "LYC.AX",
        "s1": "MP",
    }
    assert params["held_bit"]["value"] == {"s0": 1, "s1": 2}
    rule = detail["layer"][1]
    assert rule["mark"]["tooltip"] == {"expr": charts.TOOLTIP_EXPR}
    tip = next(t["calculate"] for t in rule["transform"] if t.get("as") == "tip")
    assert re.findall(r"(?:^\{|, )('Date'|\"[^\"]+\"):", tip) == ["'Date'", '"LYC.AX"', '"MP"']


def test_log_scale_only_outside_percent_mode(ten: pd.DataFrame) -> None:
    values = returns.mode_values(ten[ten["symbol"] == "MP"], "Price")
    plot = charts.prepare_plot(values)
    log = spec(charts.price_chart(plot, "Price", log_scale=True))
    assert log["vconcat"][0]["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    pct = spec(charts.price_chart(plot, "% change", log_scale=True))
    assert "type" not in pct["vconcat"][0]["layer"][0]["encoding"]["y"]["scale"]
    assert pct["vconcat"][0]["layer"][0]["encoding"]["y"]["axis"]["format"] == "+.0%"


def test_listing_marker_layer_on_spac_view(ten: pd.DataFrame) -> None:
    from lib.universe import load_universe

    marks = price_view.listing_markers(load_universe(), ["MP", "USAR"], date(2020, 1, 1), None)
    assert marks["date"].dt.date.tolist() == [date(2020, 11, 18), date(2025, 3, 14)]
    d = spec(charts.listing_marker(marks))
    assert d["layer"][0]["mark"]["type"] == "rule"


def test_basket_chart_colours_blocs() -> None:
    levels = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-02"]),
            "basket": ["West basket", "China basket"],
            "level": [100.0, 100.0],
            "members": [3, 2],
        }
    )
    d = spec(charts.basket_chart(levels))
    color = d["layer"][0]["encoding"]["color"]
    assert color["scale"]["domain"] == ["West basket", "China basket"]


def test_tooltip_shows_dash_not_null_and_years_on_long_ranges(ten: pd.DataFrame) -> None:
    values = returns.mode_values(ten[ten["symbol"].isin(["MP", "LYC.AX"])], "% change")
    plot = charts.prepare_plot(values)
    lyc = f"s{list(plot.symbols).index('LYC.AX')}"
    assert pd.isna(plot.table[lyc].iloc[0])  # LYC.AX data starts in 2024
    d = spec(charts.price_chart(plot, "% change"))
    rule = d["vconcat"][0]["layer"][1]
    tip = next(t["calculate"] for t in rule["transform"] if t.get("as") == "tip")
    # Vega formats the number; a missing value reads "–", never "null"
    assert f'"LYC.AX": isValid(datum.{lyc}) ? format(datum.{lyc}, "+.1%") : \'–\'' in tip
    assert d["vconcat"][0]["layer"][0]["encoding"]["x"]["axis"]["format"] == "%b %Y"
    short = values[values["date"] >= "2026-09-01"]
    d2 = spec(charts.price_chart(charts.prepare_plot(short), "% change"))
    assert d2["vconcat"][0]["layer"][0]["encoding"]["x"]["axis"]["format"] == "%d %b"


def test_basket_chart_marks_membership_changes() -> None:
    levels = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-03-13", "2025-03-14", "2025-03-17"]),
            "basket": "West basket",
            "level": [100.0, 101.0, 99.0],
            "members": [2, 2, 3],
        }
    )
    changes = returns.membership_changes(levels)
    assert changes.to_dict("records") == [
        {"date": pd.Timestamp("2025-03-17"), "basket": "West basket", "members": 3, "previous": 2}
    ]
    spec = charts.basket_chart(levels, changes=changes).to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert texts and texts[0]["encoding"]["text"]["field"] == "label"
    assert len(charts.basket_chart(levels).to_dict()["layer"]) == 2


def test_zoom_strip_draws_a_third_of_the_dates_with_every_extent_and_extreme() -> None:
    a = [1.0, 1.1, 1.2, 1.3, 9.0, 1.5, 1.6, 1.7, 0.1, 1.9]  # high at row 4, low at row 8
    b = [np.nan, np.nan, 3.0, 3.1, 3.2, 3.3, 3.4, np.nan, np.nan, np.nan]  # rows 2-6
    keep = charts.overview_rows(np.array([a, b]).T, stride=3)
    # every third row (0, 3, 6, 9), the last row, A's high and low, B's first and last
    assert np.flatnonzero(keep).tolist() == [0, 2, 3, 4, 6, 8, 9]
    assert charts.overview_rows(np.empty((0, 2))).tolist() == []
