"""Outlook chart builders, asserted on their Vega-Lite dicts (encodings, filters, scales, data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lib.outlook import charts as oc
from lib.outlook import consensus as cs
from lib.outlook import growth as gr
from lib.outlook import ndpr as nd
from lib.outlook import projections as pj
from lib.prices import PriceStore


@pytest.fixture(scope="module")
def paths() -> pd.DataFrame:
    return pj.projection_paths(pj.load_projections())


def _scope(paths: pd.DataFrame, scope: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = paths[paths["scope"] == scope]
    return s, cs.consensus(cs.consensus_inputs(s))


def _layer_data(spec: dict, layer: dict) -> list[dict]:
    name = layer.get("data", spec.get("data", {})).get("name")
    return spec["datasets"][name]


def _cond(channel: dict) -> dict:
    cond = channel["condition"]
    return cond[0] if isinstance(cond, list) else cond


def _find(spec: dict, mark: str) -> list[dict]:
    return [
        layer
        for layer in spec["layer"]
        if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) == mark
    ]


@pytest.mark.parametrize(("log_scale", "scale_type"), [(False, "linear"), (True, "log")])
def test_paths_chart_scale(paths: pd.DataFrame, log_scale: bool, scale_type: str) -> None:
    s, band = _scope(paths, "rare-earth magnets")
    spec = oc.projection_paths_chart(s, band, unit="USD bn", log_scale=log_scale).to_dict()
    lines = [ly for ly in _find(spec, "line") if ly["encoding"].get("detail")]
    assert len(lines) == 1
    enc = lines[0]["encoding"]
    assert enc["y"]["field"] == "value" and enc["y"]["scale"]["type"] == scale_type
    assert enc["y"]["title"] == "Market size (USD bn)"
    assert enc["color"]["field"] == "publisher" and enc["detail"]["field"] == "id"


def test_superseded_edition_is_dashed_and_same_colour(paths: pd.DataFrame) -> None:
    s, band = _scope(paths, "rare-earth magnets")
    spec = oc.projection_paths_chart(s, band, unit="USD bn").to_dict()
    line = next(ly for ly in _find(spec, "line") if ly["encoding"].get("detail"))
    dash = line["encoding"]["strokeDash"]
    assert _cond(dash)["test"] == "datum.superseded"
    assert _cond(dash)["value"] == oc.SUPERSEDED_DASH
    assert dash["value"] == oc.SOLID
    rows = _layer_data(spec, line)
    by_id = {r["id"]: r for r in rows}
    assert by_id["M2"]["superseded"] and not by_id["M3"]["superseded"]
    assert by_id["M2"]["publisher"] == by_id["M3"]["publisher"]  # linked by colour


def test_consensus_band_and_median_come_from_the_scope(paths: pd.DataFrame) -> None:
    s, band = _scope(paths, "all permanent magnets")
    spec = oc.projection_paths_chart(s, band, unit="USD bn").to_dict()
    area = _find(spec, "area")[0]
    assert area["encoding"]["y"]["field"] == "min" and area["encoding"]["y2"]["field"] == "max"
    rows = _layer_data(spec, area)
    assert {r["scope"] for r in rows} == {"all permanent magnets"}
    medians = [ly for ly in _find(spec, "line") if ly["encoding"]["y"].get("field") == "median"]
    assert len(medians) == 1


def test_inexact_endpoints_are_hollow(paths: pd.DataFrame) -> None:
    s, band = _scope(paths, "rare-earth metals")
    spec = oc.projection_paths_chart(s, band, unit="USD bn").to_dict()
    points = _find(spec, "point")
    filled = {p["mark"]["filled"]: p for p in points}
    assert set(filled) == {True, False}
    assert [t["filter"] for t in filled[False]["transform"]] == [
        "(datum.endpoint !== '')",
        "(!datum.exact)",
    ]
    assert filled[True]["transform"][-1] == {"filter": "datum.exact"}
    rows = {r["id"]: r for r in _layer_data(spec, filled[False])}
    assert not rows["R9"]["exact"] and not rows["R4"]["exact"]  # lower bound / unverified
    assert rows["R1"]["exact"]
    r9_target = next(
        r for r in _layer_data(spec, filled[False]) if r["id"] == "R9" and r["endpoint"]
    )
    assert r9_target["value_label"].startswith("> ")


def test_scenario_layer_only_when_given(paths: pd.DataFrame) -> None:
    s, band = _scope(paths, "NdFeB magnets")
    without = oc.projection_paths_chart(s, band, unit="USD bn").to_dict()
    scen = cs.scenario_path(2025, 26.45, 10.0, 2030)
    with_s = oc.projection_paths_chart(s, band, unit="USD bn", scenario=scen).to_dict()
    assert len(with_s["layer"]) == len(without["layer"]) + 1
    last = with_s["layer"][-1]
    assert last["mark"]["strokeDash"] == [2, 2]
    assert _layer_data(with_s, last)[-1]["value"] == pytest.approx(26.45 * 1.1**5)


def test_growth_chart_joins_forecast_and_equities(tmp_path: Path, paths: pd.DataFrame) -> None:
    inputs = cs.consensus_inputs(paths[paths["scope"] == "rare-earth elements"])
    growth = cs.consensus(cs.rebase_paths(inputs, 2024))
    tidy = PriceStore(cache_dir=tmp_path).load(["MP", "UUUU"])
    eq = gr.equity_growth_index(tidy, 2024).assign(series="Equities (equal-weighted)")
    spec = oc.growth_vs_equity_chart(growth, eq, log_scale=True).to_dict()
    line = _find(spec, "line")[0]
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert _cond(line["encoding"]["strokeDash"])["test"] == "(datum.kind === 'forecast')"
    rows = _layer_data(spec, line)
    series = {r["series"] for r in rows}
    assert series == {"Forecast consensus (median)", "Equities (equal-weighted)"}
    first_forecast = next(r for r in rows if r["kind"] == "forecast")
    first_equity = next(r for r in rows if r["kind"] == "equity")
    assert first_forecast["level"] == pytest.approx(100.0)
    assert first_equity["level"] == pytest.approx(100.0)
    rule = _find(spec, "rule")[0]
    assert _layer_data(spec, rule) == [{"level": 100.0}]


def test_ndpr_chart_floor_rule_and_hollow_points(tmp_path: Path) -> None:
    fx = PriceStore(cache_dir=tmp_path).load(["CNY=X"]).set_index("date")["adj_close"]
    pts = nd.ndpr_points(nd.load_ndpr(), fx)
    spec = oc.ndpr_chart(pts).to_dict()
    rules = _find(spec, "rule")
    ref_rule = next(r for r in rules if r["mark"].get("strokeDash") == [6, 3])
    refs = {r["id"]: r for r in _layer_data(spec, ref_rule)}
    assert refs["N7"]["usd_kg"] == 110 and refs["N7"]["kind"] == "price floor"
    assert "75–85 USD/kg" in refs["N6"]["label"]
    assert _cond(ref_rule["encoding"]["color"])["value"] == oc.REF_RED
    points = {p["mark"]["filled"]: p for p in _find(spec, "point")}
    plotted = {r["id"]: r for r in _layer_data(spec, points[False])}
    assert "N7" not in plotted  # references are lines, not points
    assert not plotted["Q13"]["exact"] and plotted["Q13"]["converted"]
    assert plotted["Q6"]["exact"]
    rect = _find(spec, "rect")[0]
    assert rect["encoding"]["y2"]["field"] == "usd_kg_high"
