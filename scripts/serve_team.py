"""`make serve-team N=2`: N `streamlit run app.py` processes behind nginx on one port.

Each process listens on its own loopback port; nginx (Debian package ``nginx``) listens on
``--host:--port`` with websocket upgrade and cookie-based sticky sessions (see
scripts/nginx_team.conf.template for why a cookie and not ip_hash). nginx runs as the current
user from a temporary folder holding its config, pid, logs and temp files; nothing under
/etc/nginx or /var is touched. Ctrl-C or SIGTERM stops nginx and every process and removes
the folder.

Shared state must live outside the processes: set RER_DATABASE_URL to PostgreSQL for
watchlists (and prices, once the app selects lib.price_store_pg for it). All processes get
the same ``server.cookieSecret`` so cookies signed by one (XSRF, st.login) are valid on all.

A team means several people: without ``[auth]`` in .streamlit/secrets.toml they all share one
set of watchlists, so the script says so before starting (and says what is wrong with an
``[auth]`` that the app would refuse). The backends listen on loopback, so each also gets
RER_PUBLIC_ADDRESS (nginx's --host) for the app's own start-up warning.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import grp
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

from lib.auth_config import check_auth_config, read_secrets_files  # noqa: E402

TEMPLATE = Path(__file__).with_name("nginx_team.conf.template")
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
HEALTH = "/_stcore/health"
START_TIMEOUT_S = 90.0


def find_nginx() -> str | None:
    for name in NGINX_CANDIDATES:
        path = shutil.which(name) or (name if os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


def secrets_paths(root: Path = ROOT) -> list[Path]:
    """Where ``streamlit run app.py`` (cwd ``root``) looks for secrets.toml by default."""
    return [Path.home() / ".streamlit" / "secrets.toml", root / ".streamlit" / "secrets.toml"]


def auth_warning(paths: list[Path], public_url: str) -> str | None:
    """The warning to print before a team starts, or None when sign-in is set up.

    Only the checks that need no network (the app also fetches each provider's discovery
    document on its first page load).
    """
    read = read_secrets_files(paths)
    config = check_auth_config(read.data, read.problems)
    if config.mode == "sign-in":
        return None
    if config.mode == "misconfigured":
        return (
            "WARNING: sign-in is misconfigured, so every process will keep watchlists closed "
            "until it is fixed (docs/auth.md):\n" + "\n".join(f"  - {p}" for p in config.problems)
        )
    return (
        f"WARNING: no [auth] section in {paths[-1]}: everyone who opens {public_url} shares "
        "one set of watchlists and can rename or delete any list (single-user mode). For a "
        "team, configure sign-in: docs/auth.md, section 'Part of the team deployment'."
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def render_config(listen: str, ports: list[int], tmp: Path) -> str:
    """The nginx config for backends on ``ports`` (names b0, b1, ... in the sticky cookie)."""
    names = [f"b{i}" for i in range(len(ports))]
    cookie_map = "\n".join(f"        {n} rer_{n};" for n in names)
    served_map = "\n".join(
        f'        "~(^|\\s)127\\.0\\.0\\.1:{p}$" {n};' for n, p in zip(names, ports, strict=True)
    )
    pool = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
    groups = [f"    upstream rer_pool {{\n{pool}\n    }}"]
    for n, p in zip(names, ports, strict=True):
        lines = [f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"]
        lines += [f"        server 127.0.0.1:{q} backup;" for q in ports if q != p]
        groups.append(f"    upstream rer_{n} {{\n" + "\n".join(lines) + "\n    }")
    user = ""
    if os.geteuid() == 0:
        # As root, nginx would drop its workers to `nobody`, who cannot use our temp folder.
        user = f"user {getpass.getuser()} {grp.getgrgid(os.getegid()).gr_name};"
    text = TEMPLATE.read_text()
    for key, value in {
        "USER": user,
        "TMP": str(tmp),
        "LISTEN": listen,
        "COOKIE_MAP": cookie_map,
        "SERVED_MAP": served_map,
        "UPSTREAMS": "\n\n".join(groups),
    }.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
            if resp.read().strip() == b"ok":
                return
        time.sleep(0.1)  # polling a health endpoint
    raise TimeoutError(f"{what} not healthy at {url} after {timeout:.0f} s")


@dataclass
class Backend:
    name: str
    port: int
    log_path: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, cookie_secret: str) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (lives as long as the process)
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        # The cookie secret may not be given on the command line (it would show in `ps`).
        env = {**self.env, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.log is not None:
            self.log.close()
            self.log = None

    def kill(self) -> None:
        """Hard stop (SIGKILL), as a crashed server: its sessions are lost."""
        self.stop(signal.SIGKILL)


@dataclass
class Team:
    """N backends plus nginx; a context manager for tests and benchmarks."""

    servers: int = 2
    port: int = 0
    host: str = "127.0.0.1"
    env: dict[str, str] = field(default_factory=dict)
    per_backend_data_home: bool = False
    workdir: Path | None = None
    backends: list[Backend] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    cookie_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    _own_workdir: bool = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "nginx.conf"

    def backend_env(self) -> dict[str, str]:
        """A backend's environment: ours, the team's extras, and the address people use."""
        env = {**os.environ, **self.env}
        env.setdefault("RER_PUBLIC_ADDRESS", self.host)  # unless a proxy in front says better
        return env

    def start(self) -> Team:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx not found: install Debian's package (apt-get install nginx)")
        if self.servers < 1:
            raise ValueError("need at least one server")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="rer-team-"))
            self._own_workdir = True
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        try:
            for i in range(self.servers):
                env = self.backend_env()
                if self.per_backend_data_home:
                    home = self.workdir / f"data-b{i}"
                    home.mkdir(exist_ok=True)
                    env["RER_DATA_HOME"] = str(home)
                b = Backend(f"b{i}", free_port(), self.workdir / f"streamlit-b{i}.log", env)
                b.start(self.cookie_secret)
                self.backends.append(b)
            for b in self.backends:
                assert b.proc is not None
                wait_healthy(b.url + HEALTH, b.proc, f"backend {b.name}", START_TIMEOUT_S)
            listen = f"{self.host}:{self.port}"
            conf = render_config(listen, [b.port for b in self.backends], self.workdir)
            self.config_path.write_text(conf)
            cmd = [nginx, "-p", str(self.workdir), "-c", str(self.config_path)]
            test = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
            if test.returncode != 0:
                raise RuntimeError(f"nginx rejected {self.config_path}:\n{test.stderr}")
            self.nginx = subprocess.Popen(
                [*cmd, "-e", str(self.workdir / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_healthy(self.url + HEALTH, self.nginx, "nginx", 30.0)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finish open requests, then exit
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.terminate()
                self.nginx.wait(10)
        self.nginx = None
        for b in self.backends:
            if b.proc is not None and b.proc.poll() is None:
                b.proc.terminate()
        for b in self.backends:
            b.stop()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def backend_named(self, name: str) -> Backend:
        return next(b for b in self.backends if b.name == name)

    def logs(self, tail: int = 3000) -> str:
        if self.workdir is None:
            return ""
        parts = []
        for path in sorted(self.workdir.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def __enter__(self) -> Team:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", "-n", type=int, default=2, help="Streamlit processes (N)")
    ap.add_argument("--port", type=int, default=8501, help="the one port nginx listens on")
    ap.add_argument("--host", default="127.0.0.1", help="address nginx listens on")
    ap.add_argument(
        "--print-config", action="store_true", help="print the nginx config for N ports and exit"
    )
    args = ap.parse_args(argv)
    if args.print_config:
        ports = [8601 + i for i in range(args.servers)]
        print(render_config(f"{args.host}:{args.port}", ports, Path("/tmp/rer-team")))
        return 0

    stopping = {"sig": 0}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["sig"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    team = Team(servers=args.servers, port=args.port, host=args.host)
    if warning := auth_warning(secrets_paths(), f"http://{args.host}:{args.port}"):
        print(warning, file=sys.stderr)
    try:
        team.start()
        print(f"{args.servers} Streamlit process(es) behind nginx: {team.url}")
        for b in team.backends:
            print(f"  {b.name}: {b.url} (pid {b.proc.pid if b.proc else '?'})")
        print(f"  config and logs: {team.workdir}  ·  Ctrl-C stops everything")
        reported: set[str] = set()
        while not stopping["sig"]:
            if team.nginx is None or team.nginx.poll() is not None:
                print("nginx exited; stopping", file=sys.stderr)
                return 1
            for b in team.backends:
                if not b.alive() and b.name not in reported:
                    reported.add(b.name)
                    print(f"backend {b.name} exited; nginx sends its users to the others")
            time.sleep(0.5)
    finally:
        print("stopping nginx and the Streamlit processes…")
        team.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
