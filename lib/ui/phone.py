"""Phone layout: on a narrow screen the chart comes before the controls.

Streamlit stacks columns below 640 px, so a page whose controls come first shows only
controls on a phone's first screen. Each page wraps its controls and its chart in keyed
containers; a scoped media query reorders them (CSS ``order`` inside the main flex column),
so the desktop layout and the script order stay as they are. Button groups wrap instead of
running off the right edge.
"""

from __future__ import annotations

import streamlit as st

#: Streamlit's own breakpoint for stacking columns.
PHONE_MAX_WIDTH_PX = 640


#: The page's main column; Streamlit wraps keyed containers in a stLayoutWrapper div.
_MAIN = '[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"]'


def _item(key: str) -> str:
    """The main column's child that holds the element or container keyed ``key``."""
    return f':is(.st-key-{key}, [data-testid="stLayoutWrapper"]:has(> .st-key-{key}))'


def chart_first_css(chart_key: str, controls_from: str, *, keep_first: bool = False) -> str:
    """The style block for one page (keys are our own constants, never user text).

    ``controls_from`` is the key of the first control; it and everything after it move below
    the chart (with ``keep_first`` that control itself stays above, e.g. Home's range picker).
    Everything after the chart keeps its place below it.
    """
    c, k = f"{_MAIN} > {_item(controls_from)}", _item(chart_key)
    moved = f"{c} ~ *" if keep_first else f"{c}, {c} ~ *"
    return (
        "<style>"
        f"@media (max-width: {PHONE_MAX_WIDTH_PX}px) {{"
        f"{_MAIN} {{ display: flex; flex-direction: column; }}"
        f"{moved} {{ order: 2; }}"
        f"{c} ~ {k} {{ order: 1; }}"
        f"{_MAIN} > {k} ~ * {{ order: 3; }}"
        '[data-testid="stButtonGroup"] > div { flex-wrap: wrap; }'
        "}"
        "</style>"
    )


def chart_first(chart_key: str, controls_from: str, *, keep_first: bool = False) -> None:
    """On phones, show the ``chart_key`` container right after the page header."""
    st.html(chart_first_css(chart_key, controls_from, keep_first=keep_first))
