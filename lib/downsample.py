"""Send only drawable points: per-series MinMaxLTTB, keeping first, last and extremes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tsdownsample import MinMaxLTTBDownsampler

MAX_POINTS_PER_SERIES = 2000


def downsample_indices(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Row positions to keep. Short series are kept whole; NaNs are never chosen."""
    n = len(y)
    if n <= n_out:
        return np.arange(n)
    valid = np.flatnonzero(~np.isnan(y))
    if len(valid) <= n_out:
        return valid
    xv = x[valid].astype("int64") if np.issubdtype(x.dtype, np.datetime64) else x[valid]
    yv = y[valid]
    idx = MinMaxLTTBDownsampler().downsample(xv, yv, n_out=max(n_out, 3)).astype(np.int64)
    # LTTB keeps the ends; add the global extremes so a peak or crash never disappears.
    ends = np.array([0, len(yv) - 1, np.argmax(yv), np.argmin(yv)], dtype=np.int64)
    keep = np.unique(np.concatenate([idx, ends]))
    return valid[keep]


def downsample_long(
    df: pd.DataFrame, x: str, y: str, by: str, n_out: int = MAX_POINTS_PER_SERIES
) -> pd.DataFrame:
    """Downsample each ``by`` group of a long frame to about ``n_out`` points."""
    parts = []
    for _, g in df.groupby(by, sort=False, observed=True):
        g = g.sort_values(x)
        idx = downsample_indices(g[x].to_numpy(), g[y].to_numpy(dtype="float64"), n_out)
        parts.append(g.iloc[idx])
    if not parts:
        return df.iloc[0:0]
    return pd.concat(parts, ignore_index=True)


def points_per_series(
    n_series: int, budget_points: int = 6000, cap: int = MAX_POINTS_PER_SERIES
) -> int:
    """Share a chart's point budget across series so payload stays flat as symbols are added."""
    if n_series <= 0:
        return cap
    return max(200, min(cap, budget_points // n_series))
