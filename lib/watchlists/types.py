"""The watchlist value types the store hands out: plain frozen data, no database, no Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class WatchlistItem:
    symbol: str
    position: int
    note: str = ""
    added_at: datetime | None = None
    added_price: float | None = None
    added_price_date: date | None = None


@dataclass(frozen=True)
class WatchlistSummary:
    """One row of an owner's lists; ``revision`` counts the writes the list has seen."""

    id: int
    name: str
    size: int
    revision: int = 0


@dataclass(frozen=True)
class Watchlist:
    """A list as read in one transaction. Pass ``revision`` back as ``expected_revision`` with
    a write, and the store refuses it if the list changed since (another tab, another user)."""

    id: int
    owner: str
    name: str
    created_at: datetime
    updated_at: datetime
    items: tuple[WatchlistItem, ...] = ()
    revision: int = 0

    @property
    def symbols(self) -> list[str]:
        return [i.symbol for i in self.items]


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)


PriceLookup = Callable[[str], tuple[date, float] | None]
