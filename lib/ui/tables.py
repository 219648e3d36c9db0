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


def _text(value: object, fmt: Formatter | None) -> str:
    if fmt is None:
        if isinstance(value, pd.Timestamp):
            return day(value)
        return str(value)
    return fmt(value) if callable(fmt) else fmt.format(value)


def clean(frame: pd.DataFrame, formats: Mapping[str, Formatter] | None = None) -> Styler:
    """``frame`` styled with ``formats`` per column and '–' for None/NaN/NaT everywhere.

    st.dataframe draws a missing cell as "None" whatever the Styler says, so a column with
    gaps becomes display text ('–' in the gaps); columns without gaps stay numbers (they sort
    numerically) and get their format from the Styler. List columns (sparklines) are left alone.
    """
    formats = {c: f for c, f in (formats or {}).items() if c in frame.columns}
    out = frame.copy()
    as_text: set[str] = set()
    for col in out.columns:
        values = out[col]
        if values.map(lambda v: isinstance(v, list | tuple)).any():
            continue
        missing = values.isna()
        if not missing.any():
            continue
        fmt = formats.get(col)
        out[col] = [DASH if gap else _text(v, fmt) for v, gap in zip(values, missing, strict=True)]
        as_text.add(col)
    return out.style.format({c: f for c, f in formats.items() if c not in as_text})


def missing_as_dash(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with '–' in place of None/NaN in text (object) columns; numbers untouched."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: DASH if v is None or v is pd.NA or v != v else v)
    return out
