"""lib.ui.tables: every gap reads '–', numbers keep their type (so columns still sort)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.ui import tables

FRAME = pd.DataFrame(
    {
        "symbol": ["MP", "XYZ"],
        "ret": [12.345, np.nan],
        "as_of": [pd.Timestamp("2026-07-31"), pd.NaT],
        "note": ["ok", None],
        "trend": [[1.0, 2.0], []],
    }
)


def _shown(styler: pd.io.formats.style.Styler) -> list[list[str]]:
    ctx = styler._translate(False, False)  # what st.dataframe reads as display values
    return [[c["display_value"] for c in row[1:]] for row in ctx["body"]]


def test_clean_formats_values_and_dashes_every_gap() -> None:
    rows = _shown(tables.clean(FRAME, {"ret": tables.pct_points(), "as_of": tables.day}))
    assert rows[0][:4] == ["MP", "+12.3%", "31 Jul 2026", "ok"]
    assert rows[1][:4] == ["XYZ", "–", "–", "–"]
    assert not any(v in ("nan", "None", "NaT") for row in rows for v in row[:4])


def test_clean_keeps_numbers_where_nothing_is_missing() -> None:
    full = FRAME.assign(ret=[12.345, -3.0])
    styler = tables.clean(full, {"ret": tables.pct_points()})
    assert styler.data["ret"].dtype == "float64"  # still sorts numerically
    assert _shown(styler)[1][1] == "-3.0%"
    # A column with gaps becomes text: st.dataframe would draw its nulls as "None".
    assert list(tables.clean(FRAME, {"ret": tables.pct_points()}).data["ret"]) == ["+12.3%", "–"]


def test_missing_as_dash_only_touches_text() -> None:
    out = tables.missing_as_dash(FRAME[["symbol", "ret", "note"]])
    assert list(out["note"]) == ["ok", "–"]
    assert np.isnan(out.loc[1, "ret"])
