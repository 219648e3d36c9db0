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
    """The quoted price: the traded close where the data has it, else the adjusted close."""
    return tidy["close"].fillna(tidy["adj_close"])


def price_basis(tidy: pd.DataFrame) -> pd.Series:
    """Which figure :func:`price_column` used on each row: the traded or the adjusted close."""
    return pd.Series(
        np.where(tidy["close"].notna(), "traded close", "adjusted close"), index=tidy.index
    )


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
    "symbol", "name", "last", "quote", "currency", "as_of", "from", "to", "return",
    "max_drawdown", "volatility", "trend",
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
        basis = price_basis(g).set_axis(g["date"])
        adj_valid = adj.dropna()
        rows.append(
            {
                "symbol": str(sym),
                "name": names.get(str(sym), ""),
                "last": float(valid.iloc[-1]) if not valid.empty else np.nan,
                "quote": str(basis[valid.index[-1]]) if not valid.empty else "",
                "currency": currency_of.get(str(sym), "USD"),
                "as_of": valid.index[-1].date() if not valid.empty else None,
                # The window this row's return covers: its base close to its last close.
                "from": adj_valid.index[0].date() if not adj_valid.empty else None,
                "to": adj_valid.index[-1].date() if not adj_valid.empty else None,
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


def basket_levels(
    tidy: pd.DataFrame, baskets: Mapping[str, Sequence[str]], *, common_end: bool = True
) -> pd.DataFrame:
    """Long frame (date, basket, level, members) of equal-weighted baskets from adj_close.

    With ``common_end`` a basket stops at the earliest last date among its members with data,
    so its line never quietly turns into the one member whose data runs longest. Members
    that list later join on their own first day; :func:`membership_changes` names those days.
    """
    frames = []
    for name, members in baskets.items():
        sub = tidy[tidy["symbol"].isin(list(members)) & tidy["adj_close"].notna()]
        if common_end and not sub.empty:
            sub = sub[sub["date"] <= sub.groupby("symbol")["date"].max().min()]
        wide = to_wide(sub, "adj_close")
        if wide.empty:
            continue
        idx = equal_weight_index(wide).dropna(subset=["level"])
        frames.append(idx.reset_index().assign(basket=name))
    if not frames:
        return pd.DataFrame(columns=["date", "basket", "level", "members"])
    return pd.concat(frames, ignore_index=True)[["date", "basket", "level", "members"]]


#: A member whose data ends this long before the basket's freshest member is left out.
STALE_MEMBER_DAYS = 90


def fresh_members(
    tidy: pd.DataFrame, members: Sequence[str], max_lag_days: int = STALE_MEMBER_DAYS
) -> tuple[list[str], list[str]]:
    """(kept, left out): members with data, minus those whose data stopped long before the rest.

    A basket that ended at a stale member's last date would hide months of the others; one that
    ran on without it would change composition silently. Leaving it out (and saying so) keeps
    one composition to the end.
    """
    ends = ends_by_symbol(tidy[tidy["symbol"].isin(list(members))])
    if ends.empty:
        return [], []
    cutoff = ends.max() - pd.Timedelta(days=max_lag_days)
    kept = [m for m in members if m in ends.index and ends[m] >= cutoff]
    stale = [m for m in members if m in ends.index and ends[m] < cutoff]
    return kept, stale


def membership_changes(levels: pd.DataFrame) -> pd.DataFrame:
    """Days a basket's member count changes for good (a listing joins), to mark on charts.

    One-day dips (a member's exchange holiday) are not changes of membership and are skipped:
    a change counts when the new count is also the count of the next session.
    """
    cols = ["date", "basket", "members", "previous"]
    out = []
    for name, g in levels.groupby("basket", sort=False):
        m = g.sort_values("date")["members"].to_numpy()
        d = g.sort_values("date")["date"].to_numpy()
        run_max = 0
        for i in range(1, len(m)):
            settled = i + 1 >= len(m) or m[i + 1] == m[i]
            if m[i] > run_max and m[i] != m[i - 1] and settled and run_max > 0:
                out.append({"date": d[i], "basket": name, "members": int(m[i]),
                            "previous": int(run_max)})  # fmt: skip
            run_max = max(run_max, int(m[i]))
    return pd.DataFrame(out, columns=cols)


def period_changes(series: pd.Series, as_of: pd.Timestamp) -> dict[str, float]:
    """YTD and 1-year change of a price/level series as of ``as_of`` (see period_return)."""
    return {k: period_return(series, k, as_of.date()) for k in ("YTD", "1Y")}


# --------------------------------------------------------------------------- one definition
# Every page states a period return the same way (issue 14): from the LAST CLOSE ON OR BEFORE
# the period's start (YTD: the previous year's last close) to the as-of close, on each
# symbol's own calendar. Home, Prices, Watchlists and Market outlook all call these.

PERIODS = ("1D", "1M", "3M", "6M", "YTD", "1Y", "3Y", "5Y", "Max")
#: Ends further apart than this many sessions make returns incomparable: align by default.
ALIGN_AFTER_SESSIONS = 5


def period_start(key: str, as_of: date) -> date | None:
    """The day whose close (or the last one before it) is the period's base; None: all data."""
    if key == "YTD":
        return date(as_of.year - 1, 12, 31)
    return range_start(key, as_of)


def period_return(series: pd.Series, key: str, as_of: date | None = None) -> float:
    """Return over ``key`` ending at ``as_of`` (default: the series' own last date).

    NaN when the series has no close on or before the period's start (history too short),
    so a figure is never silently measured over a shorter window.
    """
    s = series.dropna().sort_index()
    if as_of is not None:
        s = s.loc[: pd.Timestamp(as_of)]
    if len(s) < 2:
        return float("nan")
    if key == "1D":
        return float(s.iloc[-1] / s.iloc[-2] - 1.0)
    if key == "Max":
        return float(s.iloc[-1] / s.iloc[0] - 1.0)
    start = period_start(key, s.index[-1].date())
    return return_since(s, pd.Timestamp(start))


def with_base_rows(tidy: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows in [start, end] plus, per symbol, its last row before ``start`` (the base close).

    A chart rebased on the first row and a return from first to last row then both start at
    the period's base close, as every other page measures it.
    """
    if tidy.empty:
        return tidy
    t = tidy if end is None else tidy[tidy["date"] <= pd.Timestamp(end)]
    if start is None:
        return t
    ts = pd.Timestamp(start)
    valid = t[t["adj_close"].notna()] if "adj_close" in t else t
    inside = set(valid.loc[valid["date"] >= ts, "symbol"])  # a lone stale base is no series
    base = valid[valid["date"] <= ts].groupby("symbol", sort=False)["date"].max().to_dict()
    floors = {sym: base.get(sym, ts) for sym in inside}
    floor = pd.to_datetime(t["symbol"].map(floors), errors="coerce")
    return t[(t["date"] >= floor) & t["symbol"].isin(inside)]


def ends_by_symbol(tidy: pd.DataFrame) -> pd.Series:
    """Each symbol's last date with a price."""
    if tidy.empty:
        return pd.Series(dtype="datetime64[ns]")
    valid = tidy[tidy["adj_close"].notna()] if "adj_close" in tidy else tidy
    return valid.groupby("symbol", sort=True)["date"].max()


def end_spread_sessions(tidy: pd.DataFrame) -> int:
    """Sessions the freshest symbol has after the stalest one's end (0 when ends agree)."""
    ends = ends_by_symbol(tidy)
    if len(ends) < 2:
        return 0
    freshest = ends.idxmax()
    dates = tidy.loc[tidy["symbol"] == freshest, "date"]
    return int(((dates > ends.min()) & (dates <= ends.max())).sum())


def common_end(tidy: pd.DataFrame) -> date | None:
    """The last date on which every symbol of the selection has a price."""
    ends = ends_by_symbol(tidy)
    return None if ends.empty else ends.min().date()


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
