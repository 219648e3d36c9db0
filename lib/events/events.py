"""Dated policy events (``data/policy_events.csv``): loading, filtering, search, selection.

Dates known only to the month, approximate dates and unverified events are never treated as
exact days: every event carries an explicit uncertainty span (``span_start``..``span_end``)
and an ``exact`` flag that charts and the event study use. A ``scheduled`` event is a dated
deadline (``status`` in the file) whose outcome our sources may not report: it says
:data:`OUTCOME_UNKNOWN` until its ``outcome`` names the occurred event that records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from lib.datafiles import split_urls
from lib.paths import DATA_DIR

EVENTS_PATH = DATA_DIR / "policy_events.csv"
#: Half-width of the span drawn for an "approximate" date: the sources only pin it to weeks.
APPROXIMATE_HALF_SPAN_DAYS = 14
PRECISION_LABELS = {"day": "exact day", "month": "month only", "approximate": "approximate date"}
SCHEDULED = "scheduled"
#: What a scheduled event says until a row records its outcome.
OUTCOME_UNKNOWN = "outcome not in our sources"


class UnknownEventError(KeyError):
    """An event id that is not in the policy-event file."""


@dataclass(frozen=True)
class PolicyEvent:
    """One event as shown in the details panel."""

    id: str
    date: date
    date_precision: str
    timing: str
    jurisdiction: str
    body: str
    category: str
    title: str
    summary: str
    symbols: tuple[str, ...]
    source_urls: tuple[str, ...]
    confidence: str
    note: str
    status: str = "occurred"
    outcome: str = ""  # for a scheduled event: the id of the event recording what happened

    @property
    def exact(self) -> bool:
        return self.date_precision == "day" and self.confidence != "unverified"

    @property
    def scheduled(self) -> bool:
        return self.status == "scheduled"

    @property
    def date_label(self) -> str:
        return date_label(pd.Timestamp(self.date), self.date_precision)


def date_label(ts: pd.Timestamp, precision: str) -> str:
    """'10 Jul 2025', 'Jan 2021 (month only)', '~14 Nov 2025 (approximate)'."""
    if precision == "month":
        return f"{ts:%b %Y} (month only)"
    if precision == "approximate":
        return f"~{ts:%d %b %Y} (approximate)"
    return f"{ts:%d %b %Y}"


def load_events(path: Path = EVENTS_PATH) -> pd.DataFrame:
    """The event file plus derived columns used by filters, charts and the study."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return prepare_events(raw)


def prepare_events(raw: pd.DataFrame) -> pd.DataFrame:
    df = raw.copy()
    for col, default in (("status", "occurred"), ("outcome", "")):
        if col not in df:  # an older file, or a hand-built frame in a test
            df[col] = default
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["symbol_list"] = df["symbols"].map(lambda s: tuple(str(s).split()))
    df["url_list"] = df["source_urls"].map(lambda s: tuple(split_urls(str(s))))
    df["source"] = df["url_list"].map(lambda u: u[0] if u else "")
    df["exact"] = (df["date_precision"] == "day") & (df["confidence"] != "unverified")
    month_start = df["date"].dt.to_period("M").dt.start_time.astype("datetime64[ns]")
    month_end = df["date"].dt.to_period("M").dt.end_time.dt.normalize().astype("datetime64[ns]")
    half = pd.Timedelta(days=APPROXIMATE_HALF_SPAN_DAYS)
    is_month = df["date_precision"] == "month"
    is_approx = df["date_precision"] == "approximate"
    df["span_start"] = df["date"].where(~is_month, month_start).where(~is_approx, df["date"] - half)
    df["span_end"] = df["date"].where(~is_month, month_end).where(~is_approx, df["date"] + half)
    # Inexact events are drawn at the middle of their span, never on a pretend exact day.
    df["plot_date"] = df["span_start"] + (df["span_end"] - df["span_start"]) / 2
    df["precision_label"] = df["date_precision"].map(PRECISION_LABELS)
    pairs = zip(df["date"], df["date_precision"], strict=True)
    df["date_label"] = [date_label(d, p) for d, p in pairs]
    df["scheduled"] = df["status"] == SCHEDULED
    # A deadline is shown as one, whatever its sourcing: its outcome is the open question.
    df["status_label"] = np.where(
        df["scheduled"],
        SCHEDULED,
        np.where(
            df["confidence"] == "unverified",
            "unverified",
            np.where(df["exact"], "exact", df["precision_label"]),
        ),
    )
    df["outcome_label"] = np.where(
        ~df["scheduled"],
        "",
        np.where(df["outcome"] == "", OUTCOME_UNKNOWN, "recorded as " + df["outcome"]),
    )
    return df.sort_values(["date", "id"], ignore_index=True)


def filter_events(
    events: pd.DataFrame,
    *,
    jurisdictions: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    symbols: Iterable[str] | None = None,
    text: str = "",
    exact_only: bool = False,
) -> pd.DataFrame:
    """Events matching every given filter; empty/None filters match all.

    A date filter keeps an event whose uncertainty span overlaps the range.
    """
    mask = pd.Series(True, index=events.index)
    if jurisdictions:
        mask &= events["jurisdiction"].isin(list(jurisdictions))
    if categories:
        mask &= events["category"].isin(list(categories))
    if start is not None:
        mask &= events["span_end"] >= pd.Timestamp(start)
    if end is not None:
        mask &= events["span_start"] <= pd.Timestamp(end)
    if symbols:
        wanted = set(symbols)
        mask &= events["symbol_list"].map(lambda syms: bool(wanted.intersection(syms)))
    if text.strip():
        mask &= search_mask(events, text)
    if exact_only:
        mask &= events["exact"]
    return events[mask]


def search_mask(events: pd.DataFrame, text: str) -> pd.Series:
    """Case-insensitive match of every word in ``text`` against id, title, summary, body, note."""
    hay = (
        events["id"]
        + " "
        + events["title"]
        + " "
        + events["summary"]
        + " "
        + events["body"]
        + " "
        + events["note"]
        + " "
        + events["symbols"]
    ).str.lower()
    mask = pd.Series(True, index=events.index)
    for word in text.lower().split():
        mask &= hay.str.contains(word, regex=False)
    return mask


def get_event(events: pd.DataFrame, event_id: str) -> PolicyEvent:
    row = events.loc[events["id"] == event_id]
    if row.empty:
        raise UnknownEventError(f"No policy event with id {event_id!r}.")
    r = row.iloc[0]
    return PolicyEvent(
        id=str(r["id"]),
        date=pd.Timestamp(r["date"]).date(),
        date_precision=str(r["date_precision"]),
        timing=str(r["timing"]),
        jurisdiction=str(r["jurisdiction"]),
        body=str(r["body"]),
        category=str(r["category"]),
        title=str(r["title"]),
        summary=str(r["summary"]),
        symbols=tuple(r["symbol_list"]),
        source_urls=tuple(r["url_list"]),
        confidence=str(r["confidence"]),
        note=str(r["note"]),
        status=str(r["status"]),
        outcome=str(r["outcome"]),
    )


def selected_event_id(selection: Mapping[str, object] | None, param: str = "pick") -> str | None:
    """The event id from ``st.altair_chart(on_select=...)``'s ``selection`` payload, if any.

    Streamlit returns ``{param: [{"id": "E065"}, ...]}``; anything else means no selection.
    """
    if not selection:
        return None
    points = selection.get(param) if isinstance(selection, Mapping) else None
    if not isinstance(points, Sequence) or isinstance(points, str):
        return None
    for point in points:
        if isinstance(point, Mapping) and isinstance(point.get("id"), str):
            return point["id"]
    return None


def is_link(url: str) -> bool:
    """Only http(s) URLs are rendered as links; anything else is shown as text."""
    return url.lower().startswith(("https://", "http://"))


def source_label(url: str) -> str:
    """A short, readable label for a source link: its host name."""
    host = urlparse(url).netloc
    return host.removeprefix("www.") or url[:60]


def events_table(events: pd.DataFrame) -> pd.DataFrame:
    """The filtered events as a flat table for display and CSV export (one row per event)."""
    cols = [
        "id", "date", "date_precision", "status", "outcome", "confidence", "jurisdiction",
        "body", "category", "title", "symbols", "source", "source_urls", "summary", "note",
    ]  # fmt: skip
    out = events[cols].copy()
    out["date"] = out["date"].dt.date
    out["source"] = out["source"].where(out["source"].map(is_link), "")
    return out.reset_index(drop=True)


def event_symbols(events: pd.DataFrame) -> list[str]:
    """Every symbol mentioned by at least one event, sorted."""
    return sorted({s for syms in events["symbol_list"] for s in syms})


def reaction_window(
    prices: pd.DataFrame, event_date: date, before: int = 10, after: int = 20
) -> pd.DataFrame:
    """Each symbol's adj close around an event, rebased to 100 at its session before the event.

    Works on each symbol's own calendar: the base is the last session strictly before the
    event date, so a weekend event is measured from Friday's close.
    """
    cols = ["symbol", "date", "rel_session", "rebased"]
    if prices.empty:
        return pd.DataFrame(columns=cols)
    df = prices[["symbol", "date", "adj_close"]].dropna().sort_values(["symbol", "date"])
    ts = pd.Timestamp(event_date)
    df = df.assign(pos=df.groupby("symbol").cumcount())
    first_on_after = (
        df[df["date"] >= ts].groupby("symbol")["pos"].min().rename("t0").astype("float64")
    )
    n = df.groupby("symbol")["pos"].max().rename("n") + 1
    t0 = first_on_after.reindex(n.index).fillna(n.astype("float64"))
    df = df.join(t0, on="symbol")
    df["rel_session"] = (df["pos"] - df["t0"]).astype(int)
    df = df[(df["rel_session"] >= -before) & (df["rel_session"] <= after)]
    base = df[df["rel_session"] == -1].set_index("symbol")["adj_close"]
    df = df[df["symbol"].isin(base.index)]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["rebased"] = df["adj_close"] / df["symbol"].map(base) * 100.0
    return df[cols].reset_index(drop=True)


def assign_roles(window: pd.DataFrame, affected: Iterable[str]) -> pd.DataFrame:
    """Tag each symbol as 'affected' (named by the event) or 'peer' (chosen for comparison)."""
    named = set(affected)
    return window.assign(role=np.where(window["symbol"].isin(named), "affected", "peer"))


def event_option_label(events: pd.DataFrame) -> dict[str, str]:
    """Selectbox labels: 'E065 · 10 Jul 2025 · DoD takes equity stake in MP…'."""
    flags = events["scheduled"] if "scheduled" in events else pd.Series(False, events.index)
    return {
        str(i): f"{i} · {d}{' (scheduled)' if s else ''} · {t[:70]}"
        for i, d, s, t in zip(
            events["id"], events["date_label"], flags, events["title"], strict=True
        )
    }
