"""A throwaway PostgreSQL cluster for tests: temp dir, free loopback port, removed afterwards.

One cluster per test process (each xdist worker has its own); every test makes its own
database on it with :func:`fresh_database`.

Locally the tests skip with a message when the server binaries are missing; in CI (``CI=true``)
a missing server is a failure, so the PostgreSQL suite can never silently not run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 60
START_ATTEMPTS = 3


def find_pg_bin() -> Path | None:
    """The newest Debian-style ``/usr/lib/postgresql/<v>/bin`` with initdb, or one on PATH."""
    roots = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
    )
    for root in reversed(roots):
        if (root / "initdb").exists() and (root / "pg_ctl").exists():
            return root
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"PostgreSQL is required in CI but {reason}.")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (install the 'postgresql' package).")


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; tests and CI run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextmanager
def pg_cluster(*, private: bool = False) -> Iterator[str]:
    """Yield the SQLAlchemy admin URL of a throwaway cluster; tests make their own databases.

    By default every caller in one test process shares one cluster, started on first use and
    stopped when the process's test session ends (:func:`stop_shared_cluster`, called from
    tests/conftest.py): an ``initdb`` and a server start cost seconds, a ``CREATE DATABASE``
    (see :func:`fresh_database`) milliseconds. Each pytest-xdist worker is its own process,
    so workers never share a cluster. ``private=True`` starts and removes a cluster of the
    caller's own (a test that stops or breaks its server).
    """
    bindir = find_pg_bin()
    if bindir is None:
        _unavailable("no PostgreSQL server binaries were found")
        return
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser")
        return
    if private:
        with _cluster(bindir) as url:
            yield url
        return
    global _SHARED
    if _SHARED is None:
        stack = ExitStack()
        url = stack.enter_context(_cluster(bindir))
        _SHARED = (stack, url)
        atexit.register(stop_shared_cluster)  # also when a session ends without the hook
    yield _SHARED[1]


#: The process's shared cluster: what stops it, and its admin URL.
_SHARED: tuple[ExitStack, str] | None = None


def stop_shared_cluster() -> None:
    """Stop the shared cluster (if one was started) and delete its files."""
    global _SHARED
    if _SHARED is not None:
        stack, _SHARED = _SHARED[0], None
        stack.close()


@contextmanager
def _cluster(bindir: Path) -> Iterator[str]:
    """Start a cluster and yield its admin URL; stop it and delete its files afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="rer-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, user="postgres")
    data, log = tmp / "data", tmp / "server.log"
    started = False
    try:
        subprocess.run(
            _as_postgres(
                [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
            ),
            check=True,
            capture_output=True,
        )
        # A port picked free can be taken by another process before the server binds it
        # (parallel test workers, browsers): start again on another port then.
        for attempt in range(START_ATTEMPTS):
            port = _free_port()
            # Shared by many tests whose pooled connections close lazily: room for them.
            opts = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
                "-c max_connections=300"
            )
            pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts]
            seen = log.stat().st_size if log.exists() else 0
            start = subprocess.run(
                _as_postgres([*pg_ctl, "-w", "-t", str(START_TIMEOUT_S), "start"]),
                capture_output=True,
            )
            if start.returncode == 0:
                break
            in_use = log.exists() and "could not bind" in log.read_text(errors="replace")[seen:]
            if not in_use or attempt == START_ATTEMPTS - 1:
                raise subprocess.CalledProcessError(
                    start.returncode, start.args, start.stdout, start.stderr
                )
        started = True
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(url)
        yield url
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace")[-500:]
        if log.exists():
            detail += log.read_text(errors="replace")[-500:]
        pytest.fail(f"Could not start a throwaway PostgreSQL cluster: {detail}")
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_ready(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        for _ in range(START_TIMEOUT_S * 10):
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                return
            except sa.exc.OperationalError:
                time.sleep(0.1)
    finally:
        engine.dispose()
    pytest.fail("The throwaway PostgreSQL cluster did not accept connections.")


def fresh_database(admin_url: str, name: str) -> str:
    """A new empty database on the cluster, so each test starts clean."""
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
