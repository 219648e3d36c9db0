"""The supply gap at a glance, for Home and the Supply gap page: the gap row (three headline
figures with same-basis changes) and the per-stage gap scoreboard.

A widget module, so Home and the Supply view share it without one view importing another.
Loaders are cached on the data-file token and small scalars; the pure work is in
:mod:`lib.supply.headline` and :mod:`lib.supply.scoreboard`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lib.supply import headline
from lib.supply import scoreboard as board
from lib.supply.load import SupplyData, data_token, load_supply
from lib.supply.schema import SupplyDataError
from lib.ui import widgets

SUPPLY_PAGE = "pages/6_Supply_gap.py"
#: When the Western pipeline was last compiled from company and government releases.
PIPELINE_AS_OF = "2026-11-30"
#: Scoreboard horizon: capacity in place by this year if every project is on time.
BY_YEAR = 2028
#: Colour follows meaning for the West: China's share or US reliance rising is bad news.
OUTLOOK_COLORS = {"worse": "red", "better": "green", "unchanged": "gray", None: "off"}
ROW_HEIGHT = 110
COMPACT_ROW_HEIGHT = 84
#: The figures first, then where China's figure comes from, then how sure we are.
ORDER = ["stage", "china", "west_now", "west_by", "ratio", "trend", "china_source",
         "confidence", "source_url"]  # fmt: skip
OUTLOOK_WORDS = {"worse": "worse for the West", "better": "better for the West"}


@st.cache_data(show_spinner=False, max_entries=4)
def supply_tables(token: str) -> SupplyData:
    return load_supply()


def supply_data() -> SupplyData:
    """Every supply table, validated; re-read only when a file under data/supply changes."""
    return supply_tables(data_token())


def load_or_explain() -> SupplyData | None:
    """The data, or None after telling the user in words which file is broken."""
    try:
        return supply_data()
    except SupplyDataError as exc:
        st.error(
            f"{widgets.escape_markdown(exc)} The Supply gap page needs every file in "
            "data/supply to be valid.",
            icon=":material/error:",
        )
        return None


@st.cache_data(show_spinner=False, max_entries=4)
def _gap(token: str) -> list[headline.GapFigure]:
    return headline.gap_row(supply_tables(token))


@st.cache_data(show_spinner=False, max_entries=8)
def scores(token: str, today: int, by: int = BY_YEAR) -> list[board.StageScore]:
    """The scoreboard rows (cached on the data token, today's year and the horizon)."""
    return board.scoreboard(supply_tables(token), today, by)


def _help(fig: headline.GapFigure) -> str:
    parts = [f"{fig.basis}. {fig.edition}, data year {fig.year}; confidence {fig.confidence}."]
    if fig.previous_year is not None:
        parts.append(
            f"The same edition gives {fig.previous_label} for {fig.previous_year}: "
            f"{fig.change_label}."
        )
    if fig.revision is not None:
        parts.append(f"{fig.revision.text} (a revision, not a change over time).")
    if fig.note:
        parts.append(fig.note)
    return " ".join(parts)


def gap_row() -> None:
    """Three metrics: China's mining and magnet shares, US import reliance, each with its
    edition, the change since the same edition's previous year (red when it is bad news for
    the West) and any revision on its own line. A load failure is one caption, not a box."""
    try:
        figures = _gap(data_token())
    except SupplyDataError as exc:
        st.caption(f":material/error: Supply figures unavailable: {widgets.escape_markdown(exc)}")
        return
    cols = st.columns(len(figures))
    for col, fig in zip(cols, figures, strict=True):
        delta = None if fig.change is None else f"{fig.change:+.1f} pp vs {fig.previous_year}"
        col.metric(
            f"{fig.label} ({fig.year})",
            fig.value_label,
            delta=delta,
            delta_color=OUTLOOK_COLORS[fig.outlook],
            help=_help(fig),
            border=True,
        )
        words = OUTLOOK_WORDS.get(fig.outlook or "")
        col.caption(
            f"{widgets.escape_markdown(fig.edition)} · {widgets.escape_markdown(fig.change_label)}"
            + (f", {words}" if words else "")
        )
        if fig.revision is not None:
            col.caption(f":material/history: {widgets.escape_markdown(fig.revision.text)}.")


def _frame(rows: list[board.StageScore], compact: bool) -> pd.DataFrame:
    frame = board.scoreboard_frame(rows, compact=compact)
    if not compact:
        words = [OUTLOOK_WORDS.get(s.outlook or "") for s in rows]
        frame["trend"] = [
            t + (f" ({w})" if w else "") for t, w in zip(frame["trend"], words, strict=True)
        ]
    return frame


def _columns(by: int, compact: bool) -> dict[str, object]:
    cols: dict[str, object] = {
        "stage": st.column_config.TextColumn("Stage", width="small"),
        "china": st.column_config.TextColumn("China, latest", width="medium"),
        "west_now": st.column_config.TextColumn("West operating today", width="medium"),
        "west_by": st.column_config.TextColumn(f"West by {by} if on time", width="medium"),
        "ratio": st.column_config.TextColumn(
            "West / China", width="medium" if compact else "large"
        ),
    }
    if not compact:
        cols |= {
            "china_source": st.column_config.TextColumn("China: source, edition"),
            "trend": st.column_config.TextColumn("Trend (same basis)"),
            "confidence": st.column_config.TextColumn("Confidence"),
            "source_url": st.column_config.LinkColumn("Source"),
        }
    return cols


def scoreboard(compact: bool = False, today: date | None = None) -> pd.DataFrame | None:
    """The gap scoreboard as a table (inert text); the compact copy (Home) links to Supply.

    Returns the frame shown (for the page's CSV download), or None when data is broken.
    """
    year = (today or date.today()).year
    try:
        rows = scores(data_token(), year)
    except SupplyDataError as exc:
        st.caption(f":material/error: Scoreboard unavailable: {widgets.escape_markdown(exc)}")
        return None
    frame = _frame(rows, compact)
    row = COMPACT_ROW_HEIGHT if compact else ROW_HEIGHT
    # Tall rows: the data grid wraps each cell's sentence instead of cutting it off.
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        row_height=row,
        height=row * len(frame) + 38,
        column_order=[c for c in ORDER if c in frame.columns],
        column_config=_columns(BY_YEAR, compact),
    )
    st.caption(
        f"Western capacity is nameplate or phase capacity (never production, targets or "
        f"goals): operating plants in {year}, and everything due by {BY_YEAR} if every project "
        f"keeps its date; pipeline compiled {PIPELINE_AS_OF} from company and government "
        "releases. China: USGS, IEA and SMM figures, each with its edition and year. A ratio "
        "is given only where the units match, and says when it compares capacity with output."
    )
    if compact:
        st.page_link(
            SUPPLY_PAGE,
            label="Full scoreboard with sources, trends and confidence on Supply gap",
            icon=":material/factory:",
        )
    return frame
