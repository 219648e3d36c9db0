"""Clean tables: '–' for every missing value, human labels, units in the headers.

Formatting goes through a pandas Styler, which st.dataframe shows as display text while the
cells keep their numbers, so columns still sort numerically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

#: The one placeholder for "no value" in every table.
DASH = "–"

Formatter = str | Callable[[object], str]


def pct_points(digits: int = 1, *, signed: bool = True) -> Callable[[object], str]:
    """Formatter for values already in percent points (lib.ui.widgets.as_percent)."""
    sign = "+" if signed else ""
    return lambda v: f"{float(v):{sign}.{digits}f}%"  # type: ignore[arg-type]


def day(value: object) -> str:
    return pd.Timestamp(value).strftime("%d %b %Y")  # type: ignore[arg-type]


def clean(frame: pd.DataFrame, formats: Mapping[str, Formatter] | None = None) -> Styler:
    """``frame`` styled with ``formats`` per column and '–' for None/NaN/NaT everywhere.

    List-valued columns (sparklines) are left alone: a Styler cannot format them.
    """
    formats = {c: f for c, f in (formats or {}).items() if c in frame.columns}
    listy = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, list | tuple)).any()]
    others = [c for c in frame.columns if c not in formats and c not in listy]
    styler = frame.style.format(formats, na_rep=DASH)  # type: ignore[arg-type]
    if others:
        styler = styler.format(na_rep=DASH, subset=others)
    return styler


def missing_as_dash(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with '–' in place of None/NaN in text (object) columns; numbers untouched."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: DASH if v is None or v is pd.NA or v != v else v)
    return out
