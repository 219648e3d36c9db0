"""lib.auth_config: secrets.toml read and checked so every mistake fails closed (plain pytest)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import auth_config as cfg

GOOD_SECRET = "Zq3k8rT1vXw0pLm4NcB7yH2dF6gJ9sA5eK1uR8tQ"  # 40 bytes, not published
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": GOOD_SECRET,
    "client_id": "app",
    "client_secret": "x",
    "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
}
CLIENT = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
SHARED = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}


def without(key: str) -> dict[str, object]:
    return {k: v for k, v in AUTH.items() if k != key}


# --------------------------------------------------------------------------- reading the files


def test_read_secrets_files_merges_like_streamlit_and_skips_missing(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('x = 1\n[auth]\nclient_id = "first"\n')
    b.write_text('[auth]\nclient_id = "second"\n')
    read = cfg.read_secrets_files([a, tmp_path / "missing.toml", b, tmp_path])
    assert read.problems == ()
    assert read.data == {"x": 1, "auth": {"client_id": "second"}}  # later file wins per table


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[auth]\nclient_id = "a"\n[auth]\nclient_secret = "top-secret-value"\n', "twice"),
        ('[auth]\ncookie_secret = "top-secret-value\n', "line 2"),
        ("[auth\n", "line 1"),
        ('[auth]\ncookie_secret = "top-secret-value"\ncookie_secret = "x"\n', "line 3"),
    ],
)
def test_a_file_that_does_not_parse_is_a_problem_that_never_shows_values(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    read = cfg.read_secrets_files([path])
    assert len(read.problems) == 1
    assert where in read.problems[0]
    assert read.problems[0].startswith(cfg.shown_path(path) + " is not valid TOML")
    assert "top-secret-value" not in read.problems[0]
    config = cfg.check_auth_config(read.data, read.problems)
    assert config.mode == "misconfigured" and config.sign_in


def test_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_bytes(b'[auth]\nclient_id = "\xff\xfe"\n')
    read = cfg.read_secrets_files([path])
    assert read.problems and "UTF-8" in read.problems[0]


# --------------------------------------------------------------------------- checking [auth]


def test_no_auth_is_single_user_and_a_complete_auth_is_sign_in() -> None:
    assert cfg.check_auth_config({}).mode == "single-user"
    assert cfg.check_auth_config(None).mode == "single-user"
    assert not cfg.check_auth_config({}).sign_in
    ok = cfg.check_auth_config({"auth": AUTH})
    assert (ok.mode, ok.problems) == ("sign-in", ())
    assert [p.name for p in ok.providers] == [None]


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        ({}, "empty"),
        ("yes", "empty or not a table"),
        (without("redirect_uri"), "redirect_uri"),
        ({**AUTH, "redirect_uri": "http://127.0.0.1:8501/"}, "/oauth2callback"),
        (without("cookie_secret"), "no cookie_secret"),
        ({**AUTH, "cookie_secret": "short-but-random"}, "shorter than 32 bytes"),
        ({**AUTH, "cookie_secret": "local-testing-only"}, "published example"),
        (
            {**AUTH, "cookie_secret": "REPLACE-WITH-THE-OUTPUT-OF-secrets.token_urlsafe(32)"},
            "published example",
        ),
        (without("client_secret"), "no client_secret"),
        (without("client_id"), "no client_id"),
        ({**AUTH, "server_metadata_url": "accounts.example.com"}, "not an http(s) address"),
        (SHARED, "has no client"),
        ({**SHARED, "google": {**CLIENT, "client_secret": ""}}, "[auth.google] has no client_"),
        ({**SHARED, "my_idp": CLIENT}, "underscore"),
        ({**AUTH, "allowed_domains": "example.com"}, None),
        ({**AUTH, "allowed_domains": []}, "nobody could sign in"),
        ({**AUTH, "allowed_domains": ["@example.com", 3]}, "list of non-empty strings"),
        ({**AUTH, "allowed_domains": ["alice@example.com"]}, "not a domain"),
        ({**AUTH, "allowed_emails": ["example.com"]}, "not an email"),
    ],
)
def test_every_incomplete_auth_fails_closed_and_says_what(
    auth: object, problem: str | None
) -> None:
    config = cfg.check_auth_config({"auth": auth})
    if problem is None:
        assert config.mode == "sign-in"
        return
    assert config.mode == "misconfigured" and config.sign_in
    assert config.providers == ()
    text = " ".join(config.problems)
    assert problem in text
    assert GOOD_SECRET not in text and "short-but-random" not in text


def test_named_providers_and_allow_lists_are_read() -> None:
    secrets = {
        "auth": {
            **SHARED,
            "google": CLIENT,
            "keycloak": {**CLIENT, "client_id": "kc"},
            "allowed_domains": ["Example.COM", "@corp.example"],
            "allowed_emails": ["Ann@Partner.example"],
        }
    }
    config = cfg.check_auth_config(secrets)
    assert config.mode == "sign-in", config.problems
    assert [(p.name, p.label) for p in config.providers] == [
        ("google", "Sign in with Google"),
        ("keycloak", "Sign in with Keycloak"),
    ]
    assert config.allowed_domains == {"example.com", "corp.example"}
    assert config.allowed_emails == {"ann@partner.example"}


@pytest.mark.parametrize(
    ("connections", "mode"),
    [
        ({"watchlists": {"url": "postgresql+psycopg://u:pw@db/rer"}}, "single-user"),
        ({"other": {"url": "x"}}, "single-user"),
        ({"watchlists": {"url": ""}}, "misconfigured"),
        ({"watchlists": {"type": "sql"}}, "misconfigured"),
        ({"watchlists": "postgresql://db"}, "misconfigured"),
        ({"watchlists": {"url": "not a url"}}, "misconfigured"),
    ],
)
def test_an_unusable_watchlist_connection_closes_lists(connections: object, mode: str) -> None:
    config = cfg.check_auth_config({"connections": connections})
    assert config.mode == mode
    assert "pw" not in " ".join(config.problems)


# --------------------------------------------------------------------------- discovery document


class _Discovery(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def discovery() -> Iterator[str]:
    """A loopback server: /ok is a discovery document, /partial lacks fields, /html is not JSON."""
    doc = {k: f"http://127.0.0.1/{k}" for k in cfg.DISCOVERY_FIELDS}
    _Discovery.routes = {
        "/ok": (200, json.dumps(doc).encode()),
        "/partial": (200, json.dumps({"issuer": "x"}).encode()),
        "/html": (200, b"<html>login</html>"),
        "/list": (200, b"[1, 2]"),
    }
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_discovery_document_is_fetched_and_checked(discovery: str) -> None:
    assert cfg.check_discovery_document(f"{discovery}/ok", cfg.fetch_discovery) is None
    for path, words in [
        ("/partial", "no authorization_endpoint, token_endpoint, jwks_uri"),
        ("/html", "did not return JSON"),
        ("/list", "not return a JSON object"),
        ("/missing", "did not answer with a document"),
    ]:
        problem = cfg.check_discovery_document(f"{discovery}{path}", cfg.fetch_discovery)
        assert problem and words in problem, (path, problem)
    closed = discovery.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
    with pytest.raises(cfg.ProviderUnreachable):
        cfg.check_discovery_document(f"{closed}/ok", cfg.fetch_discovery)


# --------------------------------------------------------------------------- allow-list


def _config(**lists: list[str]) -> cfg.AuthConfig:
    config = cfg.check_auth_config({"auth": {**AUTH, **lists}})
    assert config.mode == "sign-in", config.problems
    return config


@pytest.mark.parametrize(
    ("claims", "allowed"),
    [
        ({"email": "ann@example.com", "email_verified": True}, True),
        ({"email": "Ann@EXAMPLE.com", "email_verified": True}, True),
        ({"email": "ann@example.com", "email_verified": False}, False),
        ({"email": "ann@example.com", "email_verified": "true"}, False),
        ({"email": "ann@example.com"}, False),
        ({"email_verified": True}, False),
        ({"email": "ann@sub.example.com", "email_verified": True}, False),
        ({"email": "ann@example.com.evil", "email_verified": True}, False),
        ({"email": "bob@partner.example", "email_verified": True}, True),
        ({"email": "eve@partner.example", "email_verified": True}, False),
    ],
)
def test_allow_list_needs_a_verified_listed_address(
    claims: dict[str, object], allowed: bool
) -> None:
    config = _config(allowed_domains=["example.com"], allowed_emails=["bob@partner.example"])
    problem = cfg.allow_list_problem(claims, config)
    assert (problem is None) is allowed
    if problem:
        assert "only lets verified addresses at example.com" in problem
        assert "bob@partner.example" not in problem  # the named list is not disclosed


def test_no_allow_list_lets_every_account_in() -> None:
    assert cfg.allow_list_problem({"email_verified": False}, _config()) is None
    only = _config(allowed_emails=["bob@partner.example"])
    problem = cfg.allow_list_problem({"email": "x@y.example", "email_verified": True}, only)
    assert problem and "x@y.example is not one of them" in problem


def test_file_names_are_shown_without_server_folders(tmp_path: Path) -> None:
    assert cfg.shown_path(Path.home() / ".streamlit" / "secrets.toml") == (
        "~/.streamlit/secrets.toml"
    )
    assert cfg.shown_path(Path("/srv/rer/.streamlit/secrets.toml")) == ".streamlit/secrets.toml"
    assert cfg.shown_path(Path("/etc/rer/team-secrets.toml")) == "team-secrets.toml"


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=8,
)


@given(
    auth=st.one_of(
        _values,
        st.fixed_dictionaries(
            {},
            optional={k: _values for k in (*AUTH, "allowed_domains", "allowed_emails", "google")},
        ),
    ),
    connections=st.one_of(st.none(), _values),
)
def test_check_auth_config_is_total_and_never_falls_back_to_single_user(
    auth: object, connections: object
) -> None:
    """Whatever [auth] holds, the check answers, and a present [auth] is never single-user."""
    secrets: dict[str, object] = {"auth": auth}
    if connections is not None:
        secrets["connections"] = connections
    config = cfg.check_auth_config(secrets)
    assert config.mode in ("sign-in", "misconfigured") and config.sign_in
    assert (config.mode == "sign-in") == (not config.problems)
    if config.mode == "misconfigured":
        assert config.providers == ()
