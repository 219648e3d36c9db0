"""USGS editions: their publication order, and what each one says about China's figure.

USGS revises heavily, so every supply figure keeps its edition. A change over time compares
one edition's consecutive years; a change between editions is a revision, reported apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

#: The last edition whose China mine figure carried USGS's "official quota" footnote on
#: every year. MCS2026 v1.1 removed the footnote from China's 2024 cell (supply.md, S11).
LAST_QUOTA_EDITION = 2025.0


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


def short_edition(edition: str) -> str:
    """The label drawn on a point: "MCS2026 v1.3" -> "MCS2026", "MYB2022 T8" -> "MYB2022"."""
    return str(edition).split(" ")[0] if edition else ""


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


def newest_per_year(frame: pd.DataFrame, keys: Sequence[str] = ()) -> pd.Series:
    """True on the rows from the newest edition printing each (``keys``, year)."""
    rank = frame["edition"].map(edition_rank)
    group = [*keys, "year"]
    return rank == rank.groupby([frame[k] for k in group]).transform("max")


def quota_note(edition: str) -> str:
    """What USGS says China's mine figure is, in that edition's own terms.

    Editions up to MCS2025 and the 2022 yearbook footnote it as China's official production
    quota (so undocumented output is missing). MCS2026 dropped that footnote from the 2024
    figure in v1.1 (supply.md S11), so its figures are never called a quota.
    """
    rank = edition_rank(edition)
    if rank == 0.0 or edition.startswith("DS140"):
        return "this edition gives no China figure"
    if rank <= LAST_QUOTA_EDITION:
        return "USGS marks China's figure as its official quota, so undocumented output is missing"
    ed = short_edition(edition)
    return f"{ed} no longer marks China's 2024 figure as its official quota (dropped in v1.1)"
