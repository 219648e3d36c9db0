"""US import dependence by edition: net import reliance, import value, import sources."""

from __future__ import annotations

import pandas as pd

from lib.supply.editions import edition_rank, newest_per_year, short_edition
from lib.supply.production import NEWEST

NIR = "net_import_reliance_compounds_metals"
IMPORT_VALUE = "import_value_compounds_and_metals"
METRIC_LABELS = {
    NIR: "Net import reliance, compounds and metals",
    IMPORT_VALUE: "Import value, compounds and metals",
}


def import_dependence(us: pd.DataFrame) -> pd.DataFrame:
    """Net import reliance and import value per (year, edition); the line's points flagged.

    ``latest`` marks the newest edition's figure for each year among checked figures: the
    line is "newest edition for each year" and each of its points names its edition
    (``point_edition``). An unverified figure never joins the line (the 2016 import value
    from a weak mirror of MCS2018 is a hollow point on its own). "E" (net exporter) and "XX"
    rows carry no number and are left out; ">95" keeps its qualifier so it is never drawn as
    exactly 95.
    """
    df = us[us["metric"].isin([NIR, IMPORT_VALUE]) & us["value"].notna()].copy()
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    df["metric_label"] = df["metric"].map(METRIC_LABELS)
    df["rank"] = df["edition"].map(edition_rank)
    checked = df["confidence"] != "unverified"
    df["latest"] = False
    df.loc[checked, "latest"] = newest_per_year(df[checked], ["metric"])
    df["series"] = NEWEST
    df["point_edition"] = df["edition"].map(short_edition).where(df["latest"], "")
    unit_sym = df["unit"].map(lambda u: "%" if u.startswith("%") else " USD M")
    df["value_label"] = df["qualifier"].fillna("") + df["value"].map(lambda v: f"{v:g}") + unit_sym
    df["hollow"] = (df["qualifier"].fillna("") != "") | ~checked
    cols = [
        "metric", "metric_label", "year", "value", "qualifier", "value_label", "unit",
        "edition", "latest", "point_edition", "series", "hollow", "source_url", "confidence",
        "note",
    ]  # fmt: skip
    return df.sort_values(["metric", "year", "rank"])[cols].reset_index(drop=True)


def import_sources(us: pd.DataFrame) -> pd.DataFrame:
    """Where US compound and metal imports came from, per edition (percent of imports)."""
    prefix = "import_sources_compounds_and_metals_"
    df = us[us["metric"].str.startswith(prefix)].copy()
    df["country"] = df["metric"].str.removeprefix(prefix)
    cols = ["edition", "period", "country", "value", "unit", "source_url", "confidence"]
    return df[cols].reset_index(drop=True)
