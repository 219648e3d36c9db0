"""Projection maths against the fact base (section 2) and the shipped price snapshot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hst

from lib.datafiles import read_raw
from lib.outlook import consensus as cs
from lib.outlook import growth as gr
from lib.outlook import ndpr as nd
from lib.outlook import projections as pj
from lib.prices import PriceStore
from lib.ui.views import outlook as outlook_view
from tests import hypothesis_profiles  # noqa: F401  (loads the ci/fuzz profile)

C, W, B, L, U, S = (
    pj.FLAG_CAGR,
    pj.FLAG_WINDOW,
    pj.FLAG_BACK_SOLVED,
    pj.FLAG_LOWER_BOUND,
    pj.FLAG_UNVERIFIED,
    pj.FLAG_SUPERSEDED,
)


@pytest.fixture(scope="module")
def proj() -> pd.DataFrame:
    return pj.load_projections()


@pytest.fixture(scope="module")
def checks(proj: pd.DataFrame) -> pd.DataFrame:
    return pj.cagr_checks(proj).set_index("id")


@pytest.fixture(scope="module")
def paths(proj: pd.DataFrame) -> pd.DataFrame:
    return pj.projection_paths(proj)


# --------------------------------------------------------------------------- CAGR maths


@pytest.mark.parametrize(
    ("base", "target", "years", "expected"),
    [
        (100.0, 121.0, 2, 0.10),
        (1.0, 2.0, 1, 1.0),
        (50.0, 50.0, 7, 0.0),
        (100.0, 81.0, 2, -0.10),
        (12.1, 20.87, 8, 0.070513),  # M10: the fact base's 7.05%
        (3.95, 6.28, 6, 0.080340),  # R6: 8.03%
        (5.84, 11.78, 5, 0.150659),  # R7 over its stated 5-year window: 15.07%
        (0.0, 10.0, 3, math.nan),
        (-1.0, 10.0, 3, math.nan),
        (10.0, 20.0, 0, math.nan),
        (math.nan, 20.0, 3, math.nan),
    ],
)
def test_implied_cagr(base: float, target: float, years: float, expected: float) -> None:
    got = pj.implied_cagr(base, target, years)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=5e-7)


# Implied CAGR (percent, as printed in facts section 2) and the exact set of flags.
FACT_ROWS = [
    ("M1", 6.28, {W}),
    ("M1b", 6.28, set()),
    ("M2", 12.12, {S}),
    ("M3", 9.80, set()),
    ("M4", 7.37, set()),
    ("M4b", 7.15, set()),
    ("M5", 4.65, {W}),
    ("M6", math.nan, {B, L}),
    ("M7", 8.70, set()),
    ("M8", 8.02, set()),
    ("M9", 8.28, {W}),
    ("M10", 7.05, {C}),
    ("M11", 18.04, {S}),
    ("M12", 8.98, {S}),
    # M13 is now superseded: M14 (Adamas 2024 edition, same series) replaces it.
    ("M13", 10.25, {S}),
    # M14 is not in facts.md: (44.1 / 7.8) ** (1 / 16) - 1 = 11.435 %, no value CAGR stated.
    ("M14", 11.435, set()),
    ("R1", 9.29, {W}),
    ("R1b", math.nan, {B, S}),
    ("R2", 11.81, set()),
    # R3 is now superseded: R10 (Mar 2025) and R11 (Jan 2026) are later editions of its report.
    ("R3", 10.27, {S}),
    ("R4", 8.72, {W, U}),
    ("R5", 6.23, {U}),
    ("R6", 8.03, {C, U}),
    ("R7", 12.41, {W, U}),
    ("R8", 5.78, set()),
    ("R9", 8.01, {L, U}),
    # Not in facts.md: (14.7 / 7.2) ** (1 / 7) - 1 = 10.735 % vs 10.6 % stated (inside 0.3 pp);
    # superseded by R11.
    ("R10", 10.735, {S}),
    # Not in facts.md: (15.4 / 7.8) ** (1 / 7) - 1 = 10.206 % vs 10.2 % stated.
    ("R11", 10.21, set()),
]


@pytest.mark.parametrize(
    ("row_id", "implied_pct", "flags"), FACT_ROWS, ids=[r[0] for r in FACT_ROWS]
)
def test_fact_base_implied_cagr_and_flags(
    checks: pd.DataFrame, row_id: str, implied_pct: float, flags: set[str]
) -> None:
    row = checks.loc[row_id]
    if math.isnan(implied_pct):
        assert math.isnan(row["implied_cagr_pct"])
    else:
        assert row["implied_cagr_pct"] == pytest.approx(implied_pct, abs=0.006)
    assert set(row["flags"]) == flags


def test_every_data_row_is_checked(proj: pd.DataFrame, checks: pd.DataFrame) -> None:
    assert len(proj) >= 25
    assert set(checks.index) == {r[0] for r in FACT_ROWS}


@pytest.mark.parametrize(
    ("row_id", "gap_pp"),
    [("M10", 1.25), ("R6", 0.57), ("M9", 0.19), ("M8", 0.08), ("R7", 0.01)],
)
def test_gap_between_stated_and_implied(checks: pd.DataFrame, row_id: str, gap_pp: float) -> None:
    assert checks.loc[row_id, "gap_pp"] == pytest.approx(gap_pp, abs=0.006)


def test_r7_window_mismatch_shows_what_the_stated_window_would_imply(checks: pd.DataFrame) -> None:
    r7 = checks.loc["R7"]
    assert r7["stated_window"] == "2023–2028"
    assert r7["implied_window_cagr_pct"] == pytest.approx(15.07, abs=0.006)
    assert math.isnan(checks.loc["M10", "implied_window_cagr_pct"])  # no window stated


@pytest.mark.parametrize("row_id", ["M8", "M10", "R5", "R6", "R8"])
def test_rows_without_a_stated_window_show_none(checks: pd.DataFrame, row_id: str) -> None:
    # facts section 2 gives these CAGRs with no window, so none is shown or compounded over
    assert checks.loc[row_id, "stated_window"] == ""
    assert math.isnan(checks.loc[row_id, "implied_window_cagr_pct"])
    assert pj.FLAG_WINDOW not in checks.loc[row_id, "flags"]


def test_newer_editions_chain_to_the_ones_they_replace(proj: pd.DataFrame) -> None:
    p = proj.set_index("id")
    assert (p.loc["M14", "supersedes"], p.loc["M14", "edition_group"]) == (
        "M13",
        "Adamas-magnet-REO",
    )
    assert p.loc["M14", "published"] == pd.Timestamp("2024-09-02")
    assert (p.loc["M14", "base_year"], p.loc["M14", "base_value"]) == (2024, 7.8)
    assert (p.loc["M14", "target_year"], p.loc["M14", "target_value"]) == (2040, 44.1)
    assert p.loc["R10", "supersedes"] == "R3" and p.loc["R11", "supersedes"] == "R10"
    assert set(p.loc[["R3", "R10", "R11"], "edition_group"]) == {"PMR-REE"}
    assert (p.loc["R11", "base_value"], p.loc["R11", "target_value"]) == (7.8, 15.4)
    assert (p.loc["R11", "cagr_start_year"], p.loc["R11", "cagr_end_year"]) == (2026, 2033)
    assert p.loc["R3", "superseded_by"] == "R10" and p.loc["R10", "superseded_by"] == "R11"


def test_flag_threshold_is_strictly_more_than_point_three() -> None:
    row = pd.Series(
        {
            "stated_cagr_pct": 10.3,
            "cagr_start_year": pd.NA,
            "cagr_end_year": pd.NA,
            "base_year": 2020,
            "target_year": 2030,
            "base_value": 1.0,
            "lower_bound": False,
            "publisher_verified": True,
            "superseded": False,
        }
    )
    assert pj.row_flags(row, 10.0) == []
    assert pj.row_flags(row, 9.99) == [pj.FLAG_CAGR]


# --------------------------------------------------------------------------- paths


def test_paths_hit_published_base_and_target_exactly(
    proj: pd.DataFrame, paths: pd.DataFrame
) -> None:
    for _, r in proj.iterrows():
        p = paths[paths["id"] == r["id"]].sort_values("year")
        assert p["year"].tolist() == list(range(r["base_year"], r["target_year"] + 1))
        assert p["value"].iloc[-1] == r["target_value"]
        if not pd.isna(r["base_value"]):
            assert p["value"].iloc[0] == r["base_value"]


@pytest.mark.parametrize(
    ("base", "target", "b", "t"),
    [(10.0, 20.0, 2020, 2030), (8.782, 13.222, 2024, 2033), (100.0, 90.0, 2025, 2027)],
)
def test_path_is_constant_growth(base: float, target: float, b: int, t: int) -> None:
    row = pd.Series(
        {
            "id": "X1",
            "publisher": "P",
            "published": pd.Timestamp("2025-01-01"),
            "scope": "NdFeB magnets",
            "unit": "USD bn",
            "base_year": b,
            "target_year": t,
            "base_value": base,
            "target_value": target,
            "stated_cagr_pct": math.nan,
            "cagr_start_year": pd.NA,
            "cagr_end_year": pd.NA,
            "lower_bound": False,
            "publisher_verified": True,
            "superseded": False,
            "superseded_by": "",
            "edition_group": "",
        }
    )
    path = pj.yearly_path(row)
    g = pj.implied_cagr(base, target, t - b)
    expected = [base * (1 + g) ** k for k in range(t - b + 1)]
    assert path["value"].tolist() == pytest.approx(expected, rel=1e-12)
    ratios = path["value"].iloc[1:].to_numpy() / path["value"].iloc[:-1].to_numpy()
    assert np.allclose(ratios, 1 + g)


def test_back_solved_base_uses_the_stated_cagr(paths: pd.DataFrame) -> None:
    m6 = paths[paths["id"] == "M6"].sort_values("year")
    assert m6["value"].iloc[0] == pytest.approx(9.19 / 1.039**10)
    assert m6["value"].iloc[0] == pytest.approx(6.27, abs=0.005)  # facts: back-solves to ≈6.27
    assert m6["base_back_solved"].all() and m6["lower_bound"].all()


def test_split_release_is_one_continuous_series(paths: pd.DataFrame) -> None:
    nd = paths[paths["scope"] == "NdFeB magnets"]
    assert nd["series"].nunique() == 1
    assert sorted(nd["year"].unique()) == list(range(2025, 2031))


# --------------------------------------------------------------------------- consensus


def _toy_paths(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["scope", "unit", "series", "year", "value"])
    return df.assign(unverified=False, lower_bound=False, superseded=False, publisher="p")


def test_consensus_never_mixes_scopes() -> None:
    toy = _toy_paths(
        [
            ("rare-earth magnets", "USD bn", "A", 2030, 10.0),
            ("rare-earth magnets", "USD bn", "B", 2030, 30.0),
            ("all permanent magnets", "USD bn", "C", 2030, 100.0),
            ("all permanent magnets", "USD bn", "D", 2030, 200.0),
            ("all permanent magnets", "USD bn", "E", 2030, 300.0),
        ]
    )
    c = cs.consensus(toy).set_index("scope")
    assert c.loc["rare-earth magnets", ["min", "median", "max", "n"]].tolist() == [10, 20, 30, 2]
    assert c.loc["all permanent magnets", ["min", "median", "max", "n"]].tolist() == [
        100,
        200,
        300,
        3,
    ]


def test_consensus_refuses_a_scope_with_two_units() -> None:
    toy = _toy_paths([("x", "USD bn", "A", 2030, 1.0), ("x", "kt", "B", 2030, 2.0)])
    with pytest.raises(ValueError, match="mix units"):
        cs.consensus(toy)


def test_real_consensus_stays_inside_its_own_scope(paths: pd.DataFrame) -> None:
    inputs = cs.consensus_inputs(paths)
    cons = cs.consensus(inputs)
    for (scope, year), row in cons.set_index(["scope", "year"]).iterrows():
        own = inputs[(inputs["scope"] == scope) & (inputs["year"] == year)]
        assert row["min"] >= own["value"].min() - 1e-9
        assert row["max"] <= own["value"].max() + 1e-9
        assert row["n"] == own["series"].nunique()
    assert set(cons["scope"]) == set(inputs["scope"])


def test_consensus_inputs_drop_superseded_lower_bounds_and_optionally_unverified(
    paths: pd.DataFrame,
) -> None:
    ids = set(cs.consensus_inputs(paths)["id"])
    assert {"M2", "M11", "M12", "R1b", "M6", "R9"}.isdisjoint(ids)
    # M13 and R3 gave way to their newer editions M14 and R11, so those are the ones kept.
    assert {"M13", "R3", "R10"}.isdisjoint(ids)
    assert {"M3", "M14", "R1", "R6", "R11"} <= ids
    verified_only = set(cs.consensus_inputs(paths, include_unverified=False)["id"])
    assert {"R4", "R5", "R6", "R7"}.isdisjoint(verified_only)


def test_one_release_gets_one_vote(paths: pd.DataFrame) -> None:
    cons = cs.consensus(cs.consensus_inputs(paths)).set_index(["scope", "year"])
    assert cons.loc[("NdFeB magnets", 2026), "n"] == 1  # M4 and M4b both give 2026
    assert cons.loc[("NdFeB magnets", 2026), "median"] == 28.34
    assert cons.loc[("rare-earth magnets", 2026), "n"] == 2  # Reportprime + PMR Jan 2026


# --------------------------------------------------------------------------- rebasing


def test_rebasing_puts_every_series_at_100_and_keeps_growth(paths: pd.DataFrame) -> None:
    inputs = cs.consensus_inputs(paths[paths["scope"] == "all permanent magnets"])
    rebased = cs.rebase_paths(inputs, 2025)
    assert set(rebased["unit"]) == {"index"}
    starts = rebased[rebased["year"] == 2025]
    assert starts["value"].tolist() == pytest.approx([100.0] * len(starts))
    m7 = rebased[rebased["series"].str.startswith("Persistence")].set_index("year")["value"]
    assert m7[2032] == pytest.approx(78.65 / 43.86 * 100)
    assert rebased["year"].min() == 2025


def test_rebasing_drops_series_that_do_not_cover_the_start(paths: pd.DataFrame) -> None:
    inputs = cs.consensus_inputs(paths[paths["scope"] == "rare-earth magnets"])
    rebased = cs.rebase_paths(inputs, 2024)
    assert rebased["series"].nunique() == 1  # PMR's current edition starts in 2026
    assert rebased["publisher"].unique().tolist() == ["Reportprime"]


def test_growth_years_and_best_start(paths: pd.DataFrame) -> None:
    inputs = cs.consensus_inputs(paths[paths["scope"] == "rare-earth elements"])
    years = cs.growth_years(inputs)
    # R11 (PMR Jan 2026 edition, 2026-33) replaced R3 (2024-31): the last start year with a
    # following year is now 2032, and 2026 is the first year R2, R6 and R11 all cover.
    assert years[0] == 2023 and years[-1] == 2032
    assert cs.best_start_year(inputs, years) == 2026
    assert cs.best_start_year(inputs, []) is None


def test_scenario_path() -> None:
    s = cs.scenario_path(2025, 20.0, 10.0, 2028)
    assert s["year"].tolist() == [2025, 2026, 2027, 2028]
    assert s["value"].tolist() == pytest.approx([20.0, 22.0, 24.2, 26.62])
    with pytest.raises(cs.ScenarioError, match="positive market size"):
        cs.scenario_path(2025, 0.0, 5.0, 2030)
    with pytest.raises(cs.ScenarioError, match="end in or after"):
        cs.scenario_path(2030, 1.0, 5.0, 2025)


@pytest.mark.parametrize(
    ("base", "cagr", "year"),
    [
        (1e308, 100.0, 2025),  # overflows to inf in the first step: used to draw an empty chart
        (1e308, 0.0, 2025),
        (1e14, 100.0, 2029),  # 1.6e15 in 2029
        (1.0, 100.0, 2075),  # 2**50 = 1.1e15 after 50 years
    ],
)
def test_a_scenario_too_large_to_chart_is_refused_with_the_year(
    base: float, cagr: float, year: int
) -> None:
    end = 2090
    with pytest.raises(cs.ScenarioError) as info:
        cs.scenario_path(2025, base, cagr, end)
    message = str(info.value)
    assert f"by {year}" in message and "Lower the base or the growth rate" in message


@pytest.mark.parametrize(
    ("base", "cagr"), [(math.inf, 5.0), (math.nan, 5.0), (10.0, math.nan), (10.0, -100.0)]
)
def test_a_scenario_without_finite_inputs_is_refused(base: float, cagr: float) -> None:
    with pytest.raises(cs.ScenarioError):
        cs.scenario_path(2025, base, cagr, 2030)


@given(
    base=hst.floats(min_value=1e-3, max_value=1e308),
    cagr=hst.floats(min_value=-50.0, max_value=100.0),
    years=hst.integers(0, 30),
)
def test_every_drawn_scenario_is_finite_and_within_the_ceiling(
    base: float, cagr: float, years: int
) -> None:
    """What the page's inputs allow either draws finite values or is refused with a sentence."""
    try:
        s = cs.scenario_path(2025, base, cagr, 2025 + years)
    except cs.ScenarioError as exc:
        assert str(exc).endswith(".")
    else:
        assert len(s) == years + 1
        assert np.isfinite(s["value"]).all() and (s["value"] > 0).all()
        assert (s["value"] <= cs.MAX_SCENARIO_VALUE).all()


# --------------------------------------------------------------------------- equities vs forecasts


def _curve(rate: float, years: range) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": list(years), "median": [100 * (1 + rate) ** k for k in range(len(years))]}
    )


@pytest.mark.parametrize(
    ("equity_rate", "verdict"),
    [(0.30, "more"), (0.10, "about the same"), (0.105, "about the same"), (-0.05, "less")],
)
def test_compare_growth_verdicts(equity_rate: float, verdict: str) -> None:
    days = pd.bdate_range("2024-01-02", "2026-06-30")
    t = (days - days[0]).days / 365.25
    level = pd.Series(100 * (1 + equity_rate) ** t, index=days)
    cmp = gr.compare_growth(level, _curve(0.10, range(2024, 2031)), 2024)
    assert cmp is not None
    assert cmp.equity_cagr == pytest.approx(equity_rate, abs=1e-9)
    assert cmp.consensus_cagr == pytest.approx(0.10, abs=1e-9)
    assert cmp.verdict == verdict
    assert verdict in gr.growth_sentence(cmp, "rare-earth magnets", "the basket")


def test_compare_growth_stops_at_the_last_forecast_year() -> None:
    days = pd.bdate_range("2024-01-02", "2026-06-30")
    level = pd.Series(np.linspace(100, 200, len(days)), index=days)
    cmp = gr.compare_growth(level, _curve(0.05, range(2024, 2026)), 2024)
    assert cmp is not None and cmp.end <= pd.Timestamp("2025-01-01")


def test_compare_growth_needs_half_a_year() -> None:
    days = pd.bdate_range("2026-01-02", "2026-03-31")
    level = pd.Series(100.0, index=days)
    assert gr.compare_growth(level, _curve(0.05, range(2026, 2030)), 2026) is None


def test_equity_index_on_snapshot_matches_the_price_ratio(tmp_path: Path) -> None:
    tidy = PriceStore(cache_dir=tmp_path).load(["MP"])
    idx = gr.equity_growth_index(tidy, 2024)
    # The base is the last close of 2023 (2023-12-29), as every period return is measured
    # since issue 14 (it was the first session of 2024 before).
    mp = tidy[tidy["date"] >= "2023-12-29"].set_index("date")["adj_close"].dropna()
    assert idx["date"].iloc[0] == mp.index[0] == pd.Timestamp("2023-12-29")
    assert idx["level"].iloc[0] == 100.0
    assert idx["level"].iloc[-1] == pytest.approx(100 * mp.iloc[-1] / mp.iloc[0], rel=1e-9)


def test_equity_basket_ends_where_all_members_have_prices(tmp_path: Path) -> None:
    tidy = PriceStore(cache_dir=tmp_path).load(["MP", "LYC.AX"])
    idx = gr.equity_growth_index(tidy, 2024)
    ends = tidy.dropna(subset=["adj_close"]).groupby("symbol")["date"].max()
    assert ends["LYC.AX"] < ends["MP"]  # the snapshot's Lynas series stops first
    assert idx["date"].max() == ends.min() == ends["LYC.AX"]
    assert idx["members"].max() == 2
    longer = gr.equity_growth_index(tidy, 2024, common_end=False)
    assert longer["date"].max() > idx["date"].max()


def test_snapshot_comparison_for_rare_earth_magnets(tmp_path: Path, paths: pd.DataFrame) -> None:
    tidy = PriceStore(cache_dir=tmp_path).load(["MP"])
    idx = gr.equity_growth_index(tidy, 2024).set_index("date")["level"]
    inputs = cs.consensus_inputs(paths[paths["scope"] == "rare-earth magnets"])
    growth = cs.consensus(cs.rebase_paths(inputs, 2024))
    cmp = gr.compare_growth(idx, growth, 2024)
    assert cmp is not None
    assert cmp.consensus_cagr == pytest.approx(0.0628, abs=0.0005)  # Reportprime M1 alone
    years = (cmp.end - cmp.start).days / 365.25
    assert cmp.start == pd.Timestamp("2024-01-01")  # the 2023 close is the level at the start
    assert cmp.equity_cagr == pytest.approx((idx[cmp.end] / 100) ** (1 / years) - 1)


# --------------------------------------------------------------------------- NdPr and the table


def test_ndpr_points_convert_plot_and_exclude(tmp_path: Path) -> None:
    facts = nd.load_ndpr()
    fx = PriceStore(cache_dir=tmp_path).load(["CNY=X"]).set_index("date")["adj_close"]
    pts = nd.ndpr_points(facts, fx).set_index("id")
    rate = fx[:"2025-08-26"].iloc[-1]
    assert pts.loc["Q13", "usd_kg"] == pytest.approx(632000 / rate / 1000)
    assert pts.loc["Q13", "converted"] and not pts.loc["Q13", "exact"]
    assert pts.loc["Q6", "usd_kg"] == 173 and not pts.loc["Q6", "converted"]
    assert pts.loc["Q14a", "usd_kg"] == pytest.approx(97.969)
    assert pts.loc["N7", "is_reference"] and pts.loc["N7", "usd_kg"] == 110
    assert (pts.loc["N6", "usd_kg_low"], pts.loc["N6", "usd_kg_high"]) == (75, 85)
    assert not pts.loc["Q16", "exact"]  # derived
    assert {"Q10b", "Q10c", "Q15b", "Q1", "Q11"}.isdisjoint(pts.index)  # not NdPr oxide
    assert "Q2" not in pts.index  # 2019 CNY quote: no rate on disk, table only
    assert pts.loc["N2", "period_end"] == pd.Timestamp("2027-01-01")


def test_checks_table_marks_unverified_and_highlights_flags(checks: pd.DataFrame) -> None:
    table = pj.checks_table(checks.reset_index())
    r6 = table[table["Row"] == "R6"].iloc[0]
    assert r6["Publisher"].endswith("[UNVERIFIED publisher]")
    assert table[table["Row"] == "M6"].iloc[0]["Target"] == "2036: > 9.19"
    assert table[table["Row"] == "R1b"].iloc[0]["Base"] == "2021: not published"
    css = {r: outlook_view.flag_css(table[table["Row"] == r].iloc[0]) for r in ("M10", "R7", "M8")}
    cols = list(table.columns)
    assert css["M10"][cols.index("Gap (pp)")] == outlook_view.FLAG_RED
    assert css["M10"][cols.index("Publisher")] == ""
    assert css["R7"][cols.index("Stated window")] == outlook_view.FLAG_AMBER
    assert set(css["M8"]) == {""}
    assert "rgba(220, 38, 38, 0.22)" in outlook_view.flag_styles(table).to_html()


def test_data_rows_are_sourced_in_https() -> None:
    raw = read_raw("market_projections.csv")
    assert raw["source_url"].str.startswith("https://").all()
    assert len(raw) >= 25


def test_ndpr_table_keeps_figures_as_published_and_marks_unverified() -> None:
    table = nd.ndpr_table(nd.load_ndpr()).set_index("Row")
    assert table.loc["Q1", "Confidence"] == "UNVERIFIED"
    assert table.loc["Q16", "Confidence"] == "DERIVED"
    assert table.loc["Q6", "Confidence"] == "verified"
    assert table.loc["Q2", "As published"] == "302,500 CNY/t (range 300,000–305,000)"
    assert table.loc["Q6", "As published"] == "1,100,000 CNY/t"
    assert table.loc["Q4", "As published"] == "65.3 USD/kg"
    assert table.loc["N7", "USD/kg (source)"] == 110
    assert table["Source"].str.startswith("https://").all()


def test_paths_export_is_full_resolution_csv(paths: pd.DataFrame) -> None:
    import io

    from lib.export import to_csv_bytes

    back = pd.read_csv(io.BytesIO(to_csv_bytes(paths)))
    assert len(back) == len(paths)
    m10 = back[back["id"] == "M10"].sort_values("year")
    assert m10["value"].iloc[0] == 12.1 and m10["value"].iloc[-1] == 20.87
    assert (m10["flags"] == pj.FLAG_CAGR).all()


# --------------------------------------------------------------------------- one scope, end to end


def test_scope_consensus_slices_one_scope_and_builds_its_band(paths: pd.DataFrame) -> None:
    sc = cs.scope_consensus(paths, "rare-earth magnets", include_unverified=True)
    assert set(sc.paths["scope"]) == {"rare-earth magnets"}
    assert sc.unit == str(sc.paths["unit"].iloc[0])
    expected = cs.consensus(cs.consensus_inputs(sc.paths, include_unverified=True))
    pd.testing.assert_frame_equal(sc.band, expected)


def test_equity_vs_consensus_returns_a_typed_comparison(
    tmp_path: Path, paths: pd.DataFrame
) -> None:
    tidy = PriceStore(cache_dir=tmp_path).load(["MP"])
    sc = cs.scope_consensus(paths, "rare-earth magnets", include_unverified=True)
    res = gr.equity_vs_consensus(sc.inputs, tidy, 2024)
    assert isinstance(res, gr.EquityGrowth)
    assert isinstance(res.comparison, gr.GrowthComparison)
    assert res.comparison.consensus_cagr == pytest.approx(0.0628, abs=0.0005)
    assert res.basket["level"].iloc[0] == pytest.approx(100.0)
    # a start year after the prices end: nothing to compare, said with None (not an object)
    assert gr.equity_vs_consensus(sc.inputs, tidy, 2031).comparison is None


def test_comparable_years_need_prices_and_half_a_year(tmp_path: Path, paths: pd.DataFrame) -> None:
    tidy = PriceStore(cache_dir=tmp_path).load(["MP"])
    sc = cs.scope_consensus(paths, "rare-earth magnets", include_unverified=True)
    got = gr.comparable_years(sc.inputs, tidy)
    last_day = tidy["date"].max()
    assert got.years and all(pd.Timestamp(y, 7, 1) <= last_day for y in got.years)
    assert all(y >= tidy["date"].min().year for y in got.years)
    assert got.default in got.years and got.default < last_day.year
    short = tidy[(tidy["date"] >= "2025-01-01") & (tidy["date"] < "2025-03-01")]
    assert gr.comparable_years(sc.inputs, short) == gr.GrowthYears([], None)  # < half a year
