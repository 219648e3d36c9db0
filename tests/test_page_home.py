"""AppTest: every page runs clean inside the app frame; Home shows baskets, KPIs, events."""

from __future__ import annotations

import pytest

from lib.paths import ROOT
from tests.apptest_frame import chart_specs, page_app

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", [None, *PAGES], ids=["app.py", *PAGES])
def test_every_page_runs_without_exception(page: str | None) -> None:
    at = page_app(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.markdown, "shared sidebar (data freshness) missing"
    assert any("Prices as of" in m.value for m in at.sidebar.markdown)


def test_landing_page_shows_baskets_kpis_and_links() -> None:
    at = page_app().run()
    labels = [m.label for m in at.metric]
    assert "MP YTD" in labels and "China 1 year" in labels
    returns = [m for m in at.metric if "YTD" in m.label or "1 year" in m.label]
    assert returns and all(m.value.startswith(("+", "-")) for m in returns)  # never "125%"
    assert len(at.get("vega_lite_chart")) >= 1


def test_landing_lists_latest_events_and_marks_them() -> None:
    at = page_app().run()
    text = " ".join(m.value for m in at.markdown)
    assert "Latest policy events" in " ".join(h.value for h in at.subheader)
    assert "2026" in text
    spec = chart_specs(at)[0]
    assert len(spec["layer"]) >= 3  # lines, hover points, event rules
