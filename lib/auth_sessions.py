"""Server-side sign-in sessions: one row per sign-in, revoked at sign-out, checked every rerun.

Streamlit keeps the identity in a signed cookie for 30 days and forgets nothing at sign-out:
a copy of the cookie, or another tab that still holds the identity it connected with, would
keep reading and writing. So each sign-in gets a row in ``auth_sessions`` (schema v5 of the
watchlist database), keyed on a digest of the identity token's per-sign-in claims (issuer,
subject, ``iat``, ``nonce``, ``sid``): the same cookie always maps to the same row, and a new
sign-in (a new token: new ``iat`` and ``nonce``) to a new one. Sign-out stamps
``revoked_at``; from then on that cookie, wherever it is replayed, is refused. The claims sit
inside the cookie that Streamlit signs with ``cookie_secret``, so they cannot be made up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lib.watchlists.db import auth_sessions_t, insert_ignore

#: Streamlit's identity cookie lives 30 days; a session row never outlives it.
MAX_SESSION_AGE = timedelta(days=30)
#: ``last_seen_at`` is written at most this often (a write per rerun would cost more than the
#: read that every rerun does anyway).
TOUCH_EVERY = timedelta(minutes=5)
MAX_EMAIL_LEN = 320


class SessionState(Enum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


#: What a refused session tells the person (safe to show verbatim).
REFUSED_TEXT = {
    SessionState.REVOKED: (
        "This sign-in has ended: you signed out (maybe in another tab or window). "
        "Watchlists are closed here until you sign in again."
    ),
    SessionState.EXPIRED: "This sign-in is more than 30 days old. Sign in again.",
}


def session_id(claims: Mapping[str, object]) -> str | None:
    """The row id for the sign-in behind these identity-token claims; None without ``iat``.

    ``iat`` is required in every OpenID Connect ID token; ``nonce`` (which Streamlit's
    sign-in always sends) and ``sid`` make two sign-ins in the same second distinct.
    """
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return None
    parts = [claims.get(k) for k in ("iss", "sub", "nonce", "sid")]
    if not isinstance(parts[0], str) or not isinstance(parts[1], str):
        return None
    payload = json.dumps([*(p if isinstance(p, str) else None for p in parts), iat])
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRecord:
    id: str
    owner: str
    email: str | None
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _too_old(issued_at: object, now: datetime) -> bool:
    """True when a token's ``iat`` is a number older than MAX_SESSION_AGE."""
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
        return False
    if issued_at != issued_at or abs(issued_at) > 1e11:  # NaN, or not epoch seconds
        return True
    return now - datetime.fromtimestamp(issued_at, UTC) > MAX_SESSION_AGE


class SessionStore:
    """The ``auth_sessions`` table on the watchlist database's engine (already migrated)."""

    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.now = now or (lambda: datetime.now(UTC))

    def get(self, sid: str) -> SessionRecord | None:
        with self.engine.connect() as conn:
            q = sa.select(auth_sessions_t).where(auth_sessions_t.c.id == sid)
            row = conn.execute(q).first()
        if row is None:
            return None
        return SessionRecord(
            row.id,
            row.owner,
            row.email,
            _utc(row.created_at),  # type: ignore[arg-type]
            _utc(row.last_seen_at),  # type: ignore[arg-type]
            _utc(row.revoked_at),
        )

    def admit(
        self, sid: str, owner: str, email: str | None = None, issued_at: object = None
    ) -> SessionState:
        """Check one rerun's sign-in: the first sight opens its row, a revoked one stays out.

        ``issued_at`` is the token's ``iat`` (epoch seconds): a sign-in older than
        MAX_SESSION_AGE never opens a row, so a purged row (below) cannot come back as a
        fresh one from a replayed cookie. One primary-key read per call; a write only for a
        new sign-in or every TOUCH_EVERY.
        """
        now = self.now()
        rec = self.get(sid)
        if rec is None and _too_old(issued_at, now):
            return SessionState.EXPIRED
        if rec is None:
            email = email[:MAX_EMAIL_LEN] if email else None
            values = {"id": sid, "owner": owner, "email": email}
            with self.engine.execution_options(rer_write=True).begin() as conn:
                insert_ignore(
                    conn, auth_sessions_t, {**values, "created_at": now, "last_seen_at": now}
                )
                self._purge(conn, owner, keep=sid, now=now)
            rec = self.get(sid)
            if rec is None:  # pragma: no cover - the row was just written
                return SessionState.REVOKED
        if rec.owner != owner:  # a digest collision or a hand-edited row: never mix owners
            return SessionState.REVOKED
        if rec.revoked_at is not None:
            return SessionState.REVOKED
        if now - rec.created_at > MAX_SESSION_AGE:
            return SessionState.EXPIRED
        if now - rec.last_seen_at >= TOUCH_EVERY:
            with self.engine.execution_options(rer_write=True).begin() as conn:
                conn.execute(
                    auth_sessions_t.update()
                    .where(auth_sessions_t.c.id == sid)
                    .values(last_seen_at=now)
                )
        return SessionState.ACTIVE

    @staticmethod
    def _purge(conn: sa.Connection, owner: str, keep: str, now: datetime) -> None:
        """Drop this owner's sign-ins past the cookie's life at each new sign-in, so the
        table holds the last 30 days of sign-ins, not every one ever. A revoked row younger
        than that stays: it is what refuses a cookie copied before sign-out. The new row
        (``keep``) stays, so ``has_signed_in`` and the alert email still see the owner."""
        conn.execute(
            auth_sessions_t.delete().where(
                auth_sessions_t.c.owner == owner,
                auth_sessions_t.c.id != keep,
                auth_sessions_t.c.created_at < now - MAX_SESSION_AGE,
            )
        )

    def revoke(self, sid: str) -> bool:
        """Sign-out: end this sign-in everywhere its cookie is; True if it was active."""
        now = self.now()
        with self.engine.execution_options(rer_write=True).begin() as conn:
            result = conn.execute(
                auth_sessions_t.update()
                .where(auth_sessions_t.c.id == sid, auth_sessions_t.c.revoked_at.is_(None))
                .values(revoked_at=now)
                .returning(auth_sessions_t.c.id)
            )
            return result.first() is not None

    def revoke_owner(self, owner: str) -> int:
        """End every sign-in of one person (lost laptop, person leaves); how many ended."""
        now = self.now()
        with self.engine.execution_options(rer_write=True).begin() as conn:
            rows = conn.execute(
                auth_sessions_t.update()
                .where(auth_sessions_t.c.owner == owner, auth_sessions_t.c.revoked_at.is_(None))
                .values(revoked_at=now)
                .returning(auth_sessions_t.c.id)
            ).all()
        return len(rows)

    def has_signed_in(self, owner: str) -> bool:
        """True when this owner key has ever signed in here (a row, active or not)."""
        q = sa.select(auth_sessions_t.c.id).where(auth_sessions_t.c.owner == owner).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(q).first() is not None

    def signed_in_owners(self) -> dict[str, str | None]:
        """Every owner who has signed in, with the latest email seen (for choosing --to)."""
        q = sa.select(auth_sessions_t.c.owner, auth_sessions_t.c.email).order_by(
            auth_sessions_t.c.owner, auth_sessions_t.c.last_seen_at
        )
        out: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(q):
                out[row.owner] = row.email or out.get(row.owner)
        return out
