"""Who owns a watchlist: sign-in identity rules, kept free of Streamlit so they are testable.

The owner key is the OpenID Connect issuer plus the subject claim: the one pair a provider
promises never to reassign. The email is only ever shown; it is not trusted as a key, because
providers let users change it and some hand out unverified addresses (``email_verified``
false), which would let one account read another's lists.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

#: Owner of every list when sign-in is not configured (same value as lib.watchlists).
LOCAL_OWNER = "local"
#: Longest owner the watchlist schema stores (lib.watchlists.MAX_OWNER_LEN).
MAX_OWNER_LEN = 320
OWNER_PREFIX = "oidc:"
HASHED_PREFIX = "oidc-sha256:"
MAX_LABEL_LEN = 80


@dataclass(frozen=True)
class Identity:
    """The visitor as the app sees them.

    ``owner`` is None when watchlists must not be opened (sign-in configured and nobody
    signed in, or a sign-in without a usable account id). ``label`` is what the sidebar shows.
    """

    owner: str | None
    signed_in: bool
    label: str = ""
    problem: str | None = None


def clean_claim(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 1000:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return None
    return value


def owner_key(claims: Mapping[str, object]) -> str | None:
    """``oidc:<iss>|<sub>``, or None when the identity token lacks either claim.

    Issuers containing ``|``, or pairs too long for the owner column, are hashed so the key
    stays unique and fits; the email is never part of the key.
    """
    iss, sub = clean_claim(claims.get("iss")), clean_claim(claims.get("sub"))
    if iss is None or sub is None:
        return None
    key = f"{OWNER_PREFIX}{iss}|{sub}"
    # The watchlist store strips owners; a key that stripping would change is hashed instead.
    if "|" in iss or len(key) > MAX_OWNER_LEN or key != key.strip():
        digest = hashlib.sha256(json.dumps([iss, sub]).encode()).hexdigest()
        return HASHED_PREFIX + digest
    return key


def display_label(claims: Mapping[str, object]) -> str:
    """Name, else email (marked when the provider says it is unverified); never the key."""
    name = clean_claim(claims.get("name"))
    email = clean_claim(claims.get("email"))
    if email and claims.get("email_verified") is False:
        email = f"{email} (unverified)"
    label = (name or email or "your account").strip() or "your account"
    return label if len(label) <= MAX_LABEL_LEN else label[: MAX_LABEL_LEN - 1] + "…"


def resolve_identity(user: Mapping[str, object] | None, auth_on: bool) -> Identity:
    """Map ``st.user`` (as a plain mapping) to an owner.

    Signed in: the issuer+subject key. Signed out with sign-in configured: no owner (the app
    asks to sign in). Sign-in not configured: the single shared ``local`` owner.
    """
    user = user or {}
    if user.get("is_logged_in") is True:
        label = display_label(user)
        key = owner_key(user)
        if key is None:
            return Identity(
                owner=None,
                signed_in=True,
                label=label,
                problem=(
                    "Your sign-in did not include an account id (issuer and subject), so "
                    "watchlists cannot be opened. Sign out and sign in again; if this keeps "
                    "happening, the identity provider is not sending an OpenID Connect ID token."
                ),
            )
        return Identity(owner=key, signed_in=True, label=label)
    if auth_on:
        return Identity(owner=None, signed_in=False)
    return Identity(owner=LOCAL_OWNER, signed_in=False)


# --------------------------------------------------------------------------- exposure check


def is_loopback_address(address: object) -> bool:
    """True only for addresses nobody else can reach; unset means every interface."""
    if not isinstance(address, str) or not address.strip():
        return False
    host = address.strip().strip("[]")
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def exposure_warning(address: object, auth_on: bool) -> str | None:
    """The start-up warning for a server others can reach with watchlists shared by all."""
    if auth_on or is_loopback_address(address):
        return None
    where = (
        f"on {address}"
        if isinstance(address, str) and address.strip()
        else "on every network interface (server.address is not set)"
    )
    return (
        f"Rare Earths Revival is listening {where} without an [auth] section in "
        "secrets.toml: everyone who can open the app reads, renames and deletes the same "
        "watchlists. Configure sign-in (docs/auth.md) or start with --server.address 127.0.0.1."
    )
