"""lib.auth: owner keys, single-user vs signed-in mode, the exposure warning (plain pytest).

The [auth] checks are in tests/test_auth_config.py, the session rows in test_auth_sessions.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import auth
from lib import watchlists as wl

ISS = "https://accounts.example.com"


def user(**claims: object) -> dict[str, object]:
    return {"is_logged_in": True, "iss": ISS, "sub": "1234", **claims}


def test_constants_match_the_store() -> None:
    assert auth.LOCAL_OWNER == wl.LOCAL_OWNER
    assert auth.MAX_OWNER_LEN == wl.MAX_OWNER_LEN


def test_owner_key_is_issuer_and_subject_not_email() -> None:
    a = auth.owner_key(user(email="a@example.com"))
    assert a == f"oidc:{ISS}|1234"
    assert auth.owner_key(user(email="other@example.com")) == a  # email change: same owner
    assert auth.owner_key(user(sub="5678", email="a@example.com")) != a
    assert auth.owner_key(user(iss="https://other.example", email="a@example.com")) != a
    assert auth.owner_key({"sub": "Abc", "iss": ISS}) != auth.owner_key({"sub": "abc", "iss": ISS})


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "a@example.com", "email_verified": True},
        {"iss": ISS},
        {"sub": "1234"},
        {"iss": "", "sub": "1"},
        {"iss": ISS, "sub": ""},
        {"iss": ISS, "sub": 1234},
        {"iss": ISS, "sub": "12\n34"},
        {"iss": ISS, "sub": "12\u202e34"},
    ],
)
def test_no_owner_key_without_clean_issuer_and_subject(claims: dict[str, object]) -> None:
    assert auth.owner_key(claims) is None


def test_unverified_email_never_merges_identities() -> None:
    victim = user(email="ceo@example.com", email_verified=True)
    attacker = user(sub="evil", email="ceo@example.com", email_verified=False)
    a = auth.resolve_identity(victim, auth_on=True)
    b = auth.resolve_identity(attacker, auth_on=True)
    assert a.owner and b.owner and a.owner != b.owner
    assert "ceo@example.com" not in (a.owner + b.owner)
    assert b.label == "ceo@example.com (unverified)"


def test_awkward_keys_are_hashed_but_stay_unique_and_fit() -> None:
    long_sub = "x" * 400
    k1 = auth.owner_key({"iss": ISS, "sub": long_sub})
    k2 = auth.owner_key({"iss": ISS, "sub": long_sub + "y"})
    assert k1 and k2 and k1 != k2
    assert k1.startswith(auth.HASHED_PREFIX) and len(k1) <= auth.MAX_OWNER_LEN
    # "a|b" + "c" and "a" + "b|c" must not collide.
    p1 = auth.owner_key({"iss": "a|b", "sub": "c"})
    p2 = auth.owner_key({"iss": "a", "sub": "b|c"})
    assert p1 != p2
    # Keys the store would strip are hashed, so two subjects never end up as one owner.
    s1, s2 = auth.owner_key({"iss": ISS, "sub": "1 "}), auth.owner_key({"iss": ISS, "sub": "1"})
    assert s1 != s2 and wl.clean_owner(s1) == s1


@pytest.mark.parametrize(
    ("claims", "label"),
    [
        ({"name": "Alice A.", "email": "a@example.com"}, "Alice A."),
        ({"email": "a@example.com"}, "a@example.com"),
        ({"email": "a@example.com", "email_verified": False}, "a@example.com (unverified)"),
        ({}, "your account"),
        ({"name": "x" * 200}, "x" * 79 + "…"),
    ],
)
def test_label_shows_name_or_email_never_the_key(claims: dict[str, object], label: str) -> None:
    ident = auth.resolve_identity(user(**claims), auth_on=True)
    assert ident.label == label
    assert ident.owner is not None and ident.owner not in ident.label


def test_modes() -> None:
    # No [auth]: one shared owner, nobody signed in.
    assert auth.resolve_identity(None, auth_on=False) == auth.Identity("local", False)
    assert auth.resolve_identity({"is_logged_in": False}, auth_on=False).owner == "local"
    # [auth] and signed out: no owner at all, so nothing can be read or written.
    assert auth.resolve_identity({"is_logged_in": False}, auth_on=True).owner is None
    assert auth.resolve_identity({}, auth_on=True).owner is None
    # A truthy but non-boolean flag is not a sign-in.
    assert auth.resolve_identity({**user(), "is_logged_in": "yes"}, auth_on=True).owner is None
    # Signed in without a subject: told why, and no owner (never the email, never local).
    broken = auth.resolve_identity({"is_logged_in": True, "email": "a@example.com"}, True)
    assert broken.owner is None and broken.signed_in and broken.problem
    assert auth.resolve_identity({"is_logged_in": True}, auth_on=False).owner is None


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("app.internal", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback(address: object, loopback: bool) -> None:
    assert auth.is_loopback_address(address) is loopback


def test_exposure_warning() -> None:
    assert auth.exposure_warning("127.0.0.1", auth_on=False) is None
    assert auth.exposure_warning("0.0.0.0", auth_on=True) is None
    msg = auth.exposure_warning("0.0.0.0", auth_on=False)
    assert msg and "0.0.0.0" in msg and "[auth]" in msg and "docs/auth.md" in msg
    unset = auth.exposure_warning(None, auth_on=False)
    assert unset and "every network interface" in unset


_claim = st.text(min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(_claim, _claim), b=st.tuples(_claim, _claim), email=st.emails())
def test_owner_keys_are_injective_and_storable(
    a: tuple[str, str], b: tuple[str, str], email: str
) -> None:
    """Two different (issuer, subject) pairs never share an owner; keys fit and survive storage."""
    ka = auth.owner_key({"iss": a[0], "sub": a[1], "email": email})
    kb = auth.owner_key({"iss": b[0], "sub": b[1], "email": email})
    if ka is not None and kb is not None:
        assert (ka == kb) == (a == b)
    for k in (ka, kb):
        if k is not None:
            assert wl.clean_owner(k) == k and len(k) <= auth.MAX_OWNER_LEN
            assert k != auth.LOCAL_OWNER


@given(
    user=st.dictionaries(
        st.sampled_from(["is_logged_in", "iss", "sub", "email", "name", "email_verified"]),
        st.one_of(st.none(), st.booleans(), st.text(max_size=50), st.integers()),
    )
)
def test_resolve_identity_is_total(user: dict[str, object]) -> None:
    """Any claims mapping gives an identity; signed out with [auth] never gets an owner."""
    for on in (True, False):
        ident = auth.resolve_identity(user, auth_on=on)
        if user.get("is_logged_in") is not True:
            assert ident.owner == (None if on else auth.LOCAL_OWNER)
        elif ident.owner is not None:
            assert ident.owner.startswith(("oidc:", "oidc-sha256:"))
