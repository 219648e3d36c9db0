"""Prices links: every older link opens the same view (a table), each parameter's parse and
serialise agree, and the URL regressions of issue 25 (numbers in other digits or thousands of
digits, a custom range without prices, the address bar, values dropped without a word).

The table runs the translator itself (lib.ui.prices_link.translate: pure, milliseconds); the
AppTest half opens the page as a browser following the link would.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib.markets import links
from lib.ui import prices_link as px
from tests.totality import assert_total, main_messages, render

WINDOW = (date(2015, 10, 1), date(2036, 10, 8))
D1, D2 = date(2025, 1, 2), date(2025, 6, 30)
RISK = {"px_risk_open": True}

#: (old link, the view it opens: every choice by widget key). The first column is a link as
#: the page wrote it before the binding, or as people typed it.
OLD_LINKS: list[tuple[dict[str, list[str]], dict[str, Any]]] = [
    ({"symbols": ["MP", "LYC.AX"]}, {"px_symbols": ["MP", "LYC.AX"]}),
    ({"symbols": ["mp", "MP", " lyc.ax "]}, {"px_symbols": ["MP", "LYC.AX"]}),
    ({"range": ["3Y"]}, {"px_range": "3Y"}),
    ({"range": ["Custom"], "from": ["2025-01-02"], "to": ["2025-06-30"]},
     {"px_range": "Custom", "px_custom": (D1, D2)}),
    ({"mode": ["pct"]}, {"px_mode": "% change"}),
    ({"mode": ["price"]}, {"px_mode": "Price"}),
    ({"mode": ["rebased"]}, {"px_mode": "Rebased to 100"}),
    ({"ccy": ["USD"]}, {"px_ccy": "USD"}),
    ({"log": ["1"]}, {"px_log": True}),
    ({"log": ["0"]}, {"px_log": False}),
    ({"bench": ["SPY", "REMX"]}, {"px_bench": ["SPY", "REMX"]}),
    ({"spac": ["1"], "events": ["1"], "ev_cat": ["export control", "tariff"], "ev_jur": ["China"]},
     {"px_spac": True, "px_events": True, "px_ev_cat": ["export control", "tariff"],
      "px_ev_jur": ["China"]}),
    ({"risk": ["drawdown"]}, {**RISK, "px_risk_tabs": "Drawdown"}),
    ({"risk": ["correlation"]}, {**RISK, "px_risk_tabs": "Correlation"}),
    ({"risk": ["rolling"]}, {**RISK, "px_risk_tabs": "Rolling correlation"}),
    ({"risk": ["beta"], "risk_bench": ["REMX"]},
     {**RISK, "px_risk_tabs": "Beta", "px_risk_bench": "REMX"}),
    ({"symbols": ["MP", "LYC.AX"], "risk": ["rolling"], "risk_a": ["MP"], "risk_b": ["LYC.AX"],
      "risk_window": ["126"], "risk_overlap": ["40"]},
     {"px_symbols": ["MP", "LYC.AX"], **RISK, "px_risk_tabs": "Rolling correlation",
      "px_risk_a": "MP", "px_risk_b": "LYC.AX", "px_risk_window": 126, "px_risk_overlap": 40}),
]  # fmt: skip


#: A default stays out of the URL (Streamlit's binding does the same).
DEFAULTS = {"px_mode": px.DEFAULT_MODE, "px_log": False, "px_risk_tabs": px.RISK_TABS[0]}


def _ids(link: dict[str, list[str]]) -> str:
    return "&".join(f"{k}={v[0][:12]}" for k, v in link.items())


@pytest.mark.parametrize(("old", "view"), OLD_LINKS, ids=[_ids(o) for o, _ in OLD_LINKS])
def test_old_link_opens_the_same_view(old: dict[str, list[str]], view: dict[str, Any]) -> None:
    link = px.translate(old, WINDOW)
    assert link.values == view
    assert link.notes == []
    assert link.legacy and all(link.params[name] == [] for name in link.legacy)  # removed
    # The rewritten address bar, read again, is the same view and needs no more rewriting.
    url = {k: v for k, v in link.params.items() if v}
    again = px.translate(url, WINDOW)
    assert again.values == {k: v for k, v in view.items() if DEFAULTS.get(k) != v}  # left out
    assert (again.notes, again.legacy, again.from_legacy) == ([], [], set())


def test_a_link_names_at_most_the_cap_and_keeps_the_rest_out_by_name() -> None:
    names = [f"S{i}" for i in range(15)]
    link = px.translate({"symbols": names}, WINDOW)
    assert link.values["px_symbols"] == names[:12] and link.left_out == names[12:]


def test_picker_labels_and_stale_labels_read_as_their_symbol() -> None:
    labels = {"MP": "MP · MP Materials · NYSE · USD"}
    query = {"px_symbols": ["MP · MP Materials · NYSE · USD", "LYC.AX · Lynas · (old label)"]}
    assert px.translate(query, WINDOW, labels).values["px_symbols"] == ["MP", "LYC.AX"]
    assert px.Symbols.serialize(["MP", "ZZZZ"], labels) == [labels["MP"], "ZZZZ"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"risk_window": ["٣٠"]}, "٣٠"),  # Arabic-Indic digits: int() reads them, we do not
        ({"risk_overlap": ["9" * 5000]}, "9" * 5000),  # past int()'s 4,300-digit limit
        ({"px_risk_window": ["６３"]}, "６３"),  # full-width digits
        ({"px_risk_window": ["63.0"]}, "63.0"),
        ({"range": ["9Y"]}, "9Y"),
        ({"px_range": ["1Y", "5Y", "3Y"]}, "5Y"),  # one value: the last; the others named
        ({"mode": ["PCT"]}, "PCT"),
        ({"spac": ["yes"]}, "yes"),
        ({"from": ["2025-02-30"], "to": ["2025-06-30"]}, "2025-02-30"),
        ({"px_custom": ["2025-01-02"]}, "2025-01-02"),  # one end
        ({"px_custom": ["2025-01-02", "2025-02-02", "2025-03-02"]}, "2025-03-02"),
        ({"px_custom": ["１９９９-01-01", "2025-01-01"]}, "１９９９-01-01"),
        ({"risk": ["sideways"]}, "sideways"),
        ({"ev_jur": ["Mars", "China"]}, "Mars"),
        ({"px_bench": ["1M"], "px_risk_bench": ["SPY"]}, "1M"),  # found by the property test
        ({"range": ["3Y"], "px_range": ["5Y"]}, "3Y"),  # an old name beside today's
    ],
)
def test_every_dropped_value_is_named(query: dict[str, list[str]], named: str) -> None:
    link = px.translate(query, WINDOW)
    assert any(named in note.values for note in link.notes), link.notes


@pytest.mark.parametrize(
    ("serde", "value"),
    [
        (px.Choice("k", "", px.RANGE_CHOICES, "1Y"), "Custom"),
        (px.Choice("k", "", px.MODES, px.DEFAULT_MODE, px.MODE_CODES), "% change"),
        (px.Choices("k", "", ("a", "b", "c")), ["c", "a"]),
        (px.Flag("k", ""), True),
        (px.Number("k", "", (21, 63, 126), 63), 126),
        (px.Dates("k", "", WINDOW), (D1, D2)),
    ],
)
def test_each_parameter_reads_what_it_writes(serde: Any, value: Any) -> None:
    assert serde.parse(serde.serialize(value)) == (value, [])


# --------------------------------------------------------------------------- the page


def _plain(at: AppTest) -> str:
    return " ".join(main_messages(at)).replace("\\", "")


@pytest.mark.parametrize(
    "query",
    [
        {"symbols": "MP", "risk": "correlation", "risk_window": "٣٠", "risk_overlap": "9" * 5000},
        {"px_symbols": "MP", "px_risk_open": "true", "px_risk_window": "٦٣",
         "px_risk_overlap": "4" * 5000},
    ],
    ids=["old names", "today's names"],
)  # fmt: skip
def test_risk_numbers_in_other_digits_or_too_long_are_named_not_a_crash(
    query: dict[str, str],
) -> None:
    """Issue 25: "٣٠" (int() reads it as 30) and a 5,000-digit value raised before."""
    at = render("prices", query)
    assert_total(at, full_charts=2, context=query)
    text = _plain(at)
    window = query.get("risk_window") or query["px_risk_window"]
    overlap = query.get("risk_overlap") or query["px_risk_overlap"]
    assert f"‘{window}’" in text and f"‘{overlap[:60]}’" in text, text  # notes cut at 60
    assert at.select_slider(key="px_risk_window").value == 63
    assert at.select_slider(key="px_risk_overlap").value == 60
    url = {k: at.query_params[k] for k in at.query_params}
    assert "px_risk_window" not in url and "px_risk_overlap" not in url


def test_custom_range_without_prices_says_no_prices_in_this_range() -> None:
    """Issue 25: no prices in a custom range is not "no offline data" (that is for a symbol
    with no data at all)."""
    query = {"px_symbols": ["MP", "NEO.TO"], "px_range": "Custom",
             "px_custom": ["2016-01-04", "2016-03-01"]}  # fmt: skip
    at = render("prices", query)
    assert_total(at, full_charts=0, context="empty custom range")
    text = _plain(at)
    assert "MP**: no prices in this range (its prices run 18 Nov 2020" in text, text
    assert "NEO.TO**: no offline data" in text
    assert "MP**: no offline data" not in text
    assert "No prices in this range for the chosen symbols" in text
    url = {k: at.query_params[k] for k in at.query_params}
    assert url["px_custom"] == ["2016-01-04", "2016-03-01"]  # the link still says what it asked


PX_KEYS = [k for k in px.PARAM_KEYS]


def _view(at: AppTest) -> dict[str, Any]:
    ss = at.session_state
    return {k: ss[k] for k in PX_KEYS if k in ss and ss[k] not in (None, False, [])}


@pytest.mark.parametrize(
    "query",
    [
        {"symbols": ["UUUU", "mp"], "range": "5Y", "mode": "price", "ccy": "USD", "log": "1",
         "bench": "REMX"},
        {"symbols": "MP", "range": "Custom", "from": "2024-03-01", "to": "2024-09-30",
         "events": "1", "ev_jur": ["US", "Mars"]},
        {"symbols": ["MP", "LYC.AX"], "risk": "beta", "risk_bench": "REMX", "risk_overlap": "7"},
    ],
    ids=["controls", "custom and events", "risk"],
)  # fmt: skip
def test_the_address_bar_reopens_the_same_view(query: dict[str, Any]) -> None:
    """Issue 25: after a link (old names, a bad value) the address bar holds a link in today's
    names that another person opens on exactly the same view, without notes."""
    first = render("prices", query)
    assert_total(first, full_charts=2 if "risk" in query else 1, context=query)
    url = {k: first.query_params[k] for k in first.query_params}
    assert not set(url) & set(px.LEGACY_NAMES), url
    second = render("prices", url)
    assert _view(second) == _view(first)
    assert "not available here" not in _plain(second)
    assert {k: second.query_params[k] for k in second.query_params} == url


def test_returning_to_prices_restores_the_view_and_its_link() -> None:
    """The binding keeps every Prices choice while another page runs; the page's own nav link
    carries no parameters, yet Prices comes back as it was, and so does its address bar."""
    query = {"symbols": ["MP", "UUUU"], "range": "3Y", "risk": "rolling", "risk_window": "126"}
    at = render("prices", query)
    before, url = _view(at), {k: at.query_params[k] for k in at.query_params}
    at.query_params.clear()
    at.switch_page("pages/2_Policy_timeline.py").run()
    assert not at.exception and "px_range" not in at.query_params
    at.query_params.clear()
    at.switch_page("pages/1_Prices.py").run()
    assert not at.exception
    assert _view(at) == before
    assert {k: at.query_params[k] for k in at.query_params} == url


# --------------------------------------------------------------------------- built links

LABELS = {"MP": "MP · MP Materials · NYSE · USD", "LYC.AX": "LYC.AX · Lynas · ASX · AUD"}
LABELS_NOW = LABELS["MP"]  # MP's picker label with today's universe and snapshot
MILESTONES = ["corporate milestone", "funding/loan/grant"]

#: (builder arguments, the view the link opens: every choice by widget key)
BUILT: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"symbols": ["MP"]}, {"px_symbols": ["MP"]}),
    ({"symbols": ["MP", "LYC.AX", "MP"]}, {"px_symbols": ["MP", "LYC.AX"]}),
    ({"symbols": ["LYC.AX"], "range_key": "1M"}, {"px_symbols": ["LYC.AX"], "px_range": "1M"}),
    ({"symbols": ["MP"], "range_key": "1Y"}, {"px_symbols": ["MP"]}),  # the default: left out
    ({"symbols": ["MP"], "range_key": "Max", "labels": LABELS},
     {"px_symbols": ["MP"], "px_range": "Max"}),
    ({"symbols": ["ZZZZ"], "labels": LABELS}, {"px_symbols": ["ZZZZ"]}),  # no label: its id
    ({"symbols": ["MP"], "range_key": "Max", "event_categories": MILESTONES},
     {"px_symbols": ["MP"], "px_range": "Max", "px_events": True, "px_ev_cat": MILESTONES}),
    ({"symbols": ["MP"], "event_categories": []}, {"px_symbols": ["MP"], "px_events": True}),
    ({"symbols": []}, {}),
]  # fmt: skip


@pytest.mark.parametrize(("args", "view"), BUILT, ids=[str(a) for a, _ in BUILT])
def test_a_built_link_opens_its_view_with_nothing_to_rewrite(
    args: dict[str, Any], view: dict[str, Any]
) -> None:
    """Issue 25: links built on other pages (Supply, Catalysts, Watchlists, alert digests)
    use today's names, so the page opens them without a legacy rewrite or a note."""
    query = links.prices_query(**args)
    assert not set(query) & set(px.LEGACY_NAMES)
    link = px.translate(query, WINDOW, args.get("labels"))
    assert link.values == view
    assert (link.params, link.notes, link.legacy, link.from_legacy) == ({}, [], [], set())


def test_a_link_of_ids_opened_with_labels_is_read_as_it_is() -> None:
    """A shared or e-mailed link carries ids: the translator reads them as they are."""
    link = px.translate(links.prices_query(["MP"], range_key="3Y"), WINDOW, LABELS)
    assert link.values == {"px_symbols": ["MP"], "px_range": "3Y"}
    assert (link.params, link.notes) == ({}, [])  # Streamlit's picker writes the label itself


@pytest.mark.parametrize(
    ("args", "url"),
    [
        ({"symbols": ["LYC.AX"], "range_key": "1M"}, "/Prices?px_symbols=LYC.AX&px_range=1M"),
        ({"symbols": ["MP", "^GSPC"]}, "/Prices?px_symbols=MP&px_symbols=%5EGSPC"),
        ({"symbols": ["MP"], "labels": LABELS, "path": "./Prices"},
         "./Prices?px_symbols=MP+%C2%B7+MP+Materials+%C2%B7+NYSE+%C2%B7+USD"),
        ({"symbols": []}, "/Prices"),
    ],
)  # fmt: skip
def test_prices_url(args: dict[str, Any], url: str) -> None:
    assert links.prices_url(**args) == url


@pytest.mark.parametrize(
    "args",
    [
        {"symbols": ["MP"], "range_key": "Custom"},  # a custom range needs its dates
        {"symbols": ["MP"], "range_key": "2Y"},
        {"symbols": ["MP"], "event_categories": ["rumour"]},
    ],
)
def test_the_builder_refuses_what_the_page_would_drop(args: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        links.prices_query(**args)


def test_the_page_names_are_the_builders() -> None:
    assert (px.SYMBOLS, px.RANGE, px.EVENTS, px.EV_CAT) == (
        links.SYMBOLS, links.RANGE, links.EVENTS, links.EV_CAT
    )  # fmt: skip
    assert px.DEFAULT_RANGE == links.DEFAULT_RANGE and px.LABEL_SEP == links.LABEL_SEP


# --------------------------------------------------------------------------- hidden characters


@pytest.mark.parametrize(
    ("texts", "read", "named"),
    [
        (["\u202eMP"], ["MP"], ["\u202eMP"]),
        (["MP\u200b", "LYC.AX"], ["MP", "LYC.AX"], ["MP\u200b"]),
        (["\u2066lyc.ax\u2069"], ["LYC.AX"], ["\u2066lyc.ax\u2069"]),
        (["ww\u200bw.x.invalid"], ["WWW.X.INVALID"], ["ww\u200bw.x.invalid"]),
        (["\u200b", "MP"], ["MP"], ["\u200b"]),
        (["\u200b"], None, ["\u200b"]),
    ],
)
def test_symbols_with_hidden_characters_are_rewritten_as_read_and_named(
    texts: list[str], read: list[str] | None, named: list[str]
) -> None:
    """Issue 25: the bound picker reads the URL as it is, so a px_symbols value with an RLO or
    a zero-width character became a chip showing it. The URL is rewritten as read."""
    link = px.translate({"px_symbols": texts}, WINDOW, LABELS)
    assert link.values.get("px_symbols") == read
    assert [v for n in link.notes for v in n.values] == named
    assert all(n.key == "px_symbols" for n in link.notes)
    written = link.params["px_symbols"]
    assert written == [LABELS.get(s, s) for s in read or []]
    again = px.translate({"px_symbols": written} if written else {}, WINDOW, LABELS)
    assert (again.params, again.notes) == ({}, [])


def test_hidden_characters_never_reach_a_chip_and_the_note_is_inert() -> None:
    query = {"px_symbols": ["\u202eMP", "ww\u200bw.x.invalid"]}
    at = render("prices", query)
    assert_total(at, full_charts=1, context=query)
    chips = at.multiselect(key="px_symbols").value
    assert chips == ["MP", "WWW.X.INVALID"]
    url = at.query_params["px_symbols"]
    assert url == [LABELS_NOW, "WWW.X.INVALID"], url
    text = " ".join(m.value for m in at.info)
    assert "hidden characters removed" in text and "\u202e" not in text and "\u200b" not in text
