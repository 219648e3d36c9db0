"""lib.supply on the real data: shares, revisions, per-unit pipeline sums, gap row, charts."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from lib.supply import capacity, editions, equities, headline, imports, production
from lib.supply import capacity_charts as cc
from lib.supply import charts as sc
from lib.supply.load import SupplyData, load_supply

LATEST, PREVIOUS = "MCS2026 v1.3", "MCS2025"


@pytest.fixture(scope="module")
def data() -> SupplyData:
    return load_supply()


def spec_size(chart: alt.TopLevelMixin) -> int:
    return len(json.dumps(chart.to_dict()).encode())


# --------------------------------------------------------------------------- editions


def test_mcs_editions_oldest_first_and_previous(data: SupplyData) -> None:
    eds = editions.mcs_editions(data.production)
    assert eds == ["MCS2022", "MCS2023", "MCS2024", "MCS2025", LATEST]
    assert editions.previous_edition(eds, LATEST) == PREVIOUS
    assert editions.previous_edition(eds, "MCS2022") is None
    assert editions.previous_edition(eds, "MYB2022 T8") is None
    assert editions.editions_newest_first(data.production)[0] == LATEST


# --------------------------------------------------------------------------- production


def test_china_vs_rest_latest_edition(data: SupplyData) -> None:
    cvr = production.china_vs_rest(data.production, LATEST).set_index(["year", "group"])
    assert cvr.loc[(2025, "China"), "tonnes_reo"] == 270_000
    assert cvr.loc[(2025, "Rest of world"), "tonnes_reo"] == 120_000  # 390,000 - 270,000
    assert cvr.loc[(2024, "Rest of world"), "tonnes_reo"] == 110_000  # 380,000 - 270,000
    assert cvr.loc[(2025, "Rest of world"), "confidence"] == "derived"
    assert "minus China" in cvr.loc[(2025, "Rest of world"), "how"]


def test_ds140_has_no_china_split(data: SupplyData) -> None:
    cvr = production.china_vs_rest(data.production, "DS140 (2020 ed.)")
    assert set(cvr["group"]) == {"World (no country split)"}
    assert cvr.set_index("year").loc[2015, "tonnes_reo"] == 129_000


def test_revisions_mcs2025_to_mcs2026(data: SupplyData) -> None:
    rev = production.revisions(data.production, PREVIOUS, LATEST)
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
    v = production.country_series(data.production, "Australia", [PREVIOUS, LATEST])
    assert v[v["year"] == 2024].set_index("edition")["tonnes_reo"].to_dict() == {
        PREVIOUS: 13_000,
        LATEST: 29_000,
    }
    rest = production.country_series(data.production, production.REST, ["MCS2024", PREVIOUS])
    assert rest[rest["year"] == 2023].set_index("edition")["tonnes_reo"].to_dict() == {
        "MCS2024": 110_000,
        PREVIOUS: 121_000,
    }


def test_computed_mining_shares_match_the_derived_csv_rows(data: SupplyData) -> None:
    computed = production.china_mining_shares(data.production).set_index(["edition", "year"])
    derived = data.china_share[data.china_share["confidence"] == "derived"]
    for row in derived.itertuples():
        assert computed.loc[(row.edition, row.year), "share_pct"] == pytest.approx(row.share_pct)
    assert computed.loc[(LATEST, 2024), "share_pct"] == 71.1
    assert computed.loc[(PREVIOUS, 2024), "share_pct"] == 69.2


# --------------------------------------------------------------------------- shares


def test_share_points_never_join_bases(data: SupplyData) -> None:
    pts = production.share_points(data.china_share)
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


def test_sum_capacity_refuses_mixed_units_and_figures_that_are_not_capacity(
    data: SupplyData,
) -> None:
    pipe = data.pipeline.set_index("id", drop=False)
    with pytest.raises(capacity.MixedUnitsError, match="different units"):
        capacity.sum_capacity(pipe.loc[["P04", "P08"]])
    with pytest.raises(capacity.MixedUnitsError, match="P02 is a production figure"):
        capacity.sum_capacity(pipe.loc[["P02", "P08"]])
    with pytest.raises(capacity.MixedUnitsError, match="P13C is a target figure"):
        capacity.sum_capacity(pipe.loc[["P13", "P13C"]])
    mp = data.pipeline[data.pipeline["symbol"] == "MP"]
    magnets = mp[mp["unit"] == "t/yr NdFeB magnets"]
    assert capacity.sum_capacity(magnets) == 11_000  # P04 + P05 rows, before de-duplication


@pytest.mark.parametrize(
    ("stage", "unit", "year", "expected"),
    [
        ("magnets", "t/yr NdFeB magnets", 2025, 1_000 + 2_000 + 2_000),  # MP, Noveon, Neo
        # USA Rare Earth phase 1 (1,200) from 2026, not its 10,000 t/yr target; Vulcan's
        # full 10,000 t/yr has no date (2027 is a partial start), so it is not counted.
        ("magnets", "t/yr NdFeB magnets", 2026, 1_000 + 1_200 + 2_000 + 2_000),
        ("magnets", "t/yr NdFeB magnets", 2028, 10_000 + 1_200 + 2_000 + 2_000),
        # MP's 2,599 t is 2025 production, not capacity: never in the sum.
        ("separation/refining", "t/yr NdPr oxide", 2028, 10_500 + 1_000 + 1_400),
        ("separation/refining", "t/yr NdPr oxide", 2029, 10_500 + 1_400 + 6_000),
        ("separation/refining", "t/yr REO", 2027, 17_500 + 2_000),
        ("mining", "t/yr NdPr equivalent", 2028, 12_000),
        ("metal", "t/yr NdPr metal", 2025, 400),
    ],
)
def test_stage_totals_per_unit(stage: str, unit: str, year: int, expected: float) -> None:
    totals = capacity.stage_totals(load_supply().pipeline, year).set_index(["stage", "unit"])
    assert totals.loc[(stage, unit), "capacity"] == expected


def test_every_bar_has_one_unit_and_unverified_can_be_dropped(data: SupplyData) -> None:
    bars = capacity.pipeline_by_year(data.pipeline)
    assert (bars.groupby("panel")["unit"].nunique() == 1).all()
    sep = bars[(bars["unit"] == "t/yr NdPr oxide") & (bars["year"] == 2029)]
    assert sep["confidence"].eq("unverified").any()  # Energy Fuels phase 2
    checked = capacity.pipeline_by_year(data.pipeline, include_unverified=False)
    assert not checked["confidence"].eq("unverified").any()
    panels = capacity.pipeline_panels(bars)
    assert panels[0][0] == "mining" and panels[-1] == ("magnets", "t/yr NdFeB magnets")


def test_not_counted_says_why(data: SupplyData) -> None:
    why = capacity.not_counted(data.pipeline, 2028).set_index("id")["why_not_counted"]
    assert why["P17"] == "capacity not published or no unit"  # e-VAC
    assert why["P10"] == "on hold / uncertain"  # Seadrift
    assert why["P19B"] == "no target date"
    assert why["P02"] == "2025 production, not capacity (drawn as a point)"
    assert why["P13C"] == "2026 target, not capacity (drawn as a marker)"
    assert why["P18"] == "2030 goal, not capacity (drawn as a marker)"
    assert "P04" not in why.index  # inside MP's 10,000 t/yr, not lost


def test_timeline_places_every_project(data: SupplyData) -> None:
    tl = capacity.timeline_frame(data.pipeline)
    when = tl.set_index("id")["when"]
    assert when["P05"] == "2028" and when["P15"] == "in service" and when["P21"] == "no date"
    assert when["P02"] == "in service"  # its 2025 is the year produced, not a target
    assert tl.set_index("id").loc["P13C", "charted_as"] == "target marker"
    assert capacity.timeline_domain(tl)[0] == "in service"
    assert capacity.timeline_domain(tl)[-1] == "no date"
    assert len(tl) == len(data.pipeline)


# --------------------------------------------------------------------------- sentences and gap


def test_gap_row_compares_one_edition_and_reports_revisions_apart(data: SupplyData) -> None:
    mining, magnets, nir = headline.gap_row(data)
    assert (nir.value, nir.year, nir.edition) == (67.0, 2025, LATEST)
    assert (nir.previous_value, nir.previous_year, nir.change) == (53.0, 2024, 14.0)
    assert nir.outlook == "worse"  # reliance rose: bad news for the West
    assert nir.revision.text == "MCS2026 v1.3 revised 2024 from 80% (MCS2025) to 53%"
    assert (mining.value, mining.previous_value, mining.change) == (69.2, 71.1, -1.9)
    assert mining.outlook == "better"
    assert magnets.change is None and magnets.outlook is None


def test_import_dependence_keeps_bounds_and_editions(data: SupplyData) -> None:
    imp = imports.import_dependence(data.us_trade)
    value = imp[(imp["metric"] == imports.IMPORT_VALUE) & imp["latest"]].set_index("year")
    assert value.loc[2024, "value"] == 168 and value.loc[2024, "edition"] == LATEST
    assert value.loc[2025, "value"] == 165
    bound = imp[(imp["metric"] == imports.NIR) & (imp["year"] == 2022) & imp["latest"]].iloc[0]
    assert bound["value_label"] == ">95%" and bound["hollow"]
    weak = imp[(imp["edition"] == "MCS2018")]
    assert weak["hollow"].all() and (weak["confidence"] == "unverified").all()
    assert not weak["latest"].any()  # the line never starts from the unverified mirror
    line = imp[imp["latest"]]
    assert (line["point_edition"] != "").all() and set(line["series"]) == {
        "newest edition for each year"
    }


def test_rebased_prices_each_at_own_start() -> None:
    tidy = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-03", "2025-01-06"]),
            "symbol": ["MP", "MP", "USAR", "USAR"],
            "adj_close": [10.0, 12.0, 5.0, 4.0],
        }
    )
    out = equities.rebased_prices(tidy, ["MP", "USAR"], None).set_index(["symbol", "date"])
    assert out.loc[("MP", pd.Timestamp("2025-01-03")), "rebased"] == pytest.approx(120.0)
    assert out.loc[("USAR", pd.Timestamp("2025-01-06")), "rebased"] == pytest.approx(80.0)


def test_company_capacity_lists_units_separately(data: SupplyData) -> None:
    text = equities.company_capacity(data.pipeline, "MP", 2028)
    assert "10,000 t/yr NdFeB magnets" in text and "produced 2,599 t NdPr oxide in 2025" in text
    assert equities.company_capacity(data.pipeline, "ARU.AX", 2028) == "no dated capacity"


# --------------------------------------------------------------------------- charts


def test_mine_production_chart_spec(data: SupplyData) -> None:
    chart = sc.mine_production_chart(production.china_vs_rest(data.production, LATEST))
    spec = chart.to_dict()
    enc = spec["encoding"]
    assert enc["y"]["field"] == "tonnes_reo" and enc["color"]["field"] == "group"
    titles = {t["title"] for t in enc["tooltip"]}
    assert {"Edition", "Source", "Confidence", "Unit"} <= titles
    assert spec_size(chart) <= 100 * 1024


def test_vintage_chart_offsets_editions(data: SupplyData) -> None:
    frame = production.country_series(data.production, "Australia", [PREVIOUS, LATEST])
    enc = sc.vintage_chart(frame, "Australia").to_dict()["encoding"]
    assert enc["xOffset"]["field"] == "edition" and enc["xOffset"]["sort"] == [PREVIOUS, LATEST]


def test_share_chart_lines_by_series_and_hollow_unverified(data: SupplyData) -> None:
    chart = sc.china_share_chart(production.share_points(data.china_share))
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
    bars = capacity.pipeline_by_year(data.pipeline)
    markers = capacity.pipeline_markers(data.pipeline)
    chart = cc.pipeline_chart(
        bars, data.targets, capacity.pipeline_panels(bars, markers), markers=markers
    )
    spec = chart.to_dict()
    panels = [p for row in spec["vconcat"] for p in row["hconcat"]]
    assert len(panels) == len(capacity.pipeline_panels(bars, markers))
    titles = [p["layer"][0]["encoding"]["y"]["title"] for p in panels]
    assert "t/yr NdFeB magnets" in titles and "t/yr NdPr oxide" in titles
    magnets = panels[titles.index("t/yr NdFeB magnets")]
    # bars, DoD-MP and India target rules, their labels, the USAR target marker and its label
    assert len(magnets["layer"]) == 5
    datasets = spec["datasets"]
    marker = datasets[magnets["layer"][3]["data"]["name"]]
    assert [(r["id"], r["year"], r["value"]) for r in marker] == [("P13C", 2026, 10000.0)]
    assert magnets["layer"][3]["mark"]["type"] == "point"
    rule_data = datasets[magnets["layer"][1]["data"]["name"]]
    assert sorted(r["target_value"] for r in rule_data) == [6000.0, 10000.0]
    assert spec_size(chart) <= 100 * 1024


def test_timeline_and_import_charts(data: SupplyData) -> None:
    tl = capacity.timeline_frame(data.pipeline)
    chart = cc.timeline_chart(tl, capacity.timeline_domain(tl), data.targets)
    spec = chart.to_dict()
    assert spec["layer"][0]["mark"]["type"] == "rule"  # target years
    assert spec["layer"][1]["encoding"]["color"]["field"] == "status"
    assert spec_size(chart) <= 100 * 1024
    imp = imports.import_dependence(data.us_trade)
    for metric in (imports.NIR, imports.IMPORT_VALUE):
        ch = sc.import_dependence_chart(imp, metric)
        assert ch.to_dict()["layer"][2]["mark"]["filled"] is False
        assert spec_size(ch) <= 100 * 1024


def test_gap_with_a_single_year_has_no_change(data: SupplyData) -> None:
    only = data.production[
        (data.production["edition"] == LATEST) & (data.production["year"] == 2025)
    ]
    fig = headline.mining_share_gap(only)
    assert (fig.value, fig.previous_year, fig.change, fig.revision) == (69.2, None, None, None)
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
    valued = rows[rows["capacity_value"].notna()]
    units = set(valued["unit"])
    if len(units) > 1 or not valued["capacity_basis"].isin(["nameplate", "phase"]).all():
        with pytest.raises(capacity.MixedUnitsError):
            capacity.sum_capacity(rows)
    else:
        assert capacity.sum_capacity(rows) == float(rows["capacity_value"].sum())


@_FAST
@given(hs.sets(hs.sampled_from(_IDS), min_size=1))
def test_capacity_in_place_never_falls_as_years_pass(ids: set[str]) -> None:
    """A project replaced by a larger total (Independence inside MP's 10,000 t) never shrinks it."""
    pipe = _DATA.pipeline[_DATA.pipeline["id"].isin(ids)]
    previous: dict[tuple[str, str], float] = {}
    for year in capacity.PIPELINE_YEARS:
        totals = capacity.stage_totals(pipe, year)
        now = {(r.stage, r.unit): r.capacity for r in totals.itertuples()}
        for key, value in previous.items():
            assert now.get(key, 0.0) >= value, (key, year)
        previous = now


@_FAST
@given(hs.sampled_from(_EDITIONS), hs.sampled_from(_EDITIONS))
def test_revisions_are_antisymmetric(old: str, new: str) -> None:
    forward = production.revisions(_DATA.production, old, new).set_index(["country", "year"])
    backward = production.revisions(_DATA.production, new, old).set_index(["country", "year"])
    assert set(forward.index) == set(backward.index)
    for key in forward.index:
        assert forward.loc[key, "change"] == -backward.loc[key, "change"]


@_FAST
@given(hs.sampled_from(_EDITIONS))
def test_china_plus_rest_is_the_world_total(edition: str) -> None:
    cvr = production.china_vs_rest(_DATA.production, edition)
    prod = _DATA.production[_DATA.production["edition"] == edition]
    world = prod[prod["country"] == production.WORLD].set_index("year")["tonnes_reo"]
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
