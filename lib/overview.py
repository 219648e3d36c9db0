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

    all_levels = returns.basket_levels(usd_prices, members)
    end = all_levels["date"].max().date() if not all_levels.empty else None
    if start is None and end is not None:
        start = (pd.Timestamp(end) - pd.DateOffset(years=1)).date()
    window = usd_prices[usd_prices["date"] >= pd.Timestamp(start)] if start else usd_prices
    levels = returns.basket_levels(window, members)

    kpis: list[Kpi] = []
    for sym, label in (("MP", "MP"), ("REMX", "REMX")):
        s = _series(usd_prices, sym)
        if s.empty:
            continue
        as_of = s.index[-1]
        ch = returns.period_changes(s, as_of)
        detail = f"{'MP Materials' if sym == 'MP' else 'VanEck REMX ETF'}, adjusted close, USD"
        kpis.append(Kpi(f"{label} YTD", ch["YTD"], as_of.date(), detail))
        kpis.append(Kpi(f"{label} 1 year", ch["1Y"], as_of.date(), detail))
    for name in members:
        b = all_levels[all_levels["basket"] == name].set_index("date")["level"]
        if b.empty:
            continue
        as_of = b.index[-1]
        ch = returns.period_changes(b, as_of)
        kpis.append(
            Kpi(
                f"{name.split()[0]} 1 year",
                ch["1Y"],
                as_of.date(),
                f"{name}, equal-weighted: {', '.join(members[name])}",
            )
        )
    caption = (
        "Equal-weighted, rebalanced daily, in USD (CNY and AUD converted with daily FX), "
        "rebased to 100 at the start. Each member counts from its first day of data."
    )
    return HomeOverview(levels, kpis, start, end, caption, notes)
