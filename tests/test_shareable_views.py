"""Shareable views: a link opened as the first request shows exactly that view.

Policy timeline, Event study, Market outlook and Supply gap bind their controls to the URL with
Streamlit's own ``bind="query-params"`` (the widget key is the parameter name). Prices keeps its
own short parameters (``?symbols=MP&symbols=LYC.AX&range=1Y``), which must keep working. Invalid
values fall back and the page says which value it left out, escaped.
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
