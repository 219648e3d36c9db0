"""Private dated events per owner, in the watchlist database (table ``private_events``, v6).

Owner-scoped exactly like lists: every query filters by owner, so another owner's id is
indistinguishable from a missing one. Edits and deletes carry the revision the caller showed;
a stale one is refused in the same transaction and never lands elsewhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lib.universe import InvalidSymbolError, normalise_symbol
from lib.watchlists.db import private_events_t
from lib.watchlists.validate import WatchlistError, clean_owner

MAX_EVENTS_PER_OWNER = 500
MAX_TITLE_LEN = 200
MAX_NOTE_LEN = 2000
MAX_SYMBOLS = 20
PRECISIONS = ("day", "month", "year")
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)
COLUMNS = ["id", "date", "precision", "title", "note", "symbols", "source_url", "revision"]


class PrivateEventError(WatchlistError):
    """A user-facing problem with a private event; the message is a full sentence."""


class PrivateEventNotFoundError(PrivateEventError, LookupError):
    """No such event *for this owner*."""


class StalePrivateEventError(PrivateEventError):
    """The event changed in another tab since it was shown; nothing was written."""


STALE_MESSAGE = "This event changed in another tab or window, so nothing was changed; reloaded."


@dataclass(frozen=True)
class PrivateEvent:
    id: int
    date: date
    precision: str
    title: str
    note: str
    symbols: tuple[str, ...]
    source_url: str
    revision: int


def _hostile(text: str, what: str, *, newlines: bool) -> None:
    """Control, bidi, zero-width and other format characters are refused, not stored."""
    for ch in text:
        if newlines and ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Cf", "Zl", "Zp"):
            raise PrivateEventError(
                f"The {what} contains an invisible or control character (U+{ord(ch):04X}); "
                "please remove it."
            )


def clean_fields(
    day: object,
    precision: str,
    title: object,
    note: object = "",
    symbols: Sequence[str] | str = (),
    source_url: object = "",
) -> tuple[date, str, str, str, str, str]:
    """Validated (date, precision, title, note, symbols text, url) or PrivateEventError."""
    try:
        d = pd.Timestamp(day).date()  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise PrivateEventError("Please give the event a date.") from exc
    if not FIRST_DAY <= d <= LAST_DAY:
        raise PrivateEventError(f"Dates must be between {FIRST_DAY} and {LAST_DAY}.")
    if precision not in PRECISIONS:
        raise PrivateEventError("Precision must be day, month or year.")
    if precision == "month":
        d = d.replace(day=1)
    elif precision == "year":
        d = date(d.year, 1, 1)
    t = unicodedata.normalize("NFC", str(title or "")).strip()
    if not t:
        raise PrivateEventError("Please give the event a title.")
    if len(t) > MAX_TITLE_LEN:
        raise PrivateEventError(f"Titles can be at most {MAX_TITLE_LEN} characters.")
    _hostile(t, "title", newlines=False)
    n = unicodedata.normalize("NFC", str(note or "")).strip()
    if len(n) > MAX_NOTE_LEN:
        raise PrivateEventError(f"Notes can be at most {MAX_NOTE_LEN} characters.")
    _hostile(n, "note", newlines=True)
    raw = symbols.split() if isinstance(symbols, str) else list(symbols)
    syms: list[str] = []
    for s in raw:
        try:
            syms.append(normalise_symbol(s))
        except InvalidSymbolError as exc:
            raise PrivateEventError(str(exc)) from exc
    syms = list(dict.fromkeys(syms))
    if len(syms) > MAX_SYMBOLS:
        raise PrivateEventError(f"An event can name at most {MAX_SYMBOLS} symbols.")
    url = str(source_url or "").strip()
    if url:
        _hostile(url, "source URL", newlines=False)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or len(url) > 2000:
            raise PrivateEventError("A source URL must be a full https:// address.")
    return d, precision, t, n, " ".join(syms), url


def _fields(
    d: date, p: str, title: str, note: str, symbols: str, url: str, now: datetime | None = None
) -> dict[str, object]:
    """The stored columns of validated fields (``clean_fields``' order); with ``now``, those of
    a new row (its first revision and edit time)."""
    out: dict[str, object] = dict(
        date=d, precision=p, title=title, note=note, symbols=symbols, source_url=url
    )
    if now is not None:
        out.update(updated_at=now, revision=0)
    return out


def _locked_count(conn: sa.Connection, owner: str) -> int:
    """The owner's event count, with concurrent adders of that owner serialised (PostgreSQL
    advisory lock; SQLite writers already hold the database's write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:o))"), {"o": owner})
    t = private_events_t
    q = sa.select(sa.func.count()).select_from(t).where(t.c.owner == owner)
    return int(conn.execute(q).scalar() or 0)


class PrivateEventStore:
    """CRUD on one owner's events; share one per process (it holds the engine)."""

    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._writer = engine.execution_options(rer_write=True)
        self.now = now or (lambda: datetime.now(UTC))

    def list(self, owner: str) -> list[PrivateEvent]:
        owner = clean_owner(owner)
        t = private_events_t
        q = sa.select(t).where(t.c.owner == owner).order_by(t.c.date, t.c.id)
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(q).mappings()]

    def frame(self, owner: str) -> pd.DataFrame:
        """The owner's events as a table (lib.catalysts.model.from_private_events reads it)."""
        rows = [
            {
                "id": e.id,
                "date": pd.Timestamp(e.date),
                "precision": e.precision,
                "title": e.title,
                "note": e.note,
                "symbols": " ".join(e.symbols),
                "source_url": e.source_url,
                "revision": e.revision,
            }
            for e in self.list(owner)
        ]
        return pd.DataFrame(rows, columns=COLUMNS)

    def get(self, owner: str, event_id: int) -> PrivateEvent:
        owner = clean_owner(owner)
        t = private_events_t
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(t).where(t.c.owner == owner, t.c.id == int(event_id)))
                .mappings()
                .first()
            )
        if row is None:
            raise PrivateEventNotFoundError("That event does not exist (it may have been deleted).")
        return self._row(row)

    def add(
        self,
        owner: str,
        day: object,
        precision: str,
        title: object,
        note: object = "",
        symbols: Sequence[str] | str = (),
        source_url: object = "",
    ) -> int:
        owner = clean_owner(owner)
        fields = clean_fields(day, precision, title, note, symbols, source_url)
        t = private_events_t
        now = self.now()
        with self._writer.begin() as conn:
            if _locked_count(conn, owner) >= MAX_EVENTS_PER_OWNER:
                raise PrivateEventError(
                    f"You can keep at most {MAX_EVENTS_PER_OWNER} events; delete one first."
                )
            res = conn.execute(
                t.insert()
                .values(owner=owner, created_at=now, **_fields(*fields, now=now))
                .returning(t.c.id)
            )
            return int(res.scalar_one())

    def add_many(self, owner: str, rows: Sequence[Sequence[object]]) -> int:
        """Add validated (date, precision, title, note, symbols, url) rows all at once, or
        none: the limit is checked for the whole batch in the same transaction."""
        owner = clean_owner(owner)
        clean = [clean_fields(*row) for row in rows]
        t = private_events_t
        now = self.now()
        with self._writer.begin() as conn:
            count = _locked_count(conn, owner)
            if count + len(clean) > MAX_EVENTS_PER_OWNER:
                raise PrivateEventError(
                    f"You can keep at most {MAX_EVENTS_PER_OWNER} events; this import would "
                    f"make {count + len(clean)}. Nothing was imported."
                )
            if clean:
                conn.execute(
                    t.insert(),
                    [dict(owner=owner, created_at=now, **_fields(*f, now=now)) for f in clean],
                )
        return len(clean)

    def update(
        self,
        owner: str,
        event_id: int,
        expected_revision: int,
        day: object,
        precision: str,
        title: object,
        note: object = "",
        symbols: Sequence[str] | str = (),
        source_url: object = "",
    ) -> None:
        owner = clean_owner(owner)
        fields = clean_fields(day, precision, title, note, symbols, source_url)
        self._write(owner, event_id, expected_revision, _fields(*fields))

    def delete(self, owner: str, event_id: int, expected_revision: int) -> None:
        self._write(clean_owner(owner), event_id, expected_revision, None)

    def _write(
        self, owner: str, event_id: int, expected: int, values: dict[str, object] | None
    ) -> None:
        t = private_events_t
        where = (t.c.owner == owner, t.c.id == int(event_id))
        with self._writer.begin() as conn:
            current = conn.execute(sa.select(t.c.revision).where(*where)).scalar()
            if current is None:
                raise PrivateEventNotFoundError(
                    "That event does not exist (it may have been deleted)."
                )
            if int(current) != int(expected):
                raise StalePrivateEventError(STALE_MESSAGE)
            guard = (*where, t.c.revision == int(expected))
            if values is None:
                done = conn.execute(sa.delete(t).where(*guard)).rowcount
            else:
                done = conn.execute(
                    sa.update(t)
                    .where(*guard)
                    .values(**values, updated_at=self.now(), revision=t.c.revision + 1)
                ).rowcount
            if done != 1:
                raise StalePrivateEventError(STALE_MESSAGE)

    @staticmethod
    def _row(r: sa.RowMapping) -> PrivateEvent:
        return PrivateEvent(
            id=int(r["id"]),
            date=r["date"] if isinstance(r["date"], date) else pd.Timestamp(r["date"]).date(),
            precision=str(r["precision"]),
            title=str(r["title"]),
            note=str(r["note"]),
            symbols=tuple(str(r["symbols"]).split()),
            source_url=str(r["source_url"]),
            revision=int(r["revision"]),
        )


#: The lane and category private events take on the policy timeline and in the event study.
MY_EVENTS = "My events"
EVENT_COLUMNS = [
    "id", "date", "date_precision", "timing", "jurisdiction", "body", "category", "title",
    "summary", "symbols", "source_urls", "confidence", "fact_ref", "note", "status", "outcome",
]  # fmt: skip


def as_event_rows(mine: pd.DataFrame) -> pd.DataFrame:
    """The owner's day- and month-precision events as raw policy-event rows (ids ``M<n>``),
    for lib.events.events.prepare_events: the timeline's "My events" lane, the Prices overlay
    and the event study. Year-only events have no day to study or draw, so they stay on the
    Catalysts page only."""
    rows = []
    for r in mine.itertuples(index=False):
        if str(r.precision) not in ("day", "month"):
            continue
        rows.append(
            {
                "id": f"M{int(r.id)}",
                "date": pd.Timestamp(r.date).date().isoformat(),
                "date_precision": str(r.precision),
                "timing": "unknown",
                "jurisdiction": MY_EVENTS,
                "body": "",
                "category": MY_EVENTS,
                "title": str(r.title),
                "summary": str(r.note),
                "symbols": str(r.symbols),
                "source_urls": str(r.source_url),
                "confidence": "derived",
                "fact_ref": "",
                "note": "your own event",
                "status": "occurred",
                "outcome": "",
            }
        )
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)
