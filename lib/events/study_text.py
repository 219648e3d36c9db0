"""What the event study says in words: each pair's data status and the summary as shown.

The estimator (lib.events.study) returns status codes; this module turns them into the
sentences a reader sees, and orders the summary with the verdict first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATUS_OK = "ok"
STATUS_TEXT: dict[str, str] = {
    "ok": "Enough data.",
    "no_price_data": "No price data for this symbol.",
    "no_benchmark_data": "No benchmark data for this symbol's sessions.",
    "own_benchmark": "The symbol is its own benchmark, so abnormal returns are zero by design.",
    "after_end": "The event falls after the last price in the data.",
    "before_start": "The event window starts before the first usable price (listing, data start).",
    "past_end": "The event window runs past the end of the data.",
    "short_estimation": "The estimation window has too few sessions.",
    "benchmark_missing": "The benchmark has no data inside the event window or its estimation "
    "window.",
    "missing_in_window": "The symbol's returns are missing inside the event window.",
    "gap_in_window": "Prices have a long gap inside the event window.",
}


def status_details(
    symbol: str,
    status: np.ndarray,
    n_est: np.ndarray,
    sessions: pd.DatetimeIndex,
    *,
    estimation_window: tuple[int, int],
    min_estimation_obs: int,
    max_gap_days: int,
    bench: pd.Series | None = None,
) -> list[str]:
    """One sentence per event x symbol pair saying why it has (or lacks) a CAR."""
    n = len(sessions)
    first_s = "n/a" if n == 0 else f"{sessions[0]:%Y-%m-%d}"
    last_s = "n/a" if n == 0 else f"{sessions[-1]:%Y-%m-%d}"
    (e1, e2) = estimation_window
    bench_valid = None if bench is None else bench.dropna()
    bench_last = (
        "n/a" if bench_valid is None or bench_valid.empty else f"{bench_valid.index[-1]:%Y-%m-%d}"
    )
    bench_name = "" if bench is None else str(bench.name)
    extra = {
        "benchmark_missing": f" Benchmark {bench_name}: last price {bench_last}; the {symbol} "
        "prices are there.",
        "after_end": f" Last {symbol} price: {last_s}.",
        "before_start": f" First usable {symbol} price: {first_s}.",
        "past_end": f" Last {symbol} price: {last_s}.",
        "gap_in_window": f" Gaps longer than {max_gap_days} calendar days count.",
    }
    return [
        STATUS_TEXT[c]
        + (
            f" {ne} usable of {e2 - e1 + 1} (minimum {min_estimation_obs})."
            if c == "short_estimation"
            else extra.get(c, "")
        )
        for c, ne in zip(status, n_est, strict=True)
    ]


def summary_view(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as shown: the verdict first, numbers only where the data allow them."""
    cols = [
        "event_id", "symbol", "event_date", "event_session", "status", "car", "t_stat",
        "p_value", "ar_day0", "beta", "r_squared", "benchmark", "n_est", "detail", "note",
    ]  # fmt: skip
    out = summary[cols].copy()
    out["event_date"] = pd.to_datetime(out["event_date"]).dt.date
    out["event_session"] = pd.to_datetime(out["event_session"]).dt.date
    return out.sort_values(["status", "event_id", "symbol"], key=_ok_first, ignore_index=True)


def _ok_first(col: pd.Series) -> pd.Series:
    return (col != STATUS_OK) if col.name == "status" else col
