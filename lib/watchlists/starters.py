"""The starter lists every new owner gets, derived from the universe's own columns."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

STARTER_LISTS: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    (
        "US revival",
        lambda u: (
            u["country"].str.startswith("US")
            & (u["bloc"] == "West")
            & (u["currency"] == "USD")
            & ~u["segment"].isin(["etf", "benchmark"])
        ),
    ),
    ("China majors", lambda u: (u["bloc"] == "China") & (u["basket"] == "China")),
    ("Magnet makers", lambda u: u["segment"] == "magnets"),
    ("ETFs and benchmarks", lambda u: u["segment"].isin(["etf", "benchmark"])),
)


def starter_lists(universe: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Named lists derived from the universe columns, in universe order."""
    out = []
    for name, rule in STARTER_LISTS:
        syms = universe.loc[rule(universe), "symbol"].astype(str).tolist()
        if syms:
            out.append((name, syms))
    return out
