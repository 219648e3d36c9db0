"""Event chart builders, asserted on their Vega-Lite specs (no pixels)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import pytest

from lib.datafiles import CATEGORIES
from lib.events import charts as ec
from lib.events import events as ev
from lib.events import study as es
from lib.events.charts import MY_EVENTS
from lib.prices import PriceStore


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return ev.load_events()


def _layers(spec: dict) -> list[dict]:
    out = []
    for layer in spec.get("layer", []):
        out += _layers(layer) if "layer" in layer else [layer]
    return out


def _mark(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


def _outline_and_solid(spec: dict) -> tuple[dict, dict]:
    pts = [lyr for lyr in _layers(spec) if _mark(lyr) == "point"]
    outline = next(p for p in pts if p["mark"].get("filled") is False)
    solid = next(p for p in pts if p["mark"].get("filled") is True)
    return outline, solid


def test_timeline_lanes_colours_tooltips_and_pick(events):
    spec = ec.timeline_chart(events).to_dict()
    points, solid = _outline_and_solid(spec)
    enc = points["encoding"]
    assert enc["y"]["field"] == "jurisdiction" and enc["y"]["type"] == "nominal"
    assert enc["y"]["sort"][:2] == ["US", "China"]
    assert enc["x"] == {"field": "plot_date", "type": "temporal", "title": None}
    # The curated categories, then the user's own events: never a shared colour.
    assert enc["color"]["scale"]["domain"] == [*CATEGORIES, MY_EVENTS]
    colours = enc["color"]["scale"]["range"]
    assert len(colours) == len(CATEGORIES) + 1 == len(set(colours))
    assert enc["color"]["title"] == "Category"  # the one category legend
    # every layer keeps the legend on: in a layer, one legend=None hides the merged legend
    colours = [lyr["encoding"]["color"] for lyr in _layers(spec) if "color" in lyr["encoding"]]
    assert len(colours) == 3 and all(c["legend"] is not None for c in colours)
    tips = [t["field"] for t in enc["tooltip"]]
    assert {"date_label", "title", "source", "status_label"} <= set(tips)
    params = spec["params"]  # Altair hoists a layer's params to the top with its view name
    assert params[0]["name"] == ec.PICK
    assert params[0]["select"]["fields"] == ["id"]
    assert params[0]["views"] == [points["name"]]
    assert enc["opacity"]["condition"][0]["param"] == ec.PICK
    assert solid["encoding"]["opacity"]["condition"][0]["param"] == ec.PICK


def test_timeline_draws_inexact_events_hollow_dashed_and_spanned(events):
    spec = ec.timeline_chart(events).to_dict()
    points, solid = _outline_and_solid(spec)
    # only exact events get the solid fill; everything else stays an outline
    assert (
        solid["transform"][0]["filter"] == "((datum.exact === true) && (datum.scheduled === false))"
    )
    dash = points["encoding"]["strokeDash"]
    assert dash["condition"][0] == {"test": "datum.scheduled", "value": ec.DOTTED}
    assert "unverified" in dash["condition"][1]["test"]
    assert dash["condition"][1]["value"] == ec.SOLID and dash["value"] == ec.DASHED
    spans = next(lyr for lyr in _layers(spec) if _mark(lyr) == "rule")
    assert spans["encoding"]["x"]["field"] == "span_start"
    assert spans["encoding"]["x2"]["field"] == "span_end"
    assert spans["transform"][0]["filter"] == "(datum.exact === false)"
    shape = points["encoding"]["shape"]
    assert shape["field"] == "status_label" and shape["title"] == "Date quality"
    assert shape["scale"]["domain"] == [
        "exact", "month only", "approximate date", "unverified", "scheduled",
    ]  # fmt: skip
    assert "outcome_label" in [t["field"] for t in points["encoding"]["tooltip"]]


def test_timeline_data_has_no_inexact_event_on_its_raw_day(events):
    chart = ec.timeline_chart(events)
    data = chart.data
    month = data.set_index("id").loc["E021"]
    assert month["plot_date"] != pd.Timestamp("2021-01-01")


def test_event_rule_layer_limits_range_and_layers_on_a_price_chart(events):
    layer = ec.event_rule_layer(
        events, x_field="date", start=date(2025, 7, 1), end=date(2025, 7, 31)
    )
    prices = pd.DataFrame({"date": pd.to_datetime(["2025-07-01", "2025-07-31"]), "v": [1, 2]})
    combined = alt.Chart(prices).mark_line().encode(x="date:T", y="v:Q") + layer
    spec = combined.to_dict()
    rules = [lyr for lyr in _layers(spec) if _mark(lyr) == "rule"]
    assert len(rules) == 1
    enc = rules[0]["encoding"]
    assert enc["x"] == {"field": "date", "type": "temporal"}
    assert "title" in [t["field"] for t in enc["tooltip"]]
    assert enc["strokeDash"]["condition"][0] == {"test": "datum.scheduled", "value": ec.DOTTED}
    assert enc["strokeDash"]["condition"][1]["test"] == "datum.exact"
    assert "color" not in enc and enc["stroke"]["legend"] is None  # host's colour scale untouched
    data = layer.data
    assert set(data["id"]) >= {"E065", "E066"} and "E076" not in set(data["id"])
    assert (data["date"] == data["plot_date"]).all()


def test_price_reaction_chart(tmp_path):
    prices = PriceStore(cache_dir=tmp_path).load(["MP", "SPY"])
    win = ev.assign_roles(ev.reaction_window(prices, date(2025, 7, 10)), ["MP"])
    spec = ec.price_reaction_chart(win, date(2025, 7, 10), exact=False).to_dict()
    lines = next(lyr for lyr in _layers(spec) if _mark(lyr) == "line")
    assert lines["encoding"]["y"]["scale"] == {"zero": False}
    assert lines["encoding"]["strokeDash"]["field"] == "role"
    event_rule = next(lyr for lyr in _layers(spec) if _mark(lyr) == "rule")
    assert event_rule["mark"]["strokeDash"] == ec.DASHED


def test_car_charts():
    ar = pd.DataFrame(
        {
            "event_id": ["E1"] * 3 + ["E2"] * 3,
            "symbol": ["MP"] * 6,
            "tau": [-1, 0, 1] * 2,
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"] * 2),
            "car": [0.0, 0.1, 0.2, 0.0, -0.1, 0.0],
            "status": ["ok"] * 3 + ["past_end"] * 3,
        }
    )
    paths = ec.car_paths_chart(ar)
    assert set(paths.layer[0].data["event_id"]) == {"E1"}  # insufficient pairs not drawn
    spec = paths.to_dict()
    line = next(lyr for lyr in _layers(spec) if _mark(lyr) == "line")
    assert line["encoding"]["detail"]["field"] == "event_id"
    assert line["encoding"]["y"]["axis"]["format"] == "+%"
    avg = es.average_car(ar.assign(status="ok"))
    spec = ec.average_car_chart(avg).to_dict()
    area = next(lyr for lyr in _layers(spec) if _mark(lyr) == "area")
    assert area["encoding"]["y"]["field"] == "lower" and area["encoding"]["y2"]["field"] == "upper"
    grouped = ec.average_car_chart(es.average_car(ar.assign(status="ok"), by=["symbol"]), "symbol")
    line = next(lyr for lyr in _layers(grouped.to_dict()) if _mark(lyr) == "line")
    assert line["encoding"]["color"]["field"] == "symbol"


def test_scheduled_events_are_dotted_rules_on_price_charts(events):
    layer = ec.event_rule_layer(events, start=date(2026, 11, 1), end=date(2026, 11, 30))
    data = layer.data.set_index("id")
    assert set(data.index) == {"E126", "E127", "E128"}
    assert data["scheduled"].all()
    assert (data["outcome_label"] == "outcome not in our sources").all()
