"""URL and session seeding: one ``seed_symbols`` for every symbol picker, the Prices URL state."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from datetime import date

import streamlit as st

from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.markets.price_view import DEFAULT_SYMBOLS, MAX_COMPARE
from lib.markets.risk import OVERLAPS, WINDOWS
from lib.returns import RANGES
from lib.ui.widgets import escape_markdown
from lib.universe import InvalidSymbolError, normalise_symbol

#: Streamlit's own widget-to-URL binding: the widget key is the query parameter's name, defaults
#: are left out of the URL, and a link opened as the first request shows exactly that view.
BIND = "query-params"


def link_values(key: str) -> list[str]:
    """What the URL carries for a bound widget ``key`` (before the widget has read it)."""
    return [v for v in st.query_params.get_all(key) if v != ""]


def check_link(key: str, label: str, allowed: Collection[str] | Callable[[str], bool]) -> None:
    """Say which values a shared link carried for ``key`` that the page cannot show.

    Streamlit drops invalid values of a bound widget silently; the reader of a link deserves
    to know. Call it before the widget is created: only then does the URL hold the raw text.
    """
    if key in st.session_state:
        return
    ok = allowed if callable(allowed) else (lambda v, a=frozenset(allowed): v in a)
    if bad := [v for v in link_values(key) if not ok(v)]:
        link_value_note(label, bad)


def link_value_note(label: str, values: Sequence[str], outcome: str = "it was left out") -> None:
    """The one note for link values a page cannot show (escaped, each cut to 60 characters)."""
    shown = ", ".join(f"‘{escape_markdown(v[:60])}’" for v in values[:6])
    st.info(
        f"The link's {escape_markdown(label)} value {shown} is not available here, so {outcome}.",
        icon=":material/link_off:",
    )


def accept_short_link(
    key: str, labels: Mapping[str, str], *, multi: bool = False, seed: bool = True
) -> list[str]:
    """Let a link name options by their id (``?pt_event=E055``, ``?equity_symbols=MP``).

    A bound widget with ``format_func`` writes the label to the URL; a hand-typed or older
    link carries the id. Ids found are put into session state before the widget reads the URL
    (with ``seed``), and returned, so the widget opens on exactly that choice.
    """
    if key in st.session_state:
        return []
    raw = link_values(key)
    by_label = {label: option for option, label in labels.items()}
    picked = [by_label.get(v, v) for v in raw]
    picked = [v for v in dict.fromkeys(picked) if v in labels]
    if picked and seed and any(v in labels for v in raw):
        st.session_state[key] = picked if multi else picked[0]
    return picked


def int_within(lo: int, hi: int) -> Callable[[str], bool]:
    """A URL value check for an integer widget (slider, number input) bounded by lo..hi."""

    def ok(value: str) -> bool:
        try:
            return lo <= int(float(value)) <= hi
        except ValueError:
            return False

    return ok


def capped_symbols(symbols: Sequence[str], limit: int | None) -> tuple[list[str], list[str]]:
    """(kept, left out): canonical, de-duplicated (``mp`` and ``MP`` are one), at most ``limit``.

    Text that is not a valid symbol is kept as typed, so the page can say what is wrong with it.
    """
    seen: dict[str, str] = {}
    for raw in symbols:
        text = str(raw).strip()
        if not text:
            continue
        try:
            key = normalise_symbol(text)
        except InvalidSymbolError:
            key = text
        seen.setdefault(key, key)
    unique = list(seen)
    if limit is None:
        return unique, []
    return unique[:limit], unique[limit:]


def left_out_message(state: MutableMapping[str, object], key: str) -> str | None:
    """The markdown note naming the symbols a seeded picker had to leave out (escaped)."""
    left: list[str] = list(state.get(f"_{key}_left_out") or [])  # type: ignore[call-overload]
    if not left:
        return None
    names = ", ".join(escape_markdown(s) for s in left)
    return f"Showing the first {MAX_COMPARE} symbols; left out: {names}."


def seed_symbols(
    state: MutableMapping[str, object],
    key: str,
    default: Sequence[str],
    known: Collection[str] | None = None,
    preferred: Sequence[str] = (),
    limit: int | None = MAX_COMPARE,
) -> None:
    """Start the picker ``key`` from ``preferred`` (e.g. the URL), else the active watchlist,
    else ``default``; re-seed it when the user switches watchlist, else leave their choice.

    ``known`` (when given) filters the watchlist and the defaults to symbols the picker offers.
    Takes any mapping (``st.session_state`` in the app, a dict in tests). The seed is
    normalised, de-duplicated and capped at ``limit`` (one cap for every picker); the symbols
    left out are kept under ``_<key>_left_out`` for :func:`left_out_message`.
    """
    watch = [
        s
        for s in (state.get("active_watchlist_symbols") or [])  # type: ignore[union-attr]
        if known is None or s in known
    ]
    marker = f"_{key}_watchlist"
    seed: list[str] | None = None
    if key not in state:
        fallback = [s for s in default if known is None or s in known]
        seed = list(preferred) or watch or fallback
    elif watch and state.get(marker) != state.get("active_watchlist"):
        seed = watch
    if seed is not None:
        kept, left = capped_symbols(seed, limit)
        state[key] = kept
        state[f"_{key}_left_out"] = left
        state[marker] = state.get("active_watchlist")


# --------------------------------------------------------------------------- Prices page

_MODE_CODES = {"Rebased to 100": "rebased", "Price": "price", "% change": "pct"}
_PRICE_DEFAULTS: dict[str, object] = {
    "px_range": "1Y",
    "px_mode": "Rebased to 100",
    "px_ccy": "Local",
    "px_log": False,
    "px_bench": [],
}


#: The Prices page's "More options" choices, which apply while their expander is closed.
MORE_OPTION_KEYS = ("px_spac", "px_events", "px_ev_cat", "px_ev_jur")
#: Choices a link carries only when they are set (no default is written into the session).
#: Not the end-date alignment: its toggle stores its data-driven default, so a link would
#: pin a choice the user never made.
_PRICE_OPTIONAL = ("px_custom", *MORE_OPTION_KEYS)
#: The URL's own names for the "More options" filters (several values each).
_EVENT_FILTERS = {
    "ev_cat": ("px_ev_cat", CATEGORIES, "event category"),
    "ev_jur": ("px_ev_jur", JURISDICTIONS, "jurisdiction"),
}
_FLAGS = {"spac": "px_spac", "events": "px_events"}


#: Dates a link may set for the custom range (lo, hi), see ``views.prices.custom_link_window``.
Window = tuple[date, date]


def link_date(value: str | None, window: Window) -> date | None:
    """An ISO date (YYYY-MM-DD) inside ``window`` from a link, else None."""
    try:
        day = date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None
    return day if day is not None and window[0] <= day <= window[1] else None


#: The Prices Risk section's tabs by their link code (``?risk=rolling`` opens that tab).
RISK_TAB_CODES = {
    "drawdown": "Drawdown",
    "correlation": "Correlation",
    "rolling": "Rolling correlation",
    "beta": "Beta",
}
#: The Risk section's controls by their link name. The symbol choices depend on the page's
#: symbols, so they are checked where the section draws (:func:`check_risk_link`).
RISK_PARAMS = {
    "risk_bench": "px_risk_bench",
    "risk_a": "px_risk_a",
    "risk_b": "px_risk_b",
    "risk_window": "px_risk_window",
    "risk_overlap": "px_risk_overlap",
}
_RISK_NUMBERS = {"px_risk_window": WINDOWS, "px_risk_overlap": OVERLAPS}
_RISK_LABELS = {
    "px_risk_bench": "beta benchmark",
    "px_risk_a": "rolling correlation",
    "px_risk_b": "rolling correlation",
    "px_risk_window": "rolling window",
    "px_risk_overlap": "minimum overlap",
}


def _seed_risk_from_url() -> None:
    """Open the Risk section on the link's tab, with the link's controls (first run only)."""
    ss, qp = st.session_state, st.query_params
    if "px_risk_open" in ss:
        return
    if qp.get("risk") in RISK_TAB_CODES:
        ss["px_risk_open"] = True
        ss["px_risk_tabs"] = RISK_TAB_CODES[qp["risk"]]
    from_link: dict[str, str] = {}
    for param, key in RISK_PARAMS.items():
        raw = qp.get(param)
        if not raw or key in ss:
            continue
        from_link[key] = raw
        if key in _RISK_NUMBERS:
            if raw.isdigit() and int(raw) in _RISK_NUMBERS[key]:
                ss[key] = int(raw)
        else:
            ss[key] = raw
    ss["_px_risk_link"] = from_link


def check_risk_link(options: Mapping[str, Sequence[str]]) -> None:
    """Say which Risk values a link carried that the section cannot show, once: Streamlit
    would put the control back on its default without a word."""
    ss = st.session_state
    from_link: dict[str, str] = ss.pop("_px_risk_link", None) or {}
    choices: dict[str, Sequence[object]] = {**_RISK_NUMBERS, **options}
    for key, raw in from_link.items():
        allowed = choices.get(key, ())
        value = ss.get(key)
        if value in allowed:
            continue
        ss.pop(key, None)
        link_value_note(_RISK_LABELS[key], [raw], "the section shows its default")


def _risk_params() -> dict[str, str]:
    """The Risk section's part of the link: only while it is open."""
    ss = st.session_state
    if not ss.get("px_risk_open"):
        return {}
    codes = {tab: code for code, tab in RISK_TAB_CODES.items()}
    params = {"risk": codes.get(str(ss.get("px_risk_tabs")), "drawdown")}
    for param, key in RISK_PARAMS.items():
        if ss.get(key) is not None:
            params[param] = str(ss[key])
    return params


def _price_choices_from_url(window: Window) -> dict[str, object]:
    qp = st.query_params
    out: dict[str, object] = {}
    if qp.get("range") in [*RANGES, "Custom"]:
        out["px_range"] = qp.get("range")
    codes = {v: k for k, v in _MODE_CODES.items()}
    if qp.get("mode") in codes:
        out["px_mode"] = codes[qp["mode"]]
    if qp.get("ccy") in ("Local", "USD"):
        out["px_ccy"] = qp.get("ccy")
    if qp.get("log") in ("0", "1"):
        out["px_log"] = qp.get("log") == "1"
    bench = [b for b in qp.get_all("bench") if b in ("SPY", "REMX")]
    if bench:
        out["px_bench"] = bench
    start, end = link_date(qp.get("from"), window), link_date(qp.get("to"), window)
    if start is not None and end is not None:
        out["px_custom"] = (start, end)
    for param, key in _FLAGS.items():
        if qp.get(param) in ("0", "1"):
            out[key] = qp.get(param) == "1"
    for param, (key, allowed, _) in _EVENT_FILTERS.items():
        if picked := [v for v in dict.fromkeys(qp.get_all(param)) if v in allowed]:
            out[key] = picked
    return out


def _check_price_link(window: Window) -> None:
    """Say which values of a shared Prices link the page cannot show (before seeding)."""
    if "px_symbols" in st.session_state:  # not the first run of this view: nothing to say
        return
    for param, (_, allowed, label) in _EVENT_FILTERS.items():
        check_link(param, label, allowed)
    for param in ("from", "to"):
        check_link(param, "custom range date", lambda v: link_date(v, window) is not None)
    check_link("risk", "Risk tab", RISK_TAB_CODES)
    ends = [link_date(st.query_params.get(param), window) for param in ("from", "to")]
    if (ends[0] is None) != (ends[1] is None):
        st.info(
            "The link gives only one end of a custom range, so the page opens on its "
            "default custom range.",
            icon=":material/link_off:",
        )


def init_price_state(window: Window) -> None:
    """Seed the Prices widgets: URL first, then this session's last view, then the
    active watchlist, then defaults. Switching the active watchlist re-seeds the symbols.
    A link's custom dates are taken inside ``window`` only; values a link carried that the
    page cannot show are named first."""
    _check_price_link(window)
    ss = st.session_state
    saved: dict[str, object] = ss.get("_px_saved", {})
    url_syms = [s for s in st.query_params.get_all("symbols") if s]
    preferred = url_syms or list(saved.get("px_symbols") or [])  # type: ignore[call-overload]
    seed_symbols(ss, "px_symbols", DEFAULT_SYMBOLS, preferred=preferred)
    from_url = _price_choices_from_url(window)
    for key, default in _PRICE_DEFAULTS.items():
        if key not in ss:
            ss[key] = from_url.get(key, saved.get(key, default))
    for key in _PRICE_OPTIONAL:
        if key not in ss and (key in from_url or key in saved):
            ss[key] = from_url.get(key, saved.get(key))
    _seed_risk_from_url()


def sync_price_query_params() -> None:
    """Mirror the Prices choices into the URL (non-defaults only) and remember them."""
    ss = st.session_state
    keys = ["px_symbols", *_PRICE_DEFAULTS, *_PRICE_OPTIONAL]
    ss["_px_saved"] = {k: ss[k] for k in keys if k in ss}
    params: dict[str, str | list[str]] = {"symbols": list(ss.get("px_symbols", []))}
    if ss.get("px_range", "1Y") != "1Y":
        params["range"] = str(ss["px_range"])
    custom = ss.get("px_custom")
    if ss.get("px_range") == "Custom" and isinstance(custom, (tuple, list)) and len(custom) == 2:
        params["from"], params["to"] = (d.isoformat() for d in custom)
    if ss.get("px_mode", "Rebased to 100") != "Rebased to 100":
        params["mode"] = _MODE_CODES.get(str(ss["px_mode"]), "rebased")
    if ss.get("px_ccy", "Local") != "Local":
        params["ccy"] = str(ss["px_ccy"])
    if ss.get("px_log"):
        params["log"] = "1"
    if ss.get("px_bench"):
        params["bench"] = list(ss["px_bench"])
    if ss.get("px_spac"):
        params["spac"] = "1"
    if ss.get("px_events"):
        params["events"] = "1"
        for param, (key, _, _) in _EVENT_FILTERS.items():
            if ss.get(key):
                params[param] = [str(v) for v in ss[key]]
    params.update(_risk_params())
    st.query_params.from_dict(params)


def keep(*keys: str) -> None:
    """Keep widgets' values while they are not drawn (a closed lazy tab runs none of its
    widgets, and Streamlit forgets the state of a widget that did not run)."""
    ss = st.session_state
    for key in keys:
        if key in ss:
            ss[key] = ss[key]


def more_options() -> tuple[bool, tuple[tuple[str, ...], tuple[str, ...]] | None]:
    """(show the SPAC era, (event categories, jurisdictions) or None) from the session."""
    ss = st.session_state
    events = None
    if ss.get("px_events"):
        events = (tuple(ss.get("px_ev_cat") or ()), tuple(ss.get("px_ev_jur") or ()))
    return bool(ss.get("px_spac")), events


def more_options_on() -> str:
    """Which "More options" choices are on, said in words ("" when none)."""
    ss = st.session_state
    on = [name for key, name in (("px_spac", "SPAC history"), ("px_events", "policy events"))
          if ss.get(key)]  # fmt: skip
    return ", ".join(on)
