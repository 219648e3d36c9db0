"""What the Prices page shows for a set of choices: pure, so it is tested without a browser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lib import returns

DEFAULT_SYMBOLS = ("MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ")
BENCHMARKS = ("SPY", "REMX")


@dataclass(frozen=True)
class PriceView:
    """The sliced data behind the chart, the table and the export (all full resolution)."""

    tidy: pd.DataFrame  # rows in range
    values: pd.DataFrame  # date, symbol, value for the chosen mode
    start: date | None
    end: date | None
    as_of: date | None


def data_as_of(tidy: pd.DataFrame) -> date | None:
    """The latest date with data among the selection: ranges end here, not at 'today'."""
    if tidy.empty:
        return None
    return tidy["date"].max().date()


def build_view(
    tidy: pd.DataFrame,
    range_key: str,
    mode: str,
    custom: tuple[date, date] | None = None,
) -> PriceView:
    as_of = data_as_of(tidy)
    if range_key == "Custom" and custom is not None:
        start, end = custom
    elif as_of is None:
        start, end = None, None
    else:
        start, end = returns.range_start(range_key, as_of), as_of
    sliced = returns.slice_dates(tidy, start, end).reset_index(drop=True)
    return PriceView(sliced, returns.mode_values(sliced, mode), start, end, as_of)


def export_frame(
    view: PriceView, currency_of: Mapping[str, str], currency_mode: str
) -> pd.DataFrame:
    """Exactly what is charted, at full resolution, with the currency of every row stated."""
    t = view.tidy
    out = t[["date", "symbol"]].copy()
    out["currency"] = (
        "USD" if currency_mode == "USD" else t["symbol"].map(lambda s: currency_of.get(s, "USD"))
    )
    out["price"] = returns.price_column(t)
    out["adj_close"] = t["adj_close"]
    out["volume"] = t["volume"]
    vals = view.values.rename(columns={"value": "chart_value"})
    out = out.merge(vals, on=["date", "symbol"], how="left")
    return out.sort_values(["symbol", "date"], ignore_index=True)


def missing_symbols(requested: Sequence[str], tidy: pd.DataFrame) -> list[str]:
    """Requested symbols with no rows at all (no offline data, unknown to Yahoo...)."""
    have = set(tidy["symbol"].astype(str)) if not tidy.empty else set()
    return [s for s in requested if s not in have]


def listing_markers(
    universe: pd.DataFrame, symbols: Sequence[str], start: date | None, end: date | None
) -> pd.DataFrame:
    """Listing dates inside the visible range, for symbols whose SPAC history is shown."""
    u = universe[universe["symbol"].isin(list(symbols)) & universe["listing_date"].notna()]
    rows = []
    for _, r in u.iterrows():
        d = r["listing_date"]
        if (start is None or d >= pd.Timestamp(start)) and (end is None or d <= pd.Timestamp(end)):
            rows.append(
                {
                    "date": d,
                    "symbol": r["symbol"],
                    "note": r["pre_listing_note"],
                    "label": f"{r['symbol']} listed",
                }
            )
    return pd.DataFrame(rows, columns=["date", "symbol", "note", "label"])
