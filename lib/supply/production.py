"""Mine production and China's share: per edition, the stitched headline, revisions."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from lib.supply.editions import newest_per_year, quota_note, short_edition

WORLD = "World total"
CHINA = "China"
REST = "Rest of world"
NO_SPLIT = "World (no country split)"
#: The label every line or bar chart that joins several editions carries.
NEWEST = "newest edition for each year"

_SPLIT_COLS = ["year", "group", "tonnes_reo", "unit", "edition", "source_url", "confidence", "how"]


def china_vs_rest(prod: pd.DataFrame, edition: str) -> pd.DataFrame:
    """China and rest of world (world total minus China) per year, as one edition printed them.

    Years where the edition has no China figure (DS140 before 2018) show the world total alone.
    """
    sub = prod[prod["edition"] == edition]
    rows: list[dict[str, object]] = []
    for year, grp in sub.groupby("year", sort=True):
        by = grp.set_index("country")
        if WORLD not in by.index:
            continue
        world = by.loc[WORLD]
        base = {"year": int(year), "edition": edition, "unit": "t REO"}
        if CHINA not in by.index:
            rows.append(
                {
                    **base,
                    "group": NO_SPLIT,
                    "tonnes_reo": int(world["tonnes_reo"]),
                    "source_url": world["source_url"],
                    "confidence": world["confidence"],
                    "how": "as published; this edition has no China figure for the year",
                }
            )
            continue
        china = by.loc[CHINA]
        rows.append(
            {
                **base,
                "group": CHINA,
                "tonnes_reo": int(china["tonnes_reo"]),
                "source_url": china["source_url"],
                "confidence": china["confidence"],
                "how": f"as published ({quota_note(edition)})",
            }
        )
        rows.append(
            {
                **base,
                "group": REST,
                "tonnes_reo": int(world["tonnes_reo"]) - int(china["tonnes_reo"]),
                "source_url": world["source_url"],
                "confidence": "derived",
                "how": "derived: world total minus China, same edition",
            }
        )
    return pd.DataFrame(rows, columns=_SPLIT_COLS)


def newest_split(prod: pd.DataFrame) -> pd.DataFrame:
    """China and rest of world for every year (2010-2025), each year from the newest edition
    that prints it: one stitched series, each row naming its edition (``edition_short``).

    Years whose newest edition has no China figure (DS140, 2010-2017) show the world total.
    """
    parts = [china_vs_rest(prod, ed) for ed in prod["edition"].unique()]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=[*_SPLIT_COLS, "edition_short", "series"])
    every = pd.concat(parts, ignore_index=True)
    out = every[newest_per_year(every)].copy()
    out["edition_short"] = out["edition"].map(short_edition)
    out["series"] = NEWEST
    return out.sort_values(["year", "group"]).reset_index(drop=True)


def country_series(prod: pd.DataFrame, country: str, editions: Iterable[str]) -> pd.DataFrame:
    """One country's (or the derived rest of world's) output per year in each chosen edition."""
    parts = []
    for ed in editions:
        if country == REST:
            cvr = china_vs_rest(prod, ed)
            part = cvr[cvr["group"] == REST].drop(columns="group")
        else:
            part = prod[(prod["edition"] == ed) & (prod["country"] == country)].assign(
                unit="t REO", how="as published"
            )
        parts.append(part)
    cols = ["year", "tonnes_reo", "unit", "edition", "source_url", "confidence", "how"]
    if not parts:
        return pd.DataFrame(columns=["country", *cols])
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["tonnes_reo"] = out["tonnes_reo"].astype(int)
    return out.assign(country=country)[["country", *cols]].sort_values(["year", "edition"])


def revisions(prod: pd.DataFrame, old: str, new: str) -> pd.DataFrame:
    """Every (country, year) both editions print, where the newer one changed the number.

    Sorted by the size of the revision, largest first (Australia 2024: 13,000 -> 29,000 t).
    """
    a = prod[prod["edition"] == old][["country", "year", "tonnes_reo"]]
    b = prod[prod["edition"] == new][["country", "year", "tonnes_reo", "source_url"]]
    both = a.merge(b, on=["country", "year"], suffixes=("_old", "_new"))
    both = both.rename(columns={"tonnes_reo_old": "old_tonnes", "tonnes_reo_new": "new_tonnes"})
    both["old_tonnes"] = both["old_tonnes"].astype(int)
    both["new_tonnes"] = both["new_tonnes"].astype(int)
    both["change"] = both["new_tonnes"] - both["old_tonnes"]
    both = both[both["change"] != 0].copy()
    both["change_pct"] = (both["change"] / both["old_tonnes"].where(both["old_tonnes"] != 0)) * 100
    both["year"] = both["year"].astype(int)
    both = both.assign(old_edition=old, new_edition=new, _abs=both["change"].abs())
    both = both.sort_values(["_abs", "country"], ascending=[False, True]).drop(columns="_abs")
    cols = [
        "country", "year", "old_edition", "old_tonnes", "new_edition", "new_tonnes",
        "change", "change_pct", "source_url",
    ]  # fmt: skip
    return both[cols].reset_index(drop=True)


def china_mining_shares(prod: pd.DataFrame) -> pd.DataFrame:
    """China / world mine output per (edition, year), in percent to one decimal."""
    rows = []
    for (ed, year), grp in prod.groupby(["edition", "year"]):
        by = grp.set_index("country")["tonnes_reo"]
        if CHINA in by.index and WORLD in by.index and int(by[WORLD]) > 0:
            share = round(float(by[CHINA]) / float(by[WORLD]) * 100, 1)
            rows.append(
                {
                    "edition": ed,
                    "year": int(year),
                    "china": int(by[CHINA]),
                    "world": int(by[WORLD]),
                    "share_pct": share,
                }
            )
    return pd.DataFrame(rows, columns=["edition", "year", "china", "world", "share_pct"])


def share_points(shares: pd.DataFrame) -> pd.DataFrame:
    """China-share rows ready to chart: one ``series`` per basis, latest vintage flagged.

    Lines may only join points of the same series (same publisher and basis); where one
    basis printed the same year twice (USGS editions), only the newest is on the line. A
    series whose line joins several editions is named so ("... newest edition for each
    year") and each of its points carries its edition (``point_edition``).
    """
    df = shares.copy()
    df["latest_vintage"] = newest_per_year(df, ["basis", "stage"])
    current = df[df["latest_vintage"] & (df["kind"] == "observed")]
    stitched = current.groupby("basis")["edition"].nunique()
    stitched = set(stitched[stitched > 1].index)
    df["series"] = df["basis"].where(~df["basis"].isin(stitched), df["basis"] + f" ({NEWEST})")
    df["point_edition"] = (
        df["edition"]
        .map(short_edition)
        .where(df["basis"].isin(stitched) & df["latest_vintage"], "")
    )
    df["value_label"] = df["qualifier"].fillna("") + df["share_pct"].map(lambda v: f"{v:g}") + "%"
    df["hollow"] = (df["confidence"] == "unverified") | (df["kind"] == "projection")
    df["flag"] = "as published"
    df.loc[df["kind"] == "projection", "flag"] = "projection"
    df.loc[df["confidence"] == "unverified", "flag"] = "UNVERIFIED"
    df.loc[(df["flag"] == "as published") & ~df["latest_vintage"], "flag"] = "earlier edition"
    return df
