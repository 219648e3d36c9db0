"""The landing page's numbers: baskets, KPIs and what the reader must know about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from lib import returns
from lib.prices import quality

#: What a KPI's as-of date is: one symbol's own latest close, or the baskets' common date.
OWN_DATE = "own latest close"
COMMON_DATE = "common date of both baskets"


@dataclass(frozen=True)
class Kpi:
    """One figure on a Home card. ``as_of`` is shown on the card itself, with ``basis``:
    a single-symbol figure is as of that symbol's latest close (so it equals the Prices
    page's figure for that symbol); a comparison between baskets uses their common date."""

    label: str
    value: float
    as_of: date | None
    detail: str
    basis: str = OWN_DATE

    @property
    def dated(self) -> str:
        """The card's date line: 'to 8 Oct 2026, MP's latest close'."""
        if self.as_of is None:
            return "no data"
        day = f"{self.as_of:%d %b %Y}".lstrip("0")
        if self.basis == COMMON_DATE:
            return f"to {day}, the last date both baskets have data"
        return f"to {day}, its latest close"


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
    usd_prices = quality.return_basis(usd_prices)  # no return crosses a known break
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

    kpis = symbol_kpis(usd_prices) + basket_kpis(all_levels, members)
    common = [k for k in kpis if k.basis == COMMON_DATE]
    if common and common[0].as_of is not None:
        ends = all_levels.groupby("basket")["date"].max()
        notes.append(
            f"The basket 1-year figures compare the baskets at their common date, "
            f"{common[0].as_of:%Y-%m-%d} ("
            + ", ".join(f"{name} to {d:%Y-%m-%d}" for name, d in ends.items())
            + "); MP and REMX figures are each as of their own latest close."
        )
    in_baskets = {s for syms in members.values() for s in syms}
    notes += quality.series_notes(window[window["symbol"].isin(in_baskets)])
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


#: The single-symbol KPIs on Home: symbol -> what it is.
KPI_SYMBOLS = {"MP": "MP Materials", "REMX": "VanEck REMX ETF"}


def symbol_kpis(usd_prices: pd.DataFrame) -> list[Kpi]:
    """YTD and 1-year of each KPI symbol, as of that symbol's own latest close.

    Measured exactly as the Prices page measures a symbol (returns.period_return from the
    last close on or before the period's start), so the two pages show the same number.
    """
    kpis: list[Kpi] = []
    for sym, name in KPI_SYMBOLS.items():
        s = _series(usd_prices, sym)
        if s.empty:
            continue
        day = s.index[-1].date()
        for key, label in (("YTD", "YTD"), ("1Y", "1 year")):
            value = returns.period_return(s, key, day)
            kpis.append(Kpi(f"{sym} {label}", value, day, f"{name}, adjusted close, USD"))
    return kpis


def basket_kpis(all_levels: pd.DataFrame, members: dict[str, list[str]]) -> list[Kpi]:
    """Each basket's 1-year change as of the last date every basket has a level, so the
    West and China figures cover the same year."""
    series = {
        name: all_levels[all_levels["basket"] == name].set_index("date")["level"]
        for name in members
    }
    series = {k: v for k, v in series.items() if not v.empty}
    if not series:
        return []
    day = min(v.index[-1] for v in series.values()).date()
    return [
        Kpi(
            f"{name.split()[0]} 1 year",
            returns.period_return(s, "1Y", day),
            day,
            f"{name}, equal-weighted: {', '.join(members[name])}",
            COMMON_DATE,
        )
        for name, s in series.items()
    ]
