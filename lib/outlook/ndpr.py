"""NdPr oxide prices: quotes as published, in USD/kg where a rate is on disk, policy levels."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from lib.datafiles import read_raw
from lib.outlook.projections import as_number
from lib.paths import DATA_DIR

_PERIOD = {
    "day": pd.DateOffset(days=0),
    "approximate": pd.DateOffset(days=0),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


REFERENCE_KINDS = ("price floor", "incentive price")


def parse_ndpr(raw: pd.DataFrame) -> pd.DataFrame:
    df = raw.copy()
    df["date"] = pd.to_datetime(df["date"])
    for col in ("value", "value_low", "value_high", "usd_per_kg"):
        df[col] = as_number(raw[col]).astype("float64")
    return df


def load_ndpr(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    return parse_ndpr(read_raw("ndpr_prices.csv", data_dir))


def is_ndpr_oxide(series: str) -> bool:
    """Only NdPr (oxide-comparable) quotes share the panel; Nd metal, Tb, Dy and alloy do not."""
    return "NdPr" in series and "alloy" not in series.lower()


def _to_usd_per_kg(value: float, unit: str, cny_per_usd: float) -> float:
    if pd.isna(value):
        return math.nan
    if unit == "USD/kg":
        return float(value)
    if unit == "USD/t":
        return float(value) / 1000.0
    if unit == "CNY/t" and not pd.isna(cny_per_usd):
        return float(value) / cny_per_usd / 1000.0
    return math.nan


def ndpr_points(prices: pd.DataFrame, cny_per_usd: pd.Series | None = None) -> pd.DataFrame:
    """NdPr quotes in USD/kg for the panel, with how exact each point is.

    A source's own USD figure wins; CNY/t quotes are converted with the CNY=X rate of the
    last session on or before the date (within a week) and marked ``converted``, because
    Chinese domestic prices include VAT and the conversion is ours, not the source's.
    """
    df = prices[prices["series"].map(is_ndpr_oxide)].copy()
    rate = pd.Series(math.nan, index=df.index)
    if cny_per_usd is not None and not cny_per_usd.dropna().empty:
        fx = cny_per_usd.dropna().sort_index()
        pos = fx.index.searchsorted(df["date"], side="right") - 1
        for i, (idx, d) in enumerate(zip(df.index, df["date"], strict=True)):
            if pos[i] >= 0 and (d - fx.index[pos[i]]).days <= 7:
                rate[idx] = float(fx.iloc[pos[i]])
    usd, low, high, converted = [], [], [], []
    for idx, r in df.iterrows():
        given = r["usd_per_kg"]
        conv = pd.isna(given) and r["unit"] == "CNY/t" and not pd.isna(rate[idx])
        usd.append(
            given if not pd.isna(given) else _to_usd_per_kg(r["value"], r["unit"], rate[idx])
        )
        factor = 1.0 if pd.isna(r["value"]) or r["value"] == 0 else usd[-1] / r["value"]
        low.append(r["value_low"] * factor if not pd.isna(r["value_low"]) else math.nan)
        high.append(r["value_high"] * factor if not pd.isna(r["value_high"]) else math.nan)
        converted.append(bool(conv))
    df["usd_kg"] = usd
    df["usd_kg_low"] = low
    df["usd_kg_high"] = high
    df["converted"] = converted
    df["exact"] = (df["confidence"] == "verified") & ~df["converted"]
    df["period_end"] = [
        d + _PERIOD.get(p, pd.DateOffset(days=0))
        for d, p in zip(df["date"], df["date_precision"], strict=True)
    ]
    df["is_reference"] = df["kind"].isin(REFERENCE_KINDS)
    return df.dropna(subset=["usd_kg"]).reset_index(drop=True)


def _plain(v: float) -> str:
    """1100000 -> '1,100,000', 65.3 -> '65.3': the figure as the source wrote it."""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,}"


def ndpr_table(facts: pd.DataFrame) -> pd.DataFrame:
    """The NdPr price facts as shown: figures as published, USD/kg where the source gave it."""
    as_published = []
    for v, lo, hi, unit in zip(
        facts["value"], facts["value_low"], facts["value_high"], facts["unit"], strict=True
    ):
        text = f"{_plain(v)} {unit}"
        if not pd.isna(lo) and not pd.isna(hi):
            text += f" (range {_plain(lo)}–{_plain(hi)})"
        as_published.append(text)
    return pd.DataFrame(
        {
            "Row": facts["id"],
            "Date": facts["date"].dt.date,
            "Precision": facts["date_precision"],
            "Kind": facts["kind"],
            "Series": facts["series"],
            "As published": as_published,
            "USD/kg (source)": facts["usd_per_kg"],
            "Publisher": facts["publisher"],
            # upper case so "UNVERIFIED" / "DERIVED" stand out from "verified"
            "Confidence": [c if c == "verified" else c.upper() for c in facts["confidence"]],
            "Source": facts["source_url"],
            "Notes": facts["notes"],
        }
    )
