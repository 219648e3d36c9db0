"""`make try-auth`: the documented way to try sign-in works from `make run` alone (plain pytest)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from lib.auth_config import check_auth_config
from scripts import try_auth

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_secrets_pass_every_check_the_app_makes() -> None:
    text = try_auth.secrets_toml(8501, 9400)
    config = check_auth_config(tomllib.loads(text))
    assert config.mode == "sign-in", config.problems
    assert config.providers[0].metadata_url == (
        "http://127.0.0.1:9400/.well-known/openid-configuration"
    )
    # A fresh random cookie_secret every time: never a shared, published one.
    assert try_auth.secrets_toml(8501, 9400) != text
    restricted = try_auth.secrets_toml(8501, 9400, 'allowed_domains = ["example.com"]\n')
    assert check_auth_config(tomllib.loads(restricted)).allowed_domains == {"example.com"}


def test_the_provider_has_a_verified_and_an_unverified_person() -> None:
    cmd = try_auth.provider_command(9400)
    people = [json.loads(cmd[i + 1]) for i, a in enumerate(cmd) if a == "--user-claims"]
    assert {p["sub"]: p["email_verified"] for p in people} == {"alice": True, "bob": False}


def test_make_try_auth_installs_the_provider_on_top_of_the_runtime() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^try-auth: \$\(TRY_AUTH_STAMP\)$", makefile, re.M)
    assert "--group try-auth" in makefile
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    assert any(d.startswith("oidc-provider-mock") for d in groups["try-auth"])
    assert {"include-group": "try-auth"} in groups["dev"]  # the e2e test uses the same one
    assert "make try-auth" in (ROOT / "docs" / "auth.md").read_text()
