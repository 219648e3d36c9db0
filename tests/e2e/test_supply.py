"""Supply gap page in the browser: every chart draws, no exception, a CSV export is safe."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import AppServer, choose_option, wait_for_app_run, wait_for_charts

pytestmark = pytest.mark.e2e

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def open_supply(page: Page, server: AppServer) -> None:
    page.goto(f"{server.url}/Supply_gap")
    wait_for_app_run(page)


def test_supply_page_draws_every_chart(page: Page, app_server: AppServer) -> None:
    open_supply(page, app_server)
    errors = page.get_by_test_id("stException")
    assert errors.count() == 0, errors.first.inner_text()
    expect(page.get_by_text("Supply gap", exact=True).first).to_be_visible()
    # headline, one edition, vintage, shares, pipeline, timeline, 2x US, MP
    assert wait_for_charts(page) == 9
    assert page.js_errors == []  # type: ignore[attr-defined]
    expect(page.get_by_test_id("stMetric")).to_have_count(3)


def test_supply_edition_switch_redraws(page: Page, app_server: AppServer) -> None:
    open_supply(page, app_server)
    choose_option(page, "One USGS edition", "MYB2022 T8")
    wait_for_app_run(page)
    assert page.get_by_test_id("stException").count() == 0
    assert wait_for_charts(page) == 9
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_supply_projects_csv_is_formula_safe(
    page: Page, app_server: AppServer, tmp_path: Path
) -> None:
    open_supply(page, app_server)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download projects").click()
    path = tmp_path / "projects.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == 28
    mp = next(r for r in rows if r["id"] == "P05")
    assert mp["capacity_value"] == "10000.0" and mp["unit"] == "t/yr NdFeB magnets"
    usar = {r["id"]: r["capacity_basis"] for r in rows if r["id"].startswith("P13")}
    assert usar == {"P13": "phase", "P13B": "nameplate", "P13C": "target"}
    text_cells = [v for r in rows for v in r.values() if v and not v.replace(".", "").isdigit()]
    assert not any(v.startswith(FORMULA_START) for v in text_cells)
