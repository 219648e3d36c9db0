"""lib.supply on the real data: shares, revisions, per-unit pipeline sums, gap row, charts."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from lib.supply import charts as sc
from lib.supply import model
from lib.supply.load import SupplyData, load_supply

LATEST, PREVIOUS = "MCS2026 v1.3", "MCS2025"


@pytest.fixture(scope="module")
def data() -> SupplyData:
    return load_supply()


def spec_size(chart: alt.TopLevelMixin) -> int:
    return len(json.dumps(chart.to_dict()).encode())


# --------------------------------------------------------------------------- editions


def test_mcs_editions_oldest_first_and_previous(data: SupplyData) -> None:
    eds = model.mcs_editions(data.production)
    assert eds == ["MCS2022", "MCS2023", "MCS2024", "MCS2025", LATEST]
    assert model.previous_edition(eds, LATEST) == PREVIOUS
    assert model.previous_edition(eds, "MCS2022") is None
    assert model.previous_edition(eds, "MYB2022 T8") is None
    assert model.editions_newest_first(data.production)[0] == LATEST


# --------------------------------------------------------------------------- production


def test_china_vs_rest_latest_edition(data: SupplyData) -> None:
    cvr = model.china_vs_rest(data.production, LATEST).set_index(["year", "group"])
    assert cvr.loc[(2025, "China"), "tonnes_reo"] == 270_000
    assert cvr.loc[(2025, "Rest of world"), "tonnes_reo"] == 120_000  # 390,000 - 270,000
    assert cvr.loc[(2024, "Rest of world"), "tonnes_reo"] == 110_000  # 380,000 - 270,000
    assert cvr.loc[(2025, "Rest of world"), "confidence"] == "derived"
    assert "minus China" in cvr.loc[(2025, "Rest of world"), "how"]


def test_ds140_has_no_china_split(data: SupplyData) -> None:
    cvr = model.china_vs_rest(data.production, "DS140 (2020 ed.)")
    assert set(cvr["group"]) == {"World (no country split)"}
    assert cvr.set_index("year").loc[2015, "tonnes_reo"] == 129_000


def test_revisions_mcs2025_to_mcs2026(data: SupplyData) -> None:
    rev = model.revisions(data.production, PREVIOUS, LATEST)
    top = rev.iloc[0]
    assert (top["country"], top["year"], top["old_tonnes"], top["new_tonnes"]) == (
        "Australia", 2024, 13_000, 29_000,
    )  # fmt: skip
    by = rev.set_index(["country", "year"])
    assert by.loc[("Thailand", 2024), "new_tonnes"] == 2_100
    assert by.loc[("Nigeria", 2024), "change"] == 1_500 - 13_000
    assert by.loc[("World total", 2024), "change"] == -10_000
    assert ("China", 2024) not in by.index  # 270,000 in both: not a revision


def test_vintage_view_same_year_two_editions(data: SupplyData) -> None:
    v = model.country_series(data.production, "Australia", [PREVIOUS, LATEST])
    assert v[v["year"] == 2024].set_index("edition")["tonnes_reo"].to_dict() == {
        PREVIOUS: 13_000,
        LATEST: 29_000,
    }
    rest = model.country_series(data.production, model.REST, ["MCS2024", PREVIOUS])
    assert rest[rest["year"] == 2023].set_index("edition")["tonnes_reo"].to_dict() == {
        "MCS2024": 110_000,
        PREVIOUS: 121_000,
    }


def test_computed_mining_shares_match_the_derived_csv_rows(data: SupplyData) -> None:
    computed = model.china_mining_shares(data.production).set_index(["edition", "year"])
    derived = data.china_share[data.china_share["confidence"] == "derived"]
    for row in derived.itertuples():
        assert computed.loc[(row.edition, row.year), "share_pct"] == pytest.approx(row.share_pct)
    assert computed.loc[(LATEST, 2024), "share_pct"] == 71.1
    assert computed.loc[(PREVIOUS, 2024), "share_pct"] == 69.2


# --------------------------------------------------------------------------- shares


def test_share_points_never_join_bases(data: SupplyData) -> None:
    pts = model.share_points(data.china_share)
    mining_2023 = pts[(pts["stage"] == "mining") & (pts["year"] == 2023)]
    assert mining_2023["series"].nunique() == 2  # IEA 62% and USGS-derived on their own lines
    usgs = pts[pts["publisher"] == "USGS (derived)"]
    latest_2024 = usgs[(usgs["year"] == 2024) & usgs["latest_vintage"]]
    assert latest_2024["edition"].tolist() == [LATEST]
    assert pts.set_index("id").loc["CS08", "flag"] == "earlier edition"
    assert pts.set_index("id").loc["CS19", "flag"] == "UNVERIFIED"
    assert pts.set_index("id").loc["CS20", "value_label"] == ">90%"
    assert pts.set_index("id").loc["CS13", "hollow"]  # 2030 projection


# --------------------------------------------------------------------------- pipeline


def test_sum_capacity_refuses_mixed_units(data: SupplyData) -> None:
    mp = data.pipeline[data.pipeline["symbol"] == "MP"]
    with pytest.raises(model.MixedUnitsError, match="different units"):
        model.sum_capacity(mp)
    magnets = mp[mp["unit"] == "t/yr NdFeB magnets"]
    assert model.sum_capacity(magnets) == 11_000  # P04 + P05 rows, before de-duplication


@pytest.mark.parametrize(
    ("stage", "unit", "year", "expected"),
    [
        ("magnets", "t/yr NdFeB magnets", 2025, 1_000 + 2_000 + 2_000),  # MP, Noveon, Neo
        ("magnets", "t/yr NdFeB magnets", 2027, 1_000 + 10_000 + 2_000 + 10_000 + 2_000),
        ("magnets", "t/yr NdFeB magnets", 2028, 34_000),  # MP 10,000 replaces Independence
        ("separation/refining", "t/yr NdPr oxide", 2028, 2_599 + 10_500 + 1_000 + 1_400),
        ("separation/refining", "t/yr NdPr oxide", 2029, 2_599 + 10_500 + 1_400 + 6_000),
        ("separation/refining", "t/yr REO", 2027, 17_500 + 2_000),
        ("mining", "t REO in concentrate", 2028, 50_692),
        ("metal", "t/yr NdPr metal", 2025, 400),
    ],
)
def test_stage_totals_per_unit(stage: str, unit: str, year: int, expected: float) -> None:
    totals = model.stage_totals(load_supply().pipeline, year).set_index(["stage", "unit"])
    assert totals.loc[(stage, unit), "capacity"] == expected


def test_every_bar_has_one_unit_and_unverified_can_be_dropped(data: SupplyData) -> None:
    bars = model.pipeline_by_year(data.pipeline)
    assert (bars.groupby("panel")["unit"].nunique() == 1).all()
    sep = bars[(bars["unit"] == "t/yr NdPr oxide") & (bars["year"] == 2029)]
    assert sep["confidence"].eq("unverified").any()  # Energy Fuels phase 2
    checked = model.pipeline_by_year(data.pipeline, include_unverified=False)
    assert not checked["confidence"].eq("unverified").any()
    panels = model.pipeline_panels(bars)
    assert panels[0][0] == "mining" and panels[-1] == ("magnets", "t/yr NdFeB magnets")


def test_not_counted_says_why(data: SupplyData) -> None:
    why = model.not_counted(data.pipeline, 2028).set_index("id")["why_not_counted"]
    assert why["P17"] == "capacity not published"  # e-VAC
    assert why["P10"] == "on hold / uncertain"  # Seadrift
    assert why["P19B"] == "no target date"
    assert "P04" not in why.index  # inside MP's 10,000 t/yr, not lost


def test_timeline_places_every_project(data: SupplyData) -> None:
    tl = model.timeline_frame(data.pipeline)
    when = tl.set_index("id")["when"]
    assert when["P05"] == "2028" and when["P15"] == "in service" and when["P21"] == "no date"
    assert model.timeline_domain(tl)[0] == "in service"
    assert model.timeline_domain(tl)[-1] == "no date"
    assert len(tl) == len(data.pipeline)


# --------------------------------------------------------------------------- sentences and gap


def test_stage_sentences_only_compare_comparable(data: SupplyData) -> None:
    by = {s.stage: s for s in model.stage_sentences(data, 2028)}
    assert set(by) == {"mining", "separation/refining", "metal", "magnets"}
    mag = by["magnets"]
    assert mag.figures == {"west_t_magnets": 34_000.0, "china_t_magnets": 240_000.0}
    assert "34,000 t/yr" in mag.text and "~240,000 t" in mag.text and "Different bases" in mag.text
    assert "e-VAC" in mag.text
    assert not by["separation/refining"].comparable
    assert "not in our fact base" in by["separation/refining"].text
    assert by["mining"].figures["china_t_reo"] == 270_000
    assert "not found" in by["metal"].text


def test_gap_row_latest_vs_previous_edition(data: SupplyData) -> None:
    mining, magnets, nir = model.gap_row(data)
    assert (mining.value, mining.year, mining.edition) == (69.2, 2025, LATEST)
    assert (mining.previous_value, mining.previous_edition, mining.change) == (69.2, PREVIOUS, 0.0)
    assert "71.1%" in mining.note  # MCS2026 revised 2024 itself
    assert (magnets.value, magnets.year, magnets.change) == (94.0, 2024, None)
    assert magnets.change_label == "no earlier figure on the same basis"
    assert (nir.value, nir.year, nir.edition) == (67.0, 2025, LATEST)
    assert (nir.previous_value, nir.previous_year, nir.change) == (80.0, 2024, -13.0)
    assert "53%" in nir.note
    assert nir.change_label == "-13.0 pp vs MCS2025 (2024)"


def test_import_dependence_keeps_bounds_and_editions(data: SupplyData) -> None:
    imp = model.import_dependence(data.us_trade)
    value = imp[(imp["metric"] == model.IMPORT_VALUE) & imp["latest"]].set_index("year")
    assert value.loc[2024, "value"] == 168 and value.loc[2024, "edition"] == LATEST
    assert value.loc[2025, "value"] == 165
    bound = imp[(imp["metric"] == model.NIR) & (imp["year"] == 2022) & imp["latest"]].iloc[0]
    assert bound["value_label"] == ">95%" and bound["hollow"]
    weak = imp[(imp["edition"] == "MCS2018")]
    assert weak["hollow"].all() and (weak["confidence"] == "unverified").all()


def test_rebased_prices_each_at_own_start() -> None:
    tidy = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-03", "2025-01-06"]),
            "symbol": ["MP", "MP", "USAR", "USAR"],
            "adj_close": [10.0, 12.0, 5.0, 4.0],
        }
    )
    out = model.rebased_prices(tidy, ["MP", "USAR"], None).set_index(["symbol", "date"])
    assert out.loc[("MP", pd.Timestamp("2025-01-03")), "rebased"] == pytest.approx(120.0)
    assert out.loc[("USAR", pd.Timestamp("2025-01-06")), "rebased"] == pytest.approx(80.0)


def test_company_capacity_lists_units_separately(data: SupplyData) -> None:
    text = model.company_capacity(data.pipeline, "MP", 2028)
    assert "10,000 t/yr NdFeB magnets" in text and "2,599 t/yr NdPr oxide" in text
    assert model.company_capacity(data.pipeline, "ARU.AX", 2028) == "no dated capacity"


# --------------------------------------------------------------------------- charts


def test_mine_production_chart_spec(data: SupplyData) -> None:
    chart = sc.mine_production_chart(model.china_vs_rest(data.production, LATEST))
    spec = chart.to_dict()
    enc = spec["encoding"]
    assert enc["y"]["field"] == "tonnes_reo" and enc["color"]["field"] == "group"
    titles = {t["title"] for t in enc["tooltip"]}
    assert {"Edition", "Source", "Confidence", "Unit"} <= titles
    assert spec_size(chart) <= 100 * 1024


def test_vintage_chart_offsets_editions(data: SupplyData) -> None:
    frame = model.country_series(data.production, "Australia", [PREVIOUS, LATEST])
    enc = sc.vintage_chart(frame, "Australia").to_dict()["encoding"]
    assert enc["xOffset"]["field"] == "edition" and enc["xOffset"]["sort"] == [PREVIOUS, LATEST]


def test_share_chart_lines_by_series_and_hollow_unverified(data: SupplyData) -> None:
    chart = sc.china_share_chart(model.share_points(data.china_share))
    spec = chart.to_dict()
    assert spec["facet"]["column"]["field"] == "stage"
    layers = spec["spec"]["layer"]
    line = layers[0]
    assert line["mark"]["type"] == "line" and line["encoding"]["detail"]["field"] == "series"
    hollow = layers[2]
    assert hollow["mark"]["filled"] is False and hollow["mark"]["strokeDash"] == sc.DASHED
    assert {t["title"] for t in layers[1]["encoding"]["tooltip"]} >= {
        "Edition / as of", "Source", "Confidence", "Publisher", "Basis",
    }  # fmt: skip
    assert spec_size(chart) <= 100 * 1024


def test_pipeline_chart_one_unit_per_panel_with_target_rule(data: SupplyData) -> None:
    bars = model.pipeline_by_year(data.pipeline)
    chart = sc.pipeline_chart(bars, data.targets, model.pipeline_panels(bars))
    spec = chart.to_dict()
    panels = [p for row in spec["vconcat"] for p in row["hconcat"]]
    assert len(panels) == len(model.pipeline_panels(bars))
    titles = [p["layer"][0]["encoding"]["y"]["title"] for p in panels]
    assert "t/yr NdFeB magnets" in titles and "t/yr NdPr oxide" in titles
    magnets = panels[titles.index("t/yr NdFeB magnets")]
    assert len(magnets["layer"]) == 3  # bars, DoD-MP and India target rules, labels
    datasets = spec["datasets"]
    rule_data = datasets[magnets["layer"][1]["data"]["name"]]
    assert sorted(r["target_value"] for r in rule_data) == [6000.0, 10000.0]
    assert spec_size(chart) <= 100 * 1024


def test_timeline_and_import_charts(data: SupplyData) -> None:
    tl = model.timeline_frame(data.pipeline)
    chart = sc.timeline_chart(tl, model.timeline_domain(tl), data.targets)
    spec = chart.to_dict()
    assert spec["layer"][0]["mark"]["type"] == "rule"  # target years
    assert spec["layer"][1]["encoding"]["color"]["field"] == "status"
    assert spec_size(chart) <= 100 * 1024
    imp = model.import_dependence(data.us_trade)
    for metric in (model.NIR, model.IMPORT_VALUE):
        ch = sc.import_dependence_chart(imp, metric)
        assert ch.to_dict()["layer"][2]["mark"]["filled"] is False
        assert spec_size(ch) <= 100 * 1024


def test_gap_with_a_single_edition_has_no_change(data: SupplyData) -> None:
    only = data.production[data.production["edition"] == LATEST]
    fig = model.mining_share_gap(only)
    assert (fig.value, fig.previous_edition, fig.change) == (69.2, None, None)
    assert fig.change_label == "no earlier figure on the same basis"


# --------------------------------------------------------------------------- properties


_DATA = load_supply()
_IDS = list(_DATA.pipeline["id"])
_EDITIONS = list(_DATA.production["edition"].unique())
_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(hs.sets(hs.sampled_from(_IDS), min_size=1))
def test_sum_refuses_exactly_when_units_differ(ids: set[str]) -> None:
    rows = _DATA.pipeline[_DATA.pipeline["id"].isin(ids)]
    units = set(rows.loc[rows["capacity_value"].notna(), "unit"])
    if len(units) > 1:
        with pytest.raises(model.MixedUnitsError):
            model.sum_capacity(rows)
    else:
        assert model.sum_capacity(rows) == float(rows["capacity_value"].sum())


@_FAST
@given(hs.sets(hs.sampled_from(_IDS), min_size=1))
def test_capacity_in_place_never_falls_as_years_pass(ids: set[str]) -> None:
    """A project replaced by a larger total (Independence inside MP's 10,000 t) never shrinks it."""
    pipe = _DATA.pipeline[_DATA.pipeline["id"].isin(ids)]
    previous: dict[tuple[str, str], float] = {}
    for year in model.PIPELINE_YEARS:
        totals = model.stage_totals(pipe, year)
        now = {(r.stage, r.unit): r.capacity for r in totals.itertuples()}
        for key, value in previous.items():
            assert now.get(key, 0.0) >= value, (key, year)
        previous = now


@_FAST
@given(hs.sampled_from(_EDITIONS), hs.sampled_from(_EDITIONS))
def test_revisions_are_antisymmetric(old: str, new: str) -> None:
    forward = model.revisions(_DATA.production, old, new).set_index(["country", "year"])
    backward = model.revisions(_DATA.production, new, old).set_index(["country", "year"])
    assert set(forward.index) == set(backward.index)
    for key in forward.index:
        assert forward.loc[key, "change"] == -backward.loc[key, "change"]


@_FAST
@given(hs.sampled_from(_EDITIONS))
def test_china_plus_rest_is_the_world_total(edition: str) -> None:
    cvr = model.china_vs_rest(_DATA.production, edition)
    prod = _DATA.production[_DATA.production["edition"] == edition]
    world = prod[prod["country"] == model.WORLD].set_index("year")["tonnes_reo"]
    for year, grp in cvr.groupby("year"):
        assert grp["tonnes_reo"].sum() == world[year]


def test_company_chart_ships_only_drawable_points_keeping_ends_and_extremes() -> None:
    """A long daily series is cut to about COMPANY_POINTS; first, last, high and low stay."""
    import numpy as np

    from lib.supply import charts as supply_charts

    days = pd.bdate_range("2019-01-02", periods=1800)
    values = 100 + np.cumsum(np.random.default_rng(7).normal(size=len(days)))
    rebased = pd.DataFrame({"date": days, "symbol": "MP", "rebased": values})
    spec = supply_charts.company_price_chart(rebased).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert len(rows) <= supply_charts.COMPANY_POINTS + 4
    shipped = {r["rebased"] for r in rows}
    assert {values[0], values[-1], values.max(), values.min()} <= shipped
