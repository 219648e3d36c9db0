"""`make serve-team`: the generated nginx config is valid, and SIGTERM leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scripts.serve_team import find_nginx, free_port, render_config

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 180.0


@pytest.fixture
def nginx() -> str:
    path = find_nginx()
    if path is None:
        message = "nginx is missing: install Debian's nginx package (see .ci/run)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.mark.parametrize("ports", [[8601], [8601, 8602, 8603]])
def test_config_is_valid_and_every_backend_has_the_others_as_backup(
    nginx: str, tmp_path: Path, ports: list[int]
) -> None:
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / sub).mkdir()
    conf = render_config(f"127.0.0.1:{free_port()}", ports, tmp_path)
    assert "@@" not in conf
    (tmp_path / "nginx.conf").write_text(conf)
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    for i, port in enumerate(ports):
        block = re.search(rf"upstream rer_b{i} \{{(.*?)\}}", conf, re.S)
        assert block is not None
        assert f"server 127.0.0.1:{port} max_fails" in block.group(1)
        assert sorted(re.findall(r"127\.0\.0\.1:(\d+) backup", block.group(1))) == sorted(
            str(p) for p in ports if p != port
        )
        assert f"b{i} rer_b{i};" in conf  # cookie -> upstream
    assert "ip_hash" not in conf


def test_sigterm_stops_nginx_and_every_backend_and_removes_the_folder(nginx: str) -> None:
    port = free_port()
    env = {**os.environ, "RER_OFFLINE": "1"}
    env.pop("RER_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "scripts/serve_team.py", "--servers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:  # the script prints its pids and folder once everything is up
        lines.append(line)
        if "Ctrl-C stops everything" in line:
            break
    text = "".join(lines)
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", text)]
    workdir = Path(re.search(r"config and logs: (\S+)", text).group(1))  # type: ignore[union-attr]
    assert len(pids) == 2 and workdir.is_dir(), text
    nginx_pid = int((workdir / "nginx.pid").read_text())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
        assert r.read() == b"ok"
        assert r.headers["X-RER-Backend"] in ("b0", "b1")

    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0, text + rest
    deadline = time.monotonic() + DEADLINE_S
    while any(Path(f"/proc/{p}").exists() for p in [*pids, nginx_pid]):
        assert time.monotonic() < deadline, "processes left running"
        time.sleep(0.1)
    assert not workdir.exists()


# --------------------------------------------------------------------------- issue 25: [auth]

GOOD_AUTH = (
    "[auth]\n"
    'redirect_uri = "https://rer.example.com/oauth2callback"\n'
    'cookie_secret = "Zq3k8rT1vXw0pLm4NcB7yH2dF6gJ9sA5eK1uR8tQ"\n'
    'client_id = "rer"\n'
    'client_secret = "client-secret-value"\n'
    'server_metadata_url = "https://id.example.com/.well-known/openid-configuration"\n'
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no [auth] section"),
        ('[connections.watchlists]\nurl = "postgresql+psycopg://db/rer"\n', "no [auth] section"),
        (GOOD_AUTH, None),
        (GOOD_AUTH.replace("Zq3k8rT1vXw0pLm4NcB7yH2dF6gJ9sA5eK1uR8tQ", "short"), "shorter than"),
        (GOOD_AUTH + "[auth]\n", "misconfigured"),
    ],
)
def test_the_team_says_when_sign_in_is_missing_or_broken(
    tmp_path: Path, text: str | None, expected: str | None
) -> None:
    """make serve-team is for several people: without [auth] they all share one set of lists."""
    from scripts.serve_team import auth_warning

    path = tmp_path / ".streamlit" / "secrets.toml"
    if text is not None:
        path.parent.mkdir()
        path.write_text(text)
    warning = auth_warning([tmp_path / "absent.toml", path], "http://0.0.0.0:8501")
    if expected is None:
        assert warning is None
    else:
        assert warning and expected in warning and "docs/auth.md" in warning
        assert "client-secret-value" not in warning


def test_backends_know_the_address_people_use() -> None:
    """Backends listen on loopback behind nginx; the app's exposure warning needs nginx's host."""
    from scripts.serve_team import Team

    env = Team(host="0.0.0.0").backend_env()
    assert env["RER_PUBLIC_ADDRESS"] == "0.0.0.0"
    assert (
        Team(host="0.0.0.0", env={"RER_PUBLIC_ADDRESS": "rer.example.com"}).backend_env()[
            "RER_PUBLIC_ADDRESS"
        ]
        == "rer.example.com"
    )


def test_exposure_warning_fires_for_a_team_on_a_network_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app reads RER_PUBLIC_ADDRESS before server.address (loopback behind nginx)."""
    from lib.auth_config import AuthConfig
    from lib.ui import auth as ui_auth

    seen: list[str] = []
    monkeypatch.setattr(ui_auth._LOG, "warning", lambda msg, *a, **k: seen.append(str(msg)))
    for address, warns in (("0.0.0.0", True), ("127.0.0.1", False)):
        monkeypatch.setattr(ui_auth, "_exposure_checked", False)
        monkeypatch.setenv(ui_auth.ENV_PUBLIC_ADDRESS, address)
        message = ui_auth.check_exposure(AuthConfig("single-user"))
        assert (message is not None) is warns
    assert len(seen) == 1 and "0.0.0.0" in seen[0]
