"""Return and risk maths on tidy price frames. Pure functions; no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

RANGES = ["1M", "3M", "6M", "YTD", "1Y", "3Y", "5Y", "Max"]
TRADING_DAYS = 252


def range_start(key: str, as_of: date) -> date | None:
    """First calendar day of a named range ending at ``as_of``; None means all history."""
    ts = pd.Timestamp(as_of)
    offsets = {
        "1M": pd.DateOffset(months=1),
        "3M": pd.DateOffset(months=3),
        "6M": pd.DateOffset(months=6),
        "1Y": pd.DateOffset(years=1),
        "3Y": pd.DateOffset(years=3),
        "5Y": pd.DateOffset(years=5),
    }
    if key == "Max":
        return None
    if key == "YTD":
        return date(as_of.year, 1, 1)
    if key not in offsets:
        raise ValueError(f"unknown range {key!r}; expected one of {RANGES}")
    return (ts - offsets[key]).date()


def price_column(tidy: pd.DataFrame) -> pd.Series:
    """The quoted price: close where the source has it, else the adjusted close."""
    return tidy["close"].fillna(tidy["adj_close"])


def trim_pre_listing(tidy: pd.DataFrame, listing_dates: Mapping[str, date | None]) -> pd.DataFrame:
    """Drop SPAC-era rows (before each symbol's listing date) so returns start at listing."""
    keep = pd.Series(True, index=tidy.index)
    for sym, listed in listing_dates.items():
        if listed is None or pd.isna(listed):
            continue
        keep &= ~((tidy["symbol"] == sym) & (tidy["date"] < pd.Timestamp(listed)))
    return tidy[keep]


def slice_dates(tidy: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    mask = pd.Series(True, index=tidy.index)
    if start is not None:
        mask &= tidy["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= tidy["date"] <= pd.Timestamp(end)
    return tidy[mask]


def to_wide(tidy: pd.DataFrame, field: str = "adj_close") -> pd.DataFrame:
    """Date x symbol table. No dropna: each symbol keeps its own calendar (NaN elsewhere)."""
    if tidy.empty:
        return pd.DataFrame()
    wide = tidy.pivot_table(index="date", columns="symbol", values=field, aggfunc="last")
    wide.columns = [str(c) for c in wide.columns]
    return wide.sort_index()


def rebase_to_100(wide: pd.DataFrame) -> pd.DataFrame:
    """Each column divided by its OWN first valid value: late listings stay intact."""
    first = wide.apply(lambda s: s.loc[s.first_valid_index()] if s.notna().any() else np.nan)
    return wide.div(first) * 100.0


def percent_change(wide: pd.DataFrame) -> pd.DataFrame:
    """Change since each column's first valid value, in percent (125 -> +25.0)."""
    return rebase_to_100(wide) - 100.0


def total_return(series: pd.Series) -> float:
    s = series.dropna()
    if len(s) < 2:
        return float("nan")
    return float(s.iloc[-1] / s.iloc[0] - 1.0)


def max_drawdown(series: pd.Series) -> float:
    """Worst peak-to-trough fall as a negative fraction (-0.35 = -35%)."""
    s = series.dropna()
    if s.empty:
        return float("nan")
    return float((s / s.cummax() - 1.0).min())


def annualised_volatility(series: pd.Series, periods: int = TRADING_DAYS) -> float:
    """Std of daily log returns x sqrt(periods), over the series' own sessions only."""
    s = series.dropna()
    r = np.log(s).diff().dropna()
    if len(r) < 2:
        return float("nan")
    return float(r.std(ddof=1) * np.sqrt(periods))


def return_since(series: pd.Series, start: pd.Timestamp) -> float:
    """Return from the last value on or before ``start`` to the latest value."""
    s = series.dropna()
    before = s.loc[:start]
    if before.empty or s.empty:
        return float("nan")
    return float(s.iloc[-1] / before.iloc[-1] - 1.0)


def sparkline(series: pd.Series, points: int = 60) -> list[float]:
    """A short evenly-sampled list for a table sparkline column."""
    s = series.dropna()
    if s.empty:
        return []
    idx = np.unique(np.linspace(0, len(s) - 1, min(points, len(s))).round().astype(int))
    return [round(float(v), 6) for v in s.iloc[idx]]


SUMMARY_COLUMNS = [
    "symbol", "name", "last", "currency", "as_of", "return", "max_drawdown", "volatility", "trend",
]  # fmt: skip


def summary_table(
    tidy: pd.DataFrame, currency_of: Mapping[str, str], names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per symbol: last close (currency, as-of), range return, drawdown, vol, sparkline."""
    rows = []
    names = names or {}
    for sym, g in tidy.groupby("symbol", sort=False):
        g = g.sort_values("date")
        adj = g.set_index("date")["adj_close"]
        px = price_column(g).set_axis(g["date"])
        valid = px.dropna()
        rows.append(
            {
                "symbol": str(sym),
                "name": names.get(str(sym), ""),
                "last": float(valid.iloc[-1]) if not valid.empty else np.nan,
                "currency": currency_of.get(str(sym), "USD"),
                "as_of": valid.index[-1].date() if not valid.empty else None,
                "return": total_return(adj),
                "max_drawdown": max_drawdown(adj),
                "volatility": annualised_volatility(adj),
                "trend": sparkline(adj),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)  # columns even with no rows


def equal_weight_index(wide: pd.DataFrame) -> pd.DataFrame:
    """Equal-weighted, daily-rebalanced basket rebased to 100, plus the member count per day.

    A member contributes from its second valid day on; days where it does not trade
    (holidays, before listing) simply average over the members that did.
    """
    rets = wide.pct_change(fill_method=None)
    mean = rets.mean(axis=1, skipna=True)
    members = rets.notna().sum(axis=1)
    mean[members == 0] = 0.0
    level = 100.0 * (1.0 + mean).cumprod()
    first = wide.notna().any(axis=1)
    level[~first] = np.nan
    return pd.DataFrame({"level": level, "members": members})


def basket_levels(tidy: pd.DataFrame, baskets: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Long frame (date, basket, level, members) of equal-weighted baskets from adj_close."""
    frames = []
    for name, members in baskets.items():
        sub = tidy[tidy["symbol"].isin(list(members))]
        wide = to_wide(sub, "adj_close")
        if wide.empty:
            continue
        idx = equal_weight_index(wide).dropna(subset=["level"])
        frames.append(idx.reset_index().assign(basket=name))
    if not frames:
        return pd.DataFrame(columns=["date", "basket", "level", "members"])
    return pd.concat(frames, ignore_index=True)[["date", "basket", "level", "members"]]


def period_changes(series: pd.Series, as_of: pd.Timestamp) -> dict[str, float]:
    """YTD and 1-year change of a price/level series as of its last date."""
    ytd_base = pd.Timestamp(year=as_of.year, month=1, day=1) - pd.Timedelta(days=1)
    return {
        "YTD": return_since(series, ytd_base),
        "1Y": return_since(series, as_of - pd.DateOffset(years=1)),
    }


def mode_values(tidy: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Long frame (date, symbol, value) for a display mode, each symbol on its own calendar."""
    if mode == "Price":
        wide = to_wide(tidy.assign(price=price_column(tidy)), "price")
    else:
        wide = to_wide(tidy, "adj_close")
        wide = rebase_to_100(wide)
        if mode == "% change":
            wide = wide / 100.0 - 1.0
    if wide.empty:
        return pd.DataFrame({"date": [], "symbol": [], "value": []})
    long = wide.reset_index().melt(id_vars="date", var_name="symbol", value_name="value")
    return long.dropna(subset=["value"]).reset_index(drop=True)
