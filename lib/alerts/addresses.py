"""Where an owner's email alerts may go, and typed addresses confirmed by a one-time code.

Email goes only to a verified address (issue 23), chosen in this order:

1. single-user mode: the address the server's ``[alerts] email`` names;
2. signed in: the verified email of the person's latest sign-in (lib.auth_sessions keeps only
   addresses the identity provider marked verified);
3. otherwise an address the person typed, once they entered the code mailed to it.

The code is never stored: only a salted hash bound to the owner and the address, its expiry and
the attempts left. Codes are rate-limited per owner, so the form cannot be used to flood a
stranger's mailbox. Every query filters by owner, like lists and rules.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lib.alerts.schema import addresses_t
from lib.watchlists.db import auth_sessions_t, insert_ignore
from lib.watchlists.validate import LOCAL_OWNER, WatchlistError, clean_owner

MAX_ADDRESS_LEN = 254  # RFC 5321's path limit, less the angle brackets
MAX_LOCAL_LEN = 64
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_CODES_PER_DAY = 5

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"))

NOT_AN_ADDRESS = (
    "That is not an email address: it needs one @ with a name before it and a domain after "
    "it, like name@example.com."
)
NO_CODE = "No code is waiting to be entered. Ask for a new one."
EXPIRED = "That code has expired (codes last {minutes} minutes). Ask for a new one."
WRONG = "That code is not right. {left} attempt(s) left."
USED_UP = "That code was entered wrongly {n} times, so it no longer works. Ask for a new one."


class AddressError(WatchlistError):
    """An address or code that cannot be used; the message is a sentence safe to show."""


@dataclass(frozen=True)
class AddressStatus:
    """An owner's typed address: the confirmed one, and one waiting for its code."""

    email: str | None = None
    pending: str | None = None
    expires_at: datetime | None = None
    attempts_left: int = MAX_ATTEMPTS


@dataclass(frozen=True)
class DeliveryAddress:
    address: str
    source: str  # "config" | "sign-in" | "typed"


def clean_address(text: object) -> str:
    """A plain ASCII ``local@domain`` address (domain lower-cased) or AddressError."""
    s = str(text if text is not None else "").strip()
    if not s:
        raise AddressError("Type an email address.")
    if len(s) > MAX_ADDRESS_LEN:
        raise AddressError(
            f"That is longer than {MAX_ADDRESS_LEN} characters, more than an email address "
            "can have."
        )
    if any(unicodedata.category(ch) in _INVISIBLE for ch in s):
        raise AddressError(
            "The address contains control or invisible characters (such as a line break, a "
            "text-direction mark or a zero-width space). Type it again by hand."
        )
    if not s.isascii():
        raise AddressError(
            "Only plain ASCII addresses are accepted (no accented or look-alike letters)."
        )
    if any(ch.isspace() for ch in s):
        raise AddressError("An email address has no spaces in it.")
    local, _, domain = s.rpartition("@")
    if not local or not domain or "@" in local:
        raise AddressError(NOT_AN_ADDRESS)
    if len(local) > MAX_LOCAL_LEN or not _LOCAL.fullmatch(local):
        raise AddressError(
            "The part before the @ is not a valid mailbox name (letters, digits and "
            ". _ + - are the usual characters, with no dot at either end)."
        )
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise AddressError("The part after the @ is not a domain name like example.com.")
    if not labels[-1].isalpha():
        raise AddressError("The part after the @ is not a domain name like example.com.")
    return f"{local}@{domain.lower()}"


def clean_code(text: object) -> str:
    """The digits of a typed code (spaces and dashes allowed between them) or AddressError."""
    digits = re.sub(r"[\s-]", "", str(text if text is not None else ""))[: 4 * CODE_DIGITS]
    if not (len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit()):
        raise AddressError(f"The code is the {CODE_DIGITS} digits in the email we sent.")
    return digits


def code_hash(owner: str, address: str, code: str, salt: str | None = None) -> str:
    """``salt$sha256``: a code confirms only this owner's claim to this address."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}\0{owner}\0{address}\0{code}".encode()).hexdigest()
    return f"{salt}${digest}"


def _matches(stored: str, owner: str, address: str, code: str) -> bool:
    salt = stored.partition("$")[0]
    return hmac.compare_digest(stored, code_hash(owner, address, code, salt))


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


_CLEARED = {"pending_email": None, "code_hash": None, "code_expires_at": None, "attempts": 0}


class AddressBook:
    """Owner-scoped typed addresses, and the one rule for where an owner's email goes."""

    def __init__(
        self,
        engine: Engine,
        now: Callable[[], datetime] | None = None,
        make_code: Callable[[], str] = new_code,
    ) -> None:
        self.engine = engine
        self._writer = engine.execution_options(rer_write=True)
        self.now = now or (lambda: datetime.now(UTC))
        self.make_code = make_code

    # ---- reading
    def status(self, owner: str) -> AddressStatus:
        owner = clean_owner(owner)
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(addresses_t).where(addresses_t.c.owner == owner))
                .mappings()
                .first()
            )
        if row is None:
            return AddressStatus()
        pending = row["pending_email"] if row["code_hash"] else None
        expires = _utc(row["code_expires_at"]) if pending else None
        if expires is not None and expires <= self.now():
            pending, expires = None, None
        return AddressStatus(
            email=row["email"],
            pending=pending,
            expires_at=expires,
            attempts_left=MAX_ATTEMPTS - int(row["attempts"]) if pending else MAX_ATTEMPTS,
        )

    def sign_in_email(self, owner: str) -> str | None:
        """The verified address of the owner's latest sign-in (only verified ones are kept)."""
        q = (
            sa.select(auth_sessions_t.c.email)
            .where(auth_sessions_t.c.owner == owner, auth_sessions_t.c.email.is_not(None))
            .order_by(auth_sessions_t.c.last_seen_at.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            got = conn.execute(q).scalar()
        return str(got) if got else None

    def delivery_address(self, owner: str, config_email: str | None) -> DeliveryAddress | None:
        """Where ``owner``'s email alerts go now, or None: no verified address."""
        if owner == LOCAL_OWNER and config_email:
            return DeliveryAddress(config_email, "config")
        if owner != LOCAL_OWNER and (signed := self.sign_in_email(owner)):
            return DeliveryAddress(signed, "sign-in")
        typed = self.status(owner).email
        return DeliveryAddress(typed, "typed") if typed else None

    def may_deliver(self, owner: str, address: str, config_email: str | None) -> bool:
        """True only for the address :meth:`delivery_address` names now (checked at send)."""
        now = self.delivery_address(owner, config_email)
        return now is not None and now.address == address

    # ---- writing
    def request_code(self, owner: str, address: str, send: Callable[[str, str], None]) -> str:
        """Keep ``address`` as pending, mail it a new code through ``send(to, code)``.

        Returns the cleaned address. The row is written (and its lock released) before the
        mail is sent; a failed send voids the code again.
        """
        owner = clean_owner(owner)
        address = clean_address(address)
        now = self.now()
        code = self.make_code()
        stored = code_hash(owner, address, code)
        with self._writer.begin() as conn:
            insert_ignore(conn, addresses_t, {"owner": owner, "updated_at": now})
            row = (
                conn.execute(
                    sa.select(addresses_t).where(addresses_t.c.owner == owner).with_for_update()
                )
                .mappings()
                .one()
            )
            if row["email"] == address:
                raise AddressError("That address is already confirmed; alerts go there.")
            last = _utc(row["last_sent_at"])
            if last is not None and now - last < RESEND_AFTER:
                raise AddressError(
                    "A code was sent less than a minute ago. Wait a minute before asking for "
                    "another one."
                )
            window = _utc(row["window_start"])
            sent = int(row["codes_sent"])
            if window is None or now - window >= timedelta(days=1):
                window, sent = now, 0
            if sent >= MAX_CODES_PER_DAY:
                raise AddressError(
                    f"At most {MAX_CODES_PER_DAY} codes are sent per day. Use the last code "
                    "you received, or try again tomorrow."
                )
            conn.execute(
                sa.update(addresses_t)
                .where(addresses_t.c.owner == owner)
                .values(
                    pending_email=address,
                    code_hash=stored,
                    code_expires_at=now + CODE_TTL,
                    attempts=0,
                    codes_sent=sent + 1,
                    window_start=window,
                    last_sent_at=now,
                    updated_at=now,
                )
            )
        try:
            send(address, code)
        except Exception as exc:  # the boundary: any mail failure voids this code
            with self._writer.begin() as conn:
                conn.execute(
                    sa.update(addresses_t)
                    .where(addresses_t.c.owner == owner, addresses_t.c.code_hash == stored)
                    .values(**_CLEARED, updated_at=now)
                )
            raise AddressError(
                f"The code could not be sent ({type(exc).__name__}). Check the address, then "
                "ask again in a minute."
            ) from None
        return address

    def confirm(self, owner: str, code: str) -> str:
        """Confirm the pending address with its code; returns the address now in use."""
        owner = clean_owner(owner)
        digits = clean_code(code)
        now = self.now()
        error: str | None = None
        with self._writer.begin() as conn:
            row = (
                conn.execute(
                    sa.select(addresses_t).where(addresses_t.c.owner == owner).with_for_update()
                )
                .mappings()
                .first()
            )
            if row is None or not row["code_hash"] or not row["pending_email"]:
                raise AddressError(NO_CODE)
            mine = addresses_t.c.owner == owner
            expires = _utc(row["code_expires_at"])
            if expires is None or expires <= now:
                conn.execute(sa.update(addresses_t).where(mine).values(**_CLEARED))
                error = EXPIRED.format(minutes=int(CODE_TTL.total_seconds() // 60))
            elif not _matches(row["code_hash"], owner, row["pending_email"], digits):
                tries = int(row["attempts"]) + 1
                if tries >= MAX_ATTEMPTS:
                    conn.execute(sa.update(addresses_t).where(mine).values(**_CLEARED))
                    error = USED_UP.format(n=MAX_ATTEMPTS)
                else:
                    conn.execute(sa.update(addresses_t).where(mine).values(attempts=tries))
                    error = WRONG.format(left=MAX_ATTEMPTS - tries)
            else:
                address = str(row["pending_email"])
                conn.execute(
                    sa.update(addresses_t)
                    .where(mine)
                    .values(email=address, verified_at=now, updated_at=now, **_CLEARED)
                )
        if error is not None:  # raised after the commit: the attempt is counted
            raise AddressError(error)
        return address

    def remove(self, owner: str) -> None:
        """Forget the typed address (confirmed and pending); the send limits stay counted."""
        owner = clean_owner(owner)
        with self._writer.begin() as conn:
            conn.execute(
                sa.update(addresses_t)
                .where(addresses_t.c.owner == owner)
                .values(email=None, verified_at=None, updated_at=self.now(), **_CLEARED)
            )
