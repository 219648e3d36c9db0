"""The landing page's numbers: baskets, KPIs and what the reader must know about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from lib import returns


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float
    as_of: date | None
    detail: str


@dataclass
class HomeOverview:
    levels: pd.DataFrame  # date, basket, level, members
    kpis: list[Kpi]
    start: date | None
    end: date | None
    caption: str
    notes: list[str] = field(default_factory=list)


def _series(tidy: pd.DataFrame, symbol: str) -> pd.Series:
    g = tidy[tidy["symbol"] == symbol]
    return g.set_index("date")["adj_close"].dropna().sort_index()


def build_home(
    usd_prices: pd.DataFrame,
    members: dict[str, list[str]],
    start: date | None,
    fx_notes: dict[str, str],
) -> HomeOverview:
    """Baskets from USD prices (rows without FX are NaN and simply drop out), plus KPIs."""
    have = set(usd_prices.loc[usd_prices["adj_close"].notna(), "symbol"].astype(str))
    notes: list[str] = []
    for name, syms in members.items():
        missing = [s for s in syms if s not in have]
        if missing:
            notes.append(f"{name}: no offline data for {', '.join(missing)} (not in the basket).")
    for sym, note in fx_notes.items():
        notes.append(f"{sym}: {note}; it leaves the USD basket there.")

    for name, syms in list(members.items()):
        kept, stale = returns.fresh_members(usd_prices, syms)
        if stale:
            last = returns.ends_by_symbol(usd_prices[usd_prices["symbol"].isin(stale)]).max()
            notes.append(
                f"{name}: {', '.join(stale)} left out, their data ends {last:%Y-%m-%d}, months "
                "before the other members'."
            )
            members = {**members, name: kept}
    all_levels = returns.basket_levels(usd_prices, members)
    end = all_levels["date"].max().date() if not all_levels.empty else None
    if start is None and end is not None:
        start = (pd.Timestamp(end) - pd.DateOffset(years=1)).date()
    window = returns.with_base_rows(usd_prices, start, None) if start else usd_prices
    levels = returns.basket_levels(window, members)

    # One common window for every KPI: the last date all of them have data.
    series: dict[str, pd.Series] = {}
    for sym in ("MP", "REMX"):
        s = _series(usd_prices, sym)
        if not s.empty:
            series[sym] = s
    for name in members:
        b = all_levels[all_levels["basket"] == name].set_index("date")["level"]
        if not b.empty:
            series[name] = b
    kpi_as_of = min((s.index[-1] for s in series.values()), default=None)
    kpis: list[Kpi] = []
    if kpi_as_of is not None:
        day = kpi_as_of.date()
        for sym in ("MP", "REMX"):
            if sym not in series:
                continue
            detail = f"{'MP Materials' if sym == 'MP' else 'VanEck REMX ETF'}, adjusted close, USD"
            for key, label in (("YTD", "YTD"), ("1Y", "1 year")):
                value = returns.period_return(series[sym], key, day)
                kpis.append(Kpi(f"{sym} {label}", value, day, detail))
        for name in members:
            if name not in series:
                continue
            value = returns.period_return(series[name], "1Y", day)
            detail = f"{name}, equal-weighted: {', '.join(members[name])}"
            kpis.append(Kpi(f"{name.split()[0]} 1 year", value, day, detail))
        ends = {k: f"{v.index[-1]:%Y-%m-%d}" for k, v in series.items()}
        if len(set(ends.values())) > 1:
            notes.append(
                f"All figures are as of {day:%Y-%m-%d}, the last date every series has data ("
                + ", ".join(f"{k} to {v}" for k, v in ends.items())
                + ")."
            )
    for ch in returns.membership_changes(levels).itertuples():
        notes.append(
            f"{ch.basket}: {ch.previous} → {ch.members} members from {ch.date:%Y-%m-%d} "
            "(a listing joins; marked on the chart)."
        )
    caption = (
        "Equal-weighted, rebalanced daily, in USD (CNY and AUD converted with daily FX), "
        "rebased to 100 at the start. Each member counts from its first day of data."
    )
    return HomeOverview(levels, kpis, start, end, caption, notes)
