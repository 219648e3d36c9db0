"""Shareable views: a link opened as the first request shows exactly that view.

Every page binds its controls to the URL with Streamlit's own ``bind="query-params"`` (the
widget key is the parameter name). Prices' older short parameters (``?symbols=MP&range=1Y``)
must keep working (tests/test_prices_links.py has the full table). Invalid values fall back and
the page says which value it left out, escaped.
"""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.totality import assert_total, main_messages, render


def _plain(at: AppTest) -> str:
    return " ".join(main_messages(at)).replace("\\", "")


def test_prices_legacy_link_still_opens_that_view() -> None:
    at = render("prices", {"symbols": ["MP", "LYC.AX"], "range": "3Y", "mode": "pct"})
    assert_total(at, full_charts=1, context="legacy prices link")
    assert at.multiselect(key="px_symbols").value == ["MP", "LYC.AX"]
    assert at.session_state["px_range"] == "3Y"
    assert at.session_state["px_mode"] == "% change"
    # The address bar now says it in today's names (the widget keys Streamlit binds).
    assert _url(at) == {
        "px_symbols": _labels("MP", "LYC.AX"),
        "px_range": ["3Y"],
        "px_mode": ["% change"],
    }


def _as_lists(link: dict[str, str | list[str]]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in link.items()}


def _url(at: AppTest) -> dict[str, list[str]]:
    """The page's query parameters after the run, every value as a list."""
    out = {}
    for key in at.query_params:
        value = at.query_params[key]
        out[key] = list(value) if isinstance(value, (list, tuple)) else [value]
    return out


def _labels(*symbols: str) -> list[str]:
    """What the bound symbol picker writes: each symbol's picker label (its format_func)."""
    from lib.ui import data

    labels = data.symbol_labels()
    return [labels.get(s, s) for s in symbols]


FULL_PRICES_LINK = {
    "symbols": ["MP", "UUUU"],
    "range": "Custom",
    "from": "2025-01-02",
    "to": "2025-06-30",
    "spac": "1",
    "events": "1",
    "ev_cat": ["export control", "tariff"],
    "ev_jur": ["China"],
}
#: The same view in today's parameters, as the page writes it.
FULL_PRICES_URL = {
    "px_symbols": ["MP", "UUUU"],
    "px_range": "Custom",
    "px_custom": ["2025-01-02", "2025-06-30"],
    "px_spac": "true",
    "px_events": "true",
    "px_ev_cat": ["export control", "tariff"],
    "px_ev_jur": ["China"],
}


def _assert_full_view(at: AppTest) -> None:
    ss = at.session_state
    assert at.multiselect(key="px_symbols").value == ["MP", "UUUU"]
    assert ss["px_range"] == "Custom"
    assert tuple(ss["px_custom"]) == (date(2025, 1, 2), date(2025, 6, 30))
    assert ss["px_spac"] is True and ss["px_events"] is True
    assert ss["px_ev_cat"] == ["export control", "tariff"]
    assert ss["px_ev_jur"] == ["China"]
    assert any("SPAC history, policy events" in c.value for c in at.caption)
    assert "02 Jan 2025" in " ".join(c.value for c in at.caption)


def test_prices_link_carries_custom_range_and_more_options() -> None:
    """An old link opens the custom dates and the "More options" choices (closed, but applied
    and kept in the URL), and the address bar then holds a link that reopens the same view."""
    at = render("prices", FULL_PRICES_LINK)
    assert_total(at, full_charts=1, context="full prices link")
    _assert_full_view(at)
    assert not at.session_state["px_more"]  # the expander stays closed
    url = _url(at)
    assert url == {**_as_lists(FULL_PRICES_URL), "px_symbols": _labels("MP", "UUUU")}
    again = render("prices", url)  # the address bar, opened by someone else
    assert_total(again, full_charts=1, context="full prices link, reopened")
    _assert_full_view(again)
    assert _url(again) == url
    ids = render("prices", FULL_PRICES_URL)  # symbols by id, as a hand-written link has them
    _assert_full_view(ids)


def _bound(element: object) -> str:
    return element.proto.query_param_key  # type: ignore[attr-defined]


def test_every_prices_control_is_bound_to_its_url_parameter() -> None:
    """Streamlit's bind="query-params" writes each choice into the URL as the user makes it
    (the browser test sees the address bar change): every control carries its parameter."""
    at = render("prices", {"px_symbols": "MP", "px_range": "Custom", "px_events": "true",
                           "px_risk_open": "true"})  # fmt: skip
    assert_total(at, full_charts=2, context="bound controls")
    widgets = [
        at.multiselect(key="px_symbols"),
        at.button_group(key="px_range"),
        at.button_group(key="px_mode"),
        at.button_group(key="px_ccy"),
        at.toggle(key="px_log"),
        at.button_group(key="px_bench"),
        at.date_input(key="px_custom"),
        at.toggle(key="px_spac"),
        at.toggle(key="px_events"),
        at.multiselect(key="px_ev_cat"),
        at.multiselect(key="px_ev_jur"),
        at.selectbox(key="px_risk_bench"),
        at.selectbox(key="px_risk_a"),
        at.selectbox(key="px_risk_b"),
        at.select_slider(key="px_risk_window"),
        at.select_slider(key="px_risk_overlap"),
    ]
    assert [_bound(w) for w in widgets] == [w.key for w in widgets]
    assert {"px_more", "px_risk_open"} <= {_bound(e) for e in at.expander}
    # The Risk tabs: a link in today's names opens the tab Streamlit reads from the URL.
    beta = render("prices", {"px_symbols": "MP", "px_risk_open": "true", "px_risk_tabs": "Beta"})
    assert beta.session_state["px_risk_tabs"] == "Beta"
    assert _url(beta)["px_risk_tabs"] == ["Beta"]


def test_prices_link_with_bad_options_says_so_and_keeps_the_rest() -> None:
    query = {
        "symbols": ["MP"],
        "range": "Custom",
        "from": "2025-13-01",
        "to": "2025-06-30",
        "events": "1",
        "ev_cat": ["tariff", "[x](//x.invalid/c)"],
        "ev_jur": ["Mars"],
        "spac": "yes",
    }
    at = render("prices", query)
    assert_total(at, full_charts=1, context="bad prices link")
    text = _plain(at)
    for bad in ("2025-13-01", "[x](//x.invalid/c)", "Mars", "yes"):
        assert bad in text, text
    assert "only one end of a custom range" in text
    ss = at.session_state
    assert ss["px_ev_cat"] == ["tariff"] and ss["px_events"] is True
    assert "px_spac" not in ss or not ss["px_spac"]
    url = _url(at)
    assert url["px_range"] == ["Custom"] and url["px_ev_cat"] == ["tariff"]
    assert not {"px_custom", "px_ev_jur", "px_spac", "from", "to", "ev_jur"} & set(url)


def test_prices_link_with_a_date_the_picker_cannot_show_says_so() -> None:
    for query in (
        {"symbols": "MP", "range": "Custom", "from": "1900-01-01", "to": "2025-01-01"},
        {"px_symbols": "MP", "px_range": "Custom", "px_custom": ["1900-01-01", "2025-01-01"]},
    ):
        at = render("prices", query)
        assert_total(at, full_charts=1, context="prices link far date")
        assert "1900-01-01" in _plain(at)
        assert "1900-01-01" not in str(_url(at))


RISK_LINK = {
    "symbols": ["MP", "LYC.AX", "UUUU"],
    "range": "3Y",
    "risk": "rolling",
    "risk_bench": "REMX",
    "risk_a": "MP",
    "risk_b": "LYC.AX",
    "risk_window": "126",
    "risk_overlap": "40",
}
RISK_URL = {
    "px_range": ["3Y"],
    "px_risk_open": ["true"],
    "px_risk_tabs": ["Rolling correlation"],
    "px_risk_bench": ["REMX"],
    "px_risk_a": ["MP"],
    "px_risk_b": ["LYC.AX"],
    "px_risk_window": ["126"],
    "px_risk_overlap": ["40"],
}


def test_prices_link_opens_the_risk_section_on_its_tab_and_controls() -> None:
    at = render("prices", RISK_LINK)
    assert_total(at, full_charts=2, context="risk link")
    ss = at.session_state
    assert ss["px_risk_open"] is True and ss["px_risk_tabs"] == "Rolling correlation"
    assert at.selectbox(key="px_risk_bench").value == "REMX"
    assert (at.selectbox(key="px_risk_a").value, at.selectbox(key="px_risk_b").value) == (
        "MP",
        "LYC.AX",
    )
    assert at.select_slider(key="px_risk_window").value == 126
    assert at.select_slider(key="px_risk_overlap").value == 40
    assert "not available" not in _plain(at)
    at.run()  # the next run keeps the same link
    expected = {"px_symbols": _labels("MP", "LYC.AX", "UUUU"), **RISK_URL}
    assert _url(at) == expected
    again = render("prices", expected)
    assert at.select_slider(key="px_risk_window").value == 126
    assert again.session_state["px_risk_tabs"] == "Rolling correlation"
    assert _url(again) == expected


def test_prices_link_with_bad_risk_values_says_so() -> None:
    query = {
        "symbols": ["MP"],
        "risk": "beta",
        "risk_bench": "[x](//x.invalid/r)",
        "risk_a": "ZZZZ",
        "risk_window": "7",
        "risk_overlap": "x" * 300,
    }
    at = render("prices", query)
    assert_total(at, full_charts=1, context="bad risk link")
    text = _plain(at)
    for bad in ("[x](//x.invalid/r)", "ZZZZ", "‘7’", "x" * 60):
        assert bad in text, text
    assert at.session_state["px_risk_tabs"] == "Beta"
    assert at.select_slider(key="px_risk_window").value == 63  # the default
    at2 = render("prices", {"symbols": ["MP"], "risk": "nonsense"})
    assert_total(at2, full_charts=1, context="bad risk tab")
    assert "nonsense" in _plain(at2) and not at2.session_state["px_risk_open"]


def test_policy_link_opens_filters_and_event() -> None:
    query = {
        "pt_jur": ["US"],
        "pt_cat": ["equity stake/price floor"],
        "pt_dates": ["2024-01-01", "2025-12-31"],
        "pt_event": "E065",
    }
    at = render("policy", query)
    assert_total(at, full_charts=2, context="policy link")
    assert at.multiselect(key="pt_jur").value == ["US"]
    assert at.multiselect(key="pt_cat").value == ["equity stake/price floor"]
    assert tuple(at.date_input(key="pt_dates").value) == (date(2024, 1, 1), date(2025, 12, 31))
    assert at.selectbox(key="pt_event").value == "E065"


def test_policy_link_with_invalid_values_falls_back_with_an_escaped_message() -> None:
    at = render("policy", {"pt_jur": ["US", "[x](//x.invalid/p)"], "pt_event": "E999"})
    assert_total(at, full_charts=1, context="policy bad link")
    assert at.multiselect(key="pt_jur").value == ["US"]
    text = _plain(at)
    assert "[x](//x.invalid/p)" in text and "E999" in text


def test_policy_link_with_one_date_says_it_shows_every_date() -> None:
    at = render("policy", {"pt_dates": ["2024-01-01"]})
    assert_total(at, full_charts=1, context="policy half range")
    assert "Pick a start and an end date" in _plain(at)


def test_event_study_link_opens_that_study() -> None:
    query = {
        "es_events": ["E065"],
        "es_syms": ["MP", "LYC.AX"],
        "es_win": ["-3", "5"],
        "es_model": "mean_adjusted",
    }
    at = render("event", query)
    assert_total(at, full_charts=1, context="event study link")
    assert at.multiselect(key="es_events").value == ["E065"]
    assert at.multiselect(key="es_syms").value == ["MP", "LYC.AX"]
    assert at.slider(key="es_win").value == (-3, 5)
    assert at.selectbox(key="es_model").value == "mean_adjusted"


def test_event_study_link_with_bad_window_and_symbol_says_so() -> None:
    at = render("event", {"es_win": ["-99", "5"], "es_syms": ["MP", "NOPE.XX"]})
    assert_total(at, full_charts=1, context="event study bad link")
    assert at.slider(key="es_win").value == (-5, 10)
    assert at.multiselect(key="es_syms").value == ["MP"]
    text = _plain(at)
    assert "-99" in text and "NOPE.XX" in text


def test_outlook_link_opens_scope_toggles_and_equities() -> None:
    from lib.ui.views.outlook import scopes

    first, second = list(scopes())[:2]
    query = {"scope": second, "log_scale": "true", "equity_symbols": ["MP"]}
    at = render("outlook", query)
    assert_total(at, full_charts=3, context="outlook link")
    assert at.selectbox(key="scope").value == second != first
    assert at.toggle(key="log_scale").value is True
    assert at.multiselect(key="equity_symbols").value == ["MP"]


@pytest.mark.parametrize("key", ["scope", "equity_symbols"])
def test_outlook_link_with_unknown_value_says_so(key: str) -> None:
    at = render("outlook", {key: "NOT-A-THING"})
    assert_total(at, full_charts=3, context=f"outlook bad {key}")
    assert "NOT-A-THING" in _plain(at)


def test_supply_link_opens_that_view() -> None:
    at = render("pages/6_Supply_gap.py", {"sup_year": "2030", "sup_unverified": "false"})
    assert not at.exception
    assert at.select_slider(key="sup_year").value == 2030
    assert at.toggle(key="sup_unverified").value is False


def test_supply_link_with_unknown_year_says_so() -> None:
    at = render("pages/6_Supply_gap.py", {"sup_year": "1999"})
    assert not at.exception
    assert "1999" in _plain(at)
