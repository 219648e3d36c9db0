"""Browser-side numbers for `make bench`: first chart visible (cold and warm) and websocket bytes.

Per page, in headless Debian Chromium against an offline server on loopback:
- cold: a new browser context (empty HTTP cache, new Streamlit session), navigation to the
  first ``stVegaLiteChart`` that has drawn a non-empty svg/canvas, read from the page's own
  clock (``performance.now()`` is measured from the navigation start);
- warm: a rerun of the loaded page ("r", as a user or a widget change triggers one): the time
  until the script run has finished and the browser has painted, with the chart visible;
  the re-navigation in the same context (cached bundle, hot server caches, new session) is
  reported beside it;
- websocket bytes received on the cold load, counted with ``page.on("websocket")`` and
  ``ws.on("framereceived")`` as in Streamlit's e2e performance helper;
- page switches (run first, on the fresh server): from Home, a click on a page's sidebar link
  until that page's first chart has drawn (a chart element that was not on screen before the
  click), timed from the pointer press on the link (see SWITCH_PROBE; the time from before
  Playwright's click call, which adds its actionability wait, is reported beside it). "First
  time" is the first switch to the page in this server process (after a reader spends
  SETTLE_S on Home); "warm" is the median (and p90) of switching to it again from Home.
The Prices page is measured with 10 symbols at Max range. Medians of REPEATS runs; the very
first cold run (cold server caches too) is reported separately. Measures, never asserts.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import (  # noqa: E402
    TEN_AT_MAX,
    VIEWPORT,
    AppServer,
    existing_pages,
    launch_options,
    wait_for_app_run,
)

RESULTS = ROOT / "bench" / "results"
REPEATS = 3
#: Warm switches per page (the median is reported): more than REPEATS, as they are cheap and
#: a single slow frame on a 2-core machine moves a median of three (7 was still ±30 ms).
SWITCH_REPEATS = 11
BUDGET_COLD_MS = 2500
BUDGET_WARM_MS = 1000
BUDGET_WS_KIB = 400
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")
QUERIES = {"Prices": TEN_AT_MAX}
BUDGET_SWITCH_WARM_MS = 300
#: Seconds a reader spends on Home before the first click (the app warms other pages then).
SETTLE_S = 3.0

# Resolves with [ms from the probe, ms from the pointer press] until a chart that was not on
# screen before has drawn. The press is the user's click: Playwright's click() first waits for
# the link to be visible and stable for two animation frames (~35 ms on this machine), which no
# user waits for, so the press is the start of the measured switch; the time from the probe
# (the bench's figure before session 3) is reported beside it.
SWITCH_PROBE = """
() => {
  const sel = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas';
  document.querySelectorAll(sel).forEach(el => { el.dataset.rerOld = '1'; });
  const t0 = performance.now();
  window.__pressAt = null;
  document.addEventListener('pointerdown', e => { window.__pressAt = e.timeStamp; },
                            {capture: true, once: true});
  window.__switchMs = new Promise(resolve => {
    const check = () => {
      for (const el of document.querySelectorAll(sel)) {
        if (el.dataset.rerOld) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) {
          const now = performance.now();
          resolve([now - t0, window.__pressAt === null ? null : now - window.__pressAt]);
          return;
        }
      }
      if (performance.now() - t0 > 30000) { resolve(null); return; }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}
"""

# Records when the first Vega chart has actually drawn (non-zero size), on the page's clock.
FIRST_CHART_PROBE = """
(() => {
  const sel = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas';
  const check = () => {
    if (window.__firstChartMs !== undefined) return;
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { window.__firstChartMs = performance.now(); return; }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""


# Resolves when the next script run (running -> notRunning) has finished and a frame painted.
RERUN_PROBE = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const t0 = performance.now();
  let sawRunning = false;
  window.__rerunMs = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      const state = app.getAttribute('data-test-script-state');
      if (state === 'running') sawRunning = true;
      if (sawRunning && state === 'notRunning') {
        obs.disconnect();
        requestAnimationFrame(() => resolve(performance.now() - t0));
      }
    });
    obs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    setTimeout(() => { obs.disconnect(); resolve(null); }, 20000);
  });
}
"""


def _rerun(page: Any, has_chart: bool) -> float | None:
    """Press "r" on the loaded page; ms until that rerun finished and painted (None: no rerun)."""
    page.get_by_test_id("stApp").click(position={"x": 0, "y": 0})
    page.evaluate(RERUN_PROBE)
    page.keyboard.press("r")
    ms = page.evaluate("window.__rerunMs")
    if has_chart:
        page.get_by_test_id("stVegaLiteChart").first.locator("svg, canvas").first.wait_for()
    return None if ms is None else float(ms)


def _load(page: Any, url: str, has_chart: bool) -> dict[str, float | None]:
    """One navigation: ms to first chart (page clock) and ms until the script run finished."""
    t0 = time.perf_counter()
    page.goto(url)
    wait_for_app_run(page)
    ready_ms = (time.perf_counter() - t0) * 1000
    chart_ms = None
    if has_chart:
        page.wait_for_function("window.__firstChartMs !== undefined", timeout=30_000)
        chart_ms = float(page.evaluate("window.__firstChartMs"))
    return {"first_chart_ms": chart_ms, "ready_ms": ready_ms}


class Switch(NamedTuple):
    """One page switch: ms from the pointer press on the link, and from the bench's probe."""

    press_ms: float | None
    driver_ms: float | None


def _switch(page: Any, label: str) -> Switch:
    """Click the sidebar link ``label``; ms until the new page's first chart drew."""
    page.evaluate(SWITCH_PROBE)
    page.get_by_test_id("stSidebar").locator("a", has_text=label).first.click()
    ms = page.evaluate("window.__switchMs")
    wait_for_app_run(page)
    if ms is None:
        return Switch(None, None)
    driver, press = ms
    return Switch(None if press is None else round(float(press), 1), round(float(driver), 1))


def measure_switches(browser: Any, base: str) -> list[dict[str, Any]]:
    """First-time and warm page switches from Home via the sidebar (see the module doc)."""
    from lib.ui.frame import NAVIGATION

    label_of = {row[0]: row[1] for row in NAVIGATION}
    targets = [
        (path, label_of[spec[0]])
        for path, spec in existing_pages().items()
        if path and spec[1] and spec[0] in label_of
    ]
    context = browser.new_context(viewport=VIEWPORT)
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{base}/")
    wait_for_app_run(page)
    page.get_by_test_id("stVegaLiteChart").first.locator("svg, canvas").first.wait_for()
    time.sleep(SETTLE_S)
    rows = []
    for path, label in targets:
        print(f"browser bench: switch to {label}", file=sys.stderr)
        first = _switch(page, label)
        warm: list[Switch] = []
        for _ in range(SWITCH_REPEATS):
            _switch(page, "Home")
            warm.append(_switch(page, label))
        _switch(page, "Home")
        median = _median([w.press_ms for w in warm])
        rows.append(
            {
                "page": path,
                "switch_first_time_ms": first.press_ms,
                "switch_warm_ms": median,
                "switch_warm_p90_ms": _quantile([w.press_ms for w in warm], 0.9),
                "switch_first_time_from_driver_ms": first.driver_ms,
                "switch_warm_from_driver_ms": _median([w.driver_ms for w in warm]),
                "within_budget": median is not None and median <= BUDGET_SWITCH_WARM_MS,
            }
        )
    context.close()
    return rows


def _median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals), 1) if vals else None


def _quantile(values: list[float | None], q: float) -> float | None:
    """Nearest-rank quantile: with few runs, a real observed switch, never an interpolation."""
    vals = sorted(v for v in values if v is not None)
    return vals[min(len(vals) - 1, math.ceil(q * len(vals)) - 1)] if vals else None


def measure_page(browser: Any, base: str, path: str, has_chart: bool) -> dict[str, Any]:
    url = f"{base}/{path}{QUERIES.get(path, '')}"
    cold: list[dict[str, float | None]] = []
    renav: list[dict[str, float | None]] = []
    rerun: list[float | None] = []
    ws_bytes: list[int] = []
    ws_frames: list[int] = []
    for i in range(REPEATS):
        print(f"browser bench: {path or '(home)'} run {i + 1}/{REPEATS}", file=sys.stderr)
        context = browser.new_context(viewport=VIEWPORT)
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        context.add_init_script(FIRST_CHART_PROBE)
        page = context.new_page()
        received = {"bytes": 0, "frames": 0}

        def on_ws(ws: Any, received: dict[str, int] = received) -> None:
            def on_frame(payload: bytes | str) -> None:
                received["bytes"] += len(payload.encode() if isinstance(payload, str) else payload)
                received["frames"] += 1

            ws.on("framereceived", on_frame)

        page.on("websocket", on_ws)
        cold.append(_load(page, url, has_chart))
        ws_bytes.append(received["bytes"])
        ws_frames.append(received["frames"])
        rerun.append(_rerun(page, has_chart))
        renav.append(_load(page, url, has_chart))
        context.close()

    row: dict[str, Any] = {
        "page": path or "(home)",
        "url": url.removeprefix(base),
        "has_chart": has_chart,
        "cold_first_chart_ms": _median([r["first_chart_ms"] for r in cold]),
        "cold_first_chart_ms_first_run": cold[0]["first_chart_ms"],
        "warm_rerun_ms": _median(list(rerun)),
        "renavigate_first_chart_ms": _median([r["first_chart_ms"] for r in renav]),
        "cold_ready_ms": _median([r["ready_ms"] for r in cold]),
        "ws_kib_on_load": round(statistics.median(ws_bytes) / 1024, 1),
        "ws_frames_on_load": int(statistics.median(ws_frames)),
    }
    row["within_budget"] = _within_budget(row)
    return row


def _within_budget(row: dict[str, Any]) -> bool:
    ok = row["ws_kib_on_load"] <= BUDGET_WS_KIB
    if row["has_chart"]:
        cold, warm = row["cold_first_chart_ms"], row["warm_rerun_ms"]
        ok = ok and cold is not None and cold <= BUDGET_COLD_MS
        ok = ok and warm is not None and warm <= BUDGET_WARM_MS
    return ok


def _misses(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        if "error" in r:
            out.append(f"{r['page']}: not measured ({r['error'][:120]})")
            continue
        if r["ws_kib_on_load"] > BUDGET_WS_KIB:
            out.append(f"{r['page']}: {r['ws_kib_on_load']} KiB websocket > {BUDGET_WS_KIB}")
        if not r["has_chart"]:
            continue
        if r["cold_first_chart_ms"] is None or r["cold_first_chart_ms"] > BUDGET_COLD_MS:
            out.append(f"{r['page']}: cold first chart {r['cold_first_chart_ms']} ms")
        if r["warm_rerun_ms"] is None or r["warm_rerun_ms"] > BUDGET_WARM_MS:
            out.append(f"{r['page']}: warm rerun {r['warm_rerun_ms']} ms")
    return out


def run(switch_only: bool = False) -> dict[str, Any]:
    """Measure every page; write bench/results/browser.json and return the same dict.

    ``switch_only`` (``--switch-only``) measures the page switches alone."""
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="rer-browser-bench-") as data_home,
        AppServer(Path(data_home)) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(**launch_options())
        try:
            switches = measure_switches(browser, server.url)
        except Exception as exc:  # the per-page numbers below still count
            switches = [{"page": "(switches)", "error": repr(exc)[:500]}]
        for path, (_, has_chart) in existing_pages().items():
            if switch_only:
                break
            try:
                rows.append(measure_page(browser, server.url, path, has_chart))
            except Exception as exc:  # one broken page must not hide the others' numbers
                rows.append({"page": path or "(home)", "error": repr(exc)[:500]})
        browser.close()

    report = {
        "method": (
            "headless Debian Chromium, 1440x900, loopback; first chart = first Vega svg/canvas "
            "with non-zero size on the page clock from navigation start; cold = new context; "
            "warm = rerun ('r') until the run finished and painted; renavigate = same context "
            "loads the page again (new session, cached bundle); websocket bytes received on "
            "the cold load; "
            f"median of {REPEATS}"
        ),
        "budgets": {
            "cold_first_chart_ms": BUDGET_COLD_MS,
            "warm_rerun_ms": BUDGET_WARM_MS,
            "ws_kib_on_load": BUDGET_WS_KIB,
            "switch_warm_ms": BUDGET_SWITCH_WARM_MS,
        },
        "pages": rows,
        "switches": switches,
        "misses": _misses(rows)
        + [
            f"{r['page']}: warm switch {r.get('switch_warm_ms')} ms"
            for r in switches
            if not r.get("within_budget")
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "browser.json").write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    result = run(switch_only="--switch-only" in sys.argv)
    for r in result["switches"]:
        print(json.dumps(r))
    for r in result["pages"]:
        print(json.dumps(r))
    print("misses:", result["misses"] or "none")
