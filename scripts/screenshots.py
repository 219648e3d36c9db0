"""`make screenshots`: every page at desktop width (1440x900) into docs/screenshots/<page>.png,
plus the Prices page's first screen on a phone (390x844) as docs/screenshots/phone_prices.png.
`scripts/screenshots.py --page Catalysts` retakes only the pages named (no phone shot).

Runs the app offline on a free loopback port with a throwaway data folder (so the watchlists
shown are the starter lists), in Debian's headless Chromium, and waits for every chart to draw.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import (  # noqa: E402
    CHROMIUM,
    VIEWPORT,
    AppServer,
    existing_pages,
    launch_options,
    wait_for_app_run,
    wait_for_charts,
)

OUT = ROOT / "docs" / "screenshots"
NOT_LOOPBACK = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")
# A representative view per page; pages not listed open with their defaults.
QUERIES = {
    "Prices": "?symbols=MP&symbols=LYC.AX&symbols=600111.SS&range=3Y&bench=REMX",
    "Catalysts": "?cat_h=past90",
}


#: Pages the browser suite does not open (yet): url path -> page file.
MORE_PAGES = {"Catalysts": "pages/7_Catalysts.py"}


def screen_pages() -> list[str]:
    """Every page of this checkout, by url path ('' is Home)."""
    more = [path for path, file in MORE_PAGES.items() if (ROOT / file).exists()]
    return list(dict.fromkeys([*existing_pages(), *more]))


def shot_name(path: str) -> str:
    return (path or "home").lower() + ".png"


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description="Screenshots of every page into docs/.")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        help="retake only this page (its URL path, e.g. Catalysts; '' is Home); repeatable",
    )
    args = parser.parse_args(argv)
    pages = screen_pages()
    if unknown := [p for p in args.page if p not in pages]:
        print(f"Unknown page(s): {unknown}; choose from {list(pages)}.", file=sys.stderr)
        return 2

    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    failures = 0
    with (
        tempfile.TemporaryDirectory(prefix="rer-screens-") as data_home,
        AppServer(Path(data_home)) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(**launch_options())
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        context.route(NOT_LOOPBACK, lambda route: route.abort())
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for path in args.page or pages:
            errors.clear()
            page.goto(f"{server.url}/{path}{QUERIES.get(path, '')}")
            wait_for_app_run(page)
            charts = wait_for_charts(page)
            page.evaluate("document.fonts.ready")
            page.mouse.move(0, 0)  # no hover rule or tooltip in the picture
            # Streamlit scrolls inside stMain, not the document: grow the window to the
            # content's height (same width, so nothing reflows) to capture the whole page.
            height = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
            page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, 900)})
            wait_for_charts(page)
            target = OUT / shot_name(path)
            page.screenshot(path=str(target), animations="disabled")
            page.set_viewport_size(VIEWPORT)
            problems = page.get_by_test_id("stException").count()
            status = "ok" if not problems and not errors else f"{problems} exception(s) {errors}"
            failures += status != "ok"
            print(f"{target.relative_to(ROOT)}: {charts} chart(s), {status}")
        if not args.page:
            failures += phone_shot(browser, server)
        browser.close()
    return 1 if failures else 0


PHONE = {"width": 390, "height": 844}


def phone_shot(browser: object, server: AppServer) -> int:
    """The first screen a phone user sees on Prices (chart first, controls below)."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.route(NOT_LOOPBACK, lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{server.url}/Prices{QUERIES['Prices']}")
    wait_for_app_run(page)
    charts = wait_for_charts(page)
    page.evaluate("document.fonts.ready")
    target = OUT / "phone_prices.png"
    page.screenshot(path=str(target), animations="disabled")
    problems = page.get_by_test_id("stException").count()
    context.close()
    print(f"{target.relative_to(ROOT)}: {charts} chart(s), {'ok' if not problems else 'error'}")
    return int(problems > 0)


if __name__ == "__main__":
    raise SystemExit(main())
