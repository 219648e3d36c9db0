"""The supply gap told truly: same-basis deltas, capacity that is capacity, the scoreboard,
and honest stitched series. Expected values are written by hand from the shared fact base
(../shared/research/supply.md), never computed by the code under test."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.supply import capacity, editions, headline, imports, production, scoreboard
from lib.supply.load import SupplyData, load_supply

LATEST, PREVIOUS = "MCS2026 v1.3", "MCS2025"


@pytest.fixture(scope="module")
def data() -> SupplyData:
    return load_supply()


# --------------------------------------------------------------------------- same-basis deltas

#: (figure, value, year, previous value, previous year, change, outlook) from supply.md:
#: U7 (net import reliance 53 % in 2024, 67 % in 2025, both MCS2026), C2/C3 (China mining
#: share 71.1 % in 2024 and 69.2 % in 2025 from MCS2026), C8 (IEA magnets 94 %, 2024).
FACT_BASE = [
    ("US net import reliance", 67.0, 2025, 53.0, 2024, 14.0, "worse"),
    ("China's share of mining", 69.2, 2025, 71.1, 2024, -1.9, "better"),
    ("China's share of magnet making", 94.0, 2024, None, None, None, None),
]


@pytest.mark.parametrize(("label", "value", "year", "prev", "prev_year", "change", "outlook"),
                         FACT_BASE)  # fmt: skip
def test_headline_change_is_same_edition_consecutive_years(
    data: SupplyData,
    label: str,
    value: float,
    year: int,
    prev: float | None,
    prev_year: int | None,
    change: float | None,
    outlook: str | None,
) -> None:
    fig = next(f for f in headline.gap_row(data) if f.label == label)
    assert (fig.value, fig.year) == (value, year)
    assert (fig.previous_value, fig.previous_year) == (prev, prev_year)
    assert fig.change == change
    assert fig.outlook == outlook


@pytest.mark.parametrize(
    ("label", "text"),
    [
        # supply.md gap 3: net import reliance 80% -> 53% (MCS2025 -> MCS2026) for 2024.
        ("US net import reliance", "MCS2026 v1.3 revised 2024 from 80% (MCS2025) to 53%"),
        # C2: 69.2% (MCS2025) -> 71.1% (MCS2026) for 2024, the world total revised down.
        ("China's share of mining", "MCS2026 v1.3 revised 2024 from 69.2% (MCS2025) to 71.1%"),
    ],
)
def test_revision_between_editions_is_a_separate_labelled_figure(
    data: SupplyData, label: str, text: str
) -> None:
    fig = next(f for f in headline.gap_row(data) if f.label == label)
    assert fig.revision is not None and fig.revision.text == text
    assert "since 2024 (same edition)" in fig.change_label
    assert "MCS2025" not in fig.change_label  # the change never compares editions


def test_rising_reliance_is_bad_news_whatever_the_sign() -> None:
    up = headline.GapFigure("x", 67, "", "%", 2025, LATEST, "", "", "", 53, "", 2024, 14.0)
    down = headline.GapFigure("x", 53, "", "%", 2025, LATEST, "", "", "", 67, "", 2024, -14.0)
    assert (up.outlook, down.outlook) == ("worse", "better")
    same = headline.GapFigure("x", 53, "", "%", 2025, LATEST, "", "", "", 53, "", 2024, 0.0)
    assert same.outlook == "unchanged"


def test_a_bound_in_the_previous_year_gives_no_change(data: SupplyData) -> None:
    """MCS2026 gives >90 % for 2023: a bound, so 2024's 53 % is not compared with it."""
    us = data.us_trade[~((data.us_trade["edition"] == LATEST) & (data.us_trade["year"] == 2025))]
    fig = headline.import_reliance_gap(us)
    assert (fig.value, fig.year, fig.previous_label, fig.change) == (53.0, 2024, ">90%", None)
    assert fig.change_label.startswith("change not computed: 2023 is a bound")


# --------------------------------------------------------------------------- capacity


def test_production_phase_and_goal_land_where_they_belong(data: SupplyData) -> None:
    """P02 (MP's 2025 production), P13 (USA Rare Earth: phase 1 / nameplate / target) and
    P18 (Solvay's 2030 goal): only phase and nameplate figures become bars."""
    ids = ["P02", "P13", "P13B", "P13C", "P18"]
    pipe = data.pipeline[data.pipeline["id"].isin(ids)]
    bars = capacity.pipeline_by_year(pipe)
    by = bars.groupby(["stage", "year"])["capacity"].sum()
    assert by[("magnets", 2026)] == 1_200  # phase 1, not the 10,000 t/yr target
    assert by[("magnets", 2030)] == 1_200  # the 4,800 nameplate has no date
    assert ("separation/refining", 2025) not in by.index  # production is not capacity
    assert bars[bars["unit"] == "t/yr magnet RE oxides"].empty  # Solvay's goal is no bar
    markers = capacity.pipeline_markers(pipe).set_index("id")
    assert markers.loc["P02", ["year", "value", "basis"]].tolist() == [2025, 2_599.0, "production"]
    assert markers.loc["P13C", ["year", "value", "basis"]].tolist() == [2026, 10_000.0, "target"]
    assert markers.loc["P18", ["year", "value", "basis"]].tolist() == [2030, 4_500.0, "goal"]
    assert set(markers.index) == {"P02", "P13C", "P18"}


def test_every_figure_says_what_it_is(data: SupplyData) -> None:
    basis = data.pipeline.set_index("id")["capacity_basis"]
    assert basis[["P01", "P02"]].tolist() == ["production", "production"]
    assert basis[["P13", "P13B", "P13C"]].tolist() == ["phase", "nameplate", "target"]
    assert basis["P18"] == "goal"
    assert set(basis[data.pipeline.set_index("id")["capacity_value"].isna()]) == {"not comparable"}


def test_timeline_gives_each_split_row_its_own_line(data: SupplyData) -> None:
    tl = capacity.timeline_frame(data.pipeline).set_index("id")
    assert tl["label"].is_unique
    assert tl.loc["P13C", "label"].endswith("(target)") and tl.loc["P13C", "when"] == "2026"
    assert tl.loc["P13B", "when"] == "no date"


def test_western_separation_total_has_no_production_in_it(data: SupplyData) -> None:
    """Lynas Malaysia 10,500 + Energy Fuels phase 1 1,000 + Aclara 1,400 t/yr NdPr oxide by
    2028 (supply.md P08, P11, P23); MP's 2,599 t (P02) is what it produced, not capacity."""
    totals = capacity.stage_totals(data.pipeline, 2028).set_index(["stage", "unit"])
    assert totals.loc[("separation/refining", "t/yr NdPr oxide"), "capacity"] == 12_900


# --------------------------------------------------------------------------- scoreboard


def test_scoreboard_rows_per_stage(data: SupplyData) -> None:
    rows = {r.stage: r for r in scoreboard.scoreboard(data, today=2026, by=2028)}
    assert list(rows) == ["mining", "separation", "metal", "magnets"]
    mining = rows["mining"]
    assert "270,000 t REO" in mining.china and mining.china_source == "USGS MCS2026 v1.3, 2025"
    assert mining.ratio_value == pytest.approx(50_692 / 270_000)
    assert "both are output, not capacity" in mining.ratio
    assert mining.outlook == "better" and "-1.9 pp since 2024" in mining.trend
    sep = rows["separation"]
    assert sep.west_now_t == {"t/yr NdPr oxide": 11_500.0}  # Lynas 10,500 + Energy Fuels 1,000
    assert sep.ratio.startswith("not comparable") and sep.ratio_value is None
    assert "91%" in sep.china
    metal = rows["metal"]
    assert metal.china.startswith("not found") and metal.ratio.startswith("not comparable")
    magnets = rows["magnets"]
    assert magnets.west_now_t == {"t/yr NdFeB magnets": 4_000.0}  # Noveon + Neo phase 1
    assert magnets.west_by_t == {"t/yr NdFeB magnets": 15_200.0}
    assert magnets.ratio_value == pytest.approx(15_200 / 240_000)
    assert "capacity is a ceiling on output, not output" in magnets.ratio
    assert magnets.trend == "no earlier figure on the same basis"


def test_scoreboard_sentences_say_capacity_is_not_output(data: SupplyData) -> None:
    rows = {r.stage: r for r in scoreboard.scoreboard(data, today=2026, by=2028)}
    mag = rows["magnets"].sentence
    assert "15,200 t/yr" in mag and "~240,000 t" in mag and "not output" in mag
    assert "2026 target, not capacity" in mag and "Vulcan Elements" in mag
    assert "not in our fact base" in rows["separation"].sentence
    assert not rows["separation"].comparable and rows["magnets"].comparable


def test_scoreboard_frame_compact_and_full(data: SupplyData) -> None:
    rows = scoreboard.scoreboard(data, today=2026)
    full = scoreboard.scoreboard_frame(rows)
    compact = scoreboard.scoreboard_frame(rows, compact=True)
    assert list(compact.columns) == ["stage", "china", "west_now", "west_by", "ratio"]
    short = compact.set_index("stage")["ratio"]
    assert short["Mining"] == "19% (MP Materials, 2025 output, against China's)"
    assert short["Metal making"] == "not comparable"
    assert {"china_source", "trend", "confidence", "source_url"} <= set(full.columns)
    assert len(full) == len(compact) == 4


# --------------------------------------------------------------------------- honest series


def test_headline_production_spans_2010_to_2025_newest_edition_each(data: SupplyData) -> None:
    split = production.newest_split(data.production)
    assert (split["year"].min(), split["year"].max()) == (2010, 2025)
    by = split.groupby("year")["edition_short"].first()
    assert by[2010] == "DS140" and by[2020] == "MYB2022" and by[2023] == "MCS2025"
    assert by[2025] == "MCS2026"
    china = split[split["group"] == production.CHINA].set_index("year")["tonnes_reo"]
    assert china[2018] == 120_000 and china[2025] == 270_000  # supply.md S4, S15
    assert set(split.loc[split["year"] < 2018, "group"]) == {production.NO_SPLIT}
    assert (split.groupby("year")["edition"].nunique() == 1).all()


def test_stitched_share_line_is_named_and_each_point_has_its_edition(data: SupplyData) -> None:
    pts = production.share_points(data.china_share)
    usgs = pts[pts["publisher"] == "USGS (derived)"]
    assert set(usgs["series"]) == {
        "USGS: China over world mine output (newest edition for each year)"
    }
    on_line = usgs[usgs["latest_vintage"]].set_index("year")["point_edition"]
    assert on_line[2018] == "MYB2022" and on_line[2023] == "MCS2025" and on_line[2025] == "MCS2026"
    iea = pts[pts["basis"] == "IEA commentary: share of separation"]
    assert (iea["point_edition"] == "").all()  # one edition: not stitched


@pytest.mark.parametrize(
    ("edition", "quota"),
    [("MCS2025", True), ("MYB2022 T8", True), (LATEST, False), ("DS140 (2020 ed.)", False)],
)
def test_quota_wording_follows_the_edition(edition: str, quota: bool) -> None:
    note = editions.quota_note(edition)
    assert ("marks China's figure as its official quota" in note
            and "no longer" not in note) is quota  # fmt: skip


def test_mcs2026_rows_do_not_claim_a_quota(data: SupplyData) -> None:
    split = production.china_vs_rest(data.production, LATEST)
    how = split.loc[split["group"] == production.CHINA, "how"]
    assert how.str.contains("no longer marks").all()
    assert not data.china_share["basis"].str.contains("quota").any()


def test_import_line_never_joins_the_unverified_mirror(data: SupplyData) -> None:
    imp = imports.import_dependence(data.us_trade)
    value = imp[(imp["metric"] == imports.IMPORT_VALUE) & imp["latest"]].set_index("year")
    assert 2016 not in value.index  # only the MCS2018 mirror has 2016: a hollow point alone
    assert value.loc[2017, "edition"] == "MCS2019"
    nir = imp[(imp["metric"] == imports.NIR) & imp["latest"]].set_index("year")
    assert nir.loc[2024, "value"] == 53 and nir.loc[2024, "point_edition"] == "MCS2026"
    assert nir.loc[2014, "point_edition"] == "MCS2019"


def test_newest_per_year_prefers_the_later_edition() -> None:
    frame = pd.DataFrame(
        {"edition": ["MCS2025", "MCS2026 v1.3", "MCS2024"], "year": [2024, 2024, 2023]}
    )
    assert editions.newest_per_year(frame).tolist() == [False, True, True]
