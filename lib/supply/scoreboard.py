"""The gap scoreboard: per stage, China's latest figure against Western capacity.

For each stage (mining, separation, metal, magnets): China's latest volume or share with its
source and edition; Western operating capacity today; Western capacity in place by a year if
every project is on time; the West/China ratio where the units allow ("not comparable" where
they do not); the trend since the previous same-basis figure; and the confidence. Capacity is
nameplate or phase capacity only (:mod:`lib.supply.capacity`); a ratio of capacity to output
says so in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lib.supply.capacity import not_counted, operating_now, stage_totals
from lib.supply.editions import mcs_editions, quota_note
from lib.supply.headline import magnet_share_gap, mining_share_gap
from lib.supply.load import SupplyData
from lib.supply.production import CHINA, WORLD

#: Scoreboard stages and the pipeline stage each reads (cracking sits between mining and
#: separation and has no Chinese counterpart in our sources, so it is not scored).
STAGES = {
    "mining": ("Mining", "mining"),
    "separation": ("Separation and refining", "separation/refining"),
    "metal": ("Metal making", "metal"),
    "magnets": ("Magnets", "magnets"),
}
NOT_COMPARABLE = "not comparable"


def _t(x: float) -> str:
    return f"{x:,.0f}"


def _units(totals: dict[str, float]) -> str:
    return "; ".join(f"{_t(v)} {u}" for u, v in totals.items()) or "none"


@dataclass(frozen=True)
class StageScore:
    """One scoreboard row; ``*_t`` dicts hold the numbers per unit for tests and exports."""

    stage: str
    label: str
    china: str
    china_source: str
    china_url: str
    west_now: str
    west_by: str
    by_year: int
    ratio: str
    trend: str
    outlook: str | None
    confidence: str
    sentence: str
    comparable: bool
    west_now_t: dict[str, float] = field(default_factory=dict)
    west_by_t: dict[str, float] = field(default_factory=dict)
    ratio_value: float | None = None
    #: The compact copy's ratio: the number and what it compares, or "not comparable".
    ratio_short: str = NOT_COMPARABLE

    @property
    def west_now_capacity(self) -> str:
        """Operating nameplate or phase capacity only (the compact copy's cell)."""
        return _units(self.west_now_t)


def _per_unit(rows: pd.DataFrame) -> dict[str, float]:
    return {str(r.unit): float(r.capacity) for r in rows.itertuples()}


def _capacity(pipe: pd.DataFrame, stage: str, today: int, by: int) -> tuple[dict, dict]:
    own = pipe[pipe["stage"] == stage]
    now = operating_now(own, today).groupby("unit")["capacity_value"].sum()
    later = stage_totals(own, by)
    return {str(u): float(v) for u, v in now.items()}, _per_unit(later)


def _produced(pipe: pd.DataFrame, stage: str) -> pd.DataFrame:
    own = pipe[(pipe["stage"] == stage) & (pipe["capacity_basis"] == "production")]
    return own[own["capacity_value"].notna()]


def _made(rows: pd.DataFrame) -> str:
    return "; ".join(
        f"{r.company} produced {_t(r.capacity_value)} {str(r.unit).replace('t/yr ', 't ')} "
        f"in {r.target_year} (production, not capacity)"
        for r in rows.itertuples()
    )


def _trend(change: float | None, label: str, text: str) -> str:
    if change is None:
        return "no earlier figure on the same basis"
    return f"{label} {change:+.1f} pp {text}"


def _mining(data: SupplyData, today: int, by: int) -> StageScore:
    prod, pipe = data.production, data.pipeline
    edition = mcs_editions(prod)[-1]
    rows = prod[prod["edition"] == edition]
    year = int(rows["year"].max())
    at = rows[rows["year"] == year].set_index("country")
    china_t, world_t = float(at.loc[CHINA, "tonnes_reo"]), float(at.loc[WORLD, "tonnes_reo"])
    gap = mining_share_gap(prod)
    now, later = _capacity(pipe, "mining", today, by)
    made = _produced(pipe, "mining")
    same_unit = made[(made["unit"] == "t REO in concentrate") & (made["target_year"] == year)]
    west_t = float(same_unit["capacity_value"].sum())
    ratio_value = west_t / china_t if len(same_unit) else None
    who = " and ".join(dict.fromkeys(same_unit["company"]))
    ratio = (
        f"{ratio_value:.0%}: {who} mined {_t(west_t)} t REO in {year}, China {_t(china_t)} t; "
        "both are output, not capacity"
        if ratio_value is not None
        else f"{NOT_COMPARABLE}: no Western figure in t REO"
    )
    west_now = _units(now) + " nameplate" + (f"; {_made(made)}" if len(made) else "")
    compared = (
        f"{who} produced {_t(west_t)} t in {year}, {ratio_value:.0%} of China's output; both "
        "are production, not capacity"
        if ratio_value is not None
        else "no Western production figure for the same year"
    )
    sentence = (
        f"Mining: China mined {_t(china_t)} t REO in {year}, {gap.value_label} of the world's "
        f"{_t(world_t)} t (USGS {edition}; {quota_note(edition)}). The only Western mine "
        f"figure in tonnes of REO is a production figure: {compared}. Western mine capacity "
        f"is stated only in another unit: {_units(later)} (nameplate)."
    )
    return StageScore(
        "mining", "Mining", f"{_t(china_t)} t REO mined ({gap.value_label} of world)",
        f"USGS {edition}, {year}", gap.source_url, west_now, _units(later), by, ratio,
        _trend(gap.change, "China's share", f"since {gap.previous_year} ({edition})"),
        gap.outlook, "verified (tonnes); derived (share)", sentence, ratio_value is not None,
        now, later, ratio_value,
        f"{ratio_value:.0%} ({who}, {year} output, against China's)" if ratio_value is not None
        else NOT_COMPARABLE,
    )  # fmt: skip


def _separation(data: SupplyData, today: int, by: int) -> StageScore:
    pipe, share = data.pipeline, data.china_share
    now, later = _capacity(pipe, "separation/refining", today, by)
    made = _produced(pipe, "separation/refining")
    seps = share[
        (share["stage"] == "separation/refining")
        & (share["confidence"] == "verified")
        & (share["kind"] == "observed")
    ].sort_values("year")
    last = seps.iloc[-1] if len(seps) else None
    china = f"{last['share_pct']:g}% of world separation" if last is not None else "not found"
    same = seps.iloc[0:0]
    if last is not None:
        same = seps[(seps["basis"] == last["basis"]) & (seps["year"] < last["year"])]
    trend = "no earlier figure on the same basis"
    outlook = None
    if len(same):
        change = float(last["share_pct"]) - float(same.iloc[-1]["share_pct"])
        outlook = "unchanged" if change == 0 else ("worse" if change > 0 else "better")
        trend = f"China's share {change:+.1f} pp since {int(same.iloc[-1]['year'])}"
    west_now = _units(now) + (f"; {_made(made)}" if len(made) else "")
    share_txt = (
        f" The IEA puts China's share of separation at {last['share_pct']:g}% "
        f"({last['year_label']}), a share, not tonnes."
        if last is not None
        else ""
    )
    sentence = (
        f"Separation and refining: Western nameplate or phase capacity in place by {by} if "
        f"every project is on time is {_units(later)} (each unit summed on its own; MP's "
        f"separation figure is 2025 production and is not in the sum). China's separation "
        f"output in tonnes is not in our fact base, so there is no like-for-like comparison."
        + share_txt
    )
    return StageScore(
        "separation", "Separation and refining", china,
        f"{last['publisher']}, {last['edition']}" if last is not None else "",
        str(last["source_url"]) if last is not None else "", west_now, _units(later), by,
        f"{NOT_COMPARABLE}: China's figure is a share; its tonnes are not in our sources",
        trend, outlook, str(last["confidence"]) if last is not None else "gap", sentence,
        False, now, later,
    )  # fmt: skip


def _metal(data: SupplyData, today: int, by: int) -> StageScore:
    now, later = _capacity(data.pipeline, "metal", today, by)
    sentence = (
        f"Metal making: Western stand-alone metal capacity by {by} is {_units(later)} "
        "(MP and Vulcan make metal inside their magnet plants, counted as magnets). "
        "China's share or tonnage of rare-earth metal was not found in any source we read."
    )
    return StageScore(
        "metal", "Metal making", "not found in any source we read", "", "", _units(now),
        _units(later), by, f"{NOT_COMPARABLE}: no Chinese figure",
        "no earlier figure on the same basis", None, "gap (China not found)", sentence, False,
        now, later,
    )  # fmt: skip


def _magnets(data: SupplyData, today: int, by: int) -> StageScore:
    pipe, cm = data.pipeline, data.china_magnets
    gap = magnet_share_gap(data.china_share)
    now, later = _capacity(pipe, "magnets", today, by)
    cm = cm[
        (cm["kind"] == "observed")
        & (cm["confidence"] == "verified")
        & (~cm["metric"].str.contains("export"))
    ].sort_values("year")
    c = cm.iloc[-1]
    made = f"{c['qualifier'] or ''}{_t(c['value'])} t"
    unit = "t/yr NdFeB magnets"
    west = later.get(unit, 0.0)
    ratio_value = west / float(c["value"]) if c["value"] else None
    ratio = (
        f"{ratio_value:.0%}: Western capacity by {by} if every plant is on time "
        f"({_t(west)} t/yr) against what China made in {c['year']} ({made}); capacity is a "
        "ceiling on output, not output"
    )
    left_out = not_counted(pipe[pipe["stage"] == "magnets"], by)
    sentence = (
        f"Magnets: Western NdFeB magnet capacity in place by {by} if every plant is on time "
        f"adds up to {_t(west)} t/yr (nameplate or first-phase capacity, not output), against "
        f"the {made} of {c['metric']} China made in {c['year']} ({c['publisher']} estimate). "
        f"That compares a ceiling with actual output, and China's series mixes blanks, "
        f"finished magnets and all permanent-magnet materials. Not in the sum: "
        + "; ".join(
            f"{r.company} {r.project}"
            + (f" {_t(r.capacity_value)} t/yr" if pd.notna(r.capacity_value) else "")
            + f": {r.why_not_counted}"
            for r in left_out.itertuples()
        )
        + "."
    )
    return StageScore(
        "magnets", "Magnets",
        f"{gap.value_label} of magnet making ({gap.year}); {made} made in {c['year']}",
        f"{gap.edition}; {c['publisher']} {c['as_of']}", gap.source_url, _units(now),
        _units(later), by, ratio,
        _trend(gap.change, "China's share", f"since {gap.previous_year}"),
        gap.outlook, f"{gap.confidence} (share); {c['confidence']} estimate (tonnes)",
        sentence, True, now, later, ratio_value,
        f"{ratio_value:.0%} (capacity by {by} against {c['year']} output)"
        if ratio_value is not None
        else NOT_COMPARABLE,
    )  # fmt: skip


def scoreboard(data: SupplyData, today: int, by: int = 2028) -> list[StageScore]:
    """One row per stage: mining, separation, metal, magnets."""
    return [f(data, today, by) for f in (_mining, _separation, _metal, _magnets)]


def scoreboard_frame(scores: list[StageScore], compact: bool = False) -> pd.DataFrame:
    """The scoreboard as a tidy table (the compact copy drops sources and confidence)."""
    rows = [
        {
            "stage": s.label,
            "china": s.china,
            "china_source": s.china_source,
            "west_now": s.west_now,
            "west_by": s.west_by,
            "ratio": s.ratio,
            "trend": s.trend,
            "confidence": s.confidence,
            "source_url": s.china_url,
        }
        for s in scores
    ]
    frame = pd.DataFrame(rows)
    if compact:
        frame = frame.assign(
            west_now=[s.west_now_capacity for s in scores],
            ratio=[s.ratio_short for s in scores],
        )[["stage", "china", "west_now", "west_by", "ratio"]]
    return frame
