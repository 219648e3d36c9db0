"""Currency conversion of tidy price frames to USD, never silently mixing currencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from lib.prices.schema import PRICE_FIELDS

#: currency -> (Yahoo FX symbol, how its quote converts local prices to USD).
#: "divide": quoted as local units per USD (CNY=X); "multiply": USD per local unit (AUDUSD=X).
FX_PAIRS: dict[str, tuple[str, str]] = {
    "CNY": ("CNY=X", "divide"),
    "HKD": ("HKD=X", "divide"),
    "JPY": ("JPY=X", "divide"),
    "CAD": ("CAD=X", "divide"),
    "SAR": ("SAR=X", "divide"),
    "AUD": ("AUDUSD=X", "multiply"),
    "EUR": ("EURUSD=X", "multiply"),
    "GBp": ("GBPUSD=X", "multiply_pence"),
}

#: An FX rate may be carried forward over at most this many calendar days (holidays on one side).
FX_MAX_GAP_DAYS = 5


@dataclass
class Conversion:
    """Converted prices plus, per symbol, why some rows could not be converted."""

    prices: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)


def fx_symbols_for(currencies: set[str] | list[str]) -> list[str]:
    return sorted({FX_PAIRS[c][0] for c in currencies if c in FX_PAIRS})


def convert_to_usd(
    prices: pd.DataFrame, currency_of: Mapping[str, str], fx: pd.DataFrame
) -> Conversion:
    """Convert every non-USD symbol's price fields to USD with the same-day (or last prior) rate.

    Rows with no rate within FX_MAX_GAP_DAYS become NaN and are named in ``notes``, so the
    caller can say "no AUD/USD data after 2024-12-31" instead of mixing AUD and USD.
    """
    frames: list[pd.DataFrame] = []
    notes: dict[str, str] = {}
    for sym, g in prices.groupby("symbol", sort=False):
        ccy = currency_of.get(str(sym), "USD")
        if ccy == "USD":
            frames.append(g)
            continue
        if ccy not in FX_PAIRS:
            notes[str(sym)] = f"no FX conversion known for {ccy}; not shown in USD"
            frames.append(g.assign(**{c: float("nan") for c in PRICE_FIELDS}))
            continue
        fx_sym, how = FX_PAIRS[ccy]
        rates = (
            fx.loc[fx["symbol"] == fx_sym, ["date", "adj_close"]]
            .dropna()
            .rename(columns={"adj_close": "rate"})
            .sort_values("date")
        )
        g = g.sort_values("date")
        merged = pd.merge_asof(
            g,
            rates,
            on="date",
            direction="backward",
            tolerance=pd.Timedelta(days=FX_MAX_GAP_DAYS),
        )
        rate = merged["rate"]
        if how == "divide":
            factor = 1.0 / rate
        elif how == "multiply":
            factor = rate
        else:  # pence quotes: GBp / 100 * GBPUSD
            factor = rate / 100.0
        for col in PRICE_FIELDS:
            merged[col] = merged[col] * factor
        missing = merged["rate"].isna()
        if missing.any():
            notes[str(sym)] = _coverage_note(fx_sym, merged.loc[missing, "date"], rates, ccy)
        frames.append(merged.drop(columns="rate"))
    out = pd.concat(frames, ignore_index=True) if frames else prices.iloc[0:0]
    return Conversion(out, notes)


def _coverage_note(
    fx_sym: str, missing_dates: pd.Series, rates: pd.DataFrame, ccy: str = ""
) -> str:
    if rates.empty:
        # The snapshot has no series for this currency at all (JPY for 4063.T): say so, in the
        # same words as a partial gap, rather than leave the reader guessing.
        what = f"{ccy} FX series" if ccy else "FX series"
        return (
            f"no {fx_sym} rates available (no offline {what}; Yahoo adds it when online); "
            "not shown in USD"
        )
    first, last = rates["date"].min(), rates["date"].max()
    parts = []
    if (missing_dates < first).any():
        parts.append(f"before {first.date().isoformat()}")
    if (missing_dates > last).any():
        parts.append(f"after {last.date().isoformat()}")
    where = " and ".join(parts) or "on some dates"
    return f"no {fx_sym} rate {where}; USD values are missing there"
