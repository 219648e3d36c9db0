"""AppTest: every page runs clean inside the app frame; Home shows baskets, KPIs, events."""

from __future__ import annotations

import io

import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from openpyxl import load_workbook

from lib.chart_image import png_size
from lib.paths import ROOT
from tests.apptest_frame import chart_specs, page_app
from tests.downloads import Deferred

VL_SCHEMA = load_schema()
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", [None, *PAGES], ids=["app.py", *PAGES])
def test_every_page_runs_without_exception(page: str | None) -> None:
    """Inside the frame: Home runs first, then the page (the other page tests deep-link)."""
    at = page_app(page, framed=True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.markdown, "shared sidebar (data freshness) missing"
    assert any("Prices as of" in m.value for m in at.sidebar.markdown)
    # lib.ui.vega builds specs without Altair's validation (a tenth of a cold run): every
    # chart each page draws is checked against the Vega-Lite schema here instead.
    specs = chart_specs(at)
    assert specs or page == "pages/5_Watchlists.py", "a chart page drew no chart"
    for spec in specs:
        validate_jsonschema(spec, VL_SCHEMA, rootschema=VL_SCHEMA, raise_error=True)


def test_landing_page_shows_baskets_kpis_and_links() -> None:
    at = page_app().run()
    labels = [m.label for m in at.metric]
    assert "MP YTD" in labels and "China 1 year" in labels
    # Return KPIs are signed, never "125%" (the supply-gap cards below them are shares).
    returns = [m for m in at.metric if "YTD" in m.label or "1 year" in m.label]
    assert len(returns) == 6 and all(m.value.startswith(("+", "-")) for m in returns)
    # Issue 21: each card carries its own date beside the figure: MP's latest close, and the
    # baskets' common date, said as such (not only in a note under the chart).
    captions = [c.value for c in at.caption]
    assert captions.count("to 8 Oct 2026, its latest close") == 2  # MP YTD, MP 1 year
    assert captions.count("to 6 Oct 2026, its latest close") == 2  # REMX
    assert captions.count("to 17 Jul 2026, the last date both baskets have data") == 2
    assert len(at.get("vega_lite_chart")) >= 1


def test_landing_chart_exports_image_csv_and_excel(deferred: dict[str, Deferred]) -> None:
    at = page_app().run()
    assert not at.exception
    assert all(b.proto.deferred_file_id for b in at.get("download_button")), "built on click"
    names = sorted(deferred, key=lambda n: n.rsplit(".", 1)[1])
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "png", "svg", "xlsx"], names
    png = deferred[next(n for n in names if n.endswith(".png"))].bytes()
    assert png_size(png) == (1600, 800)  # 800 × 400 CSS px at scale 2
    svg = deferred[next(n for n in names if n.endswith(".svg"))].bytes().decode()
    assert svg.startswith("<svg") and "West basket vs China basket" in svg and "as of" in svg
    book = load_workbook(io.BytesIO(deferred[names[-1]].bytes()))
    assert book.sheetnames == ["Basket levels", "Key figures", "Sources"]
    assert isinstance(book["Basket levels"]["C2"].value, int | float)  # a number, not text


def test_landing_lists_latest_events_and_marks_them() -> None:
    at = page_app().run()
    text = " ".join(m.value for m in at.markdown)
    assert "Latest policy events" in " ".join(h.value for h in at.subheader)
    assert "2026" in text
    spec = chart_specs(at)[0]
    assert len(spec["layer"]) >= 3  # lines, hover points, event rules
