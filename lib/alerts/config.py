"""The ``[alerts]`` settings from .streamlit/secrets.toml, parsed once and checked.

[alerts]
base_url = "https://rare-earths.example.com"  # links in messages point here
email = "me@example.com"       # single-user mode: where its alerts go (server config)

[alerts.smtp]
host = "smtp.example.com"
port = 587
username = "alerts@example.com"
password = "…"
from = "Rare Earths Revival <alerts@example.com>"
starttls = true

[alerts.webhook]
url = "https://hooks.slack.com/services/…"
secret = "at least 16 characters"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib.alerts.deliver import SmtpConfig, WebhookConfig

DEFAULT_BASE_URL = "http://127.0.0.1:8501"


class AlertConfigError(ValueError):
    """The [alerts] section cannot be used; the message names the key, never a secret."""


@dataclass(frozen=True)
class AlertsConfig:
    base_url: str = DEFAULT_BASE_URL
    email: str | None = None
    smtp: SmtpConfig | None = None
    webhook: WebhookConfig | None = None


def _loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def parse(secrets: Mapping[str, Any]) -> AlertsConfig:
    section = secrets.get("alerts", {})
    if not isinstance(section, Mapping):
        raise AlertConfigError("[alerts] must be a table.")
    base = str(section.get("base_url") or DEFAULT_BASE_URL)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertConfigError("[alerts] base_url must be an http(s) address.")
    email = section.get("email")
    if email is not None and ("@" not in str(email) or any(c in str(email) for c in "\r\n<>,")):
        raise AlertConfigError("[alerts] email is not a single address.")
    smtp = None
    if "smtp" in section:
        s = section["smtp"]
        if not isinstance(s, Mapping) or not s.get("host"):
            raise AlertConfigError("[alerts.smtp] needs a host.")
        try:
            port = int(s.get("port", 587))
        except (TypeError, ValueError):
            raise AlertConfigError("[alerts.smtp] port must be a number.") from None
        if bool(s.get("username")) != bool(s.get("password")):
            raise AlertConfigError("[alerts.smtp] needs both username and password, or neither.")
        smtp = SmtpConfig(
            host=str(s["host"]),
            port=port,
            username=str(s.get("username", "")),
            password=str(s.get("password", "")),
            sender=str(s.get("from", "alerts@localhost")),
            starttls=bool(s.get("starttls", True)),
            ca_file=str(s["ca_file"]) if s.get("ca_file") else None,
        )
        if not smtp.starttls and not _loopback(smtp.host) and smtp.username:
            raise AlertConfigError("[alerts.smtp] refuses to send a password without STARTTLS.")
    webhook = None
    if "webhook" in section:
        w = section["webhook"]
        url = str(w.get("url", "")) if isinstance(w, Mapping) else ""
        secret = str(w.get("secret", "")) if isinstance(w, Mapping) else ""
        p = urlsplit(url)
        if not (p.scheme == "https" or (p.scheme == "http" and _loopback(p.hostname))):
            raise AlertConfigError("[alerts.webhook] url must be https (or http on loopback).")
        if len(secret) < 16:
            raise AlertConfigError("[alerts.webhook] secret must be at least 16 characters.")
        webhook = WebhookConfig(url=url, secret=secret)
    return AlertsConfig(base, str(email) if email else None, smtp, webhook)


def load(path: Path) -> AlertsConfig:
    """Parse ``path`` (absent: defaults). An unreadable file is an error, not "no alerts"."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AlertsConfig()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AlertConfigError(f"{path} could not be read: {type(exc).__name__}") from None
    return parse(data)
