"""Headline gap figures with same-basis changes (Home's gap row and the Supply page).

A headline change compares one edition's consecutive years: MCS2026 says US net import
reliance went from 53 % (2024) to 67 % (2025), up 14 points. Comparing MCS2026's 2025 with
MCS2025's 2024 (80 %, since revised) would mix a revision into the change, so a revision
between editions is a separate, labelled figure ("MCS2026 v1.3 revised 2024 from 80% ...").
For the West, China's share or US reliance rising is bad news whatever the sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.supply.editions import edition_rank, mcs_editions, previous_edition, quota_note
from lib.supply.imports import NIR, import_dependence
from lib.supply.load import SupplyData
from lib.supply.production import china_mining_shares


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _label(value: float, qualifier: str = "", unit: str = "%") -> str:
    return f"{qualifier}{value:g}{unit}"


@dataclass(frozen=True)
class Revision:
    """A figure for one year that a newer edition changed (not a change over time)."""

    year: int
    old_edition: str
    old_label: str
    new_edition: str
    new_label: str

    @property
    def text(self) -> str:
        return (
            f"{self.new_edition} revised {self.year} from {self.old_label} "
            f"({self.old_edition}) to {self.new_label}"
        )


@dataclass(frozen=True)
class GapFigure:
    """One headline figure, its change since the previous year of the same edition, and any
    revision of that previous year by the edition."""

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
    previous_qualifier: str = ""
    previous_year: int | None = None
    change: float | None = None
    revision: Revision | None = None
    note: str = ""
    #: China's share and US import reliance: a rise is bad news for the West.
    rising_is_bad: bool = True

    @property
    def value_label(self) -> str:
        return _label(self.value, self.qualifier, self.unit)

    @property
    def previous_label(self) -> str | None:
        if self.previous_value is None:
            return None
        return _label(self.previous_value, self.previous_qualifier, self.unit)

    @property
    def change_label(self) -> str:
        if self.previous_year is None:
            return "no earlier figure on the same basis"
        if self.change is None:
            return (
                f"change not computed: {self.previous_year} is a bound "
                f"({self.previous_label}) in the same edition"
            )
        return f"{self.change:+.1f} pp since {self.previous_year} (same edition)"

    @property
    def outlook(self) -> str | None:
        """'worse', 'better' or 'unchanged' for the West; None without a change."""
        if self.change is None:
            return None
        if self.change == 0:
            return "unchanged"
        return "worse" if (self.change > 0) == self.rising_is_bad else "better"


def _same_edition_step(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """The newest edition's latest-year row and the same edition's previous-year row."""
    eds = sorted(frame["edition"].unique(), key=edition_rank)
    own = frame[frame["edition"] == eds[-1]].sort_values("year")
    latest = own.iloc[-1]
    earlier = own[own["year"] < latest["year"]]
    return latest, (earlier.iloc[-1] if len(earlier) else None)


def _revision(
    frame: pd.DataFrame, latest: pd.Series, prev: pd.Series | None, value: str, label: str
) -> Revision | None:
    """The previous MCS edition's figure for ``prev``'s year, when the latest edition changed it."""
    if prev is None:
        return None
    before = previous_edition(mcs_editions(frame), str(latest["edition"]))
    old = frame[(frame["edition"] == before) & (frame["year"] == prev["year"])]
    if before is None or old.empty or str(old[label].iloc[0]) == str(prev[label]):
        return None
    return Revision(
        int(prev["year"]), str(before), str(old[label].iloc[0]), str(latest["edition"]),
        str(prev[label]),
    )  # fmt: skip


def _change(latest: pd.Series, prev: pd.Series | None, value: str, qual: str) -> float | None:
    if prev is None or (qual and (latest[qual] or prev[qual])):
        return None
    return round(float(latest[value]) - float(prev[value]), 1)


def mining_share_gap(prod: pd.DataFrame) -> GapFigure:
    """China's share of mining in the newest MCS edition, against its own previous year."""
    shares = china_mining_shares(prod)
    shares = shares[shares["edition"].str.startswith("MCS")].copy()
    shares["share_label"] = shares["share_pct"].map(lambda v: _label(float(v)))
    latest, prev = _same_edition_step(shares)
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
        basis="USGS China over world mine output (t REO), one edition",
        previous_value=None if prev is None else float(prev["share_pct"]),
        previous_year=None if prev is None else int(prev["year"]),
        change=_change(latest, prev, "share_pct", ""),
        revision=_revision(shares, latest, prev, "share_pct", "share_label"),
        note=_sentence(quota_note(str(latest["edition"]))),
    )


def magnet_share_gap(shares: pd.DataFrame) -> GapFigure:
    """China's latest checked share of magnet making; compared only within the same basis."""
    mag = shares[(shares["stage"] == "magnets") & (shares["confidence"] != "unverified")]
    mag = mag[mag["kind"] == "observed"].sort_values("year")
    latest = mag.iloc[-1]
    same = mag[(mag["basis"] == latest["basis"]) & (mag["year"] < latest["year"])]
    prev = same.iloc[-1] if len(same) else None
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
        previous_qualifier="" if prev is None else str(prev["qualifier"] or ""),
        previous_year=None if prev is None else int(prev["year"]),
        change=_change(latest, prev, "share_pct", "qualifier"),
        note=note,
    )


def import_reliance_gap(us: pd.DataFrame) -> GapFigure:
    """Latest US net import reliance (compounds and metals) against the same edition's
    previous year; the edition's revision of that year is reported apart."""
    nir = import_dependence(us)
    nir = nir[(nir["metric"] == NIR) & nir["edition"].str.startswith("MCS")].copy()
    nir["qualifier"] = nir["qualifier"].fillna("")
    latest, prev = _same_edition_step(nir)
    return GapFigure(
        label="US net import reliance",
        value=float(latest["value"]),
        qualifier=str(latest["qualifier"]),
        unit="%",
        year=int(latest["year"]),
        edition=str(latest["edition"]),
        source_url=str(latest["source_url"]),
        confidence=str(latest["confidence"]),
        basis="USGS, rare-earth compounds and metals, % of apparent consumption",
        previous_value=None if prev is None else float(prev["value"]),
        previous_qualifier="" if prev is None else str(prev["qualifier"]),
        previous_year=None if prev is None else int(prev["year"]),
        change=_change(latest, prev, "value", "qualifier"),
        revision=_revision(nir, latest, prev, "value", "value_label"),
    )


def gap_row(data: SupplyData) -> list[GapFigure]:
    """Home's "gap" row: China's mining and magnet shares and US import reliance."""
    return [
        mining_share_gap(data.production),
        magnet_share_gap(data.china_share),
        import_reliance_gap(data.us_trade),
    ]
