"""The one way tests build an AppTest: a page inside the app.py frame, as a browser sees it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from lib.paths import ROOT


def page_app(
    page: str | Path | None = None,
    state: dict[str, Any] | None = None,
    query: dict[str, str | list[str]] | None = None,
    **kwargs: Any,
) -> AppTest:
    """AppTest for ``page`` (absolute or 'pages/X.py'; None = Home), ready for ``.run()``.

    For a page, the entrypoint runs once first, then switches page, so the shared navigation
    and sidebar resolve exactly as in the real multipage app. Sidebar widget values (e.g. the
    active watchlist) must come in ``state`` and URL parameters in ``query``: both are set
    before that first run, as a user arriving from a link would have them.
    """
    kwargs.setdefault("default_timeout", 60)
    at = AppTest.from_file(str(ROOT / "app.py"), **kwargs)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page is None:
        return at
    rel = Path(page)
    if rel.is_absolute():
        rel = rel.relative_to(ROOT)
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(rel.as_posix())
    return at


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    """The Vega-Lite specs of every chart the run drew, in page order."""
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def ok(at: AppTest) -> AppTest:
    """``at`` after asserting the run raised nothing (an exception box is the worst bug)."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]
