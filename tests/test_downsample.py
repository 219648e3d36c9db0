"""Downsampling keeps the shape: first, last and extreme points survive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.downsample import downsample_indices, downsample_long, points_per_series
from lib.prices import PriceStore


def test_short_series_kept_whole() -> None:
    x = np.arange(10)
    assert downsample_indices(x, np.random.default_rng(0).random(10), 50).tolist() == list(
        range(10)
    )


@pytest.mark.parametrize("n_out", [50, 200, 1000])
def test_keeps_first_last_and_extremes(n_out: int) -> None:
    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(size=20_000))
    y[12_345] = y.max() + 50  # a lone spike
    y[777] = y.min() - 50  # a lone crash
    x = pd.date_range("2000-01-01", periods=len(y), freq="D").to_numpy()
    idx = downsample_indices(x, y, n_out)
    assert idx[0] == 0 and idx[-1] == len(y) - 1
    assert {12_345, 777} <= set(idx.tolist())
    assert len(idx) <= n_out + 4
    assert (np.diff(idx) > 0).all()


def test_nans_never_selected() -> None:
    y = np.linspace(0, 1, 5000)
    y[::3] = np.nan
    idx = downsample_indices(np.arange(5000), y, 100)
    assert not np.isnan(y[idx]).any()


def test_real_mp_series_keeps_all_time_high(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mp = PriceStore(cache_dir=tmp_path).load(["MP"])
    out = downsample_long(mp, "date", "close", "symbol", n_out=200)
    assert len(out) <= 204
    assert out["close"].max() == mp["close"].max() == 98.65
    assert out["date"].iloc[0] == mp["date"].iloc[0]
    assert out["date"].iloc[-1] == pd.Timestamp("2026-10-08")


@pytest.mark.parametrize(("n", "expected"), [(1, 2000), (3, 2000), (10, 600), (100, 200)])
def test_point_budget_shared_across_series(n: int, expected: int) -> None:
    assert points_per_series(n, budget_points=6000) == expected
