"""Prices page in the browser: URL state, brush zoom, hover tooltip, events overlay, CSV export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from lib.chart_image import png_size
from tests.e2e import AppServer, eventually, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e

MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# price_basis says whether "price" is the traded close or the adjusted close (issue 14).
COLUMNS = [
    "date",
    "symbol",
    "currency",
    "price",
    "price_basis",
    "adj_close",
    "volume",
    "chart_value",
]


def open_prices(page: Page, server: AppServer, query: str) -> Locator:
    page.goto(f"{server.url}/Prices{query}")
    wait_for_app_run(page)
    assert wait_for_charts(page) == 1  # the price chart (the Risk section runs when opened)
    return page.get_by_test_id("stVegaLiteChart").first


def url_params(page: Page) -> dict[str, list[str]]:
    """The address bar's query: Prices binds its controls with ``bind="query-params"``."""
    return parse_qs(urlsplit(page.url).query)


def url_symbols(page: Page) -> list[str]:
    """The symbols in the address bar (the bound picker writes each one's label)."""
    return [v.split(" · ")[0] for v in url_params(page).get("px_symbols", [])]


def views(chart: Locator) -> tuple[Locator, Locator]:
    """(detail, overview): the two concatenated views, in spec order."""
    groups = chart.locator('g.role-scope[class$="_group"]')
    expect(groups).to_have_count(2)
    return groups.nth(0), groups.nth(1)


def plot_box(view: Locator) -> dict[str, float]:
    """The view's plot area in viewport pixels, scrolled into view first (mouse needs it)."""
    background = view.locator("path.background").first
    background.scroll_into_view_if_needed()
    box = background.bounding_box()
    assert box is not None and box["width"] > 100
    return box


def axis_labels(view: Locator) -> list[str]:
    return view.locator("g.role-axis-label text").evaluate_all("ts => ts.map(t => t.textContent)")


def years(labels: list[str]) -> list[str]:
    """Distinct years named on a date axis (labels read like 'Apr 2020' on long ranges)."""
    return sorted({m for t in labels for m in re.findall(r"\b(?:19|20)\d\d\b", t)})


def tooltip_at(page: Page, view: Locator, fx: float) -> str:
    """Hover the detail chart at a fraction of its width and return the tooltip text."""
    box = plot_box(view)
    x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] / 2
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)
    tip = page.locator("#vg-tooltip-element")
    expect(tip).to_be_visible()
    return tip.inner_text()


def tooltip_date(text: str) -> Any:
    import pandas as pd

    match = re.search(r"\w{3} (\d{2} \w{3} \d{4})", text)
    assert match, text
    return pd.Timestamp(match.group(1))


def test_symbols_and_range_update_url_and_chart(page: Page, app_server: AppServer) -> None:
    """An older link opens in today's names; typing a symbol and picking a range rewrite the
    URL (Streamlit's binding) and redraw the chart."""
    chart = open_prices(page, app_server, "?symbols=MP&symbols=SPY&range=Max")
    expect(page).to_have_url(re.compile(r"px_range=Max"))
    assert url_symbols(page) == ["MP", "SPY"] and "symbols" not in url_params(page)
    legend = chart.locator("g.role-legend")
    expect(legend).to_contain_text("MP")
    expect(legend).not_to_contain_text("UUUU")

    box = page.get_by_test_id("stMultiSelect").first
    field = box.locator("input")
    field.click()
    field.fill("UUUU")
    # The picker never offers "Select N matches" (select_all=False): the match is the option.
    option = page.get_by_role("option").filter(has_text="UUUU · ")
    expect(option).to_have_count(1)
    expect(page.get_by_role("option").filter(has_text="Select")).to_have_count(0)
    option.click()
    # Close the option list (it stays open for more picks and would cover the range control).
    page.get_by_test_id("stHeading").first.click()
    expect(page.locator('[role="listbox"]')).to_have_count(0)
    expect(page).to_have_url(re.compile(r"px_symbols=UUUU\b"))
    assert url_symbols(page) == ["MP", "SPY", "UUUU"] and url_params(page)["px_range"] == ["Max"]
    wait_for_app_run(page)
    wait_for_charts(page)
    expect(page.get_by_test_id("stVegaLiteChart").first.locator("g.role-legend")).to_contain_text(
        "UUUU"
    )
    detail, _ = views(page.get_by_test_id("stVegaLiteChart").first)
    assert len(years(axis_labels(detail))) >= 5  # Max: MP since its 2020 listing

    page.get_by_role("radio", name="6M", exact=True).click()
    expect(page).to_have_url(re.compile(r"px_range=6M"))

    # The address bar changes before the range's rerun has drawn (seen under load: the Max
    # chart was still up), so read the axis until it shows the new range.
    def drawn_axis() -> tuple[Locator, list[str]]:
        wait_for_app_run(page)
        wait_for_charts(page)
        detail, _ = views(page.get_by_test_id("stVegaLiteChart").first)
        return detail, years(axis_labels(detail))

    detail, shown = eventually(drawn_axis, lambda axis: len(axis[1]) <= 2)
    expect(detail.locator("g.role-axis-label").first).to_contain_text(MONTHS)
    assert len(shown) <= 2, shown
    assert url_symbols(page) == ["MP", "SPY", "UUUU"]
    assert set(url_params(page)) == {"px_symbols", "px_range"}
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_brush_narrows_detail(page: Page, app_server: AppServer) -> None:
    """Dragging across the overview strip zooms the detail chart's x domain to that window."""
    chart = open_prices(page, app_server, "?symbols=MP&symbols=SPY&range=Max")
    detail, overview = views(chart)
    before = axis_labels(detail)
    first_before = tooltip_date(tooltip_at(page, detail, 0.02))

    box = plot_box(overview)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, y, steps=8)
    page.mouse.up()

    # After the drag the axis covers about a year: fewer distinct years than the full history.
    expect(detail.locator("g.role-axis-label").first).not_to_have_text(" ".join(before))
    assert len(years(axis_labels(detail))) < len(years(before))
    first_after = tooltip_date(tooltip_at(page, detail, 0.02))
    last_after = tooltip_date(tooltip_at(page, detail, 0.98))
    assert first_after > first_before
    # 20% of the overview's width is well under half of the full history.
    assert (last_after - first_after).days < 0.5 * (last_after - first_before).days


def test_hover_tooltip_lists_every_series(page: Page, app_server: AppServer) -> None:
    """Hovering the detail chart shows one tooltip with the date and each series' value."""
    chart = open_prices(page, app_server, "?symbols=MP&symbols=UUUU&range=1Y&bench=SPY")
    detail, _ = views(chart)
    texts = [tooltip_at(page, detail, fx) for fx in (0.2, 0.35, 0.5)]
    dates = [tooltip_date(t) for t in texts]
    assert dates == sorted(dates) and len(set(dates)) == 3  # the rule follows the pointer
    for text in texts:
        assert "Date" in text
        for sym in ("MP", "UUUU", "SPY"):
            assert sym in text, text
    # On a day every market traded, each series has a number (missing days show no fake value).
    full = [t for t in texts if "null" not in t]
    assert full, texts
    for sym in ("MP", "UUUU", "SPY"):
        assert re.search(rf"{re.escape(sym)}\s+\d[\d,]*\.\d", full[0]), full[0]


def test_legend_click_highlights_one_series(page: Page, app_server: AppServer) -> None:
    """Clicking a legend entry keeps that line opaque and fades the others."""
    chart = open_prices(page, app_server, "?symbols=MP&symbols=UUUU&range=3Y&bench=SPY")
    detail, _ = views(chart)
    lines = detail.locator("g.mark-line path")
    expect(lines).to_have_count(3)  # MP, UUUU and the dashed SPY benchmark
    assert detail.locator('g.mark-line path[stroke-dasharray="5,3"]').count() == 1

    def opacities() -> list[str]:
        return lines.evaluate_all("ps => ps.map(p => p.getAttribute('opacity') || '1')")

    assert set(opacities()) == {"1"}
    chart.locator("g.role-legend-label text", has_text=re.compile(r"^UUUU$")).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('g.mark-line path')]"
        ".some(p => p.getAttribute('opacity') === '0.15')"
    )
    assert sorted(opacities()) == ["0.15", "0.15", "1"]


def test_events_overlay_adds_rules(page: Page, app_server: AppServer) -> None:
    """Turning on the policy-events overlay draws event rules on the detail chart."""
    chart = open_prices(page, app_server, "?symbols=MP&symbols=SPY&range=3Y")
    detail, _ = views(chart)
    rules_before = detail.locator("g.mark-rule line").count()

    page.get_by_test_id("stExpander").filter(has_text="More options").locator("summary").click()
    toggle = page.get_by_test_id("stCheckbox").filter(has_text="Overlay policy events")
    toggle.locator("label").click()
    expect(page.get_by_text("Event categories")).to_be_visible()
    wait_for_app_run(page)
    wait_for_charts(page)
    detail, _ = views(page.get_by_test_id("stVegaLiteChart").first)
    expect(detail.locator("g.mark-rule line")).not_to_have_count(rules_before)
    assert detail.locator("g.mark-rule line").count() > rules_before + 5
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_csv_download(page: Page, app_server: AppServer) -> None:
    """The CSV export parses, has the documented columns and rows, and no live formula cells."""
    open_prices(page, app_server, "?symbols=MP&symbols=SPY&range=Max&mode=pct")
    button = page.get_by_test_id("stDownloadButton").filter(has_text="Download CSV")
    with page.expect_download() as info:
        button.locator("button").click()
    download = info.value
    assert re.fullmatch(r"prices_Max_asof-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    raw = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert list(rows[0]) == COLUMNS
    assert {r["symbol"] for r in rows} == {"MP", "SPY"}
    mp = [r for r in rows if r["symbol"] == "MP"]
    assert len(mp) > 1000  # Max range at full resolution, not the downsampled chart
    dates = [r["date"] for r in mp]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)

    for r in rows:
        for col, cell in r.items():
            if col in ("price", "adj_close", "volume", "chart_value") and cell:
                float(cell)  # numbers stay plain numbers (negative ones are not escaped)
            else:
                assert not cell.startswith(FORMULA_START), (col, cell)
    negatives = [float(r["chart_value"]) for r in mp if r["chart_value"].startswith("-")]
    assert negatives, "MP fell below its first close in range at some point"


def test_chart_png_download_is_rendered_on_click(page: Page, app_server: AppServer) -> None:
    """The real deferred path: the click makes the server render the PNG with vl-convert."""
    open_prices(page, app_server, "?symbols=MP&symbols=LYC.AX&range=1Y")
    button = page.get_by_test_id("stDownloadButton").filter(has_text="PNG").first
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert re.fullmatch(r"prices_asof-\d{4}-\d{2}-\d{2}\.png", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert png_size(data)[0] == 1600


def test_risk_section_runs_when_opened_and_draws_each_tab(
    page: Page, app_server: AppServer
) -> None:
    """Closed, the Risk section sends nothing; opened, its open tab draws, and a click on
    another tab draws that tab's chart (lazy tabs rerun on click)."""
    open_prices(page, app_server, "?symbols=MP&symbols=LYC.AX&range=3Y")
    page.get_by_text("Risk: drawdown, correlation", exact=False).first.click()
    wait_for_app_run(page)
    expect(page.get_by_role("tab", name="Drawdown", exact=True)).to_be_visible()
    assert wait_for_charts(page) == 2  # price chart + drawdown
    page.get_by_role("tab", name="Correlation", exact=True).click()
    wait_for_app_run(page)
    expect(page.get_by_text("Correlation of daily returns over the chosen range")).to_be_visible()
    assert wait_for_charts(page) == 2  # price chart + heatmap, the drawdown tab no longer runs
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_risk_link_opens_the_section_on_its_tab(page: Page, app_server: AppServer) -> None:
    """A shared link with ``risk=rolling`` opens the section on that tab, with its controls,
    and the URL keeps them after a control changes."""
    query = "?symbols=MP&symbols=LYC.AX&range=3Y&risk=rolling&risk_window=126"
    page.goto(f"{app_server.url}/Prices{query}")
    wait_for_app_run(page)
    tab = page.get_by_role("tab", name="Rolling correlation", exact=True)
    expect(tab).to_have_attribute("aria-selected", "true")
    assert wait_for_charts(page) == 2  # price chart + rolling correlation
    expect(page.get_by_role("group", name="Rolling window (sessions)")).to_contain_text("126")
    expect(page).to_have_url(re.compile(r"px_risk_tabs=Rolling\+correlation"))
    expect(page).to_have_url(re.compile(r"px_risk_window=126"))
    assert url_params(page)["px_risk_open"] == ["true"] and "risk" not in url_params(page)
    page.get_by_role("tab", name="Beta", exact=True).click()
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"px_risk_tabs=Beta"))
    expect(page).to_have_url(re.compile(r"px_risk_window=126"))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_back_from_an_older_link_shows_its_view_then_the_page_before(
    page: Page, app_server: AppServer
) -> None:
    """An older link is rewritten in today's names, which the browser keeps as one more
    history entry (Streamlit pushes it): Back shows the link's view again, not the defaults,
    and the next Back leaves Prices."""
    page.goto(f"{app_server.url}/Policy_timeline")
    wait_for_app_run(page)
    open_prices(page, app_server, "?symbols=MP&symbols=SPY&range=Max")
    expect(page).to_have_url(re.compile(r"px_range=Max"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"px_range=Max"))  # read again, in today's names
    wait_for_app_run(page)
    expect(page.get_by_role("radio", name="Max", exact=True)).to_be_checked()
    expect(page.get_by_test_id("stMultiSelect").first).to_contain_text("SPY")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/Policy_timeline"))
