"""The catalyst table: one row per dated thing to watch, with the precision its source gives.

A catalyst covers a *period* (``start`` .. ``end``): a day, a month, a quarter, a half or a
year. Nothing here invents a day: a milestone "due in 2026" covers all of 2026, is drawn as
that span, and is exported as an all-day entry titled "[2026] ...".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

KINDS = ("policy deadline", "project milestone", "earnings", "my event")

COLUMNS = [
    "uid", "kind", "start", "end", "precision", "when", "title", "detail", "jurisdiction",
    "symbols", "source_url", "confidence", "status", "ref",
]  # fmt: skip

#: Horizons the page offers: key -> (days back, days ahead).
HORIZONS: dict[str, tuple[int, int]] = {
    "next30": (0, 30),
    "next90": (0, 90),
    "next365": (0, 365),
    "past90": (90, 0),
}
HORIZON_LABELS = {
    "next30": "Next 30 days",
    "next90": "Next 90 days",
    "next365": "Next 365 days",
    "past90": "Past 90 days",
}

OUTCOME_MISSING = "outcome not in our sources"


@dataclass(frozen=True)
class Period:
    """A dated span at a stated precision; ``label`` says it the way a source would."""

    start: date
    end: date
    precision: str
    label: str


def period_of(
    year: int, month: int | None = None, precision: str = "year", part: int = 0
) -> Period:
    """The span a source means by "2026", "2026-07", "Q3 2026" or "H2 2026" (``part`` = Q/H)."""
    if precision == "month" and month:
        start = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return Period(start, nxt - timedelta(days=1), "month", start.strftime("%b %Y"))
    if precision == "quarter" and 1 <= part <= 4:
        start = date(year, 3 * part - 2, 1)
        end = date(year, 3 * part, 1)
        end = date(year + (end.month == 12), end.month % 12 + 1, 1) - timedelta(days=1)
        return Period(start, end, "quarter", f"Q{part} {year}")
    if precision == "half" and part in (1, 2):
        start = date(year, 1 if part == 1 else 7, 1)
        end = date(year, 6, 30) if part == 1 else date(year, 12, 31)
        return Period(start, end, "half", ("mid-" if part == 2 else "H1 ") + str(year))
    return Period(date(year, 1, 1), date(year, 12, 31), "year", str(year))


_WHEN = re.compile(
    r"^\s*(?:(?P<q>Q[1-4])\s+(?P<qy>\d{4})|(?P<h>H[12])\s+(?P<hy>\d{4})|mid-(?P<my>\d{4})"
    r"|(?P<ym>\d{4})-(?P<mm>\d{2})|(?P<y>\d{4}))\s*$",
    re.IGNORECASE,
)


def parse_when(text: str) -> Period | None:
    """ "2026", "2026-07", "Q3 2026", "H2 2026" or "mid-2026" as a Period; None otherwise.

    "mid-2026" is the second half (the sense project releases use), labelled as written.
    """
    m = _WHEN.match(str(text or ""))
    if not m:
        return None
    if m["q"]:
        return period_of(int(m["qy"]), precision="quarter", part=int(m["q"][1]))
    if m["h"]:
        return period_of(int(m["hy"]), precision="half", part=int(m["h"][1]))
    if m["my"]:
        return period_of(int(m["my"]), precision="half", part=2)
    if m["ym"]:
        month = int(m["mm"])
        return period_of(int(m["ym"]), month, "month") if 1 <= month <= 12 else None
    return period_of(int(m["y"]))


def _frame(rows: Iterable[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    for col in ("start", "end"):
        df[col] = pd.to_datetime(df[col])
    return df


def from_policy_events(events: pd.DataFrame) -> pd.DataFrame:
    """Scheduled policy events (status ``scheduled``), each with whether its outcome is sourced."""
    if events.empty or "status" not in events:
        return _frame([])
    rows = []
    sched = events[events["status"] == "scheduled"]
    for r in sched.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        outcome = str(getattr(r, "outcome", "") or "")
        urls = [u.strip() for u in str(r.source_urls).split(" ; ") if u.strip()]
        rows.append(
            {
                "uid": f"policy-{r.id}",
                "kind": "policy deadline",
                "start": day,
                "end": day,
                "precision": "day",
                "when": day.isoformat(),
                "title": str(r.title),
                "detail": str(r.summary),
                "jurisdiction": str(r.jurisdiction),
                "symbols": _symbols(r.symbols),
                "source_url": urls[0] if urls else "",
                "confidence": str(r.confidence),
                "status": f"outcome recorded ({outcome})" if outcome else OUTCOME_MISSING,
                "ref": str(r.id),
            }
        )
    return _frame(rows)


_DONE = {"operating"}


def from_pipeline(pipeline: pd.DataFrame) -> pd.DataFrame:
    """Project milestones: a project not yet operating with a target year (or finer period).

    A ``target_when`` column ("Q3 2026", "mid-2026", "2026-07") is used where a row has one;
    otherwise the target year. Rows with neither are not milestones (no date is invented).
    """
    rows = []
    for r in pipeline.itertuples(index=False):
        status = str(getattr(r, "status", "") or "")
        if status in _DONE:
            continue
        when = str(getattr(r, "target_when", "") or "").strip()
        period = parse_when(when) if when else None
        year = str(getattr(r, "target_year", "") or "").strip()
        if period is None and re.fullmatch(r"\d{4}(\.0)?", year):
            period = period_of(int(float(year)))
        if period is None:
            continue
        detail = str(getattr(r, "status_detail", "") or status)
        rows.append(
            {
                "uid": f"milestone-{r.id}",
                "kind": "project milestone",
                "start": period.start,
                "end": period.end,
                "precision": period.precision,
                "when": period.label,
                "title": f"{r.company}: {r.project} ({detail})",
                "detail": str(getattr(r, "basis_detail", "") or getattr(r, "note", "") or ""),
                "jurisdiction": _jurisdiction(str(r.country)),
                "symbols": _symbols(getattr(r, "symbol", "")),
                "source_url": _first_url(getattr(r, "source_url", "")),
                "confidence": str(getattr(r, "confidence", "") or ""),
                "status": status,
                "ref": str(r.id),
            }
        )
    return _frame(rows)


def from_earnings(earnings: pd.DataFrame) -> pd.DataFrame:
    """Earnings dates (offline file or Yahoo cache): columns symbol, date, source_url, as_of."""
    rows = []
    for r in earnings.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        rows.append(
            {
                "uid": f"earnings-{r.symbol}-{day.isoformat()}",
                "kind": "earnings",
                "start": day,
                "end": day,
                "precision": "day",
                "when": day.isoformat(),
                "title": f"{r.symbol} earnings",
                "detail": str(getattr(r, "note", "") or ""),
                "jurisdiction": "",
                "symbols": (str(r.symbol),),
                "source_url": str(getattr(r, "source_url", "") or ""),
                "confidence": str(getattr(r, "confidence", "") or ""),
                "status": f"as of {getattr(r, 'as_of', '')}".strip(),
                "ref": str(r.symbol),
            }
        )
    return _frame(rows)


def from_private_events(events: pd.DataFrame) -> pd.DataFrame:
    """The signed-in user's own events (columns id, date, precision, title, note, symbols,
    source_url); a month or year precision spans its period."""
    rows = []
    for r in events.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        prec = str(r.precision)
        if prec == "month":
            period = period_of(day.year, day.month, "month")
        elif prec == "year":
            period = period_of(day.year)
        else:
            period = Period(day, day, "day", day.isoformat())
        rows.append(
            {
                "uid": f"mine-{r.id}",
                "kind": "my event",
                "start": period.start,
                "end": period.end,
                "precision": period.precision,
                "when": period.label,
                "title": str(r.title),
                "detail": str(r.note),
                "jurisdiction": "",
                "symbols": _symbols(r.symbols),
                "source_url": str(r.source_url or ""),
                "confidence": "",
                "status": "",
                "ref": str(r.id),
            }
        )
    return _frame(rows)


def combine(*parts: pd.DataFrame) -> pd.DataFrame:
    """One table, oldest first, each uid once."""
    frames = [p for p in parts if not p.empty]
    if not frames:
        return _frame([])
    out = pd.concat(frames, ignore_index=True).drop_duplicates("uid")
    return out.sort_values(["start", "kind", "title"], ignore_index=True)


def window(horizon: str, today: date) -> tuple[date, date]:
    """The dates a horizon key covers (unknown keys: the next 90 days)."""
    back, ahead = HORIZONS.get(horizon, HORIZONS["next90"])
    return today - timedelta(days=back), today + timedelta(days=ahead)


def select(
    table: pd.DataFrame,
    *,
    today: date,
    horizon: str = "next90",
    kinds: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
    symbols: Sequence[str] = (),
    span: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """Rows whose period overlaps the horizon (or ``span``), filtered by kind, jurisdiction
    and symbols. Empty filters mean "all"; a symbol filter keeps rows naming any of them."""
    if table.empty:
        return table.assign(countdown=pd.Series(dtype=str))
    lo, hi = span if span is not None else window(horizon, today)
    keep = (table["end"] >= pd.Timestamp(lo)) & (table["start"] <= pd.Timestamp(hi))
    if kinds:
        keep &= table["kind"].isin(list(kinds))
    if jurisdictions:
        keep &= table["jurisdiction"].isin(list(jurisdictions))
    if symbols:
        wanted = {s.upper() for s in symbols}
        keep &= table["symbols"].map(lambda syms: bool(wanted & set(syms)))
    out = table[keep].copy()
    spans = zip(out["start"], out["end"], strict=True)
    out["countdown"] = [countdown(s.date(), e.date(), today) for s, e in spans]
    return out.reset_index(drop=True)


def countdown(start: date, end: date, today: date) -> str:
    """ "in 12 days", "today", "3 days ago", or for a span "under way (ends in 40 days)"."""
    if start <= today <= end and start != end:
        left = (end - today).days
        return f"under way (period ends in {left} day{'s' * (left != 1)})"
    if start > today:
        n = (start - today).days
        return "tomorrow" if n == 1 else f"in {n} days"
    if end == today:
        return "today"
    n = (today - end).days
    return "yesterday" if n == 1 else f"{n} days ago"


def _symbols(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if str(v))
    text = str(value or "")
    return tuple(s for s in re.split(r"[\s;,]+", text) if s and s.lower() != "nan")


def _first_url(value: object) -> str:
    urls = [u.strip() for u in str(value or "").split(" ; ") if u.strip().startswith("https://")]
    return urls[0] if urls else ""


_JURISDICTION = {"US": "US", "China": "China", "Australia": "Australia", "Japan": "Japan",
                 "Canada": "Canada"}  # fmt: skip
_EU = {"France", "Estonia", "Germany", "EU", "Belgium", "Sweden", "Norway", "UK"}


def _jurisdiction(country: str) -> str:
    """A project's country in the timeline's jurisdiction lanes (others: "other")."""
    if country in _EU:
        return "EU"
    return _JURISDICTION.get(country, "other")
