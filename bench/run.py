"""`make bench`: measure, never assert. Writes bench/results/report.{json,md}.

Server side (AppTest, in process): warm rerun time per page (median of repeats) and the
chart payload each page sends (spec + Arrow datasets), with the Prices page at 10 symbols
and Max range. Cold start: a fresh Python process rendering the landing page once.
Then the optional parts other modules provide: the event-study timing, the browser
numbers (first chart visible, websocket bytes) and the 20-session load test.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

TEN = ["MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ", "AREC", "REMX", "LIT", "URA"]
PAGE_QUERY: dict[str, dict[str, Any]] = {
    "pages/1_Prices.py": {"symbols": TEN, "range": "Max"},
}
BUDGET_WARM_MS = 150
BUDGET_CHART_KIB = 150
REPEATS = 15


def _pages() -> list[str | None]:
    return [None, *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))]


def _apptest(page: str | None):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if page:
        for k, v in PAGE_QUERY.get(page, {}).items():
            at.query_params[k] = v
        at.switch_page(page).run()
    return at


def chart_payloads(at) -> list[int]:  # type: ignore[no-untyped-def]
    """Bytes of each Vega-Lite element as Streamlit ships it (spec JSON + Arrow datasets)."""
    sizes = []
    for node in at.get("vega_lite_chart"):
        proto = node.proto
        n = len(proto.spec.encode())
        n += sum(len(d.data.data) for d in proto.datasets)
        sizes.append(n)
    return sizes


def measure_pages() -> list[dict[str, Any]]:
    rows = []
    for page in _pages():
        name = page or "app.py"
        try:
            at = _apptest(page)
            if at.exception:
                raise RuntimeError(at.exception[0].value)
            at.run()  # make sure every cache is warm
            times = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                at.run()
                times.append((time.perf_counter() - t0) * 1000)
            payloads = chart_payloads(at)
            rows.append(
                {
                    "page": name,
                    "warm_rerun_ms_median": round(statistics.median(times), 1),
                    "warm_rerun_ms_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 1),
                    "charts": len(payloads),
                    "chart_kib_max": round(max(payloads) / 1024, 1) if payloads else 0.0,
                    "chart_kib_total": round(sum(payloads) / 1024, 1),
                }
            )
        except Exception as exc:
            rows.append({"page": name, "error": repr(exc)})
    return rows


def measure_cold_start() -> dict[str, Any]:
    code = (
        "import time; t=time.perf_counter();"
        "from streamlit.testing.v1 import AppTest;"
        f"at=AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run();"
        "assert not at.exception;"
        "print(round((time.perf_counter()-t)*1000,1))"
    )
    runs = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "RER_DATA_HOME": home, "PYTHONPATH": str(ROOT)}
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            wall = (time.perf_counter() - t0) * 1000
        runs.append({"process_wall_ms": round(wall, 1), "render_ms": float(out.stdout.split()[-1])})
    return {
        "process_wall_ms_median": statistics.median(r["process_wall_ms"] for r in runs),
        "first_render_ms_median": statistics.median(r["render_ms"] for r in runs),
    }


def optional(module: str) -> dict[str, Any]:
    """Run bench/<module>.py's run() if it exists; a failure is reported, not raised."""
    if not (ROOT / "bench" / f"{module}.py").exists():
        return {"skipped": f"bench/{module}.py not present"}
    try:
        mod = importlib.import_module(f"bench.{module}")
        return mod.run()
    except Exception as exc:
        return {"error": repr(exc), "traceback": traceback.format_exc(limit=3)}


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Benchmark report",
        "",
        f"Machine: {os.cpu_count()} cores · Python {sys.version.split()[0]} · "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}",
        "",
        f"## Server side (AppTest): warm rerun (budget {BUDGET_WARM_MS} ms) and chart payload "
        f"(budget {BUDGET_CHART_KIB} KiB per chart; Prices at 10 symbols, Max range)",
        "",
        "| page | warm rerun median ms | p90 ms | charts | largest chart KiB | all charts KiB |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["pages"]:
        if "error" in r:
            lines.append(f"| {r['page']} | error: {r['error'][:80]} | | | | |")
            continue
        lines.append(
            f"| {r['page']} | {r['warm_rerun_ms_median']} | {r['warm_rerun_ms_p90']} | "
            f"{r['charts']} | {r['chart_kib_max']} | {r['chart_kib_total']} |"
        )
    cold = report["cold_start"]
    lines += [
        "",
        f"Cold start (new process → landing page rendered): {cold['first_render_ms_median']} ms "
        f"render, {cold['process_wall_ms_median']} ms process wall time.",
    ]
    cb = report.get("chart_bytes", {})
    if "naive_chart_kib" in cb:
        lines += [
            "",
            "## Chart bytes: Prices vs naive every-point chart (10 symbols, Max range)",
            "",
            f"Prices chart {cb['prices_chart_kib']} KiB · naive chart {cb['naive_chart_kib']} KiB "
            f"({cb['naive_rows']} rows) · naive / Prices = **{cb['naive_over_prices']}×** "
            "(goal ≥ 10×).",
        ]
    load = report.get("load", {})
    if load.get("server_cpu_s_per_step") is not None:
        lines += [
            "",
            f"Load test: **{load['server_cpu_s_per_step']} CPU-s per step** "
            f"({load['server_cpu_measured_s']} server CPU-s over {load['measured_steps']} steps), "
            f"{load['steps_per_s']} steps/s, p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms.",
        ]
    switches = (report.get("browser") or {}).get("switches") or []
    if switches:
        lines += [
            "",
            "## Page switches (sidebar click → first chart drawn, ms; goal ≤ 300 warm)",
            "",
            "Timed from the pointer press on the link; the last two columns are timed from",
            "before Playwright's click call (its actionability wait included).",
            "",
            "| page | first time | warm (median) | warm p90 | first, from driver "
            "| warm, from driver |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['page']} | {r.get('switch_first_time_ms', r.get('error', ''))} | "
            f"{r.get('switch_warm_ms', '')} | {r.get('switch_warm_p90_ms', '')} | "
            f"{r.get('switch_first_time_from_driver_ms', '')} | "
            f"{r.get('switch_warm_from_driver_ms', '')} |"
            for r in switches
        ]
    for row in report.get("scaling", []):
        if "steps_per_s" not in row:
            lines += ["", f"Scaling: {json.dumps(row)[:300]}"]
            continue
        rss = ", ".join(str(p["rss_mib_high_water"]) for p in row["per_process"])
        lines += [
            "",
            f"Scaling, {row['target']}, {row['sessions']} simultaneous sessions: "
            f"{row['steps_per_s']} steps/s, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
            f"{row['errors']} errors, {row['server_cpu_s_per_step']} CPU-s/step, "
            f"RSS high-water MiB per process: {rss}.",
        ]
    alerts = report.get("alerts", {})
    if "wall_ms_median" in alerts:
        lines += [
            "",
            f"Alerts: {alerts['rules']:,} rules x {alerts['symbols_per_rule']} symbols evaluated "
            f"in {alerts['wall_ms_median']} ms median (load + index "
            f"{alerts['load_and_index_ms_median']} ms, evaluate {alerts['evaluate_ms_median']} "
            f"ms; goal {alerts['goal_ms']} ms), {alerts['firings']:,} firings.",
        ]
    for key in ("chart_bytes", "event_study", "browser", "load"):
        lines += ["", f"## {key}", "", "```json", json.dumps(report[key], indent=2)[:4000], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    os.environ.setdefault("RER_OFFLINE", "1")
    tmp = tempfile.mkdtemp(prefix="rer-bench-")
    os.environ.setdefault("RER_DATA_HOME", tmp)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "pages": measure_pages(),
        "cold_start": measure_cold_start(),
        "event_study": optional("bench_event_study"),
        "browser": optional("browser_bench"),
        "load": optional("load_test"),
        "chart_bytes": optional("chart_bytes"),
        "alerts": optional("bench_alerts"),
    }
    if "--scaling" in sys.argv[1:]:
        # Through nginx with 1 and then 2 backends, 40 simultaneous sessions (issue 15).
        from bench import load_test

        report["scaling"] = [
            load_test.run(40, 1, 0.0, 0.0, proxy=n, out_name=f"load_proxy_n{n}.json")
            for n in (1, 2)
        ]
    (RESULTS / "report.json").write_text(json.dumps(report, indent=2, default=str))
    md = to_markdown(report)
    (RESULTS / "report.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
