"""Load test: one `streamlit run app.py` server, >= 20 concurrent sessions.

Two drivers, the same four steps per session (landing page -> Prices page from a shared
link -> change the range -> switch to USD):

* ``--mode ws`` (default): each session is one websocket to ``/_stcore/stream`` speaking
  Streamlit's protocol like the browser's JavaScript (BackMsg ``rerun_script`` with the
  page, query string and widget states; ForwardMsg deltas back). A step is ready when the
  server sends ``script_finished`` (FINISHED_SUCCESSFULLY). An exception element, another
  status, a missing Vega-Lite chart on a Prices step, a widget change that does not reach
  the URL, a disconnect or a timeout is an error. The driver costs little CPU, so the
  figures are the server's.
* ``--mode browser``: each session is a headless-Chromium context; ready is the title shown
  and ``[data-testid=stApp][data-test-script-state=notRunning]``. On this 2-core machine
  20 Chromium pages saturate the CPU themselves, so these latencies measure Chromium.

Measures, never asserts; budget: 0 errors and p95 < 3 s with 20 sessions on this 2-core
machine. Run: ``.venv/bin/python bench/load_test.py [--mode ws|browser] [--sessions 20]
[--rounds 1] [--burst]``; ``make bench`` calls :func:`run`. Writes ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
READY = "[data-testid=stApp][data-test-script-state=notRunning]"
PRICES_LINK = "/Prices?symbols=MP&symbols=LYC.AX&symbols=600111.SS&symbols=REMX&range=3Y"
BUDGET_P95_MS = 3000.0
#: Concurrent users, not simultaneous clicks: each session starts within RAMP_S seconds and
#: pauses THINK_S (+/- 50 %) between steps, as people do. ``--burst`` sets both to 0.
RAMP_S = 5.0
THINK_S = 2.0
STEP_TIMEOUT_MS = 60_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int | None:
    """Resident memory of ``pid`` (psutil is not a dependency; /proc is enough on Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid``: tells server-bound from browser-bound runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_until_idle(pids: list[int], quiet_s: float = 1.0, limit_s: float = 60.0) -> float:
    """Wait until the servers stop using CPU (the landing page's background warm-up of the
    other pages, lib.ui.warm, has finished); returns the seconds waited.

    A warm server is one whose first visit and its precomputation are both done; measuring
    40 sessions on top of that precomputation would time the warm-up, not the steps."""
    t0 = time.perf_counter()
    if not pids:
        return 0.0
    last = sum(cpu_seconds(p) or 0.0 for p in pids)
    still = 0.0
    while still < quiet_s and time.perf_counter() - t0 < limit_s:
        await asyncio.sleep(0.25)
        now = sum(cpu_seconds(p) or 0.0 for p in pids)
        still = still + 0.25 if now - last < 0.02 else 0.0
        last = now
    return round(time.perf_counter() - t0, 2)


def start_server(port: int, data_home: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RER_OFFLINE": "1", "RER_DATA_HOME": data_home}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115  (lives as long as the server)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 90.0) -> float:
    t0 = time.perf_counter()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
            if resp.status == 200 and resp.read().strip() == b"ok":
                return time.perf_counter() - t0
        time.sleep(0.2)
    raise TimeoutError(f"{url} not healthy after {timeout_s:.0f} s")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


async def _ready(page: Any, title: str, url_part: str | None = None) -> None:
    await page.get_by_role("heading", name=title, level=1).first.wait_for(timeout=STEP_TIMEOUT_MS)
    if url_part:
        await page.wait_for_url(f"**{url_part}**", timeout=STEP_TIMEOUT_MS)
    await page.wait_for_selector(READY, timeout=STEP_TIMEOUT_MS)
    # A widget rerun may not have started yet when the URL changes; settle once more.
    await page.wait_for_timeout(50)
    await page.wait_for_selector(READY, timeout=STEP_TIMEOUT_MS)


async def _session(
    browser: Any,
    base: str,
    idx: int,
    rounds: int,
    out: dict[str, Any],
    ramp_s: float = 0.0,
    think_s: float = 0.0,
) -> None:
    rng = random.Random(idx)
    await asyncio.sleep(rng.uniform(0, ramp_s))
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    current = {"step": "start"}
    page.on(
        "pageerror",
        lambda exc: out["page_errors"].append(f"session {idx} {current['step']}: {exc}"[:300]),
    )

    async def step(name: str, action: Any, title: str, url_part: str | None = None) -> None:
        if think_s:
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))
        current["step"] = name
        t0 = time.perf_counter()
        try:
            await action()
            await _ready(page, title, url_part)
            ms = (time.perf_counter() - t0) * 1000
            out["latencies"].setdefault(name, []).append(ms)
            n_exc = await page.locator("[data-testid=stException]").count()
            if n_exc:
                out["errors"].append(f"session {idx} {name}: {n_exc} exception box(es)")
        except Exception as exc:  # a timeout or crash is an error, not a latency
            out["errors"].append(f"session {idx} {name}: {type(exc).__name__}: {exc}"[:300])

    try:
        for _ in range(rounds):
            await step("landing", lambda: page.goto(base + "/"), "Rare Earths Revival")
            await step("prices_link", lambda: page.goto(base + PRICES_LINK), "Prices")
            await step(
                "change_range",
                lambda: page.get_by_role("radio", name="Max", exact=True).first.click(),
                "Prices",
                "range=Max",
            )
            await step(
                "change_currency",
                lambda: page.get_by_role("radio", name="USD", exact=True).first.click(),
                "Prices",
                "ccy=USD",
            )
    finally:
        await ctx.close()


async def _drive(
    base: str, sessions: int, rounds: int, pid: int, ramp_s: float, think_s: float
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    out = _new_out()
    peak = {"rss": 0}
    done = asyncio.Event()

    async def sample_rss() -> None:
        while not done.is_set():
            peak["rss"] = max(peak["rss"], rss_kib(pid) or 0)
            await asyncio.sleep(0.25)

    from tests.e2e import launch_options  # the browser suite's Chromium flags, kept in one place

    async with async_playwright() as p:
        browser = await p.chromium.launch(**launch_options())
        try:
            warm: dict[str, Any] = {"latencies": {}, "errors": [], "page_errors": []}
            t0 = time.perf_counter()
            await _session(browser, base, -1, 1, warm)  # first visit fills server caches
            out["warmup_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            out["warmup_errors"] = warm["errors"] + warm["page_errors"]
            sampler = asyncio.create_task(sample_rss())
            cpu0 = cpu_seconds(pid)
            t0 = time.perf_counter()
            await asyncio.gather(
                *(_session(browser, base, i, rounds, out, ramp_s, think_s) for i in range(sessions))
            )
            out["wall_s"] = round(time.perf_counter() - t0, 2)
            cpu1 = cpu_seconds(pid)
            if cpu0 is not None and cpu1 is not None:
                out["server_cpu_measured_s"] = round(cpu1 - cpu0, 2)
            done.set()
            await sampler
        finally:
            await browser.close()
    out["peak_rss_kib"] = peak["rss"]
    return out


# --------------------------------------------------------------------------------------
# Websocket mode (default): speak Streamlit's own protocol, as the browser's JS does.
# --------------------------------------------------------------------------------------
#: The frontend opens ``new WebSocket(url, ["streamlit", xsrfCookie ?? "PLACEHOLDER_AUTH_TOKEN"])``;
#: the server echoes the first entry and only uses the second to read auth cookies.
WS_SUBPROTOCOLS = ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]
WS_PRICES_QUERY = "symbols=MP&symbols=SPY&range=Max"
#: (step, widget key, new value, query-string part the app must then show) per widget change.
WS_WIDGET_STEPS = [
    ("change_range", "px_range", "3Y", "range=3Y"),
    ("change_currency", "px_ccy", "USD", "ccy=USD"),
]
WS_STEP_TIMEOUT_S = 30.0
#: Hard cap on the measured phase; unfinished sessions are cancelled and count as errors.
WS_DEADLINE_S = 300.0
CHART_TYPES = {"vega_lite_chart", "arrow_vega_lite_chart"}


class StepError(Exception):
    """A step that ran but went wrong (exception element, bad status, missing chart...)."""


class WsSession:
    """One simulated browser tab: one websocket, so one Streamlit session.

    Keeps what the frontend keeps between reruns: the URL's query string (the server
    rewrites it via ``page_info_changed``), the widget values the user has set, and a
    forward-message cache (hashes of ``cacheable`` messages are sent back with each rerun,
    and ``ref_hash`` messages are resolved from it), so the server does the same work it
    does for a real browser.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.query_string = ""
        self.widgets: dict[str, str] = {}  # widget id -> selected option (button groups)
        self.cache: dict[str, Any] = {}
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash
        self.bytes_in = 0
        self.refs = 0  # ref_hash messages resolved from the cache

    def _back_msg(self, page_hash: str, page_name: str) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = page_hash
        cs.page_name = page_name
        for wid, value in self.widgets.items():
            w = cs.widget_states.widgets.add()
            w.id = wid
            w.string_array_value.data.append(value)
        cs.cached_message_hashes.extend(self.cache)
        cs.context_info.timezone = "UTC"
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"http://127.0.0.1/{page_name}"
        cs.context_info.is_embedded = False
        cs.context_info.color_scheme = "light"
        return msg.SerializeToString()

    async def rerun(self, page_hash: str = "", page_name: str = "") -> dict[str, Any]:
        """Send one rerun_script; read ForwardMsgs until script_finished.

        Returns ``{"elements": {type: count}, "widget_ids": {key: id}}``; raises StepError
        on an exception element, a page_not_found, or a status other than success.
        """
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        await self.ws.send(self._back_msg(page_hash, page_name))
        elements: dict[str, int] = {}
        widget_ids: dict[str, str] = {}
        problems: list[str] = []
        while True:
            raw = await self.ws.recv()
            self.bytes_in += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                if msg.ref_hash not in self.cache:
                    problems.append(f"ref_hash {msg.ref_hash} not in the client cache")
                    continue
                msg = self.cache[msg.ref_hash]
                self.refs += 1
                kind = msg.WhichOneof("type")
            elif msg.metadata.cacheable and msg.hash:
                self.cache[msg.hash] = msg
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el_type = msg.delta.new_element.WhichOneof("type") or "?"
                elements[el_type] = elements.get(el_type, 0) + 1
                el = getattr(msg.delta.new_element, el_type, None)
                if el_type == "exception":
                    problems.append(f"exception element: {el.type}: {el.message}"[:200])
                elif el is not None and "id" in el.DESCRIPTOR.fields_by_name and el.id:
                    # Widget ids look like "$$ID-<hash>-<user key>".
                    widget_ids[el.id.rsplit("-", 1)[-1]] = el.id
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                problems.append(f"page_not_found: {msg.page_not_found.page_name!r}")
            elif kind == "script_finished":
                if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    name = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                    problems.append(f"script_finished {name}")
                break
        if problems:
            raise StepError("; ".join(problems))
        return {"elements": elements, "widget_ids": widget_ids}


async def _ws_session(
    url: str,
    idx: int,
    rounds: int,
    out: dict[str, Any],
    ramp_s: float = 0.0,
    think_s: float = 0.0,
) -> None:
    import websockets

    rng = random.Random(idx)
    await asyncio.sleep(rng.uniform(0, ramp_s))
    current = {"step": "connect"}

    async def step(sess: WsSession, name: str, page: str, need_qs: str | None = None) -> dict:
        if think_s:
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))
        current["step"] = name
        page_hash = sess.pages.get(page, "") if page else ""
        t0 = time.perf_counter()
        res = await asyncio.wait_for(sess.rerun(page_hash, page), WS_STEP_TIMEOUT_S)
        ms = (time.perf_counter() - t0) * 1000
        out["latencies"].setdefault(name, []).append(ms)
        out["steps_done"] += 1
        charts = sum(n for t, n in res["elements"].items() if t in CHART_TYPES)
        out["charts_seen"] += charts
        if page == "Prices" and not charts:
            raise StepError(f"no Vega-Lite chart delta (elements: {res['elements']})")
        if need_qs and need_qs not in sess.query_string.split("&"):
            raise StepError(f"widget change not applied: query string {sess.query_string!r}")
        return res

    try:
        async with websockets.connect(
            url,
            subprotocols=WS_SUBPROTOCOLS,  # type: ignore[arg-type]
            max_size=None,  # chart deltas are ~70 KB, other apps' can exceed the 1 MiB default
            open_timeout=WS_STEP_TIMEOUT_S,
            ping_interval=None,  # like the browser: Streamlit's own heartbeat, not WS pings
        ) as ws:
            sess = WsSession(ws)
            try:
                for _ in range(rounds):
                    sess.widgets.clear()
                    sess.query_string = ""
                    await step(sess, "landing", "")
                    sess.query_string = WS_PRICES_QUERY  # a shared link, then in-app navigation
                    res = await step(sess, "prices_link", "Prices")
                    for name, key, value, need in WS_WIDGET_STEPS:
                        if key not in res["widget_ids"]:
                            raise StepError(f"{name}: widget {key!r} not in the page's deltas")
                        sess.widgets[res["widget_ids"][key]] = value
                        res = await step(sess, name, "Prices", need)
            finally:
                out["bytes_in"] += sess.bytes_in
                out["refs"] += sess.refs
    except asyncio.CancelledError:
        out["errors"].append(f"session {idx} {current['step']}: cancelled at the run deadline")
        raise
    except TimeoutError:
        out["errors"].append(
            f"session {idx} {current['step']}: timed out ({WS_STEP_TIMEOUT_S:.0f} s)"
        )
    except Exception as exc:  # disconnects, protocol errors, StepError
        out["errors"].append(f"session {idx} {current['step']}: {type(exc).__name__}: {exc}"[:300])


async def _sample_rss(pids: list[int], peak: dict[int, int], done: asyncio.Event) -> None:
    while not done.is_set():
        for pid in pids:
            peak[pid] = max(peak.get(pid, 0), rss_kib(pid) or 0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.25)


def _new_out() -> dict[str, Any]:
    return {
        "latencies": {},
        "errors": [],
        "page_errors": [],
        "steps_done": 0,
        "charts_seen": 0,
        "bytes_in": 0,
        "refs": 0,
    }


async def _drive_ws(
    base: str, sessions: int, rounds: int, pids: list[int], ramp_s: float, think_s: float
) -> dict[str, Any]:
    url = base.replace("http://", "ws://", 1) + "/_stcore/stream"
    warm = _new_out()
    t0 = time.perf_counter()
    # First visits fill the servers' caches: one per process (the proxy's pool round-robins).
    for i in range(max(1, len(pids))):
        await _ws_session(url, -1 - i, 1, warm)
    idle_wait = await wait_until_idle(pids)
    out = _new_out()
    out["warmup_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out["warmup_idle_wait_s"] = idle_wait
    out["warmup_errors"] = warm["errors"]
    peak: dict[int, int] = {}
    done = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pids, peak, done))
    cpu0, drv0 = {pid: cpu_seconds(pid) for pid in pids}, time.process_time()
    t0 = time.perf_counter()
    tasks = [
        asyncio.create_task(_ws_session(url, i, rounds, out, ramp_s, think_s))
        for i in range(sessions)
    ]
    _, pending = await asyncio.wait(tasks, timeout=WS_DEADLINE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    out["wall_s"] = round(time.perf_counter() - t0, 2)
    per_pid = _cpu_deltas(cpu0, pids)
    out["server_cpu_measured_per_process_s"] = per_pid
    out["server_cpu_measured_s"] = (
        round(sum(per_pid.values()), 2) if per_pid and len(per_pid) == len(pids) else None
    )
    out["driver_cpu_s"] = round(time.process_time() - drv0, 2)
    done.set()
    await sampler
    out["peak_rss_kib_per_process"] = dict(peak)
    out["peak_rss_kib"] = max(peak.values(), default=0)
    return out


def _cpu_deltas(before: dict[int, float | None], pids: list[int]) -> dict[int, float]:
    """CPU-seconds each process used since ``before`` (processes that vanished are left out)."""
    out = {}
    for pid in pids:
        now, then = cpu_seconds(pid), before.get(pid)
        if now is not None and then is not None:
            out[pid] = round(now - then, 2)
    return out


MODES = ("ws", "browser")


def run(
    sessions: int = 20,
    rounds: int = 1,
    ramp_s: float = RAMP_S,
    think_s: float = THINK_S,
    mode: str = "ws",
    proxy: int = 0,
    url: str | None = None,
    pids: Sequence[int] = (),
    out_name: str = "load.json",
) -> dict[str, Any]:
    """Start the target, drive the sessions, write bench/results/<out_name>, return the summary.

    The target is one `streamlit run` (default), ``proxy`` backends behind nginx started as
    `make serve-team` starts them, or an existing deployment at ``url`` (then CPU and RSS are
    measured for ``pids``, if given).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode == "browser" and not Path(CHROMIUM).exists():
        return {"mode": mode, "skipped": f"{CHROMIUM} missing (apt-get install -y chromium)"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with _target(proxy, url, list(pids)) as target:
        server_pids: list[int] = target["pids"]
        rss_idle = {pid: rss_kib(pid) for pid in server_pids}
        nginx_cpu0 = {pid: cpu_seconds(pid) for pid in target["nginx_pids"]}
        if mode == "ws":
            raw = asyncio.run(
                _drive_ws(target["base"], sessions, rounds, server_pids, ramp_s, think_s)
            )
        else:
            raw = asyncio.run(
                _drive(target["base"], sessions, rounds, server_pids[0], ramp_s, think_s)
            )
        nginx_cpu = _cpu_deltas(nginx_cpu0, target["nginx_pids"])
        cpu_after = [cpu_seconds(pid) for pid in server_pids]
        per_process = [
            {
                "pid": pid,
                "cpu_measured_s": raw.get("server_cpu_measured_per_process_s", {}).get(pid),
                "rss_mib_idle": _mib(rss_idle.get(pid)),
                "rss_mib_peak_sampled": _mib(raw.get("peak_rss_kib_per_process", {}).get(pid)),
                "rss_mib_high_water": _mib(rss_kib(pid, "VmHWM")),
            }
            for pid in server_pids
        ]
        rss_after = rss_kib(server_pids[0]) if server_pids else None
        rss_hwm = rss_kib(server_pids[0], "VmHWM") if server_pids else None
        alive = target["alive"]()
        health_s, log_path, target_name = target["health_s"], target["log"], target["name"]
    all_ms = [ms for v in raw["latencies"].values() for ms in v]
    steps = {
        name: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95), "max_ms": round(max(v), 1)}
        for name, v in raw["latencies"].items()
    }
    # Browser-side JavaScript errors (e.g. a Vega spec the browser rejects) count as errors:
    # the user sees a broken chart even though the server answered.
    js_errors = raw["page_errors"]
    errors = raw["errors"] + js_errors + ([] if alive else ["server died during the run"])
    p95 = pct(all_ms, 95)
    planned = sessions * 4 * rounds
    result: dict[str, Any] = {
        "mode": mode,
        "sessions": sessions,
        "rounds": rounds,
        "steps_per_session": 4 * rounds,
        "ramp_s": ramp_s,
        "think_s": think_s,
        "planned_steps": planned,
        "measured_steps": len(all_ms),
        "p50_ms": pct(all_ms, 50),
        "p95_ms": p95,
        "max_ms": round(max(all_ms), 1) if all_ms else None,
        "errors": len(errors),
        "error_kinds": {
            "step_failures": len(raw["errors"]),
            "js_page_errors": len(js_errors),
            "js_page_error_messages": sorted({e.split(": ", 1)[-1] for e in js_errors})[:5],
        },
        "error_samples": errors[:10],
        "per_step": steps,
        "wall_s": raw.get("wall_s"),
        "warmup_ms": raw.get("warmup_ms"),
        "warmup_idle_wait_s": raw.get("warmup_idle_wait_s"),
        "warmup_errors": raw.get("warmup_errors"),
        "target": target_name,
        "server_processes": len(server_pids),
        "steps_per_s": (
            round(len(all_ms) / raw["wall_s"], 2) if raw.get("wall_s") and all_ms else None
        ),
        "server_cpu_s_per_step": (
            round(raw["server_cpu_measured_s"] / len(all_ms), 4)
            if raw.get("server_cpu_measured_s") is not None and all_ms
            else None
        ),
        "per_process": per_process,
        "nginx_cpu_measured_s": round(sum(nginx_cpu.values()), 2) if nginx_cpu else None,
        "server_health_s": round(health_s, 2) if health_s is not None else None,
        "server_log": str(log_path),
        # Server CPU over the whole life of the process, and over the measured phase only;
        # compare the latter with wall_s (2 cores = 2 CPU-seconds per second at most).
        "server_cpu_s": (
            round(sum(c for c in cpu_after if c is not None), 1) if any(cpu_after) else None
        ),
        "server_cpu_measured_s": raw.get("server_cpu_measured_s"),
        "server_rss_mib": {
            "idle": _mib(rss_idle.get(server_pids[0]) if server_pids else None),
            "peak_sampled": _mib(raw.get("peak_rss_kib")),
            "after": _mib(rss_after),
            "high_water": _mib(rss_hwm),
        },
        "budget": {"errors": 0, "p95_ms": BUDGET_P95_MS},
        "within_budget": (
            not errors and len(all_ms) == planned and p95 is not None and p95 < BUDGET_P95_MS
        ),
        "cpu_count": os.cpu_count(),
        # Other processes share this machine; a high load average inflates every figure.
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    if mode == "ws":
        result["ws"] = {
            # CPU of this driver process during the measured phase: small = server-bound.
            "driver_cpu_s": raw.get("driver_cpu_s"),
            "vega_lite_charts_seen": raw.get("charts_seen"),
            "forward_msg_mib": round(raw.get("bytes_in", 0) / 2**20, 2),
            "cached_refs_resolved": raw.get("refs"),
            "step_timeout_s": WS_STEP_TIMEOUT_S,
            "deadline_s": WS_DEADLINE_S,
        }
    (RESULTS / out_name).write_text(json.dumps(result, indent=2))
    return result


@contextlib.contextmanager
def _target(proxy: int, url: str | None, pids: list[int]) -> Iterator[dict[str, Any]]:
    """What the sessions talk to: its base URL, server pids, liveness and where its logs are."""
    if url:
        health_url = url.rstrip("/") + "/_stcore/health"
        t0 = time.perf_counter()
        with urllib.request.urlopen(health_url, timeout=10) as resp:
            resp.read()
        yield {
            "name": url,
            "base": url.rstrip("/"),
            "pids": pids,
            "nginx_pids": [],
            "alive": lambda: all(Path(f"/proc/{p}").exists() for p in pids),
            "health_s": time.perf_counter() - t0,
            "log": None,
        }
        return
    if proxy:
        from scripts.serve_team import Team

        t0 = time.perf_counter()
        team = Team(servers=proxy, env={"RER_OFFLINE": "1"}, per_backend_data_home=True)
        team.start()
        try:
            assert team.nginx is not None
            yield {
                "name": f"nginx + {proxy} backend(s)",
                "base": team.url,
                "pids": [b.proc.pid for b in team.backends if b.proc is not None],
                "nginx_pids": [team.nginx.pid, *_children(team.nginx.pid)],
                "alive": lambda: all(b.alive() for b in team.backends),
                "health_s": time.perf_counter() - t0,
                "log": team.workdir,
            }
        finally:
            team.stop()
        return
    port = free_port()
    data_home = tempfile.mkdtemp(prefix="rer-load-")
    log_path = Path(data_home) / "streamlit.log"
    proc = start_server(port, data_home, log_path)
    try:
        health_s = wait_healthy(port, proc)
        yield {
            "name": "one streamlit process (direct)",
            "base": f"http://127.0.0.1:{port}",
            "pids": [proc.pid],
            "nginx_pids": [],
            "alive": lambda: proc.poll() is None,
            "health_s": health_s,
            "log": log_path,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


def print_table(r: dict[str, Any]) -> None:
    if "skipped" in r:
        print("load test skipped:", r["skipped"])
        return
    print(
        f"Load test ({r['mode']}): {r['sessions']} concurrent sessions x "
        f"{r['steps_per_session']} steps (ramp {r['ramp_s']} s, think {r['think_s']} s)"
    )
    print(f"{'step':<16}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, s in r["per_step"].items():
        print(f"{name:<16}{s['n']:>4}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['max_ms']:>10}")
    print(f"{'all':<16}{r['measured_steps']:>4}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['max_ms']:>10}")
    rss = r["server_rss_mib"]
    print(
        f"errors: {r['errors']} · steps {r['measured_steps']}/{r['planned_steps']} · "
        f"server RSS MiB idle {rss['idle']} / peak {rss['peak_sampled']}"
        f" / high-water {rss['high_water']} · wall {r['wall_s']} s · "
        f"{'within' if r['within_budget'] else 'OVER'} budget (0 errors, p95 < 3 s)"
    )
    extra = ""
    if "ws" in r:
        extra = (
            f" · driver CPU {r['ws']['driver_cpu_s']} s · charts seen "
            f"{r['ws']['vega_lite_charts_seen']} · {r['ws']['forward_msg_mib']} MiB received"
        )
    print(
        f"target: {r['target']} · throughput {r['steps_per_s']} steps/s · "
        f"server CPU {r['server_cpu_s_per_step']} CPU-s/step"
        + (f" · nginx CPU {r['nginx_cpu_measured_s']} s" if r.get("nginx_cpu_measured_s") else "")
    )
    for proc in r["per_process"]:
        print(
            f"  pid {proc['pid']}: CPU {proc['cpu_measured_s']} s · RSS MiB idle "
            f"{proc['rss_mib_idle']} / peak {proc['rss_mib_peak_sampled']} / "
            f"high-water {proc['rss_mib_high_water']}"
        )
    print(
        f"load average before/after: {r['loadavg_before']} / {r['loadavg_after']} · "
        f"server CPU {r['server_cpu_measured_s']} s measured ({r['server_cpu_s']} s total)" + extra
    )
    for e in r["error_samples"]:
        print("  error:", e)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Multi-session load test of the Streamlit app.")
    ap.add_argument("--mode", choices=MODES, default="ws", help="websocket protocol or Chromium")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--ramp", type=float, default=RAMP_S, help="spread session starts (s)")
    ap.add_argument("--think", type=float, default=THINK_S, help="mean pause between steps (s)")
    ap.add_argument("--burst", action="store_true", help="no ramp, no think time")
    target = ap.add_mutually_exclusive_group()
    target.add_argument(
        "--proxy",
        type=int,
        default=0,
        metavar="N",
        help="start N backends behind nginx (as `make serve-team N=...`) and go through it",
    )
    target.add_argument("--url", help="drive an already running deployment (e.g. the proxy)")
    ap.add_argument(
        "--pids", default="", help="with --url: comma-separated server pids to measure CPU/RSS of"
    )
    ap.add_argument("--out", default="load.json", help="file name under bench/results/")
    args = ap.parse_args(argv)
    if args.burst:
        args.ramp = args.think = 0.0
    pids = [int(x) for x in args.pids.split(",") if x.strip()]
    result = run(
        args.sessions,
        args.rounds,
        args.ramp,
        args.think,
        args.mode,
        proxy=args.proxy,
        url=args.url,
        pids=pids,
        out_name=args.out,
    )
    print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
