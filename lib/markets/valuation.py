"""Market capitalisation in USD: sourced share count × last traded close, FX-converted.

The share counts live in ``data/valuation/shares_outstanding.csv``, each with its date, URL,
kind of source and confidence; a symbol without a sourced count gets no market cap and a
plain reason instead of a guess. The price is the last *traded* close (not the adjusted
close, which is rescaled by later dividends and splits), converted with lib.prices.fx.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lib.datafiles import SHARE_SOURCE_KINDS, SHARES_OUTSTANDING, validate
from lib.paths import DATA_DIR
from lib.prices import PRICE_FIELDS, fx, shares

SHARES_FILE = "valuation/shares_outstanding.csv"
SHARES_PATH = DATA_DIR / SHARES_FILE
SOURCE_KINDS = SHARE_SOURCE_KINDS
__all__ = ["SHARES_OUTSTANDING", "market_caps", "read_shares"]
#: Funds have no share count that means "company size"; they get a reason, not a number.
NO_MARKET_CAP_SEGMENTS = {"etf", "benchmark"}

MARKET_CAP_COLUMNS = [
    "symbol", "name", "currency", "close", "close_date", "close_usd", "shares_outstanding",
    "shares_as_of", "shares_source_url", "shares_source_kind", "shares_confidence",
    "shares_stale", "market_cap_local", "market_cap_usd", "reason",
]  # fmt: skip

#: A second listing of a company already valued on another line: its market cap is counted
#: once, on that line (two caps for one company would double it in any comparison or sum).
SAME_COMPANY: dict[str, str] = {"MKA.V": "MKA.L", "EFR.TO": "UUUU"}

#: A count older than this, against the close it multiplies, is shown as stale.
STALE_COUNT_DAYS = 183

#: Counts known to miss later issuance: symbol -> (the count's as-of it applies to, why).
#: A newer count in the file (or a refreshed one) is no longer covered by the entry.
KNOWN_STALE_COUNTS: dict[str, tuple[str, str]] = {
    "USAR": (
        "2026-01-28",
        "predates the shares of the January 2026 PIPE and those for the Commerce Department",
    ),
}


class SharesFileError(ValueError):
    """The shares file does not match its schema (the message lists every problem)."""


def read_shares(path: Path = SHARES_PATH) -> pd.DataFrame:
    """The validated shares table: int64 counts and datetime ``as_of``.

    Raises SharesFileError (never a half-read table) if a row breaks the schema, and
    FileNotFoundError if the file is missing, so the caller can say which.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = validate(raw, SHARES_OUTSTANDING, path.name)
    problems += consistency_problems(raw)
    if problems:
        raise SharesFileError("; ".join(problems[:5]))
    out = raw.copy()
    out["shares_outstanding"] = out["shares_outstanding"].astype("int64")
    out["as_of"] = pd.to_datetime(out["as_of"])
    return out


def consistency_problems(raw: pd.DataFrame) -> list[str]:
    """Rules across columns: a secondary source can never be marked verified."""
    if not {"source_kind", "confidence", "symbol"} <= set(raw.columns):
        return []
    bad = raw[(raw["source_kind"] == "secondary") & (raw["confidence"] == "verified")]
    return [f"{s}: a secondary source cannot be 'verified'" for s in bad["symbol"]]


def last_traded_close(prices: pd.DataFrame) -> pd.DataFrame:
    """Per symbol, the last row with a traded ``close`` (adjusted-only rows are skipped)."""
    if prices.empty or "close" not in prices.columns:
        return prices.iloc[0:0]
    # A fresh index: idxmax labels must name one row each, whatever index the caller had.
    have = prices[prices["close"].notna() & (prices["close"] > 0)].reset_index(drop=True)
    if have.empty:
        return have
    idx = have.groupby("symbol", sort=False)["date"].idxmax()
    return have.loc[idx].reset_index(drop=True)


def market_caps(
    universe: pd.DataFrame,
    prices: pd.DataFrame,
    shares: pd.DataFrame,
    fx_rates: pd.DataFrame,
    symbols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tidy market-cap table, one row per symbol (universe order), with a reason where empty.

    ``prices``: tidy daily prices (needs date, symbol, close); ``fx_rates``: the FX series
    from lib.prices.fx.fx_symbols_for, tidy like prices; ``shares``: read_shares(). A second
    listing of one company (:data:`SAME_COMPANY`: MKA.V, EFR.TO) gets no second market cap.
    """
    uni = universe if symbols is None else universe[universe["symbol"].isin(list(symbols))]
    currency_of: Mapping[str, str] = dict(zip(uni["symbol"], uni["currency"], strict=True))
    priced = prices[prices["symbol"].isin(list(uni["symbol"]))]
    any_price = set(priced["symbol"].astype(str))
    last = last_traded_close(priced)
    conv = _convert(last, currency_of, fx_rates)
    last = last.set_index("symbol")
    usd = conv.prices.set_index("symbol") if not conv.prices.empty else conv.prices
    sh = shares.set_index("symbol")
    rows = []
    for rec in uni.itertuples(index=False):
        sym = str(rec.symbol)
        row: dict[str, object] = dict.fromkeys(MARKET_CAP_COLUMNS, np.nan)
        row.update(symbol=sym, name=rec.name, currency=rec.currency, reason="")
        reasons: list[str] = []
        if str(rec.segment) in NO_MARKET_CAP_SEGMENTS:
            row["reason"] = "fund, not a company: no market capitalisation"
            rows.append(row)
            continue
        if sym in SAME_COMPANY:
            row["reason"] = (
                f"same company as {SAME_COMPANY[sym]}: its market cap is counted once, on that line"
            )
            rows.append(row)
            continue
        if sym in sh.index:
            s = sh.loc[sym]
            row.update(
                shares_outstanding=int(s["shares_outstanding"]),
                shares_as_of=s["as_of"],
                shares_source_url=s["source_url"],
                shares_source_kind=s["source_kind"],
                shares_confidence=s["confidence"],
            )
        else:
            reasons.append("no sourced share count")
        if sym in last.index:
            row.update(close=float(last.loc[sym, "close"]), close_date=last.loc[sym, "date"])
            close_usd = float(usd.loc[sym, "close"]) if sym in usd.index else np.nan
            row["close_usd"] = close_usd
            if np.isnan(close_usd):
                reasons.append(conv.notes.get(sym, f"no FX rate for {rec.currency}"))
        elif sym in any_price:
            reasons.append("only adjusted closes in the price data (no traded close)")
        else:
            reasons.append("no prices")
        row["shares_stale"] = stale_count(sym, row["shares_as_of"], row["close_date"])
        if not np.isnan(_f(row["shares_outstanding"])) and not np.isnan(_f(row["close"])):
            row["market_cap_local"] = row["shares_outstanding"] * row["close"]  # type: ignore[operator]
            if not np.isnan(_f(row["close_usd"])):
                row["market_cap_usd"] = row["shares_outstanding"] * row["close_usd"]  # type: ignore[operator]
        row["reason"] = "; ".join(reasons)
        rows.append(row)
    out = pd.DataFrame(rows, columns=MARKET_CAP_COLUMNS)
    out["close_date"] = pd.to_datetime(out["close_date"])
    out["shares_as_of"] = pd.to_datetime(out["shares_as_of"])
    out["shares_outstanding"] = out["shares_outstanding"].astype("Int64")
    return out


def stale_count(symbol: str, as_of: object, close_date: object) -> str:
    """Why a share count is stale ("" when it is not): a known later issue it misses, or an
    as-of date more than :data:`STALE_COUNT_DAYS` before the close it is multiplied by."""
    if as_of is None or pd.isna(as_of):  # type: ignore[arg-type]
        return ""
    counted = pd.Timestamp(as_of)  # type: ignore[arg-type]
    known = KNOWN_STALE_COUNTS.get(symbol)
    if known is not None and counted <= pd.Timestamp(known[0]):
        return known[1]
    if close_date is not None and not pd.isna(close_date):  # type: ignore[arg-type]
        days = (pd.Timestamp(close_date) - counted).days  # type: ignore[arg-type]
        if days > STALE_COUNT_DAYS:
            return f"counted {days} days before the close it multiplies"
    return ""


def _f(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _convert(
    last: pd.DataFrame, currency_of: Mapping[str, str], fx_rates: pd.DataFrame
) -> fx.Conversion:
    """USD close for each last row, via lib.prices.fx (same-day or ≤5-day-old rate, else a note)."""
    if last.empty:
        return fx.Conversion(last, {})
    frame = last[["date", "symbol", *PRICE_FIELDS]].copy()
    for col in PRICE_FIELDS:
        frame[col] = frame[col].astype("float64")
    if fx_rates.empty:
        fx_rates = pd.DataFrame(
            {"date": pd.Series(dtype=frame["date"].dtype), "symbol": [], "adj_close": []}
        )
    return fx.convert_to_usd(frame, currency_of, fx_rates)


def fx_symbols(universe: pd.DataFrame) -> list[str]:
    """The FX series market_caps needs for this universe (load them with the prices)."""
    return fx.fx_symbols_for({str(c) for c in universe["currency"]})


def fmt_usd_amount(value: object) -> str:
    """'12.34 bn' / '845 m' / '–': market caps read at a glance, never 'nan' or 'None'."""
    v = _f(value)
    if np.isnan(v):
        return "–"
    if abs(v) >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    return f"{v / 1e6:,.0f} m"


def share_basis(row: Mapping[str, object]) -> str:
    """Where the share count comes from, or why there is no market cap ('–' + reason)."""
    count = _f(row.get("shares_outstanding"))
    stale = str(row.get("shares_stale") or "")
    if np.isnan(count) or np.isnan(_f(row.get("market_cap_usd"))):
        reason = str(row.get("reason") or "no market capitalisation")
        if stale and not np.isnan(count):
            reason += f"; the count of {_day(row.get('shares_as_of'))} is stale ({stale})"
        return f"– {reason}"
    text = (
        f"{count / 1e6:,.1f} m shares · {_day(row['shares_as_of'])} · "
        f"{row.get('shares_source_kind')}, {row.get('shares_confidence')}"
    )
    return f"{text} · stale: {stale}" if stale else text


def market_cap_text(row: Mapping[str, object]) -> str:
    """The market cap as shown: '8.17 bn', with the count's date and 'stale' beside it when
    the count is stale, so the figure never reads as current when it is not."""
    amount = fmt_usd_amount(row.get("market_cap_usd"))
    if amount != "–" and row.get("shares_stale"):
        return f"{amount} (stale count, {_day(row.get('shares_as_of'))})"
    return amount


def _day(value: object) -> str:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "n/a"
    return pd.Timestamp(value).strftime("%d %b %Y")  # type: ignore[arg-type]


MARKET_CAP_LABEL = "Market cap (USD)"
SHARE_BASIS_LABEL = "Share count (source, date)"


def market_cap_labels(caps: pd.DataFrame, symbols: Sequence[str]) -> pd.DataFrame:
    """Per symbol in ``symbols`` order: the market cap text and its share-count basis.

    Symbols outside the universe get '–' and say so, so no row is ever blank or 'None'.
    """
    by_symbol = caps.set_index("symbol") if not caps.empty else caps
    rows = []
    for sym in symbols:
        if sym in by_symbol.index:
            rec = {"symbol": sym, **by_symbol.loc[sym].to_dict()}
            rows.append((sym, market_cap_text(rec), share_basis(rec)))
        else:
            rows.append((sym, "–", "– not in the sourced universe"))
    return pd.DataFrame(rows, columns=["symbol", MARKET_CAP_LABEL, SHARE_BASIS_LABEL])


# --------------------------------------------------------------------------- online refresh


def shares_cache_path(data_home: Path) -> Path:
    """Where refreshed counts live: the user's data folder, never the versioned data/ file."""
    return data_home / SHARES_FILE


def current_shares(
    cache: Path | None, path: Path = SHARES_PATH, *, offline: bool = False
) -> tuple[pd.DataFrame, str]:
    """(table, origin): the refreshed copy if it is there and valid, else the sourced file.

    Offline always uses the file; a corrupt refreshed copy falls back to the file too.
    """
    if not offline and cache is not None and cache.exists():
        try:
            return read_shares(cache), "refreshed"
        except (OSError, ValueError):
            pass
    return read_shares(path), "file"


def write_shares(table: pd.DataFrame, path: Path) -> None:
    """Write the table in the data-file format, atomically (a reader never sees half a file)."""
    out = table[[c.name for c in SHARES_OUTSTANDING]].copy()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.strftime("%Y-%m-%d")
    out["note"] = out["note"].fillna("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    out.to_csv(tmp, index=False)
    tmp.replace(path)


def refresh_shares_file(
    symbols: Sequence[str],
    fetcher: shares.SharesFetcher,
    cache: Path,
    path: Path = SHARES_PATH,
    *,
    offline: bool = False,
) -> shares.SharesRefresh:
    """Refresh counts from ``fetcher`` and keep the merged copy in ``cache`` if anything
    changed; failures and implausible answers leave every good row as it was."""
    current, _ = current_shares(cache, path, offline=offline)
    if offline:
        return shares.SharesRefresh(current, kept=dict.fromkeys(symbols, "offline"))
    result = shares.refresh_shares(current, symbols, fetcher)
    if result.updated or result.added:
        write_shares(result.table, cache)
    return result
