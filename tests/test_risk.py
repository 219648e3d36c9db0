"""Risk maths on real snapshot prices, on hand-made frames, and on generated messy frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import returns
from lib.downsample import points_per_series
from lib.markets import risk, risk_charts
from lib.prices import PriceStore
from lib.universe import basket_members, load_universe

LISTED = {"MP": pd.Timestamp("2020-11-18").date()}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))
    tidy = store.load(["MP", "REMX", "SPY", "LYC.AX", "600111.SS", "300748.SZ", "USAR", "UUUU"])
    return returns.trim_pre_listing(tidy, LISTED).reset_index(drop=True)


def tidy(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["date", "symbol", "adj_close"])
    df["date"] = pd.to_datetime(df["date"])
    return df


# --- drawdown --------------------------------------------------------------------------------


def test_drawdown_hand_made() -> None:
    df = tidy([("2024-01-0" + str(i), "X", p) for i, p in enumerate([10, 12, 6, 9, 12, 13], 1)])
    dd = risk.drawdowns(df)
    assert dd["peak"].tolist() == [10, 12, 12, 12, 12, 13]
    assert dd["drawdown"].tolist() == pytest.approx([0, 0, -0.5, -0.25, 0, 0])
    s = risk.drawdown_summary(dd).iloc[0]
    assert s["max_drawdown"] == pytest.approx(-0.5)
    assert s["peak_date"] == pd.Timestamp("2024-01-02")
    assert s["trough_date"] == pd.Timestamp("2024-01-03")
    assert s["recovered_date"] == pd.Timestamp("2024-01-05")
    assert s["current_drawdown"] == 0


def test_drawdown_real_mp_matches_returns_max_drawdown(real: pd.DataFrame) -> None:
    dd = risk.drawdowns(real[real["symbol"].isin(["MP", "REMX"])])
    assert set(dd.columns) == set(risk.DRAWDOWN_COLUMNS)
    assert (dd["drawdown"] <= 0).all()
    summary = risk.drawdown_summary(dd).set_index("symbol")
    mp = real[real["symbol"] == "MP"].set_index("date")["adj_close"]
    assert summary.loc["MP", "max_drawdown"] == pytest.approx(returns.max_drawdown(mp))
    # Real snapshot: MP fell about 82% from its peak close before the 2025 recovery.
    assert summary.loc["MP", "max_drawdown"] == pytest.approx(-0.8199, abs=1e-3)
    assert summary.loc["MP", "trough_date"] < summary.loc["MP", "recovered_date"]
    peak = mp.loc[summary.loc["MP", "peak_date"]]
    trough = mp.loc[summary.loc["MP", "trough_date"]]
    assert trough / peak - 1 == pytest.approx(summary.loc["MP", "max_drawdown"])


def test_drawdown_peak_is_within_range(real: pd.DataFrame) -> None:
    mp = real[real["symbol"] == "MP"]
    sub = returns.slice_dates(mp, pd.Timestamp("2025-07-01").date(), None)
    dd = risk.drawdowns(sub)
    assert dd["drawdown"].iloc[0] == 0  # first day of the range is its own peak


# --- correlation -----------------------------------------------------------------------------


def test_correlation_real_mp_remx_with_overlap(real: pd.DataFrame) -> None:
    start, end = pd.Timestamp("2025-08-01"), pd.Timestamp("2026-07-31")
    c = risk.correlation_matrix(real[real["symbol"].isin(["MP", "REMX"])], start, end)
    pair = c[(c["symbol_a"] == "MP") & (c["symbol_b"] == "REMX")].iloc[0]
    mp = real[(real["symbol"] == "MP") & real["date"].between(start, end)]
    remx = real[(real["symbol"] == "REMX") & real["date"].between(start, end)]
    r = pd.concat(
        {
            "mp": mp.set_index("date")["adj_close"].pct_change(),
            "remx": remx.set_index("date")["adj_close"].pct_change(),
        },
        axis=1,
    ).dropna()
    assert pair["overlap"] == len(r)
    assert pair["correlation"] == pytest.approx(r["mp"].corr(r["remx"]))
    assert 0.5 < pair["correlation"] < 0.8  # rare-earth names move with the sector ETF
    sym = c[(c["symbol_a"] == "REMX") & (c["symbol_b"] == "MP")].iloc[0]
    assert sym["correlation"] == pair["correlation"]
    diag = c[c["symbol_a"] == c["symbol_b"]]
    assert (diag["correlation"] == 1.0).all()


def test_correlation_own_calendars_not_forward_filled(real: pd.DataFrame) -> None:
    """A Shanghai holiday must not become a zero return: overlap counts only common dates."""
    sub = real[real["symbol"].isin(["600111.SS", "SPY"])]
    c = risk.correlation_matrix(sub)
    ov = risk.correlation_wide(c, "overlap")
    sh = set(sub.loc[sub["symbol"] == "600111.SS", "date"].iloc[1:])
    spy = set(sub.loc[sub["symbol"] == "SPY", "date"].iloc[1:])
    assert ov.loc["600111.SS", "SPY"] == len(sh & spy)
    assert ov.loc["600111.SS", "SPY"] < ov.loc["600111.SS", "600111.SS"]


def test_thin_overlap_is_nan_with_overlap_reported(real: pd.DataFrame) -> None:
    # LYC.AX ends 2026-06-04 in the snapshot; from April only a few common days remain.
    sub = real[real["symbol"].isin(["LYC.AX", "MP"])]
    c = risk.correlation_matrix(sub, start=pd.Timestamp("2026-04-01"), min_overlap=60)
    pair = c[(c["symbol_a"] == "LYC.AX") & (c["symbol_b"] == "MP")].iloc[0]
    assert 0 < pair["overlap"] < 60
    assert np.isnan(pair["correlation"])
    assert not pair["enough_overlap"]
    wide = risk.correlation_wide(c)
    assert list(wide.index) == ["LYC.AX", "MP"] or list(wide.index) == ["MP", "LYC.AX"]


def test_correlation_rejects_bad_minimum() -> None:
    with pytest.raises(risk.RiskInputError):
        risk.correlation_matrix(tidy([("2024-01-01", "X", 1.0)]), min_overlap=1)


def test_missing_column_is_documented_error() -> None:
    with pytest.raises(risk.RiskInputError, match="adj_close"):
        risk.drawdowns(pd.DataFrame({"date": [], "symbol": []}))
    bad_dates = pd.DataFrame({"date": ["not a date"], "symbol": ["X"], "adj_close": [1.0]})
    with pytest.raises(risk.RiskInputError, match="dates"):
        risk.correlation_matrix(bad_dates)


# --- rolling correlation and baskets -----------------------------------------------------------


def test_rolling_correlation_real_mp_remx(real: pd.DataFrame) -> None:
    roll = risk.rolling_correlation(real, "MP", "REMX")
    assert list(roll.columns) == risk.ROLLING_COLUMNS
    assert roll["correlation"].iloc[: risk.ROLLING_WINDOW - 1].isna().all()
    assert roll["overlap"].max() == risk.ROLLING_WINDOW
    last = roll.iloc[-1]
    both = risk._pair(real, "MP", "REMX", "adj_close").tail(risk.ROLLING_WINDOW)
    assert last["correlation"] == pytest.approx(both["a"].corr(both["b"]))
    assert roll["correlation"].dropna().between(-1, 1).all()


def test_west_vs_china_baskets(real: pd.DataFrame) -> None:
    u = load_universe()
    baskets = {b: basket_members(u, b) for b in ("West", "China")}
    b = risk.basket_series(real, baskets)
    assert set(b["symbol"]) == {"West", "China"}
    roll = risk.rolling_correlation(b, "West", "China")
    valid = roll.dropna()
    assert len(valid) > 300  # China snapshot covers 2024-01 to 2026-07
    assert valid["correlation"].between(-1, 1).all()
    # No zero-return filler days for the China basket over Chinese holidays.
    china = b[b["symbol"] == "China"]
    sh = real.loc[real["symbol"].isin(baskets["China"]), "date"].unique()
    assert set(china["date"]) <= set(sh)


def test_rolling_rejects_bad_window() -> None:
    with pytest.raises(risk.RiskInputError):
        risk.rolling_correlation(tidy([("2024-01-01", "X", 1.0)]), "X", "Y", window=1)
    with pytest.raises(risk.RiskInputError):
        risk.rolling_correlation(tidy([]), "X", "Y", window=10, min_periods=11)


def test_rolling_missing_series_is_empty() -> None:
    df = tidy([("2024-01-01", "X", 1.0), ("2024-01-02", "X", 2.0)])
    assert risk.rolling_correlation(df, "X", "NOPE").empty


# --- beta --------------------------------------------------------------------------------------


def test_beta_hand_made_exact() -> None:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2024-01-01", periods=120)
    rb = rng.normal(0, 0.01, len(dates))
    bench = 100 * np.cumprod(1 + rb)
    stock = 50 * np.cumprod(1 + 2 * rb)  # returns exactly twice the benchmark's
    df = pd.concat(
        [
            pd.DataFrame({"date": dates, "symbol": "B", "adj_close": bench}),
            pd.DataFrame({"date": dates, "symbol": "S", "adj_close": stock}),
        ]
    )
    out = risk.betas(df, "B").set_index("symbol")
    assert out.loc["S", "beta"] == pytest.approx(2.0)
    assert out.loc["S", "correlation"] == pytest.approx(1.0)
    assert out.loc["S", "overlap"] == 119
    assert out.loc["S", "reason"] == ""


def test_beta_real_vs_spy(real: pd.DataFrame) -> None:
    out = risk.betas(real, "SPY", start=pd.Timestamp("2025-08-01")).set_index("symbol")
    assert "SPY" not in out.index
    mp = out.loc["MP"]
    assert mp["overlap"] > 200
    assert 1.0 < mp["beta"] < 3.5  # a volatile small-cap miner
    lyc = out.loc["LYC.AX"]  # ends 2026-06-04: fewer sessions in common than MP
    assert lyc["overlap"] < mp["overlap"]


def test_beta_reasons() -> None:
    df = tidy([("2024-01-01", "X", 1.0), ("2024-01-02", "X", 2.0), ("2024-01-03", "X", 3.0)])
    out = risk.betas(df, "SPY")
    assert "benchmark SPY has no returns" in out.loc[0, "reason"]
    df2 = pd.concat([df, df.assign(symbol="SPY")])
    out2 = risk.betas(df2, "SPY")
    assert out2.loc[0, "reason"] == "only 2 common trading days (< 60)"
    assert np.isnan(out2.loc[0, "beta"])
    flat = pd.concat([df, df.assign(symbol="SPY", adj_close=5.0)])
    assert "did not move" in risk.betas(flat, "SPY", min_overlap=2).loc[0, "reason"]


# --- charts ----------------------------------------------------------------------------------


def test_charts_send_only_drawable_points(real: pd.DataFrame) -> None:
    dd = risk.drawdowns(real)
    pts = risk_charts.drawdown_plot_frame(dd, budget=1200)
    n_sym = dd["symbol"].nunique()
    per_series = points_per_series(n_sym, budget_points=1200)  # floor of 200 a series
    assert len(pts) <= n_sym * (per_series + 4) < len(dd)
    # The worst drawdown of every series survives downsampling.
    worst = dd.groupby("symbol")["drawdown"].min()
    assert pts.groupby("symbol")["drawdown"].min().to_dict() == worst.to_dict()
    spec = risk_charts.drawdown_chart(dd).to_dict()
    values = next(iter(spec["datasets"].values()))
    assert len(values) < len(dd)


def test_heatmap_tooltip_has_overlap(real: pd.DataFrame) -> None:
    c = risk.correlation_matrix(real[real["symbol"].isin(["MP", "REMX", "LYC.AX"])])
    spec = risk_charts.correlation_heatmap(c, 60).to_dict()
    tips = spec["layer"][1]["encoding"]["tooltip"]
    assert {"field": "overlap", "type": "quantitative", "title": "Common trading days"} in tips
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 9


def test_rolling_chart_downsamples(real: pd.DataFrame) -> None:
    roll = risk.rolling_correlation(real, "MP", "REMX", window=20)
    pts = risk_charts.rolling_plot_frame(roll, n_out=300)
    assert len(pts) <= 304
    assert pts["correlation"].notna().all()
    spec = risk_charts.rolling_correlation_chart(roll, "MP", "REMX", 20).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [-1, 1]


# --- properties: messy frames never raise anything undocumented ------------------------------

_price = st.one_of(
    st.floats(min_value=-5, max_value=1e6),
    st.sampled_from([float("nan"), float("inf"), 0.0, 1e-300]),
    st.none(),
)


@st.composite
def messy_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 40))
    days = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))  # gaps and duplicates
    syms = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    prices = draw(st.lists(_price, min_size=n, max_size=n))
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    return pd.DataFrame({"date": dates, "symbol": syms, "adj_close": prices})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    df=messy_frames(),
    min_overlap=st.integers(2, 10),
    window=st.integers(2, 10),
)
def test_messy_frames_never_raise(df: pd.DataFrame, min_overlap: int, window: int) -> None:
    dd = risk.drawdowns(df)
    assert list(dd.columns) == risk.DRAWDOWN_COLUMNS
    assert (dd["drawdown"].dropna() <= 0).all()
    assert not dd.duplicated(["symbol", "date"]).any()
    risk.drawdown_summary(dd)
    c = risk.correlation_matrix(df, min_overlap=min_overlap)
    assert list(c.columns) == risk.CORRELATION_COLUMNS
    assert c["correlation"].dropna().between(-1, 1).all()
    assert (c.loc[c["overlap"] < min_overlap, "correlation"].isna()).all()
    roll = risk.rolling_correlation(df, "A", "B", window=window)
    assert roll["correlation"].dropna().between(-1, 1).all()
    assert (roll["overlap"] <= window).all()
    b = risk.betas(df, "A", min_overlap=min_overlap)
    assert list(b.columns) == risk.BETA_COLUMNS
    assert (b["reason"].eq("") == b["beta"].notna()).all()
    risk.basket_series(df, {"AB": ["A", "B"]})
    risk_charts.drawdown_chart(dd).to_dict()
    risk_charts.correlation_heatmap(c, min_overlap).to_dict()
    risk_charts.rolling_correlation_chart(roll, "A", "B", window).to_dict()


def test_method_note_states_minimum_overlap_and_window() -> None:
    note = risk.method_note(min_overlap=40, window=21)
    assert "fewer than 40 common days" in note
    assert "last 21 common sessions" in note
