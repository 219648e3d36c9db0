"""Load test: one `streamlit run app.py` server, >= 20 concurrent browser sessions.

Each session is its own headless-Chromium context (so its own Streamlit session) and does:
landing page -> Prices page from a shared link -> change the range -> switch to USD.
A step is "ready" when the page's title is shown and Streamlit reports the script as
not running (``[data-testid=stApp][data-test-script-state=notRunning]``), after the URL
reflects the change for widget steps. Measures, never asserts; budget: 0 errors and
p95 < 3 s with 20 sessions on this 2-core machine.

Run: ``.venv/bin/python bench/load_test.py [--sessions 20] [--rounds 1]``; ``make bench``
calls :func:`run`. Writes ``bench/results/load.json``.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
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

    out: dict[str, Any] = {"latencies": {}, "errors": [], "page_errors": []}
    peak = {"rss": 0}
    done = asyncio.Event()

    async def sample_rss() -> None:
        while not done.is_set():
            peak["rss"] = max(peak["rss"], rss_kib(pid) or 0)
            await asyncio.sleep(0.25)

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            warm: dict[str, Any] = {"latencies": {}, "errors": [], "page_errors": []}
            t0 = time.perf_counter()
            await _session(browser, base, -1, 1, warm)  # first visit fills server caches
            out["warmup_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            out["warmup_errors"] = warm["errors"] + warm["page_errors"]
            sampler = asyncio.create_task(sample_rss())
            t0 = time.perf_counter()
            await asyncio.gather(
                *(_session(browser, base, i, rounds, out, ramp_s, think_s) for i in range(sessions))
            )
            out["wall_s"] = round(time.perf_counter() - t0, 2)
            done.set()
            await sampler
        finally:
            await browser.close()
    out["peak_rss_kib"] = peak["rss"]
    return out


def run(
    sessions: int = 20, rounds: int = 1, ramp_s: float = RAMP_S, think_s: float = THINK_S
) -> dict[str, Any]:
    """Start the server, drive the sessions, write bench/results/load.json, return the summary."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} missing (apt-get install -y chromium)"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    port = free_port()
    data_home = tempfile.mkdtemp(prefix="rer-load-")
    log_path = Path(data_home) / "streamlit.log"
    proc = start_server(port, data_home, log_path)
    try:
        health_s = wait_healthy(port, proc)
        rss_idle = rss_kib(proc.pid)
        base = f"http://127.0.0.1:{port}"
        raw = asyncio.run(_drive(base, sessions, rounds, proc.pid, ramp_s, think_s))
        cpu_after = cpu_seconds(proc.pid)
        rss_after = rss_kib(proc.pid)
        rss_hwm = rss_kib(proc.pid, "VmHWM")
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
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
    result: dict[str, Any] = {
        "sessions": sessions,
        "rounds": rounds,
        "steps_per_session": 4 * rounds,
        "ramp_s": ramp_s,
        "think_s": think_s,
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
        "warmup_errors": raw.get("warmup_errors"),
        "server_health_s": round(health_s, 2),
        # Server CPU over the warm-up and the measured run; compare with wall_s.
        "server_cpu_s": round(cpu_after, 1) if cpu_after is not None else None,
        "server_rss_mib": {
            "idle": _mib(rss_idle),
            "peak_sampled": _mib(raw.get("peak_rss_kib")),
            "after": _mib(rss_after),
            "high_water": _mib(rss_hwm),
        },
        "budget": {"errors": 0, "p95_ms": BUDGET_P95_MS},
        "within_budget": not errors and p95 is not None and p95 < BUDGET_P95_MS,
        "cpu_count": os.cpu_count(),
        # Other processes share this machine; a high load average inflates every figure.
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2))
    return result


def _mib(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


def print_table(r: dict[str, Any]) -> None:
    if "skipped" in r:
        print("load test skipped:", r["skipped"])
        return
    print(
        f"Load test: {r['sessions']} concurrent sessions x {r['steps_per_session']} steps "
        f"(ramp {r['ramp_s']} s, think {r['think_s']} s)"
    )
    print(f"{'step':<16}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, s in r["per_step"].items():
        print(f"{name:<16}{s['n']:>4}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['max_ms']:>10}")
    print(f"{'all':<16}{r['measured_steps']:>4}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['max_ms']:>10}")
    rss = r["server_rss_mib"]
    print(
        f"errors: {r['errors']} · server RSS MiB idle {rss['idle']} / peak {rss['peak_sampled']}"
        f" / high-water {rss['high_water']} · wall {r['wall_s']} s · "
        f"{'within' if r['within_budget'] else 'OVER'} budget (0 errors, p95 < 3 s)"
    )
    print(
        f"load average before/after: {r['loadavg_before']} / {r['loadavg_after']} · "
        f"server CPU {r['server_cpu_s']} s"
    )
    for e in r["error_samples"]:
        print("  error:", e)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Multi-session load test of the Streamlit app.")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--ramp", type=float, default=RAMP_S, help="spread session starts (s)")
    ap.add_argument("--think", type=float, default=THINK_S, help="mean pause between steps (s)")
    ap.add_argument("--burst", action="store_true", help="no ramp, no think time")
    args = ap.parse_args(argv)
    if args.burst:
        args.ramp = args.think = 0.0
    result = run(args.sessions, args.rounds, args.ramp, args.think)
    print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
