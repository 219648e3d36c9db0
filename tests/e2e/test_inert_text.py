"""Untrusted text is inert IN THE BROWSER: hostile strings put into every URL parameter of every
page never become a link, an image or a reversed sentence.

The property is checked on the DOM Chromium built (after Streamlit's markdown and GFM's
autolinker have run), not on the escaped string: every ``<a href>`` and ``<img src>`` must point
at this app or at a host our own data files cite as a source, and no bidi control or zero-width
character may reach the page's text. Each string is also shown to be echoed (a note names it),
so the check cannot pass by the page saying nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from lib.paths import ROOT
from tests.e2e import (
    AppServer,
    create_watchlist,
    enter_text,
    existing_pages,
    open_tab,
    wait_for_app_run,
)
from tests.totality import PAGE_PARAMS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_server(own_app_server: AppServer) -> AppServer:
    """This module writes watchlists, so it has a server of its own (not the shared one)."""
    return own_app_server


#: RFC 2606's reserved host: nothing of ours ever links there.
HOST = "x.invalid"
HOSTILE: list[str] = [
    f"http://{HOST}/a",
    f"https://{HOST}",
    f"HTTP://{HOST.upper()}/Q",
    f"www.{HOST}",
    f"WWW.{HOST.upper()}",
    f"a@{HOST}",
    f"mailto:b@{HOST}",
    f"xmpp:c@{HOST}",
    f"[x](http://{HOST}/p)",
    f"![i](http://{HOST}/i.png)",
    f"<http://{HOST}/q>",
    f"<a href=http://{HOST}>x</a>",
    f"\u202ehttp://{HOST}/rlo",
    f"ww\u200bw.{HOST}",
    f"http\u2060://{HOST}/wj",
    f"\u2066www.{HOST}\u2069",
]
#: The strings per page load: each parameter carries them all as repeated keys (a multi-value
#: widget sees all of them, a single-value one the last, and the page names the others). One
#: load per page: the browser's cost is mostly the load itself (~5 CPU-s of Chromium on this
#: 2-core machine), not the number of values, so two half-loads per page cost nearly twice.
GROUPS = [HOSTILE]
#: Loaded machines (CI with other suites) draw a page with 100 link values slowly.
RUN_TIMEOUT_MS = 90_000

#: Every parameter a page binds or reads (tests/totality.PAGE_PARAMS), plus two it does not.
_PATHS = {
    "": "home",
    "Prices": "prices",
    "Policy_timeline": "policy",
    "Event_study": "event",
    "Market_outlook": "outlook",
    "Watchlists": "watchlists",
    "Supply_gap": "supply",
}
PARAMS: dict[str, list[str]] = {
    path: [*PAGE_PARAMS[key], "symbols", "unknown"] for path, key in _PATHS.items()
}

_BIDI_OR_ZERO_WIDTH = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_URL = re.compile(r"https?://[^\s,;\"'<>|)]+")


def source_hosts() -> frozenset[str]:
    """Hosts our data files cite as sources: the only external links the app may draw."""
    hosts = {"finance.yahoo.com"}
    for path in [*Path(ROOT / "data").rglob("*.csv"), *Path(ROOT / "data").rglob("*.md")]:
        hosts.update(urlsplit(u).hostname or "" for u in _URL.findall(path.read_text()))
    return frozenset(h.lower() for h in hosts if h)


ALLOWED = source_hosts()


def hostile_url(base: str, path: str, group: list[str]) -> str:
    pairs = [(p, s) for p in dict.fromkeys(PARAMS[path]) for s in group]
    return f"{base}/{path}?" + "&".join(f"{p}={quote(s, safe='')}" for p, s in pairs)


def foreign_links(page: Page, app_host: str) -> list[str]:
    """Every link or image target whose host is neither this app nor a cited source."""
    targets: list[str] = page.evaluate(
        """() => [
            ...[...document.querySelectorAll('a[href]')].map(a => a.href),
            ...[...document.querySelectorAll('img[src]')].map(i => i.src),
        ]"""
    )
    out = []
    for target in targets:
        parts = urlsplit(target)
        if parts.scheme in ("data", "blob"):
            continue
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or (host != app_host and host not in ALLOWED):
            out.append(target)
    return out


@pytest.mark.parametrize("group", range(len(GROUPS)), ids=lambda i: f"group{i}")
@pytest.mark.parametrize("path", list(PARAMS), ids=lambda p: p or "Home")
def test_hostile_link_values_render_inert(
    page: Page, app_server: AppServer, path: str, group: int
) -> None:
    if path not in existing_pages():
        pytest.skip(f"page {path!r} is not in this checkout")
    page.goto(hostile_url(app_server.url, path, GROUPS[group]))
    wait_for_app_run(page, RUN_TIMEOUT_MS)
    page.wait_for_timeout(300)  # toasts and late markdown blocks settle

    errors = [e.inner_text()[:300] for e in page.get_by_test_id("stException").all()]
    assert errors == [], f"{path}: exception box"  # its own help links would count below
    app_host = urlsplit(app_server.url).hostname
    assert foreign_links(page, app_host) == [], f"{path}: links built from link values"
    assert not _BIDI_OR_ZERO_WIDTH.findall(markdown_text(page)), f"{path}: bidi/zero-width echoed"


def markdown_text(page: Page) -> str:
    """The text of every markdown body: notes, captions, alerts, headings."""
    return "\n".join(page.get_by_test_id("stMarkdownContainer").all_inner_texts())


def test_symbol_chips_carry_no_bidi_or_zero_width(page: Page, app_server: AppServer) -> None:
    """The bound picker reads px_symbols as written: the page rewrites such a link as read
    (and names each value) before the picker runs, so no chip shows an RLO or zero-width."""
    values = ["\u202eMP", "ww\u200bw.x.invalid"]
    query = "&".join(f"px_symbols={quote(v, safe='')}" for v in values)
    page.goto(f"{app_server.url}/Prices?{query}")
    wait_for_app_run(page, RUN_TIMEOUT_MS)
    text = page.locator("[data-testid=stApp]").inner_text()
    assert not _BIDI_OR_ZERO_WIDTH.findall(text)
    chips = page.locator(".st-key-px_symbols").inner_text()
    assert "MP · MP Materials" in chips and "WWW.X.INVALID" in chips
    assert "hidden characters removed" in markdown_text(page)
    search = page.evaluate("() => decodeURIComponent(window.location.search)")
    assert not _BIDI_OR_ZERO_WIDTH.findall(search), search


def test_echoed_link_values_are_shown_but_not_linked(page: Page, app_server: AppServer) -> None:
    """Not vacuous: Prices names each hostile symbol, readable, in a note, and none is a link."""
    symbols = [f"www.{HOST}", f"WWW.{HOST.upper()}", f"a@{HOST}", "\u202eMP"]
    query = "&".join(f"symbols={quote(s, safe='')}" for s in symbols)
    page.goto(f"{app_server.url}/Prices?{query}")
    wait_for_app_run(page, RUN_TIMEOUT_MS)
    shown = page.locator("[data-testid=stMain]").inner_text().replace("\u2060", "")
    for text in (f"www.{HOST}", f"WWW.{HOST.upper()}", f"a@{HOST}"):
        assert text.lower() in shown.lower(), f"{text!r} is not named on the page"
    assert "\u202e" not in shown
    assert foreign_links(page, urlsplit(app_server.url).hostname) == []


def test_watchlist_added_message_names_a_www_symbol_without_linking_it(
    page: Page, app_server: AppServer
) -> None:
    """The Watchlists 'Added…' message echoes a valid symbol (WWW.X.INVALID): readable, no link."""
    page.goto(f"{app_server.url}/Watchlists")
    wait_for_app_run(page, RUN_TIMEOUT_MS)
    create_watchlist(page, "Inert text", RUN_TIMEOUT_MS)
    open_tab(page, "Symbols", RUN_TIMEOUT_MS)
    enter_text(page, "wl_add_text", f"WWW.{HOST.upper()}", RUN_TIMEOUT_MS)
    page.locator(".st-key-wl_add button").click()
    wait_for_app_run(page, RUN_TIMEOUT_MS)
    alert = page.get_by_test_id("stAlert").filter(has_text="Added")
    alert.first.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    assert f"WWW.{HOST.upper()}" in alert.first.inner_text().replace("\u2060", "")
    assert foreign_links(page, urlsplit(app_server.url).hostname) == []
