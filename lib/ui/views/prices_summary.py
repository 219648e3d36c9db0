"""Prices page summary: per-symbol returns and risk, with market cap in USD and clean labels."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.ui import tables
from lib.ui.views.valuation import market_cap_columns, market_cap_table
from lib.valuation import MARKET_CAP_LABEL, SHARE_BASIS_LABEL

#: Column -> header, units included (percent columns arrive in percent points).
LABELS = {
    "symbol": "Symbol",
    "name": "Name",
    "last": "Last close (listing ccy)",
    "currency": "Ccy",
    "as_of": "As of",
    "from": "From",
    "to": "To",
    "return": "Return over range (%)",
    "max_drawdown": "Max drawdown (%)",
    "volatility": "Volatility, annualised (%)",
    "trend": "Trend",
}


def with_market_caps(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary plus market cap (USD) and its share-count basis, '–' + reason if unknown."""
    if summary.empty:
        return summary
    caps = market_cap_columns(list(summary["symbol"]))
    return summary.merge(caps, on="symbol", how="left")


def summary_widget(summary: pd.DataFrame, currency: str) -> None:
    """The table under the price chart: numbers sort as numbers, gaps read '–'."""
    table = with_market_caps(summary)
    last_label = "Last close (USD)" if currency == "USD" else LABELS["last"]
    styled = tables.clean(
        table,
        {
            "last": "{:,.2f}",
            "as_of": tables.day,
            "from": tables.day,
            "to": tables.day,
            "return": tables.pct_points(),
            "max_drawdown": tables.pct_points(signed=False),
            "volatility": tables.pct_points(signed=False),
        },
    )
    config: dict[str, object] = {c: LABELS.get(c, c) for c in table.columns}
    config["last"] = last_label
    config["trend"] = st.column_config.LineChartColumn("Trend")
    config[SHARE_BASIS_LABEL] = st.column_config.TextColumn(SHARE_BASIS_LABEL, width="large")
    config[MARKET_CAP_LABEL] = st.column_config.TextColumn(MARKET_CAP_LABEL)
    st.dataframe(styled, hide_index=True, width="stretch", column_config=config)


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
