"""Property tests: every page, driven through AppTest with generated inputs, stays total.

Inputs are what a user or a shared link can produce (see tests/totality.py for the text corpus);
invariants are checked by ``assert_total`` (no exception element, no markdown link/image from
injected text, a message where nothing can be charted, widget state within its limits).
Profiles: tests/hypothesis_profiles.py ("ci" by default, HYPOTHESIS_PROFILE=fuzz for `make fuzz`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import tests.hypothesis_profiles  # noqa: F401  (registers and loads the profile)
from lib.datafiles import CATEGORIES, JURISDICTIONS
from lib.returns import RANGES
from lib.ui.views.risk import RISK_TABS
from tests.totality import (
    NASTY_TEXT,
    NON_UNIVERSE_WITH_DATA,
    UNIVERSE_SYMBOLS,
    WITH_DATA,
    WITHOUT_DATA,
    assert_total,
    fresh_data_home,
    make_watchlist,
    render,
)

pytestmark = pytest.mark.slow  # every example is a page run: `make test` runs them

# --------------------------------------------------------------------------- strategies

known_symbols = st.sampled_from(UNIVERSE_SYMBOLS + NON_UNIVERSE_WITH_DATA)
with_data = st.sampled_from(WITH_DATA)
without_data = st.sampled_from(WITHOUT_DATA)
#: Valid-looking tickers that are in neither the universe nor the snapshot.
unknown_tickers = st.from_regex(r"\A[A-Z]{2,5}(\.[A-Z]{1,2})?\Z").filter(
    lambda s: s not in UNIVERSE_SYMBOLS and s not in NON_UNIVERSE_WITH_DATA
)
format_chars = st.text(
    alphabet=st.characters(categories=["Cf", "Cc", "Lu", "Nd", "Zs", "Po", "Ps", "Pe", "Sm"]),
    max_size=24,
)
nasty = st.sampled_from(NASTY_TEXT)
any_symbol_text = st.one_of(with_data, without_data, known_symbols, unknown_tickers, nasty)
symbol_lists = st.one_of(
    st.lists(any_symbol_text, max_size=14),
    st.lists(st.one_of(any_symbol_text, format_chars), min_size=10, max_size=50),
)
oversize = st.sampled_from(["x" * 5000, "MP," * 2000, "%00" * 100])
unknown_params = st.dictionaries(
    st.sampled_from(["foo", "utm_source", "page", "symbol", "SYMBOLS", "x" * 200, "", "range[]"]),
    st.one_of(nasty, oversize, st.lists(nasty, min_size=2, max_size=3)),
    max_size=3,
)


def repeated(values: list[str]) -> st.SearchStrategy[str | list[str]]:
    one = st.sampled_from(values)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


range_param = repeated([*RANGES, "Custom", "custom", "2Y", "", "x" * 300])
mode_param = repeated(["rebased", "price", "pct", "PRICE", "", "%"])
ccy_param = repeated(["Local", "USD", "usd", "EUR", ""])
log_param = repeated(["0", "1", "true", ""])
bench_param = repeated(["SPY", "REMX", "MP", "![](http://x.invalid/b)", ""])
flag_param = repeated(["0", "1", "yes", "", "2"])
#: Link dates: valid (any order, far past or future), malformed, or hostile.
link_date_param = repeated(
    ["2025-01-02", "2024-06-30", "1900-01-01", "2199-12-31", "2025-13-01", "2025-1-2", "", "<b>"]
)
ev_cat_param = repeated([*CATEGORIES[:3], "Tariff", "[x](//x.invalid/c)", ""])
ev_jur_param = repeated(["US", "China", "Mars", "*", ""])
risk_tab_param = repeated(["drawdown", "correlation", "rolling", "beta", "Beta", ""])
risk_pick_param = repeated(["SPY", "REMX", "MP", "West basket", "China basket", "ZZZZ", "<i>"])
risk_number_param = repeated(["21", "63", "40", "120", "7", "-1", "1e9", ""])

LO, HI = date(2015, 1, 1), date(2026, 12, 31)
days = st.dates(min_value=LO, max_value=HI)
#: Custom range as the date picker can leave it: none, one date, two dates, or reversed.
custom_dates = st.one_of(
    st.just(()),
    days.map(lambda d: (d,)),
    st.tuples(days, days).map(lambda t: tuple(sorted(t))),
    st.tuples(days, days).map(lambda t: tuple(sorted(t, reverse=True))),
    days.filter(lambda d: d.weekday() == 5).map(lambda d: (d, d + timedelta(days=1))),
)


def watchlist_states() -> st.SearchStrategy[list[str] | None]:
    """None (no active list), or a list: empty, 13+ symbols, symbols without data, mixed."""
    return st.one_of(
        st.none(),
        st.just([]),
        st.lists(st.sampled_from(UNIVERSE_SYMBOLS), min_size=13, max_size=20, unique=True),
        st.lists(without_data, min_size=1, max_size=4, unique=True),
        st.lists(st.one_of(with_data, without_data, unknown_tickers), max_size=6, unique=True),
    )


def with_watchlist(symbols: list[str] | None) -> dict[str, Any]:
    """Sidebar state selecting a freshly created list (inside fresh_data_home)."""
    if symbols is None:
        return {}
    return {"_wl_active_pick": make_watchlist(symbols)}


def query(draw: st.DrawFn, params: dict[str, st.SearchStrategy]) -> list[tuple[str, Any]]:
    out = [(k, draw(v)) for k, v in params.items() if draw(st.booleans())]
    out.extend(draw(unknown_params).items())
    return out


# --------------------------------------------------------------------------- Home


@given(data=st.data())
def test_home_is_total(data: st.DataObject) -> None:
    q = query(data.draw, {"symbols": symbol_lists.map(lambda x: x or [""])})
    start = data.draw(st.sampled_from([None, "Since Jan 2024", "1Y", "Since Jul 2025"]))
    watch = data.draw(watchlist_states())
    steps = (
        []
        if start is None
        else [lambda at: at.segmented_control(key="home_start").set_value(start)]
    )
    with fresh_data_home():
        at = render("home", q, with_watchlist(watch), steps)
        assert_total(at, full_charts=1, context=(q, start, watch))


# --------------------------------------------------------------------------- Prices


@st.composite
def prices_inputs(draw: st.DrawFn) -> dict[str, Any]:
    q = query(
        draw,
        {
            "range": range_param,
            "mode": mode_param,
            "ccy": ccy_param,
            "log": log_param,
            "bench": bench_param,
            "from": link_date_param,
            "to": link_date_param,
            "spac": flag_param,
            "events": flag_param,
            "ev_cat": ev_cat_param,
            "ev_jur": ev_jur_param,
            "risk": risk_tab_param,
            "risk_bench": risk_pick_param,
            "risk_a": risk_pick_param,
            "risk_b": risk_pick_param,
            "risk_window": risk_number_param,
            "risk_overlap": risk_number_param,
        },
    )
    symbols = draw(st.one_of(st.none(), symbol_lists))
    if symbols is not None:
        q.insert(0, ("symbols", symbols or [""]))
    return {
        "query": q,
        "watch": draw(watchlist_states()),
        "custom": draw(st.one_of(st.none(), custom_dates)),
        "spac": draw(st.booleans()),
        "events": draw(
            st.one_of(
                st.none(),
                st.tuples(
                    st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True),
                    st.lists(st.sampled_from(JURISDICTIONS), max_size=3, unique=True),
                ),
            )
        ),
        # The Risk section runs only when opened, and then only its open tab.
        "risk": draw(st.one_of(st.none(), st.sampled_from(RISK_TABS))),
    }


def _prices_steps(inp: dict[str, Any]) -> list:
    steps = []
    if inp["custom"] is not None:

        def custom(at: AppTest) -> None:
            at.segmented_control(key="px_range").set_value("Custom")

        def dates(at: AppTest) -> None:
            widget = at.date_input(key="px_custom")
            widget.set_value(inp["custom"])

        steps += [custom, dates]
    if inp["spac"] or inp["events"] is not None:

        def open_more(at: AppTest) -> None:
            at.session_state["px_more"] = True  # "More options" runs only when open

        def toggles(at: AppTest) -> None:
            at.toggle(key="px_spac").set_value(inp["spac"])
            at.toggle(key="px_events").set_value(inp["events"] is not None)

        steps += [open_more, toggles]
    if inp["events"] is not None:
        cats, places = inp["events"]

        def filters(at: AppTest) -> None:
            at.multiselect(key="px_ev_cat").set_value(cats)
            at.multiselect(key="px_ev_jur").set_value(places)

        steps.append(filters)
    if inp["risk"] is not None:

        def risk_tab(at: AppTest) -> None:
            at.session_state["px_risk_open"] = True
            at.session_state["px_risk_tabs"] = inp["risk"]

        steps.append(risk_tab)
    return steps


@given(inp=prices_inputs())
def test_prices_is_total(inp: dict[str, Any]) -> None:
    with fresh_data_home():
        at = render("prices", inp["query"], with_watchlist(inp["watch"]), _prices_steps(inp))
        assert_total(at, full_charts=1, context=inp)


@given(
    symbols=st.lists(st.one_of(with_data, without_data, unknown_tickers), max_size=12),
    range_key=st.sampled_from([*RANGES, "Custom"]),
    mode=st.sampled_from(["Rebased to 100", "Price", "% change"]),
    ccy=st.sampled_from(["Local", "USD"]),
    log=st.booleans(),
    bench=st.lists(st.sampled_from(["SPY", "REMX"]), unique=True),
)
@settings(max_examples=settings().max_examples // 2 or 1)
def test_prices_widgets_are_total(
    symbols: list[str], range_key: str, mode: str, ccy: str, log: bool, bench: list[str]
) -> None:
    """The same page driven through its widgets (every mode/currency/benchmark combination)."""

    def pick(at: AppTest) -> None:
        at.multiselect(key="px_symbols").set_value(symbols)
        at.segmented_control(key="px_range").set_value(range_key)
        at.segmented_control(key="px_mode").set_value(mode)
        at.segmented_control(key="px_ccy").set_value(ccy)
        at.toggle(key="px_log").set_value(log)
        at.pills(key="px_bench").set_value(bench)

    with fresh_data_home():
        at = render("prices", [("symbols", "MP")], None, [pick])
        ctx = (symbols, range_key, mode, ccy, log, bench)
        assert_total(at, full_charts=1, context=ctx)
        if not at.exception and not symbols:
            assert any("Pick at least one symbol" in m for m in (i.value for i in at.info))


# --------------------------------------------------------------------------- Policy timeline


@given(data=st.data())
def test_policy_timeline_is_total(data: st.DataObject) -> None:
    draw = data.draw
    places = draw(st.lists(st.sampled_from(JURISDICTIONS), max_size=3, unique=True))
    cats = draw(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True))
    text = draw(st.one_of(nasty, st.text(max_size=40)))
    span = draw(st.one_of(st.none(), custom_dates))
    pick_event = draw(st.booleans())
    peers = draw(st.lists(st.sampled_from(sorted(set(WITH_DATA) | {"SPY"})), max_size=4))
    q = query(draw, {})

    def filters(at: AppTest) -> None:
        at.multiselect(key="pt_jur").set_value(places)
        at.multiselect(key="pt_cat").set_value(cats)
        at.text_input(key="pt_text").set_value(text)
        if span is not None:
            widget = at.date_input(key="pt_dates")
            lo, hi = widget.min, widget.max
            widget.set_value(tuple(min(max(d, lo), hi) for d in span))

    def choose(at: AppTest) -> None:
        boxes = [b for b in at.selectbox if b.key == "pt_event"]
        if boxes and boxes[0].options:  # labels are "E008 · date · title"; the value is the id
            at.session_state["pt_event"] = boxes[0].options[0].split(" · ")[0]

    def compare(at: AppTest) -> None:
        for w in at.multiselect:
            if w.key == "pt_peers":
                w.set_value([p for p in peers if p in w.options])

    steps = [filters] + ([choose, compare] if pick_event else [])
    with fresh_data_home():
        at = render("policy", q, None, steps)
        ctx = (places, cats, text, span, pick_event, peers, q)
        assert_total(at, full_charts=1, context=ctx)


# --------------------------------------------------------------------------- Event study

by_choice = st.sampled_from(["Events", "Category", "Jurisdiction"])
windows = st.tuples(st.integers(-30, 30), st.integers(-30, 30)).map(lambda t: tuple(sorted(t)))
est_windows = st.tuples(st.integers(-500, -2), st.integers(-500, -2)).map(
    lambda t: tuple(sorted(t))
)


#: The two most expensive pages (three script runs each) get two thirds of the examples.
FEWER = settings(max_examples=max(1, settings().max_examples * 2 // 3))


@FEWER
@given(data=st.data())
def test_event_study_is_total(data: st.DataObject) -> None:
    draw = data.draw
    by = draw(by_choice)
    syms = draw(st.lists(st.sampled_from(UNIVERSE_SYMBOLS), max_size=8, unique=True))
    baskets = draw(st.lists(st.sampled_from(["West", "China"]), unique=True))
    win, est = draw(windows), draw(est_windows)
    model = draw(st.sampled_from(["market", "market_adjusted", "mean_adjusted"]))
    inexact = draw(st.booleans())
    n_values = draw(st.integers(0, 4))
    watch = draw(watchlist_states())
    bench_i = draw(st.integers(0, 20))

    def choose_by(at: AppTest) -> None:
        at.segmented_control(key="es_by").set_value(by)

    def widgets(at: AppTest) -> None:
        key = {"Events": "es_events", "Category": "es_cats", "Jurisdiction": "es_jur"}[by]
        values = at.multiselect(key=key)
        values.set_value(_raw_options(values)[:n_values])
        at.checkbox(key="es_inexact").set_value(inexact)
        at.multiselect(key="es_syms").set_value(syms)
        at.pills(key="es_baskets").set_value(baskets)
        at.slider(key="es_win").set_value(win)
        at.slider(key="es_est").set_value(est)
        at.selectbox(key="es_model").set_value(model)
        bench = at.selectbox(key="es_bench")
        bench.select_index(bench_i % max(1, len(bench.options)))

    with fresh_data_home():
        at = render("event", None, with_watchlist(watch), [choose_by, widgets])
        ctx = (by, n_values, syms, baskets, win, est, model, inexact, watch)
        assert_total(at, full_charts=1, context=ctx)


def _raw_options(multiselect: Any) -> list[Any]:
    """Raw option values of a multiselect whose labels are formatted."""
    if multiselect.key == "es_events":
        from lib.events.events import event_option_label, load_events

        return list(event_option_label(load_events()))
    return list(multiselect.options)


# --------------------------------------------------------------------------- Market outlook


@FEWER
@given(data=st.data())
def test_market_outlook_is_total(data: st.DataObject) -> None:
    draw = data.draw
    watch = draw(watchlist_states())
    scope_i = draw(st.integers(0, 10))
    log, old, unverified = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    equities = draw(st.one_of(st.none(), st.lists(st.sampled_from(UNIVERSE_SYMBOLS), max_size=8)))
    scenario = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(2015, 2040),
                st.floats(0.001, 1e6, allow_nan=False),
                st.floats(-50, 100, allow_nan=False),
            ),
        )
    )

    def options(at: AppTest) -> None:
        # By value: AppTest's select_index sets the formatted label, which a format_func
        # selectbox cannot map back (streamlit.testing Selectbox.index raises ValueError).
        from lib.ui.views.outlook import scopes

        keys = list(scopes())
        at.selectbox(key="scope").set_value(keys[scope_i % len(keys)])
        at.toggle(key="log_scale").set_value(log)
        at.toggle(key="show_superseded").set_value(old)
        at.toggle(key="include_unverified").set_value(unverified)
        if equities is not None:
            at.multiselect(key="equity_symbols").set_value(list(dict.fromkeys(equities)))

    def scen(at: AppTest) -> None:
        on = next(t for t in at.toggle if str(t.key).startswith("scenario_on_"))
        on.set_value(True)
        y, v, g = scenario
        for n in at.number_input:
            k = str(n.key)
            if k.startswith("scenario_year_"):
                n.set_value(y)
            elif k.startswith("scenario_base_"):
                n.set_value(v)
            elif k.startswith("scenario_cagr_"):
                n.set_value(g)

    steps = [options] + ([scen] if scenario is not None else [])
    with fresh_data_home():
        at = render("outlook", None, with_watchlist(watch), steps)
        assert_total(at, full_charts=3, context=(watch, scope_i, equities, scenario))


# --------------------------------------------------------------------------- Watchlists

action = st.sampled_from(["add", "create", "paste", "rename", "note"])


@given(data=st.data())
def test_watchlists_is_total(data: st.DataObject) -> None:
    draw = data.draw
    watch = draw(watchlist_states())
    acts = draw(st.lists(st.tuples(action, st.one_of(nasty, any_symbol_text)), max_size=2))

    def step_for(kind: str, text: str):
        def step(at: AppTest) -> None:
            if kind == "add":
                at.text_input(key="wl_add_text").set_value(text)
                at.button(key="wl_add").click()
            elif kind == "create":
                at.text_input(key="wl_new_name").set_value(text[:60])
                at.button(key="wl_create").click()
            elif kind == "paste":
                at.text_area(key="wl_paste").set_value(text)
                at.button(key="wl_paste_add").click()
            elif kind == "rename":
                at.text_input(key="wl_rename_text").set_value(text[:60])
                at.button(key="wl_rename").click()
            else:
                notes = [t for t in at.text_input if str(t.key).startswith("wl_note_")]
                if notes:
                    notes[0].set_value(text[:500])
                    at.button(key="wl_save_note").click()

        return step

    with fresh_data_home():
        at = render("watchlists", None, with_watchlist(watch), [step_for(*a) for a in acts])
        assert_total(at, context=(watch, acts))


# --------------------------------------------------------------------------- every page, any URL


@given(
    page_key=st.sampled_from(["home", "policy", "event", "outlook", "watchlists"]),
    params=unknown_params,
    symbols=symbol_lists,
)
def test_foreign_query_params_never_break_a_page(
    page_key: str, params: dict[str, Any], symbols: list[str]
) -> None:
    """Links meant for one page (or crafted) open any other page cleanly."""
    with fresh_data_home():
        at = render(page_key, [("symbols", symbols or [""]), *params.items()])
        assert_total(at, context=(page_key, params, symbols))
