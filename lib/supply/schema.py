"""Column schemas for ``data/supply/*.csv`` and one validator that raises a clear error.

Reuses the cell rules of :mod:`lib.datafiles`, so supply files obey the same conventions
(ISO dates, no formula-like text, http(s) sources) as every other data file.
"""

from __future__ import annotations

import pandas as pd

from lib.datafiles import CONFIDENCE, Column, validate

_URLS = "urls"

STAGES = ["mining", "cracking/processing", "separation/refining", "metal", "magnets"]
SHARE_STAGES = ["mining", "separation/refining", "magnets"]
STATUSES = ["operating", "commissioning", "construction", "planned", "uncertain"]
#: What a pipeline row's number is. Only nameplate and phase figures are capacity (bars and
#: sums); production is drawn as production; targets and goals as markers, never bars.
CAPACITY_BASES = ["production", "nameplate", "phase", "target", "goal", "not comparable"]
CAPACITY = ("nameplate", "phase")
MARKERS = ("target", "goal")
MCS_EDITIONS = ["MCS2018", "MCS2019", "MCS2021", "MCS2022", "MCS2023", "MCS2024", "MCS2025"]
EDITIONS = ["DS140 (2020 ed.)", "MYB2022 T8", *MCS_EDITIONS, "MCS2026 v1.3"]
UNITS = [
    "t REO in concentrate",
    "t/yr NdPr equivalent",
    "t/yr NdPr oxide",
    "t/yr heavy-RE feedstock",
    "t/yr REO",
    "t/yr magnet RE oxides",
    "t/yr NdPr metal",
    "t/yr NdFeB magnets",
    "unit not stated",
]


def _enum(name: str, values: list[str], required: bool = True) -> Column:
    return Column(name, "enum", required=required, allowed=frozenset(values))


_YEAR = r"^(19|20)\d{2}$"

MINE_PRODUCTION = [
    Column("year", "int", pattern=_YEAR),
    Column("country", max_len=40),
    Column("tonnes_reo", "int"),
    _enum("edition", EDITIONS),
    Column("source_url", "https"),
    Column("where_read", max_len=160),
    _enum("confidence", CONFIDENCE),
]

RESERVES = [
    Column("country", max_len=40),
    _enum("edition", EDITIONS),
    Column("reserves_t_reo", "int", required=False),
    _enum("qualifier", [">", "NA"], required=False),
    Column("source_url", "https"),
    _enum("confidence", CONFIDENCE),
    Column("note", required=False, max_len=200),
]

US_TRADE = [
    Column("metric", max_len=80),
    Column("period", pattern=r"^\d{4}(-\d{4})?$"),
    Column("year", "int", pattern=_YEAR),
    Column("value", "float", required=False),
    _enum("qualifier", [">", "E", "XX"], required=False),
    _enum(
        "unit",
        ["t REO", "% of apparent consumption", "% of imports", "USD million", "USD/kg"],
    ),
    _enum("edition", EDITIONS),
    Column("source_url", _URLS),
    Column("where_read", max_len=160),
    _enum("confidence", CONFIDENCE),
    Column("note", required=False, max_len=120),
]

CHINA_SHARE = [
    Column("id", unique=True, pattern=r"^CS\d{2}$"),
    Column("year", "int", pattern=_YEAR),
    Column("year_label", max_len=10),
    _enum("stage", SHARE_STAGES),
    Column("share_pct", "float"),
    _enum("qualifier", [">"], required=False),
    _enum("kind", ["observed", "projection"]),
    Column("publisher", max_len=60),
    Column("basis", max_len=80),
    Column("edition", max_len=40),
    Column("source_url", "https"),
    Column("where_read", max_len=200),
    _enum("confidence", CONFIDENCE),
    Column("note", max_len=260),
]

CHINA_MAGNETS = [
    Column("id", unique=True, pattern=r"^D\d+$"),
    Column("year", "int", pattern=_YEAR),
    Column("metric", max_len=60),
    Column("value", "int"),
    _enum("qualifier", ["~", ">"], required=False),
    _enum("unit", ["t"]),
    _enum("kind", ["observed", "forecast"]),
    Column("publisher", max_len=80),
    Column("as_of", max_len=10),
    Column("source_url", "https"),
    _enum("confidence", CONFIDENCE),
    Column("note", max_len=200),
]

CAPACITY_PIPELINE = [
    Column("id", unique=True, pattern=r"^P\d{2}[B-Z]?$"),
    Column("company", max_len=60),
    Column("project", max_len=60),
    Column("country", max_len=30),
    Column("symbol", required=False, max_len=12),
    _enum("stage", STAGES),
    Column("stage_detail", max_len=40),
    Column("capacity_stated", required=False, max_len=40),
    Column("capacity_value", "float", required=False),
    _enum("unit", UNITS),
    Column("unit_detail", max_len=100),
    _enum("capacity_basis", CAPACITY_BASES),
    Column("basis_detail", max_len=100),
    _enum("status", STATUSES),
    Column("status_detail", max_len=40),
    Column("target_year", "int", required=False, pattern=_YEAR),
    Column("included_in", required=False, pattern=r"^P\d{2}[B-Z]?$"),
    Column("funding_usd_m", "float", required=False),
    Column("funding_note", required=False, max_len=160),
    Column("source_url", _URLS),
    _enum("confidence", CONFIDENCE),
    Column("note", required=False, max_len=200),
]

TARGETS = [
    Column("id", unique=True, pattern=r"^T\d{2}[A-Z]?$"),
    Column("body", max_len=40),
    Column("name", max_len=60),
    Column("jurisdiction", max_len=20),
    _enum("stage", [*STAGES, "all stages"]),
    Column("target_value", "float", required=False),
    Column("target_text", max_len=100),
    Column("unit", required=False, max_len=40),
    Column("target_year", "int", required=False, pattern=_YEAR),
    Column("target_date", "date", required=False),
    Column("status", max_len=40),
    Column("source_url", _URLS),
    _enum("confidence", CONFIDENCE),
    Column("note", required=False, max_len=200),
]

SCHEMAS: dict[str, list[Column]] = {
    "mine_production.csv": MINE_PRODUCTION,
    "reserves.csv": RESERVES,
    "us_trade.csv": US_TRADE,
    "china_share.csv": CHINA_SHARE,
    "china_magnets.csv": CHINA_MAGNETS,
    "capacity_pipeline.csv": CAPACITY_PIPELINE,
    "targets.csv": TARGETS,
}


class SupplyDataError(ValueError):
    """A supply data file breaks its schema; the message names file, row and column."""


def problems(raw: pd.DataFrame, name: str) -> list[str]:
    """Every schema problem of ``raw`` (read as strings), plus the supply-specific rules."""
    if name not in SCHEMAS:
        raise SupplyDataError(f"{name} is not a known supply data file ({sorted(SCHEMAS)}).")
    found = validate(raw, SCHEMAS[name], f"supply/{name}")
    if found:
        return found
    if name == "capacity_pipeline.csv":
        ids = set(raw["id"])
        for i, ref in raw["included_in"].items():
            if ref and ref not in ids:
                found.append(f"supply/{name} row {int(i) + 2} included_in: '{ref}' is not an id")
        stated = raw["capacity_value"] != ""
        for i in raw.index[stated & (raw["unit"] == "unit not stated")]:
            found.append(f"supply/{name} row {int(i) + 2} capacity_value: needs a unit to chart")
        # A number must say what it is; a row that is not comparable carries none.
        blank = raw["capacity_basis"] == "not comparable"
        for i in raw.index[stated & blank]:
            found.append(
                f"supply/{name} row {int(i) + 2} capacity_value: "
                "a 'not comparable' row has no value"
            )
        for i in raw.index[~stated & ~blank]:
            found.append(
                f"supply/{name} row {int(i) + 2} capacity_basis: a row without a value is "
                "'not comparable'"
            )
        dated = raw["capacity_basis"].isin(["production", *MARKERS])
        for i in raw.index[dated & (raw["target_year"] == "")]:
            found.append(
                f"supply/{name} row {int(i) + 2} target_year: a production, target or goal "
                "figure needs its year"
            )
    if name == "us_trade.csv":
        empty = (raw["value"] == "") & (raw["qualifier"] == "")
        found += [f"supply/{name} row {int(i) + 2} value: is required" for i in raw.index[empty]]
    return found


def validate_supply(raw: pd.DataFrame, name: str) -> None:
    """Raise :class:`SupplyDataError` listing every problem, or return quietly."""
    found = problems(raw, name)
    if found:
        shown = "; ".join(found[:8])
        more = f" (and {len(found) - 8} more)" if len(found) > 8 else ""
        raise SupplyDataError(f"The supply data file {name} is invalid: {shown}{more}.")
