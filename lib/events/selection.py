"""What an event study runs on: the events chosen (by id, category or jurisdiction) and the
symbols (picked, plus basket members)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

#: A person's own events (lib.catalysts.private.as_event_rows) have ids M1, M2, ...; curated
#: events are E001, E002, ... (lib.datafiles), so the two never collide.
_OWN_ID = re.compile(r"M[0-9]{1,18}")


def is_own_id(event_id: str) -> bool:
    """True for an id of a person's own event (``M`` and ASCII digits)."""
    return _OWN_ID.fullmatch(event_id) is not None


def with_own_events(curated: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Prepared curated events, then a person's own prepared events (lib.events.events
    prepare_events on lib.catalysts.private.as_event_rows): one frame the study selects from."""
    if own.empty:
        return curated
    return pd.concat([curated, own], ignore_index=True)


def study_events(
    events: pd.DataFrame, include_inexact: bool = False, include_scheduled: bool = False
) -> pd.DataFrame:
    """Events eligible for the study: exact, non-unverified days unless the user opts in.

    A scheduled event (a deadline whose outcome may not be known) is day 0 only when the user
    picks it by name (``include_scheduled``), never through a category or a jurisdiction.
    """
    keep = pd.Series(True, index=events.index) if include_inexact else events["exact"]
    if not include_scheduled and "scheduled" in events:
        keep = keep & ~events["scheduled"]
    return events[keep]


def select_study_events(
    events: pd.DataFrame, by: str, values: Sequence[str], include_inexact: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(included, left out) events chosen by id, category or jurisdiction. Left out: inexact or
    unverified ones (unless opted in) and, unless picked by id, scheduled ones."""
    column = {"event": "id", "category": "category", "jurisdiction": "jurisdiction"}[by]
    chosen = events[events[column].isin(list(values))]
    kept = study_events(chosen, include_inexact, include_scheduled=by == "event")
    return kept, chosen[~chosen["id"].isin(kept["id"])]


def resolve_symbols(
    universe: pd.DataFrame, symbols: Sequence[str], baskets: Sequence[str] = ()
) -> list[str]:
    """Chosen symbols plus every member of the chosen baskets (West/China), in order, no repeats."""
    members = universe.loc[universe["basket"].isin(list(baskets)), "symbol"].astype(str)
    return list(dict.fromkeys([*symbols, *members]))
