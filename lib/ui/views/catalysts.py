"""Catalysts page: the cached calendar of what comes next (policy deadlines, project
milestones, earnings), filtered on small keys; the rules are in lib.catalysts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib.catalysts import charts, earnings, ics, model, private, private_io
from lib.catalysts.private import PrivateEventStore
from lib.markets.links import prices_url
from lib.ui import auth, data, vega
from lib.ui.catalyst_calendar import calendar_at, earnings_cache_dir, earnings_stamp

#: The horizon the page opens on (a link without ``cat_h``).
DEFAULT_HORIZON = "next90"
#: The date range the event form accepts (the store's own bounds).
FIRST_DAY, LAST_DAY = private.FIRST_DAY, private.LAST_DAY

SOURCE_NOTE = (
    "Policy deadlines: data/policy_events.csv (scheduled events). Milestones: "
    "data/supply/capacity_pipeline.csv target years, with finer periods from "
    "data/catalysts/milestones.csv. Earnings: data/catalysts/earnings.csv, plus Yahoo's "
    "calendar when online."
)


Filters = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], date]


def _select_and_draw(
    table: pd.DataFrame, filters: Filters
) -> tuple[pd.DataFrame, vega.Spec | None]:
    horizon, kinds, jurisdictions, symbols, today = filters
    shown = model.select(
        table,
        today=today,
        horizon=horizon,
        kinds=kinds,
        jurisdictions=jurisdictions,
        symbols=symbols,
    )
    if shown.empty:
        return shown, None
    lo, hi = model.window(horizon, today)
    return shown, vega.to_spec(charts.timeline_chart(shown, today, lo, hi))


@data.token_cached(ttl="1h", max_entries=64)
def _selected(
    filters: Filters, earnings_stamp: str, *, cache_token: str
) -> tuple[pd.DataFrame, vega.Spec | None]:
    return _select_and_draw(calendar_at(earnings_stamp), filters)


def selected(
    horizon: str,
    kinds: tuple[str, ...],
    jurisdictions: tuple[str, ...],
    symbols: tuple[str, ...],
    today: date,
    mine: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, vega.Spec | None]:
    """The rows in the horizon after the filters, and their timeline spec (None when empty).

    ``mine`` is the signed-in user's own events (lib.catalysts.private frame): per user and
    small, so they join the shared cached calendar here, uncached.
    """
    filters = (horizon, kinds, jurisdictions, symbols, today)
    if mine is None or mine.empty:
        return _selected(filters, earnings_stamp())
    table = model.combine(calendar_at(earnings_stamp()), model.from_private_events(mine))
    return _select_and_draw(table, filters)


# --------------------------------------------------------------------------- my events


def private_store() -> PrivateEventStore:
    """Private events live in the watchlist database, next to the owner's lists."""
    return _private_store(data.watchlist_url())


@st.cache_resource(show_spinner=False)
def _private_store(url: str) -> PrivateEventStore:
    return PrivateEventStore(data.watchlist_store().engine)


def my_owner() -> str | None:
    """The owner key when this visitor may keep private events, else None."""
    return auth.identity().owner


def my_events(owner: str | None) -> pd.DataFrame:
    if owner is None:
        return pd.DataFrame(columns=private.COLUMNS)
    return private_store().frame(owner)


def save_event(owner: str, event_id: int | None, revision: int, **fields: object) -> str | None:
    """Add (``event_id`` None) or update an event; None on success, else the sentence to show."""
    try:
        auth.check_write_access(owner)
        if event_id is None:
            private_store().add(owner, **fields)  # type: ignore[arg-type]
        else:
            private_store().update(owner, event_id, revision, **fields)  # type: ignore[arg-type]
    except (private.PrivateEventError, auth.SignInRequired) as exc:
        return str(exc)
    return None


def delete_event(owner: str, event_id: int, revision: int) -> str | None:
    try:
        auth.check_write_access(owner)
        private_store().delete(owner, event_id, revision)
    except (private.PrivateEventError, auth.SignInRequired) as exc:
        return str(exc)
    return None


def event_labels(mine: pd.DataFrame) -> dict[int, str]:
    """id -> "2027-03-15 · title" for the edit picker (the value is the id)."""
    return {int(r.id): f"{pd.Timestamp(r.date).date()} · {r.title}" for r in mine.itertuples()}


def window(horizon: str, today: date) -> tuple[date, date]:
    """The dates a horizon covers."""
    return model.window(horizon, today)


def has_offline_earnings() -> bool:
    return not earnings.load_offline().empty


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as shown: when, countdown, kind, title, where, symbols, status, links."""
    first = table["symbols"].map(lambda s: s[0] if len(s) else "")
    labels = data.symbol_labels()  # as the Prices picker writes them: no rewrite on opening
    return pd.DataFrame(
        {
            "When": table["when"],
            "Countdown": table["countdown"],
            "Kind": table["kind"],
            "What": table["title"],
            "Jurisdiction": table["jurisdiction"],
            "Symbols": table["symbols"].map(", ".join),
            "Status": table["status"],
            "Confidence": table["confidence"],
            "Source": table["source_url"],
            "Prices": [prices_url([s], labels=labels) if s else None for s in first],
            "Supply": [
                "/Supply_gap?sup_company=" + s if s and k == "project milestone" else None
                for s, k in zip(first, table["kind"], strict=True)
            ],
        }
    )


def export_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Full rows for CSV/XLSX: dates as dates, symbols as text, every column kept."""
    out = table.drop(columns=["symbols"]).assign(symbols=table["symbols"].map(" ".join))
    out["start"] = out["start"].dt.date
    out["end"] = out["end"].dt.date
    return out


def ics_bytes(table: pd.DataFrame) -> bytes:
    return ics.to_ics(table)


def refresh_earnings(symbols: tuple[str, ...], today: date) -> earnings.EarningsRefresh:
    """Ask Yahoo for the symbols' next earnings dates; the last good dates stay on failure."""
    return earnings.refresh(symbols, earnings.YahooEarnings(), earnings_cache_dir(), today)


def event_row(mine: pd.DataFrame, event_id: int | None) -> pd.Series | None:
    """The picked event's fields (None for a new one, or one deleted in another tab)."""
    if event_id is None or mine.empty or event_id not in set(mine["id"]):
        return None
    return mine.set_index("id").loc[event_id]


def today() -> date:
    """The page's today (a date, never a datetime: it is part of cache keys)."""
    return date.today()


def export_my_events(mine: pd.DataFrame) -> bytes:
    return private_io.to_csv_bytes(mine)


def import_my_events(owner: str, data: bytes) -> tuple[int, str | None]:
    """(events added, None) or (0, the sentence saying why nothing was imported)."""
    try:
        auth.check_write_access(owner)
        rows = private_io.parse_csv(data)
        n = private_store().add_many(
            owner, [(r.date, r.precision, r.title, r.note, r.symbols, r.source_url) for r in rows]
        )
    except (private.PrivateEventError, auth.SignInRequired) as exc:
        return 0, str(exc)
    return n, None
