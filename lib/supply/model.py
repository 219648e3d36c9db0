"""Pure computations on the supply tables: shares, revisions, pipeline sums, gap figures.

Two rules run through this module. USGS revises heavily, so every figure keeps its edition
and "latest vs previous" compares editions, never silently mixes them. Capacities come in
different units (t REO, t NdPr oxide, t magnets, ...), so sums are per (stage, unit) and
:func:`sum_capacity` refuses to add across units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from lib.supply.load import SupplyData
from lib.supply.schema import STAGES, STATUSES

WORLD = "World total"
CHINA = "China"
REST = "Rest of world"
NIR = "net_import_reliance_compounds_metals"
IMPORT_VALUE = "import_value_compounds_and_metals"
METRIC_LABELS = {
    NIR: "Net import reliance, compounds and metals",
    IMPORT_VALUE: "Import value, compounds and metals",
}
#: Years the pipeline chart adds capacity up to (cumulative, if every project is on time).
PIPELINE_YEARS = tuple(range(2025, 2031))


class MixedUnitsError(ValueError):
    """Capacities in different units were about to be added together.

    Tonnes of REO in concentrate, of NdPr oxide and of finished magnets measure different
    things; a total across them means nothing, so the sum is refused instead.
    """


# --------------------------------------------------------------------------- editions


def edition_rank(edition: str) -> float:
    """Publication order for comparing vintages: MCS by year; DS140 2020; MYB2022 late 2024.

    MYB2022 ranks between MCS2024 and MCS2025 only for tie-breaks between the same data year;
    "previous edition" logic uses MCS editions alone (:func:`mcs_editions`).
    """
    m = re.match(r"^MCS(\d{4})", edition)
    if m:
        return float(m.group(1))
    if edition.startswith("MYB2022"):
        return 2024.5
    if edition.startswith("DS140"):
        return 2020.0
    return 0.0


def mcs_editions(frame: pd.DataFrame) -> list[str]:
    """MCS editions present in ``frame['edition']``, oldest first."""
    eds = {e for e in frame["edition"].unique() if str(e).startswith("MCS")}
    return sorted(eds, key=edition_rank)


def editions_newest_first(frame: pd.DataFrame) -> list[str]:
    """Every edition in ``frame``, MCS newest first, then the yearbook and historical series."""
    eds = list(frame["edition"].unique())
    mcs = sorted((e for e in eds if e.startswith("MCS")), key=edition_rank, reverse=True)
    rest = sorted((e for e in eds if not e.startswith("MCS")), key=edition_rank, reverse=True)
    return [*mcs, *rest]


def previous_edition(editions: Sequence[str], edition: str) -> str | None:
    """The edition published just before ``edition`` in ``editions`` (oldest-first list)."""
    if edition not in editions:
        return None
    i = list(editions).index(edition)
    return editions[i - 1] if i > 0 else None


# --------------------------------------------------------------------------- mine production


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
        if CHINA in by.index:
            china = by.loc[CHINA]
            rows.append(
                {
                    **base,
                    "group": CHINA,
                    "tonnes_reo": int(china["tonnes_reo"]),
                    "source_url": china["source_url"],
                    "confidence": china["confidence"],
                    "how": "as published (China figure is its official quota)",
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
        else:
            rows.append(
                {
                    **base,
                    "group": "World (no country split)",
                    "tonnes_reo": int(world["tonnes_reo"]),
                    "source_url": world["source_url"],
                    "confidence": world["confidence"],
                    "how": "as published; this edition has no China figure for the year",
                }
            )
    cols = ["year", "group", "tonnes_reo", "unit", "edition", "source_url", "confidence", "how"]
    return pd.DataFrame(rows, columns=cols)


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


# --------------------------------------------------------------------------- China's share


def share_points(shares: pd.DataFrame) -> pd.DataFrame:
    """China-share rows ready to chart: one ``series`` per basis, latest vintage flagged.

    Lines may only join points of the same series (same publisher and basis); where one
    basis printed the same year twice (USGS editions), only the newest is on the line.
    """
    df = shares.copy()
    df["series"] = df["basis"]
    df["rank"] = df["edition"].map(edition_rank)
    newest = df.groupby(["series", "stage", "year"])["rank"].transform("max")
    df["latest_vintage"] = df["rank"] == newest
    df["value_label"] = df["qualifier"].fillna("") + df["share_pct"].map(lambda v: f"{v:g}") + "%"
    df["hollow"] = (df["confidence"] == "unverified") | (df["kind"] == "projection")
    df["flag"] = "as published"
    df.loc[df["kind"] == "projection", "flag"] = "projection"
    df.loc[df["confidence"] == "unverified", "flag"] = "UNVERIFIED"
    df.loc[(df["flag"] == "as published") & ~df["latest_vintage"], "flag"] = "earlier edition"
    return df.drop(columns="rank")


# --------------------------------------------------------------------------- pipeline


def sum_capacity(rows: pd.DataFrame) -> float:
    """Total capacity of ``rows``, which must all share one unit; else MixedUnitsError."""
    rows = rows[rows["capacity_value"].notna()]
    units = sorted(set(rows["unit"]))
    if len(units) > 1:
        raise MixedUnitsError(
            "Capacities in different units cannot be added: "
            + ", ".join(units)
            + ". Sum each stage in its own unit."
        )
    return float(rows["capacity_value"].sum()) if len(rows) else 0.0


def counted_by(pipe: pd.DataFrame, year: int) -> pd.DataFrame:
    """Projects whose capacity is in place by ``year`` if every one keeps its target date.

    Operating plants without a date count from the start; a row included in a later total
    (``included_in``, e.g. MP's Independence inside its 10,000 t/yr) drops out once that total
    is due, so nothing is counted twice. Undated plans and on-hold projects never count.
    """
    ty = pipe["target_year"]
    due = (ty.notna() & (ty <= year)) | ((pipe["status"] == "operating") & ty.isna())
    due &= pipe["status"] != "uncertain"
    due &= pipe["capacity_value"].notna()
    due = due.fillna(False).astype(bool)
    in_place = set(pipe.loc[due, "id"])
    superseded = pipe["included_in"].isin(in_place) & (pipe["included_in"] != "")
    return pipe[due & ~superseded]


def pipeline_by_year(
    pipe: pd.DataFrame, years: Sequence[int] = PIPELINE_YEARS, include_unverified: bool = True
) -> pd.DataFrame:
    """Cumulative capacity per (stage, unit, year, status, confidence): the chart's bars."""
    if not include_unverified:
        pipe = pipe[pipe["confidence"] != "unverified"]
    rows = []
    for year in years:
        now = counted_by(pipe, year)
        for (stage, unit, status, conf), grp in now.groupby(
            ["stage", "unit", "status", "confidence"]
        ):
            rows.append(
                {
                    "stage": stage,
                    "unit": unit,
                    "year": int(year),
                    "status": status,
                    "confidence": conf,
                    "capacity": sum_capacity(grp),
                    "projects": ", ".join(grp["company"] + " " + grp["project"]),
                    "sources": " ; ".join(grp["source_url"].str.split(" ; ").str[0]),
                }
            )
    cols = ["stage", "unit", "year", "status", "confidence", "capacity", "projects", "sources"]
    out = pd.DataFrame(rows, columns=cols)
    out["panel"] = out["stage"] + " · " + out["unit"]
    return out


def pipeline_panels(bars: pd.DataFrame) -> list[tuple[str, str]]:
    """(stage, unit) pairs in value-chain order: one chart panel each, never merged."""
    pairs = set(zip(bars["stage"], bars["unit"], strict=True))
    return sorted(pairs, key=lambda p: (STAGES.index(p[0]), p[1]))


def stage_totals(pipe: pd.DataFrame, year: int) -> pd.DataFrame:
    """Capacity in place by ``year`` per (stage, unit): one row per comparable total."""
    now = counted_by(pipe, year)
    rows = [
        {"stage": s, "unit": u, "capacity": sum_capacity(g), "projects": len(g)}
        for (s, u), g in now.groupby(["stage", "unit"])
    ]
    out = pd.DataFrame(rows, columns=["stage", "unit", "capacity", "projects"])
    out["order"] = out["stage"].map(STAGES.index)
    return out.sort_values(["order", "unit"]).drop(columns="order").reset_index(drop=True)


def not_counted(pipe: pd.DataFrame, year: int = PIPELINE_YEARS[-1]) -> pd.DataFrame:
    """Projects the bars leave out by ``year`` (no date, on hold, no capacity), with why."""
    counted = set(counted_by(pipe, year)["id"])
    inside = set(pipe.loc[pipe["included_in"] != "", "id"])
    out = pipe[~pipe["id"].isin(counted | inside)].copy()
    reason = pd.Series("not due by " + str(year), index=out.index)
    reason[out["target_year"].isna()] = "no target date"
    reason[out["status"] == "uncertain"] = "on hold / uncertain"
    reason[out["capacity_value"].isna()] = "capacity not published"
    out["why_not_counted"] = reason
    return out


def timeline_frame(pipe: pd.DataFrame) -> pd.DataFrame:
    """One row per project for the timeline: when (target year or 'in service'/'no date')."""
    df = pipe.copy()
    when = df["target_year"].astype("string")
    when = when.where(df["target_year"].notna(), None)
    when = when.fillna(pd.Series("no date", index=df.index).where(df["status"] != "operating"))
    df["when"] = when.fillna("in service").astype(str)
    df["label"] = df["company"] + " · " + df["project"]
    df["capacity_label"] = (
        df["capacity_stated"].where(df["capacity_stated"] != "", "not published")
        + " "
        + df["unit_detail"]
    )
    df["stage_order"] = df["stage"].map(STAGES.index)
    df["status_order"] = df["status"].map(STATUSES.index)
    return df.sort_values(["stage_order", "status_order", "id"]).reset_index(drop=True)


def timeline_domain(frame: pd.DataFrame) -> list[str]:
    """x order of the timeline: in service, then years, then 'no date'."""
    years = sorted({w for w in frame["when"] if w.isdigit()})
    return ["in service", *years, "no date"]


# --------------------------------------------------------------------------- US imports


def import_dependence(us: pd.DataFrame) -> pd.DataFrame:
    """Net import reliance and import value per (year, edition); newest edition flagged.

    "E" (net exporter) and "XX" rows carry no number and are left out; ">95" keeps its
    qualifier so it is never drawn as exactly 95.
    """
    df = us[us["metric"].isin([NIR, IMPORT_VALUE]) & us["value"].notna()].copy()
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    df["metric_label"] = df["metric"].map(METRIC_LABELS)
    df["rank"] = df["edition"].map(edition_rank)
    newest = df.groupby(["metric", "year"])["rank"].transform("max")
    df["latest"] = df["rank"] == newest
    unit_sym = df["unit"].map(lambda u: "%" if u.startswith("%") else " USD M")
    df["value_label"] = df["qualifier"].fillna("") + df["value"].map(lambda v: f"{v:g}") + unit_sym
    df["hollow"] = (df["qualifier"].fillna("") != "") | (df["confidence"] == "unverified")
    cols = [
        "metric", "metric_label", "year", "value", "qualifier", "value_label", "unit",
        "edition", "latest", "hollow", "source_url", "confidence", "note",
    ]  # fmt: skip
    return df.sort_values(["metric", "year", "rank"])[cols].reset_index(drop=True)


def import_sources(us: pd.DataFrame) -> pd.DataFrame:
    """Where US compound and metal imports came from, per edition (percent of imports)."""
    prefix = "import_sources_compounds_and_metals_"
    df = us[us["metric"].str.startswith(prefix)].copy()
    df["country"] = df["metric"].str.removeprefix(prefix)
    cols = ["edition", "period", "country", "value", "unit", "source_url", "confidence"]
    return df[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- gap row


@dataclass(frozen=True)
class GapFigure:
    """One headline figure with its edition and the change against the previous edition."""

    label: str
    value: float
    qualifier: str
    unit: str
    year: int
    edition: str
    source_url: str
    confidence: str
    basis: str
    previous_value: float | None = None
    previous_year: int | None = None
    previous_edition: str | None = None
    change: float | None = None
    note: str = ""

    @property
    def value_label(self) -> str:
        return f"{self.qualifier}{self.value:g}{self.unit}"

    @property
    def change_label(self) -> str:
        if self.change is None:
            return "no earlier figure on the same basis"
        return f"{self.change:+.1f} pp vs {self.previous_edition} ({self.previous_year})"


def _latest_vs_previous(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The newest edition's latest-year row and the previous edition's latest-year row."""
    eds = sorted(frame["edition"].unique(), key=edition_rank)
    latest = frame[frame["edition"] == eds[-1]].sort_values("year").iloc[-1]
    prev = None
    if len(eds) > 1:
        prev = frame[frame["edition"] == eds[-2]].sort_values("year").iloc[-1]
    return latest, prev


def mining_share_gap(prod: pd.DataFrame) -> GapFigure:
    """China's share of mining in the newest MCS edition vs the edition before it."""
    shares = china_mining_shares(prod)
    shares = shares[shares["edition"].str.startswith("MCS")]
    latest, prev = _latest_vs_previous(shares)
    note = ""
    if prev is not None:
        same = shares[(shares["edition"] == latest["edition"]) & (shares["year"] == prev["year"])]
        revised = float(same["share_pct"].iloc[0]) if len(same) else float(prev["share_pct"])
        if revised != float(prev["share_pct"]):
            note = (
                f"{latest['edition']} also revised {int(prev['year'])} from "
                f"{float(prev['share_pct']):g}% to {revised:g}%."
            )
    src = prod[(prod["edition"] == latest["edition"])]["source_url"].iloc[0]
    return GapFigure(
        label="China's share of mining",
        value=float(latest["share_pct"]),
        qualifier="",
        unit="%",
        year=int(latest["year"]),
        edition=str(latest["edition"]),
        source_url=str(src),
        confidence="derived",
        basis="USGS China quota over world mine output (t REO), same edition",
        previous_value=None if prev is None else float(prev["share_pct"]),
        previous_year=None if prev is None else int(prev["year"]),
        previous_edition=None if prev is None else str(prev["edition"]),
        change=None
        if prev is None
        else round(float(latest["share_pct"]) - float(prev["share_pct"]), 1),
        note=note,
    )


def magnet_share_gap(shares: pd.DataFrame) -> GapFigure:
    """China's latest checked share of magnet making; compared only within the same basis."""
    mag = shares[(shares["stage"] == "magnets") & (shares["confidence"] != "unverified")]
    mag = mag[mag["kind"] == "observed"].sort_values("year")
    latest = mag.iloc[-1]
    same = mag[(mag["basis"] == latest["basis"]) & (mag["id"] != latest["id"])]
    prev = same.iloc[-1] if len(same) else None
    change = None
    if prev is not None and not (latest["qualifier"] or prev["qualifier"]):
        change = round(float(latest["share_pct"]) - float(prev["share_pct"]), 1)
    others = shares[(shares["stage"] == "magnets") & (shares["basis"] != latest["basis"])]
    note = ""
    if prev is None and len(others):
        note = (
            f"Earlier magnet shares ({', '.join(sorted(set(others['year_label'])))}) come from "
            "other publishers on other bases, so no change is computed."
        )
    return GapFigure(
        label="China's share of magnet making",
        value=float(latest["share_pct"]),
        qualifier=str(latest["qualifier"] or ""),
        unit="%",
        year=int(latest["year"]),
        edition=str(latest["edition"]),
        source_url=str(latest["source_url"]),
        confidence=str(latest["confidence"]),
        basis=str(latest["basis"]),
        previous_value=None if prev is None else float(prev["share_pct"]),
        previous_year=None if prev is None else int(prev["year"]),
        previous_edition=None if prev is None else str(prev["edition"]),
        change=change,
        note=note,
    )


def import_reliance_gap(us: pd.DataFrame) -> GapFigure:
    """Latest US net import reliance (compounds and metals) vs the previous MCS edition."""
    nir = import_dependence(us)
    nir = nir[(nir["metric"] == NIR) & nir["edition"].str.startswith("MCS")]
    latest, prev = _latest_vs_previous(nir)
    change = None
    if prev is not None and not (latest["qualifier"] or prev["qualifier"]):
        change = round(float(latest["value"]) - float(prev["value"]), 1)
    note = ""
    if prev is not None:
        same = nir[(nir["edition"] == latest["edition"]) & (nir["year"] == prev["year"])]
        if len(same) and float(same["value"].iloc[0]) != float(prev["value"]):
            note = (
                f"{latest['edition']} also revised {int(prev['year'])} from "
                f"{prev['value_label']} to {same['value_label'].iloc[0]}."
            )
    return GapFigure(
        label="US net import reliance",
        value=float(latest["value"]),
        qualifier=str(latest["qualifier"] or ""),
        unit="%",
        year=int(latest["year"]),
        edition=str(latest["edition"]),
        source_url=str(latest["source_url"]),
        confidence=str(latest["confidence"]),
        basis="USGS, rare-earth compounds and metals, % of apparent consumption",
        previous_value=None if prev is None else float(prev["value"]),
        previous_year=None if prev is None else int(prev["year"]),
        previous_edition=None if prev is None else str(prev["edition"]),
        change=change,
        note=note,
    )


def gap_row(data: SupplyData) -> list[GapFigure]:
    """Home's "gap" row: China's mining and magnet shares and US import reliance."""
    return [
        mining_share_gap(data.production),
        magnet_share_gap(data.china_share),
        import_reliance_gap(data.us_trade),
    ]


# --------------------------------------------------------------------------- sentences


@dataclass(frozen=True)
class StageSentence:
    """A plain sentence on one stage; ``comparable`` is False when no like-for-like exists."""

    stage: str
    text: str
    comparable: bool
    figures: dict[str, float] = field(default_factory=dict)


def _t(x: float) -> str:
    return f"{x:,.0f}"


def _listing(rows: pd.DataFrame) -> str:
    return "; ".join(
        f"{r.company} {r.project} ({_t(r.capacity_value)} {r.unit})"
        if pd.notna(r.capacity_value)
        else f"{r.company} {r.project} (capacity not published)"
        for r in rows.itertuples()
    )


def stage_sentences(data: SupplyData, year: int = 2028) -> list[StageSentence]:
    """One sentence per stage, comparing Western capacity with China only on a shared basis."""
    pipe, out = data.pipeline, []
    totals = stage_totals(pipe, year)

    # Mining: the only Western figure in t REO is MP's production; USGS gives China's.
    latest = mcs_editions(data.production)[-1]
    cvr = china_vs_rest(data.production, latest)
    last_year = int(cvr["year"].max())
    china_t = float(cvr[(cvr["year"] == last_year) & (cvr["group"] == CHINA)]["tonnes_reo"].iloc[0])
    rest_t = float(cvr[(cvr["year"] == last_year) & (cvr["group"] == REST)]["tonnes_reo"].iloc[0])
    mining = pipe[pipe["stage"] == "mining"]
    reo = mining[mining["unit"] == "t REO in concentrate"]
    other = mining[mining["unit"] != "t REO in concentrate"]
    reo_t = sum_capacity(reo)
    out.append(
        StageSentence(
            "mining",
            f"Mining: the only Western mine figure in tonnes of REO is {_listing(reo)}, "
            f"{reo_t / china_t:.0%} of China's {_t(china_t)} t in {last_year} "
            f"(USGS {latest}; China's number is its official quota). USGS puts the whole "
            f"world outside China at {_t(rest_t)} t. Left out because they use other units: "
            f"{_listing(other)}.",
            True,
            {"west_t_reo": reo_t, "china_t_reo": china_t, "rest_t_reo": rest_t},
        )
    )

    # Separation/refining: Western tonnes exist, China's tonnes do not in our sources.
    sep = totals[totals["stage"] == "separation/refining"]
    parts = ", ".join(f"{_t(r.capacity)} {r.unit}" for r in sep.itertuples())
    share = data.china_share
    sep_share = share[
        (share["stage"] == "separation/refining")
        & (share["confidence"] == "verified")
        & (share["kind"] == "observed")
    ].sort_values("year")
    s_last = sep_share.iloc[-1] if len(sep_share) else None
    share_txt = (
        f" The IEA puts China's share of separation at {s_last['share_pct']:g}% "
        f"({s_last['year_label']}), a share, not tonnes."
        if s_last is not None
        else ""
    )
    out.append(
        StageSentence(
            "separation/refining",
            f"Separation and refining: Western capacity in place by {year} if every project is "
            f"on time is {parts} (each unit summed on its own). China's separation output in "
            f"tonnes is not in our fact base, so there is no like-for-like comparison." + share_txt,
            False,
            {f"west_{r.unit}": float(r.capacity) for r in sep.itertuples()},
        )
    )

    metal = totals[totals["stage"] == "metal"]
    mparts = ", ".join(f"{_t(r.capacity)} {r.unit}" for r in metal.itertuples()) or "none"
    out.append(
        StageSentence(
            "metal",
            f"Metal making: Western stand-alone metal capacity by {year} is {mparts} "
            "(MP and Vulcan make metal inside their magnet plants, counted as magnets). "
            "China's share or tonnage of rare-earth metal was not found in any source we read.",
            False,
        )
    )

    # Magnets: capacity vs China's latest checked, observed magnet output.
    mag = totals[(totals["stage"] == "magnets") & (totals["unit"] == "t/yr NdFeB magnets")]
    mag_t = float(mag["capacity"].iloc[0]) if len(mag) else 0.0
    plants = counted_by(pipe, year)
    plants = plants[plants["stage"] == "magnets"]
    cm = data.china_magnets
    cm = cm[
        (cm["kind"] == "observed")
        & (cm["confidence"] == "verified")
        & (~cm["metric"].str.contains("export"))
    ].sort_values("year")
    c = cm.iloc[-1]
    left_out = not_counted(pipe[pipe["stage"] == "magnets"], year)
    lo = "; ".join(f"{r.company} {r.project}: {r.why_not_counted}" for r in left_out.itertuples())
    out.append(
        StageSentence(
            "magnets",
            f"Magnets: announced Western NdFeB magnet capacity for {year} adds up to "
            f"{_t(mag_t)} t/yr across {len(plants)} plants, against China's "
            f"{c['qualifier'] or ''}{_t(c['value'])} t of {c['metric']} made in {c['year']} "
            f"({c['publisher']} estimate). Different bases: nameplate capacity if every plant is "
            f"on time versus estimated output, and China's magnet series mixes blanks, finished "
            f"magnets and all permanent-magnet materials. Not counted: {lo}.",
            True,
            {"west_t_magnets": mag_t, "china_t_magnets": float(c["value"])},
        )
    )
    return out


# --------------------------------------------------------------------------- equities


def listed_companies(pipe: pd.DataFrame) -> pd.DataFrame:
    """One row per listed company in the pipeline: symbol, company, projects, stages."""
    listed = pipe[pipe["symbol"] != ""]
    rows = []
    for sym, grp in listed.groupby("symbol", sort=False):
        rows.append(
            {
                "symbol": sym,
                "company": grp["company"].iloc[0],
                "projects": len(grp),
                "stages": ", ".join(dict.fromkeys(grp["stage"])),
            }
        )
    return pd.DataFrame(rows, columns=["symbol", "company", "projects", "stages"])


def company_capacity(pipe: pd.DataFrame, symbol: str, year: int = 2028) -> str:
    """ "10,000 t/yr NdFeB magnets; 2,599 t/yr NdPr oxide ..." in place by ``year``, per unit."""
    own = pipe[pipe["symbol"] == symbol]
    totals = stage_totals(own, year)
    if totals.empty:
        return "no dated capacity"
    return "; ".join(f"{_t(r.capacity)} {r.unit} ({r.stage})" for r in totals.itertuples())


def rebased_prices(
    tidy: pd.DataFrame, symbols: Sequence[str], start: pd.Timestamp | None
) -> pd.DataFrame:
    """Each symbol rebased to 100 at its own first close on or after ``start`` (no dropna)."""
    from lib.returns import rebase_to_100, to_wide

    df = tidy[tidy["symbol"].isin(list(symbols))]
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    wide = to_wide(df)
    if wide.empty:
        return pd.DataFrame(columns=["date", "symbol", "rebased"])
    long = rebase_to_100(wide).reset_index().melt("date", var_name="symbol", value_name="rebased")
    return long.dropna(subset=["rebased"]).reset_index(drop=True)


def project_milestones(events: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Dated events tagged with ``symbol`` (from the policy timeline) for a price overlay."""
    if events.empty or "symbol_list" not in events:
        return events.iloc[0:0]
    mask = events["symbol_list"].map(lambda syms: symbol in tuple(syms))
    return events[mask].sort_values("date").reset_index(drop=True)
