"""Run a page under AppTest the way a browser sees it: inside the app.py frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def page_app(page: str | Path, state: dict[str, Any] | None = None, **kwargs: Any) -> AppTest:
    """AppTest for ``page`` (absolute or 'pages/X.py'), ready for more set-up and ``.run()``.

    The entrypoint runs once first, then switches page, so the shared navigation and sidebar
    resolve exactly as in the real multipage app. Sidebar widget values (e.g. the active
    watchlist) must come in ``state``: they are set before that first run, as a user would.
    """
    kwargs.setdefault("default_timeout", 60)
    rel = Path(page)
    if rel.is_absolute():
        rel = rel.relative_to(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), **kwargs)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(rel.as_posix())
    return at
