"""The app's entrypoint: the frame every page runs in, and Home (the design card keeps app.py
as Home): is the West closing the rare-earth gap with China, at a glance."""

from __future__ import annotations

import streamlit as st

from lib.ui import catalyst_calendar, frame, phone, vega, warm
from lib.ui import scoreboard as supply_gap
from lib.ui.views import home as view

frame.page_setup(
    "Rare Earths Revival",
    ":material/public:",
    "Can the West close the rare-earth gap with China, and what does the market already "
    "price in? Equal-weighted baskets of listed producers, key moves, and the latest policy.",
)

START_CHOICES = {"Since Jan 2024": "2024-01-01", "1Y": None, "Since Jul 2025": "2025-07-01"}
start_label = st.segmented_control(
    "Basket chart from", list(START_CHOICES), default="Since Jan 2024", key="home_start"
)
start = START_CHOICES.get(start_label or "Since Jan 2024")
phone.chart_first("home_chart_box", "home_start", keep_first=True)
home = view.home_overview(start)

view.kpi_cards(home)  # each card shows its own date (a symbol's latest close / common date)

st.caption(
    "**The physical gap**: China's latest share of mining and of magnets, US import reliance "
    "(each against the same edition's previous year), and the gap by stage"
)
supply_gap.gap_row()
supply_gap.scoreboard(compact=True)

with st.container(key="home_chart_box"):  # first on a phone (lib.ui.phone)
    st.subheader("West basket vs China basket")
    vega.show(view.home_chart(start), key="home_chart")
    st.caption(
        home.caption + " Vertical rules: export controls, tariffs, equity stakes and price "
        "floors, alliances (dashed = date not exact). Hover them for details."
    )
    for note in home.notes:
        st.caption(f":material/info: {note}")
    view.home_exports(home, start)

left, right = st.columns([3, 2])
with left:
    view.latest_events_list(limit=6)
with right:
    catalyst_calendar.home_box()  # issue 22: the nearest catalysts, linking to Catalysts
    st.subheader("Explore")
    view.page_links()

# Home has drawn: compute what the other pages need on first open, once per process.
warm.start_once()
