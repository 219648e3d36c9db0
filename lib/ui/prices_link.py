"""The Prices page's URL parameters, each parsed and serialised in one small class (as
Streamlit's own ``*Serde`` classes do), and the translator that keeps older links working.

The widgets bind to the URL with Streamlit's ``bind="query-params"``: the widget key is the
parameter (``?px_range=3Y``). :func:`translate` turns any query, in today's names or the ones
Prices links used before the binding (:data:`LEGACY`), into the view it asks for, the URL that
says it today, and a note for every value it cannot show. No Streamlit calls: table-tested
(tests/test_prices_links.py) and property-tested (tests/test_properties_urls_prices.py).
The page side is lib.ui.prices_state; links to Prices from elsewhere are built by
lib.markets.links (where the parameter names live).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from lib import charts
from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.markets.links import (  # the names live with the builder other pages use
    BENCH,
    CCY,
    CUSTOM,
    DEFAULT_RANGE,
    EV_CAT,
    EV_JUR,
    EVENTS,
    LABEL_SEP,
    LOG,
    MODE,
    MORE,
    RANGE,
    RISK_A,
    RISK_B,
    RISK_BENCH,
    RISK_OPEN,
    RISK_OVERLAP,
    RISK_TAB,
    RISK_WINDOW,
    SPAC,
    SYMBOLS,
)
from lib.markets.price_view import BENCHMARKS, MAX_COMPARE
from lib.markets.risk import MIN_OVERLAP, OVERLAPS, ROLLING_WINDOW, WINDOWS
from lib.returns import RANGES
from lib.ui.state import capped_symbols
from lib.ui.widgets import plain_text

# --------------------------------------------------------------------------- the parameters

MODES = tuple(charts.MODES)  # "Rebased to 100", "Price", "% change"
CURRENCIES = ("Local", "USD")
RANGE_CHOICES = (*RANGES, "Custom")
DEFAULT_MODE, DEFAULT_CCY = MODES[0], "Local"
#: The Risk section's tabs by their old link code (``?risk=rolling`` opened that tab).
RISK_TAB_CODES = {
    "drawdown": "Drawdown",
    "correlation": "Correlation",
    "rolling": "Rolling correlation",
    "beta": "Beta",
}
RISK_TABS = tuple(RISK_TAB_CODES.values())
#: The chart modes by their old link code (``?mode=pct``).
MODE_CODES = {"rebased": MODES[0], "price": MODES[1], "pct": MODES[2]}
BASKETS = ("West basket", "China basket")
#: A number parameter is 1-6 ASCII digits (a 5,000-digit or Arabic-Indic value is refused).
_DIGITS = re.compile(r"[0-9]{1,6}")


def _last(texts: Sequence[str]) -> str | None:
    """The value Streamlit reads for a single-valued parameter: the last non-empty one."""
    kept = [t for t in texts if t != ""]
    return kept[-1] if kept else None


def _single(texts: Sequence[str]) -> tuple[str | None, list[str]]:
    """(the text a single-valued parameter takes, the other texts it leaves out)."""
    text = _last(texts)
    return text, [t for t in dict.fromkeys(texts) if t not in ("", text)]


@dataclass(frozen=True)
class Choice:
    """One of fixed options, written as itself; ``aliases`` are older codes for an option,
    read under the parameter's older name only (Streamlit would drop them under today's)."""

    key: str
    label: str
    options: tuple[str, ...]
    default: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)

    def parse(self, texts: Sequence[str], old: bool = False) -> tuple[str | None, list[str]]:
        text, extra = _single(texts)
        if text is None:
            return None, []
        value = self.aliases.get(text, text) if old else text
        return (value, extra) if value in self.options else (None, [*extra, text])

    def serialize(self, value: object) -> list[str]:
        return [] if value in (None, self.default) else [str(value)]


@dataclass(frozen=True)
class Choices:
    """Several of fixed options, in the link's order, each once."""

    key: str
    label: str
    options: tuple[str, ...]

    def parse(self, texts: Sequence[str], old: bool = False) -> tuple[list[str] | None, list[str]]:
        given = [t for t in dict.fromkeys(texts) if t != ""]
        kept = [t for t in given if t in self.options]
        return (kept or None), [t for t in given if t not in self.options]

    def serialize(self, value: object) -> list[str]:
        return [str(v) for v in value or ()]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Flag:
    """A toggle or an expander: Streamlit writes ``true``; old links wrote ``1``/``0``."""

    key: str
    label: str

    def parse(self, texts: Sequence[str], old: bool = False) -> tuple[bool | None, list[str]]:
        text, extra = _single(texts)
        if text is None:
            return None, []
        yes, no = ("true", "1") if old else ("true",), ("false", "0") if old else ("false",)
        if text.lower() in yes:
            return True, extra
        return (False, extra) if text.lower() in no else (None, [*extra, text])

    def serialize(self, value: object) -> list[str]:
        return ["true"] if value else []


@dataclass(frozen=True)
class Number:
    """A select slider over fixed whole numbers, written in ASCII digits (only those read)."""

    key: str
    label: str
    options: tuple[int, ...]
    default: int

    def parse(self, texts: Sequence[str], old: bool = False) -> tuple[int | None, list[str]]:
        text, extra = _single(texts)
        if text is None:
            return None, []
        if _DIGITS.fullmatch(text) and str(int(text)) == text and int(text) in self.options:
            return int(text), extra
        return None, [*extra, text]

    def serialize(self, value: object) -> list[str]:
        return [] if value in (None, self.default) else [str(value)]


Window = tuple[date, date]


def link_date(value: str | None, window: Window) -> date | None:
    """An ISO date (YYYY-MM-DD) inside ``window``, else None."""
    if not value or len(value) != 10 or not value.isascii():
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if window[0] <= day <= window[1] else None


@dataclass(frozen=True)
class Dates:
    """The custom range: two ISO dates inside the picker's bounds (as ``st.date_input``
    writes a range)."""

    key: str
    label: str
    window: Window

    def parse(
        self, texts: Sequence[str], old: bool = False
    ) -> tuple[tuple[date, date] | None, list[str]]:
        given = [t for t in texts if t != ""]
        days = [link_date(t, self.window) for t in given]
        if len(given) != 2 or None in days:  # one end, three dates, or one outside the bounds
            return None, [t for t, d in zip(given, days, strict=True) if d is None] or given
        start, end = days
        return (start, end), []  # type: ignore[return-value]

    def serialize(self, value: object) -> list[str]:
        return [d.isoformat() for d in value] if value else []  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Symbols:
    """The symbols: a picker label or a plain symbol, canonical and once each, at most
    ``MAX_COMPARE`` (the rest are named). Text that is not a valid symbol is kept as typed,
    so the page can say what is wrong with it."""

    key: str = SYMBOLS
    label: str = "symbol"

    def parse(self, texts: Sequence[str]) -> tuple[list[str], list[str]]:
        """(kept, left out)."""
        return capped_symbols([str(t).split(LABEL_SEP, 1)[0] for t in texts], MAX_COMPARE)

    @staticmethod
    def serialize(value: Sequence[str], labels: Mapping[str, str]) -> list[str]:
        """What the bound picker writes: each symbol's label (its ``format_func``)."""
        return [labels.get(s, s) for s in value]


def risk_options(symbols: Sequence[str], benchmarks: Sequence[str]) -> dict[str, list[str]]:
    """The Risk section's symbol choices for these page choices (benchmark, the pair)."""
    series = list(dict.fromkeys([*symbols, *benchmarks]))
    pair = [*BASKETS, *series]
    bench = list(dict.fromkeys([*benchmarks, *BENCHMARKS, *symbols]))
    return {RISK_BENCH: bench, RISK_A: pair, RISK_B: pair}


def params(window: Window, symbols: Sequence[str], benchmarks: Sequence[str]) -> list:
    """Every Prices parameter but the symbols, in page order (the Risk choices depend on the
    page's symbols and benchmarks, the custom dates on the picker's bounds)."""
    risk = risk_options(symbols, benchmarks)
    return [
        Choice(RANGE, "range", RANGE_CHOICES, DEFAULT_RANGE),
        Dates(CUSTOM, "custom range date", window),
        Choice(MODE, "chart mode", MODES, DEFAULT_MODE, MODE_CODES),
        Choice(CCY, "currency", CURRENCIES, DEFAULT_CCY),
        Flag(LOG, "log scale"),
        Choices(BENCH, "benchmark", BENCHMARKS),
        Flag(MORE, "More options"),
        Flag(SPAC, "SPAC history"),
        Flag(EVENTS, "policy events"),
        Choices(EV_CAT, "event category", tuple(CATEGORIES)),
        Choices(EV_JUR, "jurisdiction", tuple(JURISDICTIONS)),
        Flag(RISK_OPEN, "Risk section"),
        Choice(RISK_TAB, "Risk tab", RISK_TABS, RISK_TABS[0]),
        Choice(RISK_BENCH, "beta benchmark", tuple(risk[RISK_BENCH])),
        Choice(RISK_A, "rolling correlation", tuple(risk[RISK_A])),
        Choice(RISK_B, "rolling correlation", tuple(risk[RISK_B])),
        Number(RISK_WINDOW, "rolling window", WINDOWS, ROLLING_WINDOW),
        Number(RISK_OVERLAP, "minimum overlap", OVERLAPS, MIN_OVERLAP),
    ]


#: Today's parameter names (the widget keys), symbols first.
PARAM_KEYS = (SYMBOLS, *(s.key for s in params((date.min, date.max), [], [])))


# --------------------------------------------------------------------------- the translator

#: Every name a Prices link used before the binding, and the parameter it is now.
#: ``from``/``to`` (the custom range) and ``risk`` (a tab code that also opened the section)
#: are translated by :func:`translate` itself.
LEGACY = {
    "symbols": SYMBOLS,
    "range": RANGE,
    "mode": MODE,
    "ccy": CCY,
    "log": LOG,
    "bench": BENCH,
    "spac": SPAC,
    "events": EVENTS,
    "ev_cat": EV_CAT,
    "ev_jur": EV_JUR,
    "risk_bench": RISK_BENCH,
    "risk_a": RISK_A,
    "risk_b": RISK_B,
    "risk_window": RISK_WINDOW,
    "risk_overlap": RISK_OVERLAP,
}
LEGACY_NAMES = (*LEGACY, "from", "to", "risk")
_SUPERSEDED_BY = {**LEGACY, "from": CUSTOM, "to": CUSTOM, "risk": RISK_OPEN}
ONE_END = "one end"
LEFT_OUT = "it was left out"
DATES_OUTCOME = "the page opens on its default custom range"


@dataclass(frozen=True)
class Note:
    """A link value the page cannot show: which control, the text, what the page does."""

    label: str
    values: tuple[str, ...]
    outcome: str = LEFT_OUT
    key: str = ""  #: the parameter it concerns (today's name), "" for an older name alone


@dataclass
class Link:
    """What a query asks of the Prices page.

    ``values``: every choice the query sets, by widget key. ``from_legacy``: those it set
    under an older name (Streamlit cannot read them, so the page seeds them). ``params``: the
    query in today's names and form, for the keys the page should rewrite (old names, values
    left out); an empty list removes the parameter. ``left_out``: symbols past the cap.
    """

    values: dict[str, object] = field(default_factory=dict)
    from_legacy: set[str] = field(default_factory=set)
    params: dict[str, list[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)


def translate(
    query: Mapping[str, Sequence[str]],
    window: Window,
    labels: Mapping[str, str] | None = None,
    shown: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> Link:
    """The Prices view a query asks for, in today's parameters, and what it could not show.

    ``query`` maps each URL name to its values (``st.query_params.get_all``); today's name
    wins over an older one for the same choice. ``shown``: the (symbols, benchmarks) the page
    shows when the query names none (the Risk choices are checked against them).
    """
    labels = labels or {}
    link = Link(legacy=[n for n in LEGACY_NAMES if n in query])
    for old in link.legacy:  # an older name beside today's: today's wins, the old is named
        if (texts := tuple(t for t in query[old] if t)) and _SUPERSEDED_BY[old] in query:
            link.notes.append(Note(old, texts, "the link's newer parameter was used"))
    raw: dict[str, list[str]] = {}
    for old, key in LEGACY.items():
        if old in query and key not in query:
            raw[key] = list(query[old])
            link.from_legacy.add(key)
    for key in PARAM_KEYS:
        if key in query:
            raw[key] = list(query[key])
    _legacy_dates(query, window, raw, link)
    _legacy_risk_tab(query, raw, link)

    symbols, link.left_out = Symbols().parse(raw.get(SYMBOLS, []))
    if SYMBOLS in raw and symbols:
        link.values[SYMBOLS] = symbols
    # The bound picker reads the URL as it is: a value with hidden characters would be a chip
    # that shows them, so it is rewritten as read (and named) before the picker runs.
    hidden = _hidden_symbol_notes(raw.get(SYMBOLS, []))
    link.notes.extend(hidden)
    if SYMBOLS in link.from_legacy or hidden:
        link.params[SYMBOLS] = Symbols.serialize(symbols, labels)
    bench, _ = Choices(BENCH, "", BENCHMARKS).parse(raw.get(BENCH, []))
    in_risk = (symbols if SYMBOLS in raw else shown[0], (bench or []) if BENCH in raw else shown[1])
    for serde in params(window, *in_risk):
        if serde.key not in raw:
            continue
        value, bad = serde.parse(raw[serde.key], old=serde.key in link.from_legacy)
        if bad:
            link.notes.append(Note(serde.label, tuple(bad), _outcome(serde), serde.key))
        if value is not None:
            link.values[serde.key] = value
        if bad or serde.key in link.from_legacy:
            link.params[serde.key] = serde.serialize(value) if value is not None else []
    for name in link.legacy:
        link.params[name] = []
    return link


def _hidden_symbol_notes(texts: Sequence[str]) -> list[Note]:
    """A note for each symbol text with zero-width, text-direction or control characters,
    saying what the page read instead."""
    notes = []
    for text in dict.fromkeys(texts):
        if plain_text(text) != text:
            read = "".join(Symbols().parse([text])[0])
            outcome = (
                f"it was read as ‘{read[:60]}’ (hidden characters removed)"
                if read
                else "it was left out (it holds only hidden characters)"
            )
            notes.append(Note("symbol", (text,), outcome, SYMBOLS))
    return notes


def _outcome(serde: object) -> str:
    if isinstance(serde, Dates):
        return DATES_OUTCOME
    return "the section shows its default" if serde.key.startswith("px_risk_") else LEFT_OUT  # type: ignore[attr-defined]


def _legacy_dates(
    query: Mapping[str, Sequence[str]], window: Window, raw: dict[str, list[str]], link: Link
) -> None:
    """``from``/``to`` become the custom range; a bad date or one end alone is named."""
    if CUSTOM in query or not ({"from", "to"} & set(query)):
        return
    picked = [_single(query.get(name, [])) for name in ("from", "to")]
    ends = [text for text, _ in picked if text is not None]
    good = [t for t in ends if link_date(t, window)]
    if bad := [t for t in ends if t not in good] + [t for _, extra in picked for t in extra]:
        link.notes.append(Note("custom range date", tuple(bad), DATES_OUTCOME))
    if len(good) == 2:
        raw[CUSTOM] = good
        link.from_legacy.add(CUSTOM)
    elif good:
        link.notes.append(Note(ONE_END, tuple(good)))


def _legacy_risk_tab(
    query: Mapping[str, Sequence[str]], raw: dict[str, list[str]], link: Link
) -> None:
    """``risk=<code>`` opened the Risk section on that tab."""
    code, extra = _single(query.get("risk", []))
    if code is None or RISK_OPEN in query:
        return
    if bad := [*extra, *([] if code in RISK_TAB_CODES else [code])]:
        link.notes.append(Note("Risk tab", tuple(bad)))
    if code not in RISK_TAB_CODES:
        return
    raw[RISK_OPEN] = ["true"]
    link.from_legacy.add(RISK_OPEN)
    if RISK_TAB not in query:
        raw[RISK_TAB] = [RISK_TAB_CODES[code]]
        link.from_legacy.add(RISK_TAB)
