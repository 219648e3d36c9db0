"""Schemas for the versioned inputs in ``data/**/*.csv``, enforced by the tests.

A schema is a list of :class:`Column` rules; :func:`validate` returns human-readable
problems (empty list = valid) so a failing test names the file, row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib.paths import DATA_DIR
from lib.universe import SYMBOL_RE

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column rule. ``kind``: text, int, float, date, https, urls, symbols, enum."""

    name: str
    kind: str = "text"
    required: bool = True
    allowed: frozenset[str] | None = None
    unique: bool = False
    max_len: int | None = None
    pattern: str | None = None


def _enum(name: str, values: list[str], required: bool = True) -> Column:
    return Column(name, "enum", required=required, allowed=frozenset(values))


EXCHANGES = [
    "NYSE", "NYSE American", "NYSE Arca", "Nasdaq", "ASX", "TSX", "TSX-V", "LSE", "AIM",
    "SSE", "SZSE", "HKEX", "TSE", "Tadawul", "OTC",
]  # fmt: skip
CURRENCIES = ["USD", "AUD", "CAD", "GBp", "CNY", "HKD", "JPY", "SAR", "EUR"]
SEGMENTS = [
    "mining", "separation", "metals/alloys", "magnets", "recycling", "integrated",
    "diversified", "etf", "benchmark",
]  # fmt: skip
JURISDICTIONS = ["US", "China", "Australia", "Japan", "EU", "Canada", "other"]
CATEGORIES = [
    "export control", "tariff", "funding/loan/grant", "equity stake/price floor",
    "alliance/framework", "executive order/legislation", "critical-minerals list",
    "stockpile", "trade case/WTO", "corporate milestone", "state project",
]  # fmt: skip
CONFIDENCE = ["verified", "derived", "unverified"]
#: Whether an event's date is one on which it happened, or a dated deadline (a suspension
#: ending, a negotiating deadline) whose outcome our sources may not report. A scheduled row's
#: ``outcome`` names the occurred row that records what happened; blank = outcome not sourced.
EVENT_STATUSES = ["occurred", "scheduled"]
SCOPES = [
    "rare-earth elements", "rare-earth metals", "rare-earth magnets", "NdFeB magnets",
    "rare-earth permanent magnets", "all permanent magnets", "magnet REO consumption value",
    "rare-earth metals volume",
]  # fmt: skip

UNIVERSE = [
    Column("symbol", "text", unique=True, pattern=SYMBOL_RE.pattern),
    Column("name", max_len=120),
    _enum("exchange", EXCHANGES),
    _enum("currency", CURRENCIES),
    Column("country", max_len=60),
    _enum("segment", SEGMENTS),
    _enum("bloc", ["West", "China", "Global"]),
    _enum("basket", ["West", "China"], required=False),
    Column("role", max_len=160),
    Column("listing_date", "date", required=False),
    Column("pre_listing_note", required=False, max_len=120),
    _enum("ticker_check", ["seen", "exch"]),
    Column("source_url", "https"),
    Column("more_sources", "urls", required=False),
]

POLICY_EVENTS = [
    Column("id", unique=True, pattern=r"^E\d{3}$"),
    Column("date", "date"),
    _enum("date_precision", ["day", "month", "approximate"]),
    _enum("timing", ["before_open", "intraday", "after_close", "unknown"]),
    _enum("jurisdiction", JURISDICTIONS),
    Column("body", required=False, max_len=60),
    _enum("category", CATEGORIES),
    Column("title", max_len=90),
    Column("summary", max_len=400),
    Column("symbols", "symbols", required=False),
    Column("source_urls", "urls"),
    _enum("confidence", CONFIDENCE),
    Column("fact_ref", "int", unique=True),
    Column("note", required=False, max_len=200),
    _enum("status", EVENT_STATUSES),
    Column("outcome", required=False, pattern=r"^E\d{3}$"),
]

MARKET_PROJECTIONS = [
    Column("id", unique=True, pattern=r"^[MR]\d+[a-z]?$"),
    Column("publisher", max_len=120),
    _enum("publisher_verified", ["yes", "no"]),
    Column("published", "date"),
    _enum("published_precision", ["day", "month", "year"]),
    _enum("scope", SCOPES),
    _enum("unit", ["USD bn", "kt"]),
    Column("base_year", "int"),
    Column("base_value", "float", required=False),
    Column("base_value_note", required=False),
    Column("target_year", "int"),
    Column("target_value", "float"),
    _enum("value_qualifier", [">"], required=False),
    Column("stated_cagr_pct", "float", required=False),
    Column("cagr_start_year", "int", required=False),
    Column("cagr_end_year", "int", required=False),
    Column("edition_group", required=False, max_len=40),
    Column("supersedes", required=False, pattern=r"^[MR]\d+[a-z]?$"),
    Column("source_url", "https"),
    Column("notes", required=False, max_len=400),
]

NDPR_PRICES = [
    Column("id", unique=True, pattern=r"^[QN]\d+[a-z]?$"),
    Column("date", "date"),
    _enum("date_precision", ["day", "month", "quarter", "year", "approximate"]),
    _enum(
        "kind",
        ["spot", "listing price", "realised price", "forecast", "price floor", "incentive price"],
    ),
    Column("series", max_len=80),
    Column("value", "float"),
    Column("value_low", "float", required=False),
    Column("value_high", "float", required=False),
    _enum("unit", ["USD/kg", "USD/t", "CNY/t", "AUD/kg"]),
    Column("usd_per_kg", "float", required=False),
    Column("publisher", max_len=80),
    _enum("confidence", CONFIDENCE),
    Column("source_url", "https"),
    Column("notes", required=False, max_len=400),
]

#: Share counts behind the market caps (lib.markets.valuation): every count has a date and a source.
SHARE_SOURCE_KINDS = ["filing", "exchange notice", "secondary"]
SHARE_CONFIDENCE = ["verified", "unverified"]
SHARES_OUTSTANDING = [
    Column("symbol", unique=True, pattern=r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$"),
    Column("shares_outstanding", "int", pattern=r"^[1-9]\d{0,12}$"),
    Column("as_of", "date"),
    Column("source_url", "https"),
    _enum("source_kind", SHARE_SOURCE_KINDS),
    _enum("confidence", SHARE_CONFIDENCE),
    Column("note", required=False, max_len=200),
]

#: Keys are paths under data/ (nested folders included); data/supply/ has its own registry
#: in lib.supply.schema, and data/prices/ is written by `make snapshot`, not by hand.
#: data/catalysts/: sourced earnings dates (only those a public source gives) and finer target
#: periods of capacity-pipeline projects ("mid-2026", "Q3 2026"), read by lib.catalysts.
EARNINGS = [
    Column("symbol", "symbols"),
    Column("date", "date"),
    Column("source_url", "https"),
    _enum("confidence", CONFIDENCE),
    Column("as_of", "date"),
    Column("note", required=False, max_len=200),
]
MILESTONES = [
    Column("pipeline_id", unique=True, pattern=r"^P\d{2}[A-Z]?$"),
    Column("when", pattern=r"^(\d{4}|\d{4}-\d{2}|Q[1-4] \d{4}|H[12] \d{4}|mid-\d{4})$"),
    Column("source_url", "https"),
    _enum("confidence", CONFIDENCE),
    Column("note", required=False, max_len=300),
]

SCHEMAS: dict[str, list[Column]] = {
    "universe.csv": UNIVERSE,
    "policy_events.csv": POLICY_EVENTS,
    "market_projections.csv": MARKET_PROJECTIONS,
    "ndpr_prices.csv": NDPR_PRICES,
    "valuation/shares_outstanding.csv": SHARES_OUTSTANDING,
    "catalysts/earnings.csv": EARNINGS,
    "catalysts/milestones.csv": MILESTONES,
}


def read_raw(name: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """Read a data file as strings so validation sees exactly what is on disk."""
    return pd.read_csv(data_dir / name, dtype=str, keep_default_na=False)


def _cell_problem(col: Column, value: str) -> str | None:
    if value == "":
        return "is required" if col.required else None
    if value != value.strip():
        return "has leading/trailing whitespace"
    if col.kind not in ("float", "int") and value.startswith(_FORMULA_START):
        return "starts like a spreadsheet formula"
    if col.max_len is not None and len(value) > col.max_len:
        return f"is longer than {col.max_len} characters"
    if col.pattern is not None and not re.fullmatch(col.pattern, value):
        return f"does not match {col.pattern}"
    if col.kind == "enum" and col.allowed is not None and value not in col.allowed:
        return f"'{value}' is not one of {sorted(col.allowed)}"
    if col.kind == "int" and not re.fullmatch(r"-?\d+", value):
        return f"'{value}' is not an integer"
    if col.kind == "float":
        try:
            float(value)
        except ValueError:
            return f"'{value}' is not a number"
    if col.kind == "date":
        if not _DATE_RE.match(value):
            return f"'{value}' is not an ISO date"
        try:
            pd.Timestamp(value)
        except ValueError:
            return f"'{value}' is not a real date"
    if col.kind == "https" and not value.startswith("https://"):
        return "is not an https URL"
    if col.kind == "urls":
        for url in split_urls(value):
            if not url.startswith(("https://", "http://")):
                return f"'{url[:40]}' is not an http(s) URL"
    if col.kind == "symbols":
        for sym in value.split():
            if not SYMBOL_RE.match(sym):
                return f"'{sym}' is not a Yahoo symbol"
    return None


def split_urls(value: str) -> list[str]:
    return [u.strip() for u in value.split(" ; ") if u.strip()]


def event_outcome_problems(events: pd.DataFrame, name: str = "policy_events.csv") -> list[str]:
    """Rules across rows of the event file: only a scheduled row has an ``outcome``, and it
    names an occurred event dated on or after the scheduled date."""
    rows = events.set_index("id", drop=False)
    problems: list[str] = []
    for i, row in events.iterrows():
        ref = row["outcome"]
        where = f"{name} row {int(i) + 2} outcome"
        if not ref:
            continue
        if row["status"] != "scheduled":
            problems.append(f"{where}: only a scheduled event has an outcome")
        elif ref not in rows.index:
            problems.append(f"{where}: '{ref}' is not an event id")
        elif rows.loc[ref, "status"] != "occurred" or rows.loc[ref, "date"] < row["date"]:
            problems.append(f"{where}: '{ref}' must be an occurred event on or after {row['date']}")
    return problems


def validate(df: pd.DataFrame, schema: list[Column], name: str = "file") -> list[str]:
    """Every schema violation in ``df`` as 'name row N column: problem' strings."""
    problems: list[str] = []
    expected = [c.name for c in schema]
    if list(df.columns) != expected:
        return [f"{name}: columns {list(df.columns)} != {expected}"]
    if df.empty:
        return [f"{name}: no rows"]
    for col in schema:
        series = df[col.name]
        for i, value in series.items():
            problem = _cell_problem(col, value)
            if problem:
                problems.append(f"{name} row {int(i) + 2} {col.name}: {problem}")
        if col.unique:
            dup = series[(series != "") & series.duplicated()]
            problems += [f"{name} {col.name}: duplicate value '{v}'" for v in dup.unique()]
    if df.duplicated().any():
        problems.append(f"{name}: duplicated rows")
    return problems
