"""`make try-auth`: try sign-in on this machine without an account anywhere.

Starts a local OpenID Connect provider (oidc-provider-mock, installed by `make try-auth`) on
127.0.0.1:9400 with two people, Alice (verified email) and Bob, writes a secrets.toml for it
into a temporary folder (a fresh random cookie_secret each time, so signing in again is
needed after a restart), and runs the app on http://127.0.0.1:PORT reading only that file.
Your own .streamlit/secrets.toml is neither read nor changed. Ctrl-C stops both.

Lists are stored where `make run` stores them (RER_DATA_HOME or the user data folder), keyed
on the provider's issuer (http://127.0.0.1:9400) and the subject, so they are still there the
next time you sign in as the same person.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = (
    {"sub": "alice", "name": "Alice", "email": "alice@example.com", "email_verified": True},
    {"sub": "bob", "name": "Bob", "email": "bob@example.com", "email_verified": False},
)


def secrets_toml(app_port: int, provider_port: int, extra: str = "") -> str:
    """The [auth] section for the local provider: every value the app's checks require."""
    return (
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "rare-earths-revival"\n'
        'client_secret = "local-provider-accepts-any-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n'
        + extra
    )


def provider_command(port: int) -> list[str]:
    cmd = [sys.executable, "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)]
    for person in PEOPLE:
        cmd += ["--user-claims", json.dumps(person)]
    return cmd


def wait_for(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling until it answers
    raise SystemExit(f"{what} did not answer at {url} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8501, help="the app's port")
    ap.add_argument("--provider-port", type=int, default=9400, help="the provider's port")
    ap.add_argument(
        "--allowed-domains",
        nargs="*",
        default=None,
        help="try the allow-list, e.g. --allowed-domains example.com (Bob's email is unverified)",
    )
    args = ap.parse_args(argv)
    try:
        import oidc_provider_mock  # noqa: F401
    except ImportError:
        print("oidc-provider-mock is missing: run `make try-auth`, which installs it.")
        return 2
    extra = ""
    if args.allowed_domains:
        extra = f"allowed_domains = {json.dumps(args.allowed_domains)}\n"
    folder = Path(tempfile.mkdtemp(prefix="rer-try-auth-"))
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(secrets_toml(args.port, args.provider_port, extra))
    secrets_file.chmod(0o600)
    procs: list[subprocess.Popen[bytes]] = []
    stopping = {"sig": 0}
    signal.signal(signal.SIGTERM, lambda s, _f: stopping.update(sig=s))
    try:
        provider = subprocess.Popen(provider_command(args.provider_port), cwd=ROOT)
        procs.append(provider)
        metadata = f"http://127.0.0.1:{args.provider_port}/.well-known/openid-configuration"
        wait_for(metadata, provider, "oidc-provider-mock")
        app = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.address", "127.0.0.1",
                "--server.port", str(args.port),
                "--secrets.files", str(secrets_file),
            ],
            cwd=ROOT,
        )  # fmt: skip
        procs.append(app)
        wait_for(f"http://127.0.0.1:{args.port}/_stcore/health", app, "the app")
        print(
            f"\nOpen http://127.0.0.1:{args.port} (not localhost: it must match redirect_uri),"
            " click Sign in, then pick alice or bob on the provider's page.\n"
            f"Secrets used: {secrets_file}  ·  Ctrl-C stops the app and the provider.\n",
            flush=True,
        )
        while not stopping["sig"] and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        secrets_file.unlink(missing_ok=True)
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
