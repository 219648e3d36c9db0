"""What the Prices page shows for a set of choices: pure, so it is tested without a browser."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lib import returns

DEFAULT_SYMBOLS = ("MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ")
BENCHMARKS = ("SPY", "REMX")
#: Most symbols one comparison (the Prices picker, a shared link, a seeded watchlist) holds:
#: beyond that a chart's legend and colours stop being readable.
MAX_COMPARE = 12
#: The range shown when a Custom range is not usable (fewer than two dates picked).
FALLBACK_RANGE = "1Y"


def resolve_range(
    range_key: str, picked: object
) -> tuple[str, tuple[date, date] | None, str | None]:
    """(range key, custom dates, message) the view can always build.

    ``picked`` is whatever the date picker returned: a pair, one date, an empty tuple or None.
    Custom with fewer than two dates falls back to :data:`FALLBACK_RANGE`; a reversed pair is
    swapped. The message (plain text, ours) says which of the two happened.
    """
    if range_key != "Custom":
        known = range_key in returns.RANGES
        key = range_key if known else FALLBACK_RANGE
        note = None if known else f"Unknown range; showing {FALLBACK_RANGE}."
        return key, None, note
    dates = [d for d in (picked if isinstance(picked, (tuple, list)) else (picked,)) if d]
    if len(dates) < 2:
        note = f"Pick a start and an end date for the custom range. Showing {FALLBACK_RANGE}."
        return FALLBACK_RANGE, None, note
    start, end = dates[0], dates[1]
    if start > end:
        return "Custom", (end, start), "The custom range was reversed; showing it start to end."
    return "Custom", (start, end), None


@dataclass(frozen=True)
class PriceView:
    """The sliced data behind the chart, the table and the export (all full resolution).

    ``tidy`` holds each symbol's base row (its last close on or before ``start``) and every
    row to ``end``, so rebasing and returns both start at the base close.
    """

    tidy: pd.DataFrame  # rows in range, plus each symbol's base row
    values: pd.DataFrame  # date, symbol, value for the chosen mode
    start: date | None
    end: date | None
    as_of: date | None
    #: sessions by which the symbols' last dates differ (0: they agree)
    end_spread: int = 0
    #: True when the range ends at the common end date of all symbols
    aligned: bool = False
    #: the latest date with data among the selection
    latest: date | None = None


def data_as_of(tidy: pd.DataFrame) -> date | None:
    """The latest date with data among the selection."""
    if tidy.empty:
        return None
    return tidy["date"].max().date()


def default_align(tidy: pd.DataFrame) -> bool:
    """Align to the common end by default when ends differ by more than a week of sessions."""
    return returns.end_spread_sessions(tidy) > returns.ALIGN_AFTER_SESSIONS


def build_view(
    tidy: pd.DataFrame,
    range_key: str,
    mode: str,
    custom: tuple[date, date] | None = None,
    align: bool | None = None,
) -> PriceView:
    """Slice ``tidy`` for a range ending at the selection's as-of date.

    ``align`` (default: :func:`default_align`) ends every series at the common end date, so a
    1Y return covers the same year for a stock with data to October and an ETF to July.
    """
    latest = data_as_of(tidy)
    spread = returns.end_spread_sessions(tidy)
    aligned = default_align(tidy) if align is None else bool(align)
    as_of = returns.common_end(tidy) if aligned and spread > 0 else latest
    if range_key == "Custom" and custom is not None:
        start, end = min(custom), max(custom)
    elif range_key not in returns.RANGES:  # Custom without dates: the documented fallback
        start, end = (returns.period_start(FALLBACK_RANGE, as_of), as_of) if as_of else (None, None)
    elif as_of is None:
        start, end = None, None
    else:
        start, end = returns.period_start(range_key, as_of), as_of
    sliced = returns.with_base_rows(tidy, start, end).reset_index(drop=True)
    return PriceView(
        sliced,
        returns.mode_values(sliced, mode),
        start,
        end,
        as_of,
        spread,
        aligned and spread > 0,
        latest,
    )


def export_frame(
    view: PriceView, currency_of: Mapping[str, str], currency_mode: str
) -> pd.DataFrame:
    """Exactly what is charted, at full resolution, with the currency of every row stated."""
    t = view.tidy
    out = t[["date", "symbol"]].copy()
    out["currency"] = (
        "USD" if currency_mode == "USD" else t["symbol"].map(lambda s: currency_of.get(s, "USD"))
    )
    # Quoted level (traded close where the data has one) and what it is; returns use adj_close.
    out["price"] = returns.price_column(t)
    out["price_basis"] = returns.price_basis(t)
    out["adj_close"] = t["adj_close"]
    out["volume"] = t["volume"]
    vals = view.values.rename(columns={"value": "chart_value"})
    out = out.merge(vals, on=["date", "symbol"], how="left")
    return out.sort_values(["symbol", "date"], ignore_index=True)


def missing_symbols(requested: Sequence[str], tidy: pd.DataFrame) -> list[str]:
    """Requested symbols with no rows at all (no offline data, unknown to Yahoo...)."""
    # unique() first: iterating every row's symbol was a tenth of a warm Prices rerun at Max.
    have = {str(s) for s in tidy["symbol"].unique()} if not tidy.empty else set()
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
