"""Risk views: drawdown from running peak, correlation of daily returns, rolling correlation, beta.

Tidy in (date, symbol, price), tidy out. Every series keeps its own trading calendar: a daily
return runs from the series' previous session to this one, so a holiday on one exchange never
becomes a fake zero return. Two series are compared only on dates where *both* have a return
(the "overlap"), and a statistic over fewer than ``min_overlap`` such dates is NaN, with the
overlap reported, so a thin comparison is never shown as a firm number.

Caveat stated in the UI caption: closes on different exchanges are not simultaneous
(Shanghai closes before New York opens), which lowers same-day correlations across regions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lib import returns

#: ~3 months of sessions: the default rolling window.
ROLLING_WINDOW = 63
#: Pairs with fewer common return dates than this get no correlation/beta (NaN + the overlap).
MIN_OVERLAP = 60
#: The choices the app offers for the rolling window and the minimum overlap (sessions).
WINDOWS = (21, 63, 126, 252)
OVERLAPS = (20, 40, 60, 120)

DRAWDOWN_COLUMNS = ["date", "symbol", "price", "peak", "drawdown"]
CORRELATION_COLUMNS = ["symbol_a", "symbol_b", "correlation", "overlap", "enough_overlap"]
ROLLING_COLUMNS = ["date", "correlation", "overlap"]
BETA_COLUMNS = ["symbol", "benchmark", "beta", "correlation", "overlap", "reason"]


def method_note(min_overlap: int = MIN_OVERLAP, window: int = ROLLING_WINDOW) -> str:
    """The caption under the risk views: how the numbers were made, in one paragraph."""
    return (
        "Daily simple returns of adjusted closes, each symbol on its own trading calendar; "
        f"pairs are compared only on dates when both traded (overlap), and pairs with fewer "
        f"than {min_overlap} common days are not shown. Rolling correlation uses the last "
        f"{window} common sessions; beta = covariance with the benchmark / its variance. "
        "Drawdown is the fall from the highest close in the chosen range. Closes on different "
        "exchanges are not simultaneous, which lowers correlations across time zones."
    )


class RiskInputError(ValueError):
    """Inputs the risk functions cannot work with (missing columns, bad window or overlap)."""


def _clean(tidy: pd.DataFrame, field: str, by: str = "symbol") -> pd.DataFrame:
    """(date, symbol, price) with one row per symbol and date, positive finite prices only."""
    missing = [c for c in ("date", by, field) if c not in tidy.columns]
    if missing:
        raise RiskInputError(f"price table lacks column(s): {', '.join(missing)}")
    df = tidy[["date", by, field]].copy()
    df.columns = ["date", "symbol", "price"]
    try:
        df["date"] = pd.to_datetime(df["date"]).dt.tz_localize(None).astype("datetime64[ns]")
    except (ValueError, TypeError, OverflowError) as exc:
        raise RiskInputError(f"dates could not be read: {exc}") from exc
    df["price"] = pd.to_numeric(df["price"], errors="coerce").astype("float64")
    df["symbol"] = df["symbol"].astype(str)
    ok = df["date"].notna() & np.isfinite(df["price"]) & (df["price"] > 0)
    df = df[ok]
    # Duplicate (symbol, date) rows: the last one wins, as in returns.to_wide.
    df = df.drop_duplicates(["symbol", "date"], keep="last")
    return df.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)


def _check_overlap(min_overlap: int) -> None:
    if not isinstance(min_overlap, int | np.integer) or min_overlap < 2:
        raise RiskInputError(f"minimum overlap must be an integer ≥ 2, got {min_overlap!r}")


# --- drawdown ------------------------------------------------------------------------------


def drawdowns(tidy: pd.DataFrame, field: str = "adj_close") -> pd.DataFrame:
    """Per symbol and session: price, running peak and drawdown (price/peak − 1, ≤ 0).

    The peak is the highest price *within the rows given*, so slice to the chosen range first.
    """
    df = _clean(tidy, field)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in DRAWDOWN_COLUMNS})
    df["peak"] = df.groupby("symbol", sort=False)["price"].cummax()
    df["drawdown"] = df["price"] / df["peak"] - 1.0
    return df[DRAWDOWN_COLUMNS]


def drawdown_summary(dd: pd.DataFrame) -> pd.DataFrame:
    """Per symbol: max drawdown with its peak and trough dates, recovery date, and current one."""
    rows = []
    for sym, g in dd.groupby("symbol", sort=False):
        i_trough = g["drawdown"].idxmin()
        trough = g.loc[i_trough]
        before = g.loc[:i_trough]
        peak_date = before.loc[before["price"] == trough["peak"], "date"].iloc[-1]
        after = g.loc[i_trough:]
        back = after.loc[after["price"] >= trough["peak"], "date"]
        rows.append(
            {
                "symbol": sym,
                "max_drawdown": float(trough["drawdown"]),
                "peak_date": peak_date,
                "trough_date": trough["date"],
                "recovered_date": back.iloc[0] if len(back) else pd.NaT,
                "current_drawdown": float(g["drawdown"].iloc[-1]),
                "as_of": g["date"].iloc[-1],
            }
        )
    cols = [
        "symbol", "max_drawdown", "peak_date", "trough_date", "recovered_date",
        "current_drawdown", "as_of",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


# --- returns and correlation ---------------------------------------------------------------


def daily_returns(tidy: pd.DataFrame, field: str = "adj_close") -> pd.DataFrame:
    """Tidy (date, symbol, ret): simple return since the symbol's own previous session."""
    df = _clean(tidy, field)
    df["ret"] = df.groupby("symbol", sort=False)["price"].pct_change()
    return df.dropna(subset=["ret"])[["date", "symbol", "ret"]].reset_index(drop=True)


def _wide_returns(tidy: pd.DataFrame, field: str) -> pd.DataFrame:
    r = daily_returns(tidy, field)
    if r.empty:
        return pd.DataFrame()
    return r.pivot(index="date", columns="symbol", values="ret").sort_index()


def correlation_matrix(
    tidy: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    min_overlap: int = MIN_OVERLAP,
    field: str = "adj_close",
) -> pd.DataFrame:
    """Tidy pairwise correlations of daily returns within [start, end].

    One row per ordered pair (symbol_a, symbol_b), including the diagonal, with the number
    of common return dates (``overlap``). Below ``min_overlap`` the correlation is NaN and
    ``enough_overlap`` is False. Symbols keep the order they first appear in ``tidy``.
    """
    _check_overlap(min_overlap)
    if not tidy.empty and (start is not None or end is not None):
        tidy = returns.slice_dates(tidy, start, end)
    wide = _wide_returns(tidy, field) if not tidy.empty else pd.DataFrame()
    if wide.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in CORRELATION_COLUMNS})
    order = [s for s in dict.fromkeys(tidy["symbol"].astype(str)) if s in wide.columns]
    wide = wide[order]
    present = wide.notna().astype("int64")
    overlap = present.T @ present
    corr = wide.corr(method="pearson", min_periods=min_overlap)
    n = len(order)
    long = pd.DataFrame(
        {
            "symbol_a": np.repeat(order, n),
            "symbol_b": np.tile(order, n),
            "correlation": corr.reindex(index=order, columns=order).to_numpy().ravel(),
            "overlap": overlap.reindex(index=order, columns=order).to_numpy().ravel(),
        }
    )
    long["overlap"] = long["overlap"].astype("int64")
    long["enough_overlap"] = long["overlap"] >= min_overlap
    long.loc[~long["enough_overlap"], "correlation"] = np.nan
    long["correlation"] = long["correlation"].clip(-1.0, 1.0)
    return long[CORRELATION_COLUMNS]


def correlation_wide(corr: pd.DataFrame, value: str = "correlation") -> pd.DataFrame:
    """Square symbol × symbol table (for display/export) from correlation_matrix output."""
    if corr.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(corr["symbol_a"]))
    wide = corr.pivot(index="symbol_a", columns="symbol_b", values=value)
    wide = wide.reindex(index=order, columns=order)
    wide.index.name = None
    wide.columns.name = None
    return wide


def _pair(tidy: pd.DataFrame, a: str, b: str, field: str) -> pd.DataFrame:
    """Common return dates of a and b: columns date, a, b (may be empty)."""
    r = daily_returns(tidy[tidy["symbol"].astype(str).isin([a, b])], field)
    ra = r[r["symbol"] == a].set_index("date")["ret"]
    rb = r[r["symbol"] == b].set_index("date")["ret"]
    both = pd.concat({"a": ra, "b": rb}, axis=1, join="inner").sort_index()
    return both


def rolling_correlation(
    tidy: pd.DataFrame,
    a: str,
    b: str,
    window: int = ROLLING_WINDOW,
    min_periods: int | None = None,
    field: str = "adj_close",
) -> pd.DataFrame:
    """Correlation of a's and b's daily returns over the last ``window`` common sessions.

    Tidy (date, correlation, overlap): overlap is how many common sessions the window held;
    dates before ``min_periods`` (default: the full window) common sessions are NaN.
    Empty if either series is missing; see :func:`basket_series` for basket-vs-basket.
    """
    if not isinstance(window, int | np.integer) or window < 2:
        raise RiskInputError(f"rolling window must be an integer ≥ 2, got {window!r}")
    mp = window if min_periods is None else min_periods
    if not isinstance(mp, int | np.integer) or not 2 <= mp <= window:
        raise RiskInputError(f"min_periods must be between 2 and the window ({window})")
    both = _pair(tidy, a, b, field) if not tidy.empty else pd.DataFrame()
    if both.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in ROLLING_COLUMNS})
    if a == b:
        corr = pd.Series(1.0, index=both.index)
    else:
        corr = both["a"].rolling(window, min_periods=mp).corr(both["b"])
    count = both["a"].rolling(window, min_periods=1).count().astype("int64")
    corr = corr.where(count >= mp).clip(-1.0, 1.0)
    corr = corr.replace([np.inf, -np.inf], np.nan)
    out = pd.DataFrame({"date": both.index, "correlation": corr.to_numpy(), "overlap": count})
    return out.reset_index(drop=True)[ROLLING_COLUMNS]


def betas(
    tidy: pd.DataFrame,
    benchmark: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    min_overlap: int = MIN_OVERLAP,
    field: str = "adj_close",
) -> pd.DataFrame:
    """Beta (cov/var of daily returns on common dates) of every other symbol to ``benchmark``.

    Tidy (symbol, benchmark, beta, correlation, overlap, reason); reason says why beta is
    missing ("benchmark has no prices in range", "only 12 common trading days (< 60)", ...).
    """
    _check_overlap(min_overlap)
    if not tidy.empty and (start is not None or end is not None):
        tidy = returns.slice_dates(tidy, start, end)
    r = daily_returns(tidy, field) if not tidy.empty else daily_returns(_EMPTY, field)
    wide = r.pivot(index="date", columns="symbol", values="ret") if not r.empty else None
    symbols = [s for s in dict.fromkeys(tidy["symbol"].astype(str)) if s != benchmark]
    rows = []
    for sym in symbols:
        beta = corr = np.nan
        n = 0
        if wide is None or benchmark not in wide.columns:
            reason = f"benchmark {benchmark} has no returns in this range"
        elif sym not in wide.columns:
            reason = "no returns in this range"
        else:
            both = wide[[sym, benchmark]].dropna()
            n = len(both)
            var = float(both[benchmark].var(ddof=1)) if n >= 2 else np.nan
            if n < min_overlap:
                reason = f"only {n} common trading days (< {min_overlap})"
            elif not np.isfinite(var) or var <= 0:
                reason = f"benchmark {benchmark} did not move in this range"
            else:
                beta = float(both[sym].cov(both[benchmark]) / var)
                sd = float(both[sym].std(ddof=1))
                corr = float(both[sym].corr(both[benchmark])) if sd > 0 else np.nan
                reason = ""
                if not np.isfinite(beta):
                    beta, reason = np.nan, "returns too extreme to compute"
        rows.append((sym, benchmark, beta, corr, n, reason))
    out = pd.DataFrame(rows, columns=BETA_COLUMNS)
    return out.astype({"beta": "float64", "correlation": "float64", "overlap": "int64"})


def basket_series(
    tidy: pd.DataFrame, baskets: Mapping[str, Sequence[str]], field: str = "adj_close"
) -> pd.DataFrame:
    """Equal-weight baskets as tidy (date, symbol=basket name, adj_close=level).

    Days on which no member traded are dropped, so a basket keeps a real trading calendar
    (no zero "returns" over Chinese holidays) and can go into any function here.
    """
    if tidy.empty:
        return pd.DataFrame(columns=["date", "symbol", "adj_close"])
    df = _clean(tidy, field).rename(columns={"price": "adj_close"})
    with np.errstate(over="ignore", invalid="ignore"):  # absurd inputs: inf levels, dropped later
        lv = returns.basket_levels(df, baskets)
    if lv.empty:
        return pd.DataFrame(columns=["date", "symbol", "adj_close"])
    first = lv.groupby("basket")["date"].transform("min")
    lv = lv[(lv["members"] > 0) | (lv["date"] == first)]
    return lv.rename(columns={"basket": "symbol", "level": "adj_close"})[
        ["date", "symbol", "adj_close"]
    ].reset_index(drop=True)


_EMPTY = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "symbol": [], "adj_close": []})


def _dtype(col: str) -> str:
    if col == "date":
        return "datetime64[ns]"
    if col in ("symbol", "symbol_a", "symbol_b", "benchmark", "reason"):
        return "object"
    if col == "overlap":
        return "int64"
    if col == "enough_overlap":
        return "bool"
    return "float64"
