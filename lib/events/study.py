"""Event study: abnormal returns (AR) and cumulative abnormal returns (CAR) around policy events.

Conventions (shown on the Event study page too):

* **Event day (tau = 0).** Each event maps, for each symbol, to the first trading session ON OR
  AFTER the event date on that symbol's own calendar, i.e. the dates its price series actually
  has. A weekend or holiday event therefore lands on the next session of that exchange, and the
  same event can fall on different calendar days for a Shanghai and a New York listing.
  Events stamped ``after_close`` shift one more session (the market could not react that day).
  ``before_open``, ``intraday`` and ``unknown`` timings stay on the first session on/after the
  date; the pre-event days of the window absorb leaks and timing uncertainty.
* **Returns** are simple daily returns of adjusted closes between consecutive sessions of the
  symbol. The benchmark is read on the symbol's dates (last benchmark close on or before each
  session, never beyond the benchmark's own data), so both returns cover the same interval even
  when the exchanges' holidays differ.
* **Models.** ``market``: OLS ``r = alpha + beta * m`` over the estimation window, AR = r - alpha
  - beta*m, residual variance SSR/(n-2). ``market_adjusted``: AR = r - m, variance of (r - m)
  over the estimation window (ddof=1). ``mean_adjusted``: AR = r - mean(r_est), variance of
  r_est (ddof=1).
* **Test.** CAR over the event window of length L has t = CAR / (sigma * sqrt(L)), with the
  two-sided p-value from Student's t with the estimation degrees of freedom.
* **Insufficient data** never disappears: every (event, symbol) pair gets a row with a
  ``status`` and a plain-language ``detail``; only ``ok`` rows get CAR, t and p.

Everything is vectorised over events per symbol (numpy fancy indexing), no per-day loops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from lib.events import timing as event_timing
from lib.events.benchmarks import benchmark_note
from lib.events.study_text import STATUS_OK, status_details
from lib.prices import quality
from lib.prices.quality import QUALITY_COLUMNS

MODELS: dict[str, str] = {
    "market": "Market model (OLS alpha, beta vs benchmark)",
    "market_adjusted": "Market-adjusted (return minus benchmark)",
    "mean_adjusted": "Mean-adjusted (return minus its estimation mean)",
}

AR_COLUMNS = [
    "event_id", "symbol", "tau", "date", "ret", "benchmark_ret", "expected", "ar", "car", "status",
]  # fmt: skip
SUMMARY_COLUMNS = [
    "event_id", "symbol", "event_date", "event_session", "benchmark", "model", "n_est",
    "alpha", "beta", "sigma", "r_squared", "ar_day0", "car", "t_stat", "p_value", "status",
    "detail", "note",
]  # fmt: skip


class EventStudyError(ValueError):
    """A study specification that cannot be run (e.g. overlapping windows)."""


@dataclass(frozen=True)
class StudySpec:
    """Windows are in sessions relative to the event session (tau = 0), both ends included."""

    event_window: tuple[int, int] = (-5, 10)
    estimation_window: tuple[int, int] = (-250, -30)
    model: str = "market"
    min_estimation_obs: int = 60
    max_gap_days: int = 14

    def __post_init__(self) -> None:
        (w1, w2), (e1, e2) = self.event_window, self.estimation_window
        if self.model not in MODELS:
            raise EventStudyError(f"Unknown model {self.model!r}; choose one of {list(MODELS)}.")
        if w1 > w2 or e1 > e2:
            raise EventStudyError("Each window must start before it ends.")
        if e2 >= w1:
            raise EventStudyError(
                f"The estimation window must end before the event window starts "
                f"(estimation ends at {e2}, event window starts at {w1})."
            )
        if self.min_estimation_obs < 3:
            raise EventStudyError("At least 3 estimation sessions are needed.")

    @property
    def window_length(self) -> int:
        return self.event_window[1] - self.event_window[0] + 1


@dataclass(frozen=True)
class StudyResult:
    ar: pd.DataFrame
    summary: pd.DataFrame
    #: rows left out of returns (lib.prices.quality): symbol, date, reason
    quality: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUALITY_COLUMNS))


def align_sessions(
    sessions: np.ndarray, event_dates: np.ndarray, after_close: np.ndarray
) -> np.ndarray:
    """Index of each event's session in ``sessions`` (sorted datetime64): first on/after, plus
    ``after_close`` more sessions (a bool array counts one). ``len(sessions)`` means the event
    is after the data ends."""
    idx = np.searchsorted(sessions, event_dates, side="left")
    return idx + np.asarray(after_close).astype(int)


def benchmark_on(sessions: pd.DatetimeIndex, bench: pd.Series) -> np.ndarray:
    """Benchmark close as of each session (last close on or before), NaN outside its own range."""
    bench = bench.dropna().sort_index()
    if bench.empty:
        return np.full(len(sessions), np.nan)
    pos = np.searchsorted(bench.index.values, sessions.values, side="right") - 1
    vals = np.where(pos >= 0, bench.values[np.clip(pos, 0, None)], np.nan)
    vals[sessions.values > bench.index.values[-1]] = np.nan
    return vals.astype("float64")


def _gather(values: np.ndarray, idx: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = values[np.clip(idx, 0, len(values) - 1)] if len(values) else np.zeros(idx.shape)
    return np.where(valid, out, np.nan)


@dataclass(frozen=True)
class _Series:
    """One symbol's sessions with its returns, the benchmark's and the calendar gaps."""

    sessions: pd.DatetimeIndex
    r: np.ndarray  # symbol return per session (NaN on the first)
    m: np.ndarray  # benchmark return on the symbol's sessions (NaN without a benchmark)
    gap: np.ndarray  # calendar days since the previous session


def _returns_on_own_sessions(series: pd.Series, bench: pd.Series | None) -> _Series:
    series = series.dropna().sort_index()
    sessions = pd.DatetimeIndex(series.index)
    n = len(sessions)
    px = series.to_numpy(dtype="float64")
    r = np.full(n, np.nan)
    if n > 1:
        r[1:] = px[1:] / px[:-1] - 1.0
    m = np.full(n, np.nan)
    if bench is not None:
        b = benchmark_on(sessions, bench)
        if n > 1:
            m[1:] = b[1:] / b[:-1] - 1.0
    gap = np.full(n, np.nan)
    if n > 1:
        gap[1:] = np.diff(sessions.values).astype("timedelta64[D]").astype("float64")
    return _Series(sessions, r, m, gap)


@dataclass(frozen=True)
class _Fit:
    """The normal-return model fitted on each event's estimation window."""

    n_est: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    dof: np.ndarray
    expected: np.ndarray  # expected return in the event window
    r_squared: np.ndarray  # market model only: share of variance the benchmark explains


def _fit_model(
    model: str, r_e: np.ndarray, m_e: np.ndarray, m_w: np.ndarray, shape: tuple[int, ...]
) -> _Fit:
    """Fit ``model`` per event (rows) on the estimation returns; NaN where data are missing."""
    e_n = r_e.shape[0]
    uses_bench = model != "mean_adjusted"
    ok_e = np.isfinite(r_e) & (np.isfinite(m_e) if uses_bench else True)
    n_est = ok_e.sum(axis=1)
    safe_n = np.maximum(n_est, 1)
    r0 = np.where(ok_e, r_e, 0.0)
    m0 = np.where(ok_e, m_e, 0.0)
    mean_r = r0.sum(axis=1) / safe_n
    alpha = np.full(e_n, np.nan)
    beta = np.full(e_n, np.nan)
    r_squared = np.full(e_n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if model == "market":
            mean_m = m0.sum(axis=1) / safe_n
            dm = np.where(ok_e, m_e - mean_m[:, None], 0.0)
            dr = np.where(ok_e, r_e - mean_r[:, None], 0.0)
            beta = (dm * dr).sum(axis=1) / (dm * dm).sum(axis=1)
            alpha = mean_r - beta * mean_m
            resid = np.where(ok_e, r_e - alpha[:, None] - beta[:, None] * m_e, 0.0)
            dof = n_est - 2
            expected = alpha[:, None] + beta[:, None] * m_w
            r_squared = 1.0 - (resid * resid).sum(axis=1) / (dr * dr).sum(axis=1)
        elif model == "market_adjusted":
            diff = np.where(ok_e, r_e - m_e, 0.0)
            resid = np.where(ok_e, diff - (diff.sum(axis=1) / safe_n)[:, None], 0.0)
            dof = n_est - 1
            expected = m_w
        else:
            resid = np.where(ok_e, r_e - mean_r[:, None], 0.0)
            dof = n_est - 1
            expected = np.broadcast_to(mean_r[:, None], shape)
        sigma = np.sqrt((resid * resid).sum(axis=1) / np.where(dof > 0, dof, np.nan))
    return _Fit(n_est, alpha, beta, sigma, dof, expected, r_squared)


_STATUS_CODES = (
    "no_price_data", "no_benchmark_data", "own_benchmark", "after_end", "before_start",
    "past_end", "benchmark_missing", "short_estimation", "missing_in_window", "gap_in_window",
)  # fmt: skip


def _symbol_study(
    symbol: str,
    series: pd.Series,
    bench: pd.Series | None,
    event_days: np.ndarray,
    extra_sessions: np.ndarray,
    spec: StudySpec,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """AR matrix (events x window) and per-event statistics for one symbol.

    ``event_days`` are the first calendar days on which this listing could react (see
    lib.events.timing); ``extra_sessions`` moves day 0 further (after-close, zone unknown).
    """
    e_n = len(event_days)
    (w1, w2), (e1, e2) = spec.event_window, spec.estimation_window
    win = np.arange(w1, w2 + 1)
    own = _returns_on_own_sessions(series, bench)
    sessions, r, m = own.sessions, own.r, own.m
    n = len(sessions)
    t0 = align_sessions(sessions.values, event_days, extra_sessions)

    widx = t0[:, None] + win[None, :]
    eidx = t0[:, None] + np.arange(e1, e2 + 1)[None, :]
    w_in = (widx >= 1) & (widx < n)
    e_in = (eidx >= 1) & (eidx < n)
    r_w, m_w = _gather(r, widx, w_in), _gather(m, widx, w_in)
    r_e = _gather(r, eidx, e_in)
    fit = _fit_model(spec.model, r_e, _gather(m, eidx, e_in), m_w, r_w.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        ar = r_w - fit.expected
        car_path = np.cumsum(ar, axis=1)
        car = car_path[:, -1]
        t_stat = car / (fit.sigma * np.sqrt(spec.window_length))
    p_value = 2.0 * stats.t.sf(np.abs(t_stat), np.where(fit.dof > 0, fit.dof, np.nan))

    uses_bench = spec.model != "mean_adjusted"
    own_missing = (~np.isfinite(r_w) & w_in).any(axis=1)
    n_own = np.isfinite(r_e).sum(axis=1)
    short_for_bench = (fit.n_est < spec.min_estimation_obs) & (n_own >= spec.min_estimation_obs)
    bench_missing = (
        (~np.isfinite(m_w) & w_in).any(axis=1) | short_for_bench
        if uses_bench
        else np.zeros(e_n, dtype=bool)
    )
    conditions = [
        np.full(e_n, n == 0),
        np.full(e_n, uses_bench and (bench is None or not np.isfinite(m).any())),
        np.full(e_n, uses_bench and bench is not None and bench.name == symbol),
        t0 >= n,
        t0 + w1 < 1,
        t0 + w2 >= n,
        bench_missing & ~own_missing,
        fit.n_est < spec.min_estimation_obs,
        own_missing,
        np.nan_to_num(_gather(own.gap, widx, w_in), nan=0.0).max(axis=1, initial=0.0)
        > spec.max_gap_days,
    ]
    status = np.select(conditions, list(_STATUS_CODES), default=STATUS_OK)
    ok = status == STATUS_OK
    nat = np.datetime64("NaT", "ns")
    if n:
        session = np.where(ok & (t0 < n), sessions.values[np.clip(t0, 0, n - 1)], nat)
        dates = np.where(w_in, sessions.values[np.clip(widx, 0, n - 1)], nat)
    else:
        session = np.full(e_n, nat)
        dates = np.full(widx.shape, nat)
    stats_out = {
        "event_session": session.astype("datetime64[ns]"),
        "n_est": _masked_int(fit.n_est, ok),
        "alpha": np.where(ok, fit.alpha, np.nan),
        "beta": np.where(ok, fit.beta, np.nan),
        "sigma": np.where(ok, fit.sigma, np.nan),
        "r_squared": np.where(ok, fit.r_squared, np.nan),
        "ar_day0": np.where(ok, ar[:, -w1], np.nan) if w1 <= 0 <= w2 else np.full(e_n, np.nan),
        "car": np.where(ok, car, np.nan),
        "t_stat": np.where(ok, t_stat, np.nan),
        "p_value": np.where(ok, p_value, np.nan),
        "status": status,
        "detail": np.array(
            status_details(
                symbol,
                status,
                fit.n_est,
                sessions,
                estimation_window=spec.estimation_window,
                min_estimation_obs=spec.min_estimation_obs,
                max_gap_days=spec.max_gap_days,
                bench=bench,
            ),
            dtype=object,
        ),
    }
    ar_out = {
        "date": dates.astype("datetime64[ns]"),
        "ret": r_w,
        "benchmark_ret": m_w if uses_bench else np.full(r_w.shape, np.nan),
        "expected": np.where(ok[:, None], np.asarray(fit.expected, dtype="float64"), np.nan),
        "ar": np.where(ok[:, None], ar, np.nan),
        "car": np.where(ok[:, None], car_path, np.nan),
        "status": np.repeat(status[:, None], len(win), axis=1),
    }
    return ar_out, stats_out


def _masked_int(values: np.ndarray, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Integers where ``keep``, <NA> elsewhere (a count means nothing for a failed pair)."""
    arr = pd.array(values.astype("int64"), dtype="Int64")
    arr[~keep] = pd.NA
    return arr


def run_event_study(
    events: pd.DataFrame,
    prices: pd.DataFrame,
    symbols: Sequence[str],
    benchmark: str = "SPY",
    spec: StudySpec | None = None,
    *,
    listing_dates: Mapping[str, date | None] | None = None,
    exchanges: Mapping[str, str] | None = None,
    benchmarks: Mapping[str, pd.Series] | None = None,
) -> StudyResult:
    """ARs (one row per event x symbol x tau) and a summary (one row per event x symbol).

    ``events`` needs id, date, timing (and jurisdiction, for day 0 across time zones);
    ``prices`` is the tidy frame (symbol, date, adj_close; OHLCV where known). Prices before a
    symbol's listing date (SPAC era), duplicated rows and zero-volume halts are not used.
    ``benchmarks`` overrides the benchmark per symbol (a named series, e.g. a regional basket).
    """
    spec = spec or StudySpec()
    listing_dates = listing_dates or {}
    exchanges = exchanges or {}
    benchmarks = benchmarks or {}
    win = np.arange(spec.event_window[0], spec.event_window[1] + 1)
    ev = events.reset_index(drop=True)
    flagged = quality.suspect_rows(prices)
    clean = quality.without_suspect_rows(prices)
    by_symbol = {
        str(s): g.set_index("date")["adj_close"]
        for s, g in clean[["symbol", "date", "adj_close"]].groupby("symbol", sort=False)
    }
    bench = by_symbol.get(benchmark)
    if bench is not None:
        bench = bench.rename(benchmark)
    ar_parts: list[pd.DataFrame] = []
    sum_parts: list[pd.DataFrame] = []
    e_n = len(ev)
    for sym in dict.fromkeys(symbols):
        series = by_symbol.get(sym, pd.Series(dtype="float64", index=pd.DatetimeIndex([])))
        listed = listing_dates.get(sym)
        if listed is not None and not pd.isna(listed):
            series = series[series.index >= pd.Timestamp(listed)]
        days, extra = reaction_days(ev, exchanges.get(sym))
        sym_bench = benchmarks.get(sym, bench)
        ar_d, st_d = _symbol_study(sym, series, sym_bench, days, extra, spec)
        ar_parts.append(
            pd.DataFrame(
                {
                    "event_id": np.repeat(ev["id"].to_numpy(dtype=object), len(win)),
                    "symbol": sym,
                    "tau": np.tile(win, e_n),
                    **{k: np.asarray(v).reshape(-1) for k, v in ar_d.items()},
                }
            )
        )
        bench_label = "" if sym_bench is None else str(sym_bench.name)
        summ = pd.DataFrame(
            {"event_id": ev["id"].to_numpy(dtype=object), "symbol": sym, **st_d}
        ).assign(
            event_date=ev["date"].to_numpy(),
            benchmark=bench_label if spec.model != "mean_adjusted" else "",
            model=spec.model,
            note=benchmark_note(sym, exchanges.get(sym), bench_label, spec.model)
            if sym in benchmarks or sym_bench is None
            else benchmark_note(sym, exchanges.get(sym), benchmark, spec.model),
        )
        sum_parts.append(summ)
    if not ar_parts:
        return StudyResult(pd.DataFrame(columns=AR_COLUMNS), pd.DataFrame(columns=SUMMARY_COLUMNS))
    ar = pd.concat(ar_parts, ignore_index=True)[AR_COLUMNS]
    summary = pd.concat(sum_parts, ignore_index=True)[SUMMARY_COLUMNS]
    used = {*symbols, *(str(b.name) for b in benchmarks.values()), benchmark}
    return StudyResult(ar=ar, summary=summary, quality=flagged[flagged["symbol"].isin(used)])


def reaction_days(events: pd.DataFrame, exchange: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Per event: the first calendar day this exchange could react, and extra sessions."""
    if events.empty:
        return np.array([], dtype="datetime64[ns]"), np.array([], dtype=int)
    jur = events["jurisdiction"] if "jurisdiction" in events else pd.Series("other", events.index)
    out = [
        event_timing.reaction(pd.Timestamp(d).date(), str(t), str(j), exchange)
        for d, t, j in zip(events["date"], events["timing"], jur, strict=True)
    ]
    days = np.array([np.datetime64(r.day, "ns") for r in out], dtype="datetime64[ns]")
    return days, np.array([r.extra_sessions for r in out], dtype=int)


def average_car(ar: pd.DataFrame, by: Sequence[str] = (), level: float = 0.95) -> pd.DataFrame:
    """Mean CAR path across ``ok`` (event, symbol) pairs, with a cross-sectional t band."""
    cols = [*by, "tau", "mean_car", "lower", "upper", "n"]
    ok = ar[ar["status"] == STATUS_OK]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    g = ok.groupby([*by, "tau"], sort=True)["car"]
    out = g.agg(mean_car="mean", sd="std", n="count").reset_index()
    q = stats.t.ppf(0.5 + level / 2.0, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] >= 2, q * out["sd"] / np.sqrt(out["n"]), np.nan)
    out["lower"] = out["mean_car"] - half
    out["upper"] = out["mean_car"] + half
    return out[cols]
