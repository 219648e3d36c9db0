"""The one way tests build an AppTest: a page opened as a browser opens it.

``page_app(page)`` is a deep link: the first run executes only that page's script, exactly as
a browser opening ``/Prices`` does (this app has no ``st.navigation`` wrapper; ``app.py`` is
Home, and every page draws the shared sidebar itself through ``frame.page_setup``).
``page_app(page, framed=True)`` first runs Home (``app.py``) and then switches page, as a user
clicking through the sidebar does; tests/test_page_home.py opens every page that way, so the
frame stays covered without every page test paying for a Home run.
"""

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
    *,
    framed: bool = False,
    **kwargs: Any,
) -> AppTest:
    """AppTest for ``page`` (absolute or 'pages/X.py'; None = Home), ready for ``.run()``.

    Sidebar widget values (e.g. the active watchlist) come in ``state`` and URL parameters in
    ``query``: both are set before the first run, as a user arriving from a link would have
    them. With ``framed=True`` Home runs first, then the page is switched to (the query is
    set again for it, since Home may rewrite the URL).
    """
    # A script run is bounded, but generously: `make test` shares 2 cores between 2 workers.
    kwargs.setdefault("default_timeout", 120)
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
    if framed:
        at.run()
        for key, value in (query or {}).items():
            at.query_params[key] = value
    # Before a first run AppTest resolves the page from its file name, the same page hash the
    # pages/ directory registers, so the first run below opens the page itself.
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
