"""Sign-in configuration: secrets.toml read and checked so that every mistake fails closed.

Pure (no Streamlit): lib/ui/auth.py feeds it the parsed files and ``st.secrets``, and shows
the problems. A problem is a sentence that names files, tables, keys and lines, never a value.
"""

from __future__ import annotations

import json
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lib.auth import clean_claim

#: Keys in a provider section of ``[auth]`` that mark it as an OpenID Connect client.
_PROVIDER_KEYS = ("client_id", "server_metadata_url")
#: Friendly names for the usual ``[auth.<name>]`` sections.
_PROVIDER_LABELS = {
    "google": "Google",
    "microsoft": "Microsoft",
    "entra": "Microsoft Entra",
    "okta": "Okta",
    "keycloak": "Keycloak",
    "auth0": "Auth0",
}


@dataclass(frozen=True)
class LoginProvider:
    """One Sign in button: the ``st.login`` argument (None = the flat ``[auth]`` section)."""

    name: str | None
    label: str
    metadata_url: str | None


# --------------------------------------------------------------------------- configuration

#: ``cookie_secret`` values that are public (examples in our docs and tests) and so refused:
#: anyone can sign a cookie with them and log in as anyone.
PUBLIC_COOKIE_SECRETS = frozenset(
    {
        "local-testing-only",  # the example in docs/auth.md before issue 25
        "<long random string>",
        "REPLACE-WITH-THE-OUTPUT-OF-secrets.token_urlsafe(32)",  # today's placeholder
        "s3cret",
        "test-cookie-secret",
    }
)
MIN_COOKIE_SECRET_BYTES = 32
_CLIENT_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class SecretsRead:
    """secrets.toml as this app read it: the merged tables, and what could not be read."""

    data: Mapping[str, object]
    problems: tuple[str, ...] = ()


def shown_path(path: Path) -> str:
    """A secrets file as a visitor may see it: no server folder names."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        pass
    return f".streamlit/{path.name}" if path.parent.name == ".streamlit" else path.name


def read_secrets_files(paths: Iterable[str | Path]) -> SecretsRead:
    """Parse the ``.toml`` files among Streamlit's ``secrets.files`` like Streamlit does.

    Streamlit logs "Failed to load secrets" and carries on with none when a file does not parse
    (a TOML error, a table declared twice): this says which file and where, so the app can
    refuse to serve lists instead. The messages name lines and keys, never a value, and the
    file as ``.streamlit/secrets.toml`` or ``~/...``, not its full path (the page shows them).
    Missing files are normal (the defaults name two places); directories are left to Streamlit.
    """
    merged: dict[str, object] = {}
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix != ".toml":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            reason = (
                "it is not UTF-8 text"
                if isinstance(exc, UnicodeDecodeError)
                else (exc.strerror or type(exc).__name__)
            )
            problems.append(f"{shown_path(path)} could not be read ({reason}).")
            continue
        try:
            merged.update(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{shown_path(path)} is not valid TOML: {exc}.")
    return SecretsRead(merged, tuple(problems))


@dataclass(frozen=True)
class AuthConfig:
    """What secrets.toml says about sign-in, checked once; ``problems`` close watchlists.

    ``mode``: "single-user" (no ``[auth]``), "sign-in", or "misconfigured" (lists closed for
    everyone; ``problems`` say why in words that never include a secret value).
    """

    mode: str
    problems: tuple[str, ...] = ()
    providers: tuple[LoginProvider, ...] = ()
    allowed_domains: frozenset[str] = frozenset()
    allowed_emails: frozenset[str] = frozenset()

    @property
    def sign_in(self) -> bool:
        """Sign-in mode or a broken configuration: never the shared single-user lists."""
        return self.mode != "single-user"

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_domains or self.allowed_emails)


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _client_problems(where: str, section: Mapping[str, object]) -> list[str]:
    out = [f"{where} has no {k}." for k in _CLIENT_KEYS if not _str_or_none(section.get(k))]
    url = section.get("server_metadata_url")
    if _str_or_none(url) and not _is_http_url(url):
        out.append(f"{where} server_metadata_url is not an http(s) address.")
    return out


def _allow_list(section: Mapping[str, object], key: str, problems: list[str]) -> frozenset[str]:
    value = section.get(key)
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        problems.append(f"[auth] {key} must be a list of non-empty strings.")
        return frozenset()
    if not items:
        problems.append(f"[auth] {key} is empty, so nobody could sign in; remove it or fill it.")
    cleaned = {v.strip().lower().lstrip("@") for v in items}
    if key == "allowed_emails" and any(v.count("@") != 1 for v in cleaned):
        problems.append("[auth] allowed_emails has an entry that is not an email address.")
    if key == "allowed_domains" and any("@" in v or "." not in v for v in cleaned):
        problems.append("[auth] allowed_domains has an entry that is not a domain name.")
    return frozenset(cleaned)


def _connection_problems(secrets: Mapping[str, object]) -> list[str]:
    connections = secrets.get("connections")
    if connections is None:
        return []
    conn = connections.get("watchlists") if isinstance(connections, Mapping) else None
    if conn is None and isinstance(connections, Mapping):
        return []
    if not isinstance(conn, Mapping) or not _str_or_none(conn.get("url")):
        return ["[connections.watchlists] in secrets.toml has no url."]
    if "://" not in str(conn.get("url")):
        return ["[connections.watchlists] url is not a database URL (dialect://...)."]
    return []


def check_auth_config(
    secrets: Mapping[str, object] | None, file_problems: Iterable[str] = ()
) -> AuthConfig:
    """Validate ``[auth]`` (and the watchlist connection) without contacting anyone.

    Fails closed: a file that did not parse, an ``[auth]`` that is empty, not a table or
    incomplete, a short or public cookie_secret, a client without its secret, or a malformed
    allow-list all give mode "misconfigured", never single-user mode.
    """
    problems = list(file_problems)
    secrets = secrets or {}
    problems += _connection_problems(secrets)
    if "auth" not in secrets:
        return AuthConfig("misconfigured" if problems else "single-user", tuple(problems))
    section = secrets.get("auth")
    if not isinstance(section, Mapping) or not section:
        problems.append("[auth] in secrets.toml is empty or not a table.")
        return AuthConfig("misconfigured", tuple(problems))
    if not _is_http_url(section.get("redirect_uri")):
        problems.append("[auth] has no redirect_uri (an http(s) address).")
    elif not str(section.get("redirect_uri")).rstrip().endswith("/oauth2callback"):
        problems.append("[auth] redirect_uri must end with /oauth2callback.")
    secret = section.get("cookie_secret")
    if not _str_or_none(secret):
        problems.append("[auth] has no cookie_secret.")
    elif str(secret).strip() in PUBLIC_COOKIE_SECRETS or str(secret).startswith("REPLACE-"):
        problems.append(
            "[auth] cookie_secret is a published example; anyone could sign a cookie with "
            "it. Generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    elif len(str(secret).encode()) < MIN_COOKIE_SECRET_BYTES:
        problems.append(
            f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET_BYTES} bytes; generate "
            "one: python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    flat = any(k in section for k in _CLIENT_KEYS)
    named = {str(k): v for k, v in section.items() if isinstance(v, Mapping)}
    if flat:
        problems += _client_problems("[auth]", section)
    for name, sub in named.items():
        problems += _client_problems(f"[auth.{name}]", sub)
        if "_" in name:
            problems.append(f"[auth.{name}]: provider names may not contain an underscore.")
    if not flat and not named:
        problems.append("[auth] has no client (client_id, client_secret, server_metadata_url).")
    domains = _allow_list(section, "allowed_domains", problems)
    emails = _allow_list(section, "allowed_emails", problems)
    mode = "misconfigured" if problems else "sign-in"
    providers = tuple(login_providers(secrets)) if not problems else ()
    return AuthConfig(mode, tuple(problems), providers, domains, emails)


def auth_section(secrets: Mapping[str, object] | None) -> Mapping[str, object] | None:
    """The ``[auth]`` table of secrets.toml, or None."""
    if not secrets:
        return None
    section = secrets.get("auth")
    return section if isinstance(section, Mapping) and section else None


def login_providers(secrets: Mapping[str, object] | None) -> list[LoginProvider]:
    """Sign-in buttons to offer: the flat ``[auth]`` client and every ``[auth.<name>]`` one."""
    section = auth_section(secrets)
    if section is None:
        return []
    out: list[LoginProvider] = []
    if any(section.get(k) for k in _PROVIDER_KEYS):
        out.append(LoginProvider(None, "Sign in", _str_or_none(section.get("server_metadata_url"))))
    for name, sub in section.items():
        if isinstance(sub, Mapping) and any(sub.get(k) for k in _PROVIDER_KEYS):
            label = _PROVIDER_LABELS.get(str(name).lower(), str(name).replace("_", " ").title())
            out.append(
                LoginProvider(
                    str(name),
                    f"Sign in with {label}",
                    _str_or_none(sub.get("server_metadata_url")),
                )
            )
    return out


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# --------------------------------------------------------------------------- provider check

#: Fields every OpenID Connect discovery document has (OpenID Connect Discovery 1.0, 3).
DISCOVERY_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnreachable(Exception):
    """The discovery document could not be fetched (network); the sentence says which."""


def fetch_discovery(url: str, timeout: float = 3.0) -> bytes:
    """GET ``url``: the body of a 200 answer; ProviderUnreachable when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bytes(resp.read(1_000_000))
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:  # the provider is having trouble, the address may well be right
            raise ProviderUnreachable(f"{url} answered HTTP {exc.code}") from None
        raise ValueError(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise ProviderUnreachable(f"{url} is not reachable ({exc})") from None


def check_discovery_document(url: str, fetch: Callable[[str], bytes]) -> str | None:
    """None when ``url`` serves an OpenID Connect discovery document, else what is wrong.

    ``fetch`` returns the body or raises: ``ProviderUnreachable`` (a provider that is down is
    not a configuration error, and the caller only logs it) or anything else (an HTTP error
    such as 404, which means the address is wrong).
    """
    try:
        body = fetch(url)
    except ProviderUnreachable:
        raise
    except Exception as exc:
        return f"server_metadata_url {url} did not answer with a document ({exc})."
    try:
        doc = json.loads(body)
    except ValueError:
        return f"server_metadata_url {url} did not return JSON."
    if not isinstance(doc, dict):
        return f"server_metadata_url {url} did not return a JSON object."
    missing = [k for k in DISCOVERY_FIELDS if not _str_or_none(doc.get(k))]
    if missing:
        return (
            f"server_metadata_url {url} is not an OpenID Connect discovery document "
            f"(no {', '.join(missing)})."
        )
    return None


# --------------------------------------------------------------------------- allow-list


def allow_list_problem(claims: Mapping[str, object], config: AuthConfig) -> str | None:
    """Why this signed-in account may not use the app's lists, or None when it may.

    Only a verified email counts (``email_verified`` exactly true): an unverified address is
    whatever the person typed at the provider.
    """
    if not config.restricted:
        return None
    who = "verified addresses"
    if config.allowed_domains:
        who += " at " + ", ".join(sorted(config.allowed_domains))
        if config.allowed_emails:
            who += " and a list of named addresses"
    else:
        who = "a list of named, verified addresses"
    email = clean_claim(claims.get("email"))
    if email is None or claims.get("email_verified") is not True:
        return (
            f"This server only lets {who} use watchlists, and your sign-in did not come "
            "with a verified email address. Sign out and use an allowed account, or ask "
            "the administrator."
        )
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    if email in config.allowed_emails or domain in config.allowed_domains:
        return None
    return (
        f"This server only lets {who} use watchlists, and {email} is not one of them. "
        "Sign out and use an allowed account, or ask the administrator to add you."
    )
