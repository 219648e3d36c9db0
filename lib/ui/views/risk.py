"""Prices page, Risk section: drawdown, correlation of daily returns, rolling correlation, beta.

Cached on the page's small choices; the pure maths is lib.markets.risk, the charts
lib.markets.risk_charts.
Baskets ("West basket", "China basket") are equal-weighted USD levels, as on Home, so the
default rolling correlation answers "are the West and China decoupling?".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from lib import returns
from lib.markets import risk, risk_charts
from lib.markets.price_view import build_view
from lib.ui import data, exports, state, tables, vega, widgets
from lib.ui import prices_link as px
from lib.ui.st_internals import DeltaGenerator
from lib.universe import basket_members, symbol_key

BASKETS = px.BASKETS
RISK_TABS = px.RISK_TABS
BIND = state.BIND  # the section, its tab and its controls are in the URL while it is open
BASKET_NOTE = "Baskets: equal-weighted West and China listed producers in USD, as on Home."


@dataclass(frozen=True)
class RiskView:
    """Everything the Risk section draws and exports, full resolution (charts downsampled)."""

    drawdowns: pd.DataFrame
    drawdown_table: pd.DataFrame
    correlation: pd.DataFrame
    betas: pd.DataFrame
    rolling: pd.DataFrame
    drawdown_chart: vega.Spec | None
    heatmap: vega.Spec | None
    rolling_chart: vega.Spec | None
    start: date | None
    end: date | None
    as_of: date | None


def _baskets_tidy(start: date | None, end: date | None) -> pd.DataFrame:
    uni = data.universe()
    members = {name: basket_members(uni, name.split()[0]) for name in BASKETS}
    wanted = [s for syms in members.values() for s in syms]
    tidy, _ = data.display_prices(wanted, "USD", False)
    if tidy.empty:
        return tidy
    levels = risk.basket_series(tidy, members)
    if levels.empty:
        return levels
    return returns.slice_dates(levels, start, end)


@data.token_cached(ttl="1h", max_entries=32)
def _risk_view(
    symbols: tuple[str, ...],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    benchmark: str,
    pair: tuple[str, str],
    window: int,
    min_overlap: int,
    *,
    cache_token: str,
) -> RiskView:
    wanted = list(dict.fromkeys([*symbols, benchmark]))
    tidy, _ = data.display_prices(wanted, currency, include_pre_listing)
    view = build_view(tidy, range_key, "Price", custom)
    shown = view.tidy[view.tidy["symbol"].isin(list(symbols))]
    dd = risk.drawdowns(shown)
    corr = risk.correlation_matrix(shown, min_overlap=min_overlap)
    betas = risk.betas(view.tidy, benchmark, min_overlap=min_overlap)
    if pair[0] in BASKETS or pair[1] in BASKETS:
        both = pd.concat([view.tidy, _baskets_tidy(view.start, view.end)], ignore_index=True)
    else:
        both = view.tidy
    both = both[both["symbol"].isin(list(pair))]
    roll = risk.rolling_correlation(both[["date", "symbol", "adj_close"]], *pair, window=window)
    return RiskView(
        drawdowns=dd,
        drawdown_table=risk.drawdown_summary(dd) if not dd.empty else pd.DataFrame(),
        correlation=corr,
        betas=betas,
        rolling=roll,
        drawdown_chart=vega.to_spec(risk_charts.drawdown_chart(dd)) if not dd.empty else None,
        heatmap=(
            vega.to_spec(risk_charts.correlation_heatmap(corr, min_overlap))
            if not corr.empty
            else None
        ),
        rolling_chart=(
            vega.to_spec(risk_charts.rolling_correlation_chart(roll, *pair, window))
            if roll["correlation"].notna().any()
            else None
        ),
        start=view.start,
        end=view.end,
        as_of=view.as_of,
    )


def drawdown_display(table: pd.DataFrame) -> pd.DataFrame:
    """Drawdown summary with human labels and percent points; '–' where not recovered."""
    if table.empty:
        return table
    out = widgets.as_percent(table, ["max_drawdown", "current_drawdown"])
    for col in ("peak_date", "trough_date", "recovered_date", "as_of"):
        out[col] = [widgets.fmt_date(d) if pd.notna(d) else "–" for d in out[col]]
    return out.rename(
        columns={
            "symbol": "Symbol",
            "max_drawdown": "Max drawdown (%)",
            "peak_date": "Peak",
            "trough_date": "Trough",
            "recovered_date": "Recovered",
            "current_drawdown": "Current drawdown (%)",
            "as_of": "As of",
        }
    )


def beta_display(betas: pd.DataFrame) -> pd.DataFrame:
    """Beta table with labels and placeholders (the reason says why a beta is missing)."""
    return pd.DataFrame(
        {
            "Symbol": betas["symbol"],
            "Benchmark": betas["benchmark"],
            "Beta": [f"{b:.2f}" if pd.notna(b) else "–" for b in betas["beta"]],
            "Correlation": [f"{c:+.2f}" if pd.notna(c) else "–" for c in betas["correlation"]],
            "Common trading days": betas["overlap"],
            "Why missing": [r or "" for r in betas["reason"]],
        }
    )


def correlation_display(corr: pd.DataFrame) -> pd.DataFrame:
    """Square matrix as text, '–' where the overlap is too short."""
    wide = risk.correlation_wide(corr)
    return wide.map(lambda v: "–" if pd.isna(v) else f"{v:+.2f}")


def export_tables(rv: RiskView) -> list[tuple[str, pd.DataFrame]]:
    """Every risk table at full resolution, for the workbook."""
    wide = risk.correlation_wide(rv.correlation)
    return [
        ("Drawdowns", rv.drawdowns),
        ("Drawdown summary", rv.drawdown_table),
        ("Correlation matrix", wide.reset_index(names="symbol")),
        ("Correlation pairs", rv.correlation),
        ("Rolling correlation", rv.rolling),
        ("Betas", rv.betas),
    ]


def section() -> DeltaGenerator | None:
    """The Risk section's expander, or None while it is closed.

    It runs only when open (``on_change="rerun"``): a page switch to Prices then draws the
    price chart and its summary without the risk charts, tables and controls. Its controls
    are bound to the URL, so Streamlit keeps their values while it is closed."""
    box = st.expander(
        "Risk: drawdown, correlation, rolling correlation, beta",
        icon=":material/monitoring:",
        key=px.RISK_OPEN,
        on_change="rerun",
        bind=BIND,
    )
    return box if box.open else None


def render(
    symbols: Sequence[str],
    benchmarks: Sequence[str],
    currency: str,
    include_pre_listing: bool,
    range_key: str,
    custom: tuple[date, date] | None,
    range_key_label: str,
) -> None:
    """The Risk section's body (inside :func:`section`): controls, charts, tables, exports."""
    series = list(dict.fromkeys([*symbols, *benchmarks]))
    options = px.risk_options(symbols, benchmarks)
    c1, c2, c3 = st.columns(3)
    benchmark = c1.selectbox("Beta against", options[px.RISK_BENCH], key=px.RISK_BENCH, bind=BIND)
    a = c2.selectbox(
        "Rolling correlation of", options[px.RISK_A], index=0, key=px.RISK_A, bind=BIND
    )
    b = c3.selectbox("with", options[px.RISK_B], index=1, key=px.RISK_B, bind=BIND)
    c4, c5 = st.columns(2)
    window = c4.select_slider(
        "Rolling window (sessions)", risk.WINDOWS, value=risk.ROLLING_WINDOW,
        key=px.RISK_WINDOW, bind=BIND,
    )  # fmt: skip
    min_overlap = c5.select_slider(
        "Minimum common trading days", risk.OVERLAPS, value=risk.MIN_OVERLAP,
        key=px.RISK_OVERLAP, bind=BIND,
    )  # fmt: skip
    # Cached on these small choices only (the symbols as one normalised tuple).
    rv = _risk_view(
        symbol_key(series), currency, include_pre_listing, range_key, custom, benchmark or "SPY",
        (a, b), window, min_overlap,
    )  # fmt: skip
    st.caption(":material/functions: " + risk.method_note(min_overlap, window))
    source = exports.PRICE_SOURCE
    ccy_note = "USD (FX-converted)" if currency == "USD" else "each listing's own currency"
    # Only the open tab runs and draws (on_change="rerun"): a page switch to Prices draws
    # one risk chart, not three.
    dd_tab, corr_tab, roll_tab, beta_tab = st.tabs(
        list(RISK_TABS), key=px.RISK_TAB, on_change="rerun", bind=BIND
    )
    if dd_tab.open:
        with dd_tab:
            _drawdown_tab(rv, source, ccy_note)
    if corr_tab.open:
        with corr_tab:
            _correlation_tab(rv, source, min_overlap)
    if roll_tab.open:
        with roll_tab:
            _rolling_tab(rv, source, a, b, window)
    if beta_tab.open:
        with beta_tab:
            st.dataframe(beta_display(rv.betas), hide_index=True, width="stretch")
    _risk_downloads(rv, source, ccy_note, range_key_label)


def _drawdown_tab(rv: RiskView, source: str, ccy_note: str) -> None:
    if rv.drawdown_chart is None:
        st.info("No prices in this range to measure drawdowns.")
        return
    vega.show(
        rv.drawdown_chart,
        key="px_dd_chart",
        alt_text="Line chart: each chosen symbol's drawdown from its running peak.",
    )
    exports.chart_images(
        rv.drawdown_chart,
        exports.ImageMeta("Drawdown from running peak", source, rv.as_of, ccy_note),
        kind="drawdown",
        key="px_dd_img",
    )
    pct = tables.pct_points()
    st.dataframe(
        tables.clean(
            drawdown_display(rv.drawdown_table),
            {"Max drawdown (%)": pct, "Current drawdown (%)": pct},
        ),
        hide_index=True,
        width="stretch",
    )


def _correlation_tab(rv: RiskView, source: str, min_overlap: int) -> None:
    if rv.heatmap is None or not rv.correlation["enough_overlap"].any():
        st.info(
            f"No pair has {min_overlap} common trading days in this range. "
            "Choose a longer range or a lower minimum."
        )
    if rv.heatmap is None:
        return
    vega.show(
        rv.heatmap,
        key="px_corr_chart",
        width=None,
        alt_text="Heatmap: correlation of daily returns for each pair of chosen symbols.",
    )
    exports.chart_images(
        rv.heatmap,
        exports.ImageMeta(
            "Correlation of daily returns",
            source,
            rv.as_of,
            f"Pairs with fewer than {min_overlap} common trading days are blank",
        ),
        kind="correlation",
        key="px_corr_img",
        height=480,
    )
    st.caption(
        f"Correlation of daily returns over the chosen range; '–' = fewer than "
        f"{min_overlap} common trading days. Hover a cell for the overlap."
    )


def _rolling_tab(rv: RiskView, source: str, a: str, b: str, window: int) -> None:
    st.caption(BASKET_NOTE)
    if rv.rolling_chart is None:
        st.info(
            f"{a} and {b} have fewer than {window} common sessions in this range. "
            "Choose a longer range or a shorter window."
        )
        return
    vega.show(
        rv.rolling_chart,
        key="px_roll_chart",
        alt_text=f"Line chart: rolling {window}-session correlation of {a} with {b}.",
    )
    exports.chart_images(
        rv.rolling_chart,
        exports.ImageMeta(f"Rolling {window}-session correlation: {a} vs {b}", source, rv.as_of),
        kind="rolling_correlation",
        key="px_roll_img",
    )


def _risk_downloads(rv: RiskView, source: str, ccy_note: str, range_key_label: str) -> None:
    d1, d2 = st.columns(2)
    with d1:
        widgets.download_csv(
            lambda: rv.drawdowns,
            label="Download drawdowns (CSV)",
            file_name=f"drawdowns_{range_key_label}.csv",
            key="px_risk_csv",
        )
    with d2:
        src = [
            exports.TableSource(name, source, rv.as_of, f"adjusted close, {ccy_note}", "")
            for name, _ in export_tables(rv)
        ]
        exports.download_xlsx(
            lambda: export_tables(rv),
            src,
            file_name=f"risk_{range_key_label}.xlsx",
            key="px_risk_xlsx",
            label="Download risk tables (.xlsx)",
        )
