"""Shared pieces of the totality tests: inputs a user or a shared link can produce, a page runner
with a fresh data home per example, and the invariants every rendered page must satisfy.

Invariants (``assert_total``):

1. **No exception element** anywhere (main area or sidebar).
2. **No markdown link or image built from injected text.** Every injected link/image/URL uses
   the reserved host ``x.invalid`` (RFC 2606), which our own code never emits. A markdown-rendered
   body (markdown, caption, info/warning/error/success, toast, title/header/subheader) is unsafe
   when it contains, case-insensitively,
   - an unescaped link or image ``[label](target)`` / ``![alt](target)`` whose target contains
     ``x.invalid``, or
   - an autolink ``<scheme:...x.invalid...>``, or
   - a GFM autolink literal ``http(s)://x.invalid`` or ``www.x.invalid`` (case-insensitive,
     as micromark matches it; so a *valid* symbol like ``WWW.X.INVALID`` echoed in bold is a
     finding too).
   Properly escaped text (``\\[x\\]\\(//x\\.invalid\\)``) never matches: the escape breaks the
   literal host.
3. **Nothing to chart is explained**: when a page shows fewer charts than its normal view, its
   main area shows at least one info, warning or error.
4. **Widget state within declared limits**: every multiselect holds at most ``max_selections``
   values; every slider value lies within its bounds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "home": "app.py",
    "prices": "pages/1_Prices.py",
    "policy": "pages/2_Policy_timeline.py",
    "event": "pages/3_Event_study.py",
    "outlook": "pages/4_Market_outlook.py",
    "watchlists": "pages/5_Watchlists.py",
}

# --------------------------------------------------------------------------- the inputs

UNIVERSE = pd.read_csv(ROOT / "data" / "universe.csv", dtype=str, keep_default_na=False)
UNIVERSE_SYMBOLS: list[str] = list(UNIVERSE["symbol"])
_SNAPSHOT_SYMBOLS = set(pd.read_parquet(ROOT / "data" / "prices" / "snapshot.parquet")["symbol"])
WITH_DATA: list[str] = [s for s in UNIVERSE_SYMBOLS if s in _SNAPSHOT_SYMBOLS]
WITHOUT_DATA: list[str] = [s for s in UNIVERSE_SYMBOLS if s not in _SNAPSHOT_SYMBOLS]
NON_UNIVERSE_WITH_DATA: list[str] = sorted(_SNAPSHOT_SYMBOLS - set(UNIVERSE_SYMBOLS))

MARKER_HOST = "x.invalid"
#: Text a shared link or a paste can carry: markdown links/images, autolinks, HTML, control and
#: Unicode format characters, oversize and empty strings, lower case that normalises to a symbol.
NASTY_TEXT: list[str] = [
    "![](http://x.invalid/a)",
    "[x](//x.invalid/p)",
    "![](//x.invalid)",
    "[Login](https://x.invalid/login)",
    "<http://x.invalid/q>",
    "http://x.invalid/q",
    "www.x.invalid",
    "<img src=http://x.invalid/i>",
    "<script>alert(1)</script>",
    "**bold**",
    "MP\u200b",
    "US\u200brevival",
    "\u202eMP",
    "\u2066LYC.AX\u2069",
    "M\x00P",
    "MP\n[x](//x.invalid/n)",
    "\t",
    "",
    " ",
    "A" * 300,
    "[x](//x.invalid/" + "a" * 200 + ")",
    "mp",
    "lyc.ax",
    '=HYPERLINK("http://x.invalid")',
    ":material/warning: $x$",
    "ZZZZ",
    "QQQ.XX",
    "^GSPC",
    "EURUSD=X",
    "WWW.X.INVALID",
]

# --------------------------------------------------------------------------- running pages


@contextlib.contextmanager
def fresh_data_home() -> Iterator[Path]:
    """A private RER_DATA_HOME and new stores: one Hypothesis example = one user.

    The stores (``st.cache_resource``) are per data home; the ``st.cache_data`` loaders are
    shared, as on a server with many users (their keys carry the price cache token), so only
    the first example of a worker pays for loading the data.
    """
    import streamlit as st

    old = os.environ.get("RER_DATA_HOME")
    home = Path(tempfile.mkdtemp(prefix="rer-totality-"))
    os.environ["RER_DATA_HOME"] = str(home)
    st.cache_resource.clear()
    try:
        yield home
    finally:
        st.cache_resource.clear()
        if old is None:
            os.environ.pop("RER_DATA_HOME", None)
        else:
            os.environ["RER_DATA_HOME"] = old
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def full_error_details() -> Iterator[None]:
    """Exception elements carry the real message and stack (the app's config redacts them)."""
    from streamlit import config

    old = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    try:
        yield
    finally:
        config.set_option("client.showErrorDetails", old)


QueryValue = str | list[str]


def render(
    page: str,
    query: Mapping[str, QueryValue] | Sequence[tuple[str, QueryValue]] | None = None,
    state: Mapping[str, Any] | None = None,
    then: Sequence[Callable[[AppTest], object]] = (),
) -> AppTest:
    """Open ``page`` (a key of PAGES or a path) like a browser following a shared link.

    ``query`` is set before the first run (the link), ``state`` holds sidebar widget values set
    before the first run (e.g. ``_wl_active_pick``), and each step in ``then`` manipulates
    widgets and is followed by a rerun, stopping early if a run raised.
    """
    path = PAGES.get(page, page)
    items = list(query.items()) if isinstance(query, Mapping) else list(query or [])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in items:
        at.query_params[key] = value
    with full_error_details():
        # A deep link runs only the page's script (Home does not run first, so Home raising
        # cannot hide the page's state): switching before the first run opens the page itself.
        if path != "app.py":
            at.switch_page(path)
        at.run()
        for step in then:
            if at.exception:
                break
            step(at)
            at.run()
    return at


def make_watchlist(symbols: Sequence[str], name: str = "Props list") -> int:
    """Create a list in the current data home (call inside fresh_data_home) and return its id."""
    from lib import watchlists

    store = watchlists.WatchlistStore.open(watchlists.resolve_database_url())
    try:
        return store.create(watchlists.LOCAL_OWNER, name, list(symbols))
    finally:
        store.dispose()


# --------------------------------------------------------------------------- invariants

_MARKDOWN_ELEMENTS = (
    "markdown",
    "caption",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "title",
    "header",
    "subheader",
)
_HOST = re.escape(MARKER_HOST)
#: A link or image whose destination's host is the injected one (absolute, scheme-relative, or
#: a bare "x.invalid/..." / "www.x.invalid" destination). A destination that merely carries the
#: text as a query value of our own page (./Prices?symbols=WWW.X.INVALID) is not a finding.
_LINK = re.compile(
    r"(?<!\\)!?\[(?:\\.|[^\]\\])*(?<!\\)\]\(\s*<?"
    r"(?P<target>(?:[a-z][a-z0-9+.\-]*:)?(?://)?(?:[^/?#()\s]*[@.])?" + _HOST + r"[^)]*)\)",
    re.I | re.S,
)
#: CommonMark autolink <scheme:...> pointing at the injected host.
_AUTOLINK = re.compile(r"<[a-z][a-z0-9+.\-]*:[^>\s]*" + _HOST + r"[^>]*>", re.I)
#: GFM autolink literals (micromark: case-insensitive; www. only at line start, after
#: whitespace or one of * _ ~ ( [ ]; http(s):// not after a letter).
_BARE = re.compile(
    r"(?:(?<![a-z])https?://" + _HOST + r"|(?:^|(?<=[\s*_~(\[\]]))www\." + _HOST + r")",
    re.I | re.M,
)


def markdown_bodies(at: AppTest) -> list[tuple[str, str]]:
    """(element type, body) of every element whose body Streamlit renders as markdown."""
    out: list[tuple[str, str]] = []
    for kind in _MARKDOWN_ELEMENTS:
        for el in at.get(kind):
            body = getattr(el, "value", None)
            if body is None:
                body = getattr(el.proto, "body", "")
            out.append((kind, str(body)))
    return out


def injected_links(body: str) -> list[str]:
    """Markdown links, images or autolinks in ``body`` that point at the injected host."""
    return [m.group(0) for rx in (_LINK, _AUTOLINK, _BARE) for m in rx.finditer(body)]


def unsafe_markdown(at: AppTest) -> list[str]:
    return [f"{kind}: {body[:200]!r}" for kind, body in markdown_bodies(at) if injected_links(body)]


def exception_report(at: AppTest) -> str:
    parts = []
    for e in at.exception:
        stack = "\n".join(e.stack_trace[-4:]) if e.stack_trace else ""
        parts.append(f"{e.message}\n{stack}")
    return "\n---\n".join(parts)


def limit_violations(at: AppTest) -> list[str]:
    out = []
    for ms in at.multiselect:
        cap = ms.proto.max_selections
        if cap and len(ms.value) > cap:
            out.append(f"multiselect {ms.key!r} holds {len(ms.value)} > {cap}")
    for sl in at.slider:
        lo, hi = sl.min, sl.max
        vals = sl.value if isinstance(sl.value, tuple | list) else [sl.value]
        if any(v < lo or v > hi for v in vals):
            out.append(f"slider {sl.key!r} value {sl.value} outside [{lo}, {hi}]")
    return out


def main_messages(at: AppTest) -> list[str]:
    return [e.value for kind in ("info", "warning", "error") for e in at.main.get(kind)]


def main_charts(at: AppTest) -> int:
    return len(at.main.get("vega_lite_chart")) + len(at.main.get("arrow_vega_lite_chart"))


def assert_total(at: AppTest, *, full_charts: int = 0, context: object = "") -> None:
    """The four invariants above; ``full_charts`` is how many charts the page's normal view has."""
    assert not at.exception, f"exception element for {context!r}:\n{exception_report(at)}"
    unsafe = unsafe_markdown(at)
    assert not unsafe, f"markdown link/image from injected text for {context!r}: {unsafe}"
    limits = limit_violations(at)
    assert not limits, f"widget state beyond its limits for {context!r}: {limits}"
    if full_charts and main_charts(at) < full_charts:
        assert main_messages(at), (
            f"{main_charts(at)} of {full_charts} charts and no message explaining why "
            f"for {context!r}"
        )
