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
5. **Every link value is used or named** (``unaccounted_link_values``): a value of one of the
   page's own parameters (``PAGE_PARAMS``) is what the page shows, or a note quotes it.

Markdown bodies are checked here as text; tests/e2e/test_inert_text.py checks the same
hostile strings in Chromium, after Streamlit's markdown and GFM's autolinker have run.
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
    "supply": "pages/6_Supply_gap.py",
}
#: Every URL parameter each page binds to a widget or reads itself (Prices: today's names and
#: the older ones it translates). ``test_every_bound_widget_is_in_page_params`` keeps this in
#: step with the pages' ``bind=`` calls. Home and Watchlists read no parameter.
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "home": (),
    "prices": (
        "px_symbols", "px_range", "px_custom", "px_mode", "px_ccy", "px_log", "px_bench",
        "px_spac", "px_events", "px_ev_cat", "px_ev_jur", "px_risk_open", "px_risk_tabs",
        "px_risk_bench", "px_risk_a", "px_risk_b", "px_risk_window", "px_risk_overlap",
        "px_align", "symbols", "range", "mode", "ccy", "log", "bench", "from", "to", "spac",
        "events", "ev_cat", "ev_jur", "risk", "risk_bench", "risk_a", "risk_b",
        "risk_window", "risk_overlap",
    ),
    "policy": ("pt_jur", "pt_cat", "pt_sym", "pt_dates", "pt_text", "pt_event"),
    "event": (
        "es_by", "es_events", "es_cats", "es_jur", "es_inexact", "es_syms", "es_baskets",
        "es_win", "es_est", "es_model", "es_bench",
    ),
    "outlook": (
        "scope", "log_scale", "show_superseded", "include_unverified", "equity_symbols",
        "growth_start_rare-earth magnets", "growth_start_rare-earth oxides",
    ),
    "watchlists": (),
    "supply": (
        "sup_edition", "sup_compare_MCS 2025", "sup_compare_MCS 2024", "sup_country",
        "sup_share_earlier", "sup_unverified", "sup_year", "sup_company", "sup_since",
    ),
}  # fmt: skip
#: Where a Prices link's older parameter lives after the page rewrote the URL.
RENAMED = {
    "symbols": "px_symbols", "range": "px_range", "mode": "px_mode", "ccy": "px_ccy",
    "log": "px_log", "bench": "px_bench", "spac": "px_spac", "events": "px_events",
    "ev_cat": "px_ev_cat", "ev_jur": "px_ev_jur", "risk_bench": "px_risk_bench",
    "risk_a": "px_risk_a", "risk_b": "px_risk_b", "risk_window": "px_risk_window",
    "risk_overlap": "px_risk_overlap", "from": "px_custom", "to": "px_custom",
    "risk": "px_risk_tabs",
}  # fmt: skip

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


def _resolved(markdown: str) -> str:
    """What a reader sees of an escaped note: no backslash escapes, no invisible breaks."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "").casefold()


def _as_texts(value: object) -> set[str]:
    """The URL texts a widget value stands for ("1" and "true" for True, "MP" for "MP · …")."""
    if isinstance(value, bool):
        return {"true", "1", "yes", "on"} if value else {"false", "0", "no", "off"}
    if isinstance(value, list | tuple | set | frozenset):
        return set().union(*(_as_texts(v) for v in value)) if value else set()
    if isinstance(value, float) and value.is_integer():
        return {str(value), str(int(value))}
    from lib.ui.widgets import plain_text

    text = plain_text(value).strip().casefold()
    return {text, text.split(" · ")[0], text.split(" (")[0]}


def _same_number(text: str, shown: set[str]) -> bool:
    try:
        x = float(text)
    except ValueError:
        return False
    for s in shown:
        try:
            if float(s) == x:
                return True
        except ValueError:
            continue
    return False


def unaccounted_link_values(at: AppTest, page: str, query: Sequence[tuple[str, Any]]) -> list[str]:
    """Link values of ``page``'s own parameters that the page neither shows nor names.

    A value is accounted for when the rewritten URL still carries it (under the parameter's
    name of today), when the widget bound to that parameter shows it (a default value is not
    written to the URL), or when a message in the main area quotes it (escaped, cut to 60
    characters, or counted in "and N more"). Case and a picker label's "id · name" form count
    as the same value; empty text and text of only invisible characters are not values.
    """
    from lib.ui.widgets import plain_text

    own = set(PAGE_PARAMS.get(page, ()))
    notes = [
        _resolved(str(e.value)) for kind in ("info", "warning", "error") for e in at.main.get(kind)
    ]
    counted_more = any(re.search(r" and \d+ more", n) for n in notes)
    widgets: dict[str, set[str]] = {}
    for kind in ("multiselect", "selectbox", "segmented_control", "pills", "toggle",
                 "checkbox", "slider", "select_slider", "text_input", "date_input",
                 "number_input", "radio"):  # fmt: skip
        with contextlib.suppress(Exception):
            for w in at.get(kind):
                if getattr(w, "key", None):
                    widgets[str(w.key)] = _as_texts(w.value)
    missing = []
    for key, raw in query:
        if key not in own:
            continue
        values = raw if isinstance(raw, list) else [raw]
        target = RENAMED.get(key, key)
        in_url = _as_texts(at.query_params[target]) if target in at.query_params else set()
        shown = in_url | widgets.get(target, set())
        for value in values:
            text = plain_text(value).strip()
            if not text:
                continue
            folded = text.casefold()
            if folded in shown or _same_number(text, shown):
                continue
            if any(folded[:60] in n for n in notes):
                continue
            if counted_more and len(values) > 6:
                continue
            missing.append(f"{key}={value!r}")
    return missing


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
