"""Send pending outbox deliveries: email over SMTP (STARTTLS, login) and signed webhooks.

Each delivery is marked sent in its own transaction after the send succeeds. A crash between
the send and the mark resends on the next run, but with the same ``Message-ID`` and the same
webhook delivery id (``Idempotency-Key``), so a receiver can drop the duplicate. A failure is
retried with exponential backoff and parked after ``max_attempts`` with its error, which the
inbox shows. Untrusted text (list names, event titles) is escaped in HTML and plain in text.

The email sender refuses, before it connects, any address that is not the owner's verified
address at the moment of sending (lib.alerts.addresses decides which that is): a delivery
recorded for an address that has since been removed or replaced is parked, never sent.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol
from urllib.parse import urljoin

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lib.alerts.schema import deliveries_t, messages_t

DOMAIN = "rare-earths-revival"
SIGNATURE_HEADER = "X-RER-Signature"
DELIVERY_HEADER = "X-RER-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = "alerts@localhost"
    starttls: bool = True
    ca_file: str | None = None  # a private CA (tests, internal relays); else the system's
    timeout_s: float = 20.0


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    timeout_s: float = 10.0


class Sender(Protocol):
    def __call__(self, target: str, message: Message) -> None: ...


#: (owner, address) -> may email go there now? (lib.alerts.addresses.AddressBook.may_deliver)
EmailCheck = Callable[[str, str], bool]


class DeliveryRefused(RuntimeError):
    """Retrying cannot help (a 4xx answer, an unverified address): the delivery is parked."""


class UnverifiedAddress(DeliveryRefused):
    """The target is not the owner's verified address (any more); nothing was sent."""


class WebhookRefused(DeliveryRefused):
    """A 4xx answer: retrying the same request cannot help, so the delivery is parked."""


@dataclass(frozen=True)
class Message:
    """A stored digest, ready for any channel."""

    message_id: str
    owner: str
    subject: str
    items: list[dict[str, Any]]
    more: int
    created_at: datetime
    base_url: str

    def link(self, item: dict[str, Any]) -> str:
        return urljoin(self.base_url.rstrip("/") + "/", str(item["link"]).lstrip("/"))

    def text(self) -> str:
        lines = [self.subject, ""]
        for it in self.items:
            lines.append(f"- [{it['watchlist']}] {it['text']}")
            if it.get("title"):
                lines.append(f"  {it['title']}")
            if it.get("source_url"):
                lines.append(f"  Source: {it['source_url']}")
            lines.append(f"  View: {self.link(it)}")
        if self.more:
            lines.append(f"... and {self.more} more in the app's inbox.")
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        e = html.escape
        rows = []
        for it in self.items:
            extra = f"<br><em>{e(it['title'])}</em>" if it.get("title") else ""
            src = (
                f' · <a href="{e(it["source_url"], quote=True)}">source</a>'
                if str(it.get("source_url", "")).startswith("https://")
                else ""
            )
            rows.append(
                f"<li><strong>{e(it['watchlist'])}</strong>: {e(it['text'])}{extra}"
                f'<br><a href="{e(self.link(it), quote=True)}">view in the app</a>{src}</li>'
            )
        more = f"<p>… and {self.more} more in the app's inbox.</p>" if self.more else ""
        return f"<p>{e(self.subject)}</p><ul>{''.join(rows)}</ul>{more}"

    def slack_text(self) -> str:
        lines = [self.subject]
        lines += [f"• [{it['watchlist']}] {it['text']} <{self.link(it)}|view>" for it in self.items]
        if self.more:
            lines.append(f"… and {self.more} more")
        return "\n".join(lines)


def _smtp_send(cfg: SmtpConfig, msg: EmailMessage) -> None:
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
        smtp.ehlo()
        if cfg.starttls:
            ctx = ssl.create_default_context(cafile=cfg.ca_file)
            smtp.starttls(context=ctx)
            smtp.ehlo()
        if cfg.username:
            smtp.login(cfg.username, cfg.password)
        smtp.send_message(msg)


def email_sender(cfg: SmtpConfig, verified: EmailCheck) -> Sender:
    """Alert digests by SMTP, only ever to an address ``verified(owner, address)`` accepts."""

    def send(target: str, message: Message) -> None:
        if not verified(message.owner, target):
            raise UnverifiedAddress(
                "the address is not a verified address of this account (any more); not sent"
            )
        msg = EmailMessage()
        msg["Subject"] = message.subject
        msg["From"] = cfg.sender
        msg["To"] = target
        msg["Date"] = format_datetime(message.created_at)
        msg["Message-ID"] = f"<{message.message_id}@{DOMAIN}>"
        msg.set_content(message.text())
        msg.add_alternative(message.html(), subtype="html")
        _smtp_send(cfg, msg)

    return send


def send_confirmation(cfg: SmtpConfig, to: str, code: str, minutes: int, now: datetime) -> None:
    """The one-time code that confirms a typed address (the only mail to an unverified one)."""
    msg = EmailMessage()
    msg["Subject"] = f"Rare Earths Revival: your confirmation code {code}"
    msg["From"] = cfg.sender
    msg["To"] = to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    msg.set_content(
        f"Your confirmation code is {code}.\n\n"
        f"Enter it on the Watchlists page, under the alerts, within {minutes} minutes to have "
        "alerts emailed to this address.\n\n"
        "If you did not ask for this, ignore this message: no alerts are sent to an address "
        "until its code is entered.\n"
    )
    _smtp_send(cfg, msg)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_sender(cfg: WebhookConfig, session: requests.Session | None = None) -> Sender:
    http = session or requests.Session()

    def send(target: str, message: Message) -> None:
        delivery_id = f"{message.message_id}:webhook"
        payload = {
            "delivery_id": delivery_id,
            "message_id": message.message_id,
            "subject": message.subject,
            "text": message.slack_text(),  # Slack-compatible
            "items": [dict(it, link=message.link(it)) for it in message.items],
            "more": message.more,
        }
        body = json.dumps(payload, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(cfg.secret, body),
            DELIVERY_HEADER: delivery_id,
            IDEMPOTENCY_HEADER: delivery_id,
        }
        resp = http.post(target, data=body, headers=headers, timeout=cfg.timeout_s)
        if 400 <= resp.status_code < 500 and resp.status_code != 429:
            raise WebhookRefused(f"HTTP {resp.status_code}")
        if resp.status_code >= 300:
            raise RuntimeError(f"HTTP {resp.status_code}")

    return send


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    parked: list[str] = field(default_factory=list)


def send_pending(
    engine: Engine,
    senders: dict[str, Sender],
    now: datetime,
    base_url: str,
    *,
    max_attempts: int = 5,
    backoff: Callable[[int], timedelta] = lambda n: timedelta(minutes=2**n),
    after_send: Callable[[str], None] = lambda _id: None,
) -> SendReport:
    """Deliver every due pending delivery once; ``after_send`` is a test hook (kill point)."""
    report = SendReport()
    writer = engine.execution_options(rer_write=True)
    due = (
        sa.select(
            deliveries_t,
            messages_t.c.owner,
            messages_t.c.subject,
            messages_t.c.body,
            messages_t.c.created_at,
        )
        .join(messages_t, messages_t.c.message_id == deliveries_t.c.message_id)
        .where(deliveries_t.c.status == "pending", deliveries_t.c.next_attempt_at <= now)
        .order_by(deliveries_t.c.id)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(due).mappings())
    for row in rows:
        body = json.loads(row["body"])
        created = row["created_at"]
        message = Message(
            str(row["message_id"]),
            str(row["owner"]),
            str(row["subject"]),
            list(body.get("items", [])),
            int(body.get("more", 0)),
            created,
            base_url,
        )
        sender = senders.get(str(row["channel"]))
        did = f"{row['message_id']}:{row['channel']}"
        try:
            if sender is None:
                raise DeliveryRefused(f"{row['channel']} is not configured on this server")
            sender(str(row["target"]), message)
        except Exception as exc:  # the boundary: any failure is this delivery's, recorded
            attempts = int(row["attempts"]) + 1
            park = isinstance(exc, DeliveryRefused) or attempts >= max_attempts
            why = f"{type(exc).__name__}: {exc}"[:500]
            with writer.begin() as conn:
                conn.execute(
                    sa.update(deliveries_t)
                    .where(deliveries_t.c.id == row["id"])
                    .values(
                        attempts=attempts,
                        last_error=why,
                        status="parked" if park else "pending",
                        next_attempt_at=now + backoff(attempts),
                    )
                )
            (report.parked if park else report.retrying).append(did)
            continue
        after_send(did)
        with writer.begin() as conn:
            conn.execute(
                sa.update(deliveries_t)
                .where(deliveries_t.c.id == row["id"])
                .values(
                    status="sent", sent_at=now, attempts=int(row["attempts"]) + 1, last_error=None
                )
            )
        report.sent.append(did)
    return report
