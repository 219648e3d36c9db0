"""Browser harness shared by the e2e suite, `make screenshots` and the browser bench.

Kept free of pytest so scripts/screenshots.py and bench/browser_bench.py can reuse the exact
server start-up and waiting logic the tests rely on.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from lib.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VIEWPORT = {"width": 1440, "height": 900}

# url path -> (page file, whether the page draws at least one chart on first load)
PAGES: dict[str, tuple[str, bool]] = {
    "": ("app.py", True),
    "Prices": ("pages/1_Prices.py", True),
    "Policy_timeline": ("pages/2_Policy_timeline.py", True),
    "Event_study": ("pages/3_Event_study.py", True),
    "Market_outlook": ("pages/4_Market_outlook.py", True),
    "Watchlists": ("pages/5_Watchlists.py", False),
    "Supply_gap": ("pages/6_Supply_gap.py", True),
    "Catalysts": ("pages/7_Catalysts.py", True),
}
TEN_SYMBOLS = [
    "MP",
    "LYC.AX",
    "USAR",
    "UUUU",
    "600111.SS",
    "300748.SZ",
    "AREC",
    "REMX",
    "LIT",
    "URA",
]
TEN_AT_MAX = "?" + "&".join(f"symbols={s}" for s in TEN_SYMBOLS) + "&range=Max"

#: A first script run on a cold server; `make test` runs two test workers (each with a browser
#: and app servers) on 2 cores, so this bound is generous (a hang still fails).
APP_RUN_TIMEOUT_MS = 60_000
CHART_TIMEOUT_MS = 15_000


def existing_pages() -> dict[str, tuple[str, bool]]:
    """The pages of this checkout (some may not have landed yet)."""
    return {path: spec for path, spec in PAGES.items() if (ROOT / spec[0]).exists()}


def launch_options() -> dict[str, Any]:
    """Debian's Chromium, headless, with every background call home switched off."""
    return {"executable_path": str(CHROMIUM), "args": list(CHROMIUM_ARGS), "headless": True}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """`streamlit run app.py` on loopback, offline, with its own data folder.

    Output goes to a temporary file, never a PIPE (a full pipe blocks the server).
    """

    data_home: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> AppServer:
        env = {**os.environ, "RER_OFFLINE": "1", "RER_DATA_HOME": str(self.data_home)}
        env.pop("RER_DATABASE_URL", None)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health = f"{self.url}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.read().decode() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.1)  # polling the health endpoint, not waiting on the app
        raise TimeoutError(f"streamlit not healthy after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def restart(self) -> AppServer:
        """Same port and data folder: a browser tab can reload the same URL."""
        self.stop()
        return self.start()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


T = TypeVar("T")


def eventually(
    read: Callable[[], T], done: Callable[[T], object], seconds: float = 30, pause: float = 0.2
) -> T:
    """``read()`` again until ``done(value)`` holds or ``seconds`` pass; returns the last value.

    Right after a click the app may still read "not running", before the click's rerun has
    even started; so a test waits for what the click must change, not for the page's state.
    """
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(pause)
        value = read()
    return value


def enter_text(page: Any, key: str, value: str, timeout: int = APP_RUN_TIMEOUT_MS) -> None:
    """Type ``value`` into the text input with widget key ``key`` and press Enter, then wait
    until the field is committed and that rerun has ended.

    A click on a button while a typed field is still uncommitted sends two reruns at once (the
    field's blur, then the click). Once, on a loaded CI machine, that click was lost (see
    streamlit/streamlit#8725). Committing first, as a reader who presses Enter does, leaves the
    click its own rerun.
    """
    from playwright.sync_api import expect

    box = page.locator(f".st-key-{key}")
    field = box.locator("input")
    field.fill(value)
    expect(field).to_have_value(value)
    field.press("Enter")
    # "Press Enter to apply" is shown while the field holds text the app has not received.
    expect(box).not_to_contain_text("Press Enter", timeout=timeout)
    wait_for_app_run(page, timeout)


def open_new_watchlist(page: Any) -> None:
    """Open the Watchlists page's "New watchlist" expander (closed once any list exists)."""
    if not page.locator(".st-key-wl_new_name input").is_visible():
        new = page.get_by_test_id("stExpander").filter(has_text="New watchlist")
        new.locator("summary").click()


def create_watchlist(page: Any, name: str, timeout: int = APP_RUN_TIMEOUT_MS) -> None:
    """Create the list ``name`` on the open Watchlists page, as a reader does, and wait until
    the app has confirmed it and finished that run."""
    from playwright.sync_api import expect

    open_new_watchlist(page)
    enter_text(page, "wl_new_name", name, timeout)
    page.locator(".st-key-wl_create button").click()
    expect(page.get_by_text("Watchlist created.")).to_be_visible(timeout=timeout)
    wait_for_app_run(page, timeout)


def open_tab(page: Any, name: str, timeout: int = APP_RUN_TIMEOUT_MS) -> None:
    """Open the tab ``name`` and wait for the rerun it starts: the app's tabs track their state
    (``on_change="rerun"``), so a tab switch is a script run, and a click during it could land
    on the run's old page."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true", timeout=timeout)
    wait_for_app_run(page, timeout)


def wait_for_app_run(page: Any, timeout: int = APP_RUN_TIMEOUT_MS) -> None:
    """Streamlit's own recipe: connected, script not running, no skeleton left."""
    from playwright.sync_api import expect

    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']",
        state="attached",
        timeout=timeout,
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        state="attached",
        timeout=timeout,
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def wait_for_charts(page: Any, timeout: int = CHART_TIMEOUT_MS) -> int:
    """Wait until every laid-out Vega chart has drawn a visible svg/canvas; returns their count.

    A spec Vega rejects leaves an empty, zero-height element, so this is where it shows up.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    charts = page.get_by_test_id("stVegaLiteChart")
    n = charts.count()
    shown = 0
    for i in range(n):
        # A chart in an inactive tab or collapsed expander is not laid out at all (no client
        # rects); a chart Vega failed to draw is laid out with zero height, and must fail.
        if not charts.nth(i).evaluate("e => e.getClientRects().length > 0"):
            continue
        shown += 1
        try:
            charts.nth(i).locator("canvas, svg").first.wait_for(state="visible", timeout=timeout)
        except PlaywrightTimeout as exc:
            errors = getattr(page, "js_errors", [])
            raise AssertionError(f"chart {i} of {n} never drew; page errors: {errors}") from exc
    return shown


def goto(page: Any, base_url: str, path: str = "", query: str = "") -> None:
    page.goto(f"{base_url}/{path}{query}")
    wait_for_app_run(page)


def choose_option(page: Any, select_label: str, option: Any, attempts: int = 4) -> None:
    """Open the selectbox labelled ``select_label`` and pick ``option``: an exact name, or a
    compiled pattern (the first option it matches).

    On a loaded machine a rerun can redraw the selectbox between the click and the option
    appearing, which closes the dropdown; so this reopens it (up to ``attempts`` times) rather
    than waiting once on a list that is gone.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_test_id("stSelectbox").filter(has_text=select_label)
    exact = isinstance(option, str)
    wanted = page.get_by_role("option", name=option, exact=exact or None).first
    for attempt in range(attempts):
        wait_for_app_run(page)
        box.get_by_role("combobox").click()
        try:
            wanted.click(timeout=15_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
