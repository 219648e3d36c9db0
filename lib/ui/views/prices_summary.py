"""Prices page summary: per-symbol returns and risk, with market cap in USD and clean labels."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from lib.markets.valuation import MARKET_CAP_LABEL, SHARE_BASIS_LABEL
from lib.ui import tables
from lib.ui.valuation import market_cap_table
from lib.ui.widgets import percent_column

#: Column -> header, units included (percent columns arrive in percent points).
LABELS = {
    "symbol": "Symbol",
    "name": "Name",
    "last": "Last close (listing ccy)",
    "currency": "Ccy",
    "as_of": "As of",
    "from": "From",
    "to": "To",
    "quote": "Quote",
    "return": "Return over range (%)",
    "max_drawdown": "Max drawdown (%)",
    "volatility": "Volatility, annualised (%)",
    "trend": "Trend",
}


def summary_widget(table: pa.Table, currency: str) -> None:
    """The table under the price chart: numbers sort as numbers, gaps read '–'.

    Formats are column settings the browser applies, not a pandas Styler: styling the table
    on the server was the largest single cost of a Prices rerun."""
    names = set(table.column_names)
    config: dict[str, object] = {c: LABELS.get(c, c) for c in table.column_names}
    last_label = "Last close (USD)" if currency == "USD" else LABELS["last"]
    config["last"] = st.column_config.NumberColumn(last_label, format="%.2f")
    for col in ("return", "max_drawdown", "volatility"):
        config[col] = percent_column(LABELS[col], signed=col == "return")
    for col in ("as_of", "from", "to"):
        config[col] = st.column_config.DateColumn(LABELS[col], format="DD MMM YYYY")
    config["trend"] = st.column_config.LineChartColumn("Trend")
    config[SHARE_BASIS_LABEL] = st.column_config.TextColumn(SHARE_BASIS_LABEL, width="large")
    config[MARKET_CAP_LABEL] = st.column_config.TextColumn(MARKET_CAP_LABEL)
    config = {c: v for c, v in config.items() if c in names}
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=config, placeholder=tables.DASH
    )


def export_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary for the workbook: numbers stay numbers, sparkline dropped, caps in USD."""
    table = summary.drop(columns=["trend"], errors="ignore")
    if table.empty:
        return table
    caps = market_cap_table()[
        ["symbol", "market_cap_usd", "shares_outstanding", "shares_as_of", "shares_source_url",
         "shares_confidence", "reason"]
    ]  # fmt: skip
    out = table.merge(caps, on="symbol", how="left")
    return out.rename(columns={"reason": "market_cap_note"})
