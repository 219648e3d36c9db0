"""Benchmark choice for the event study: regional peer baskets, the calendar note for non-US
listings, and how much of each symbol's returns the market model explains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from lib import returns
from lib.events.study_text import STATUS_OK
from lib.prices import quality

US_EXCHANGES = frozenset({"NYSE", "NYSE American", "NYSE Arca", "Nasdaq", "OTC"})
#: Below this market-model R² the benchmark explains almost nothing of the symbol's returns.
LOW_R_SQUARED = 0.05

#: Exchanges grouped into the regions whose listings can form a local peer benchmark.
REGIONS: dict[str, frozenset[str]] = {
    "China A-shares": frozenset({"SSE", "SZSE"}),
    "ASX": frozenset({"ASX"}),
    "Hong Kong": frozenset({"HKEX"}),
    "Canada": frozenset({"TSX", "TSX-V"}),
}


def region_of(exchange: str | None) -> str | None:
    return next((name for name, exs in REGIONS.items() if exchange in exs), None)


def regional_benchmarks(
    prices: pd.DataFrame, exchanges: Mapping[str, str], symbols: Sequence[str]
) -> dict[str, pd.Series]:
    """For each non-US symbol, an equal-weighted basket of the OTHER listings of its region.

    No local index is in the offline data, so the region's own listings stand in for one; the
    symbol itself is left out so it is not measured against itself. US listings (and regions
    with no other listing with data) keep the chosen benchmark.
    """
    clean = quality.without_suspect_rows(prices)
    have = set(clean.loc[clean["adj_close"].notna(), "symbol"].astype(str))
    out: dict[str, pd.Series] = {}
    for sym in dict.fromkeys(symbols):
        region = region_of(exchanges.get(sym))
        if region is None:
            continue
        peers = sorted(
            s for s, ex in exchanges.items() if s != sym and s in have and region_of(ex) == region
        )
        if not peers:
            continue
        wide = returns.to_wide(clean[clean["symbol"].isin(peers)], "adj_close")
        level = returns.equal_weight_index(wide)["level"].dropna()
        out[sym] = level.rename(f"{region} peers EW ({len(peers)}, ex {sym})")
    return out


def model_fit(summary: pd.DataFrame) -> pd.DataFrame:
    """Median market-model R² per symbol over its ``ok`` pairs, flagged below LOW_R_SQUARED."""
    cols = ["symbol", "r_squared", "pairs", "low"]
    ok = summary[(summary["status"] == STATUS_OK) & (summary["model"] == "market")]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    g = ok.groupby("symbol", sort=False)["r_squared"].agg(["median", "count"]).reset_index()
    g.columns = ["symbol", "r_squared", "pairs"]
    g["low"] = g["r_squared"] < LOW_R_SQUARED
    return g[cols]


def low_fit_message(fit: pd.DataFrame) -> str | None:
    """A plain warning when the benchmark explains almost nothing of some symbols' returns."""
    low = fit[fit["low"]]
    if low.empty:
        return None
    names = ", ".join(f"{r.symbol} ({r.r_squared:.1%})" for r in low.itertuples())
    return (
        f"The market model explains under {LOW_R_SQUARED:.0%} of daily returns for {names} "
        "(median R² over the estimation windows). Its abnormal returns are then little more "
        "than raw returns: try the market-adjusted or mean-adjusted model, or a regional "
        "benchmark."
    )


def benchmark_note(symbol: str, exchange: str | None, benchmark: str, model: str) -> str:
    """Say so when a non-US listing is measured against a US benchmark on a different calendar."""
    if model == "mean_adjusted" or exchange is None or exchange in US_EXCHANGES:
        return ""
    return (
        f"{symbol} trades on {exchange}; benchmark {benchmark} is US-listed, so its returns "
        f"are read on {symbol}'s sessions (no local market index in the data)."
    )
