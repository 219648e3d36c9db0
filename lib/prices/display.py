"""Prices as the pages show them: SPAC era trimmed, converted to USD on request.

These rules used to live inside Streamlit-cached functions; here they are plain and typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pandas as pd

from lib import returns
from lib.prices.fx import convert_to_usd, fx_symbols_for
from lib.prices.quality import return_basis


@dataclass(frozen=True)
class DisplayPrices:
    """Tidy rows ready to chart, plus per-symbol notes (e.g. missing FX coverage) to show."""

    prices: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)


def infer_currency(meta_currency: str) -> str:
    """The listing currency a snapshot series is quoted in.

    Snapshot series without a universe row carry a unit such as ``USD per troy ounce``
    or ``CNY per USD``; those quotes are USD-denominated for conversion purposes.
    """
    text = str(meta_currency)
    return "USD" if "per" in text else text


def currency_map(universe: pd.DataFrame, snapshot_meta: pd.DataFrame) -> dict[str, str]:
    """symbol -> currency: the universe first, then the snapshot's own series."""
    out = dict(zip(universe["symbol"], universe["currency"], strict=True))
    for sym, ccy in zip(snapshot_meta["symbol"], snapshot_meta["currency"], strict=True):
        out.setdefault(str(sym), infer_currency(ccy))
    return out


def listing_dates(universe: pd.DataFrame) -> dict[str, date | None]:
    """symbol -> listing date (None where the universe has none)."""
    return dict(zip(universe["symbol"], universe["listing_date"], strict=True))


def fx_needed(symbols: tuple[str, ...], currency_of: Mapping[str, str]) -> list[str]:
    """The FX series needed to show ``symbols`` in USD."""
    return fx_symbols_for({currency_of.get(s, "USD") for s in symbols})


def traded_close_mask(tidy: pd.DataFrame, snapshot_meta: pd.DataFrame) -> pd.Series:
    """True where ``close`` is the exchange's traded close.

    Snapshot rows follow ``snapshot_meta.traded_close`` ("all", "none" or "from YYYY-MM-DD":
    SPY's Stooq closes are dividend-adjusted, several sources are forward-adjusted before a
    date). Rows after a series' snapshot end come from Yahoo, downloaded with
    ``auto_adjust=False``, whose close is the traded close.
    """
    ok = tidy["close"].notna() if "close" in tidy else pd.Series(False, index=tidy.index)
    if "traded_close" not in snapshot_meta or tidy.empty:
        return ok
    meta = snapshot_meta.set_index("symbol")
    keep = pd.Series(True, index=tidy.index)
    for sym, rows in tidy.groupby("symbol", sort=False).groups.items():
        if sym not in meta.index:
            continue
        rule = str(meta.at[sym, "traded_close"])
        snap_end = pd.Timestamp(meta.at[sym, "last_date"])
        dates = tidy.loc[rows, "date"]
        if rule == "none":
            traded = dates > snap_end
        elif rule.startswith("from "):
            traded = (dates >= pd.Timestamp(rule[5:])) | (dates > snap_end)
        else:
            traded = pd.Series(True, index=rows)
        keep.loc[rows] = traded.to_numpy()
    return ok & keep


def display_prices(
    tidy: pd.DataFrame,
    symbols: tuple[str, ...],
    *,
    listed: Mapping[str, date | None],
    currency_of: Mapping[str, str],
    rates: pd.DataFrame | None,
    currency: str,
    include_pre_listing: bool,
    snapshot_meta: pd.DataFrame | None = None,
) -> DisplayPrices:
    """Trim each symbol to its listing date unless asked not to; convert to USD if asked.

    ``rates`` holds the FX series from :func:`fx_needed` (None or empty when none is needed).
    With ``snapshot_meta``, a ``close`` that is not the traded close is blanked, so quoted
    levels fall back to the adjusted close visibly (``price_basis``) instead of passing an
    adjusted figure off as a quote; returns always use ``adj_close``, cut at each series'
    return break (:func:`lib.prices.quality.return_basis`: no return crosses VML.AX's
    unadjusted consolidation).
    """
    tidy = return_basis(tidy)
    if snapshot_meta is not None and not tidy.empty and "close" in tidy:
        tidy = tidy.assign(close=tidy["close"].where(traded_close_mask(tidy, snapshot_meta)))
    if not include_pre_listing:
        tidy = returns.trim_pre_listing(tidy, {s: listed.get(s) for s in symbols})
    notes: dict[str, str] = {}
    if currency == "USD":
        conv = convert_to_usd(tidy, currency_of, rates if rates is not None else tidy.iloc[0:0])
        tidy, notes = conv.prices, conv.notes
    return DisplayPrices(tidy.reset_index(drop=True), notes)


class PriceReader(Protocol):
    """Anything that loads tidy daily prices for symbols (the price store)."""

    def load(self, symbols: Sequence[str] | None = None) -> pd.DataFrame: ...


def load_display_prices(
    reader: PriceReader,
    symbols: tuple[str, ...],
    *,
    universe: pd.DataFrame,
    snapshot_meta: pd.DataFrame,
    currency: str = "local",
    include_pre_listing: bool = False,
) -> DisplayPrices:
    """The one domain call for prices as pages show them, FX included.

    Reads the symbols and, for USD, the FX series they need in one load from the store,
    then applies :func:`display_prices`' rules (listing trim, traded-close basis, USD).
    """
    ccy = currency_map(universe, snapshot_meta)
    fx = fx_needed(symbols, ccy) if currency == "USD" else []
    both = reader.load([*symbols, *(s for s in fx if s not in symbols)])
    tidy = both[both["symbol"].isin(symbols)]
    rates = both[both["symbol"].isin(fx)] if fx else None
    return display_prices(
        tidy,
        symbols,
        listed=listing_dates(universe),
        currency_of=ccy,
        rates=rates,
        currency=currency,
        include_pre_listing=include_pre_listing,
        snapshot_meta=snapshot_meta,
    )
