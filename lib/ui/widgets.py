"""Small shared widgets and formatting: downloads, the one escape for untrusted text, percent,
dates."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from lib import export

#: Everything markdown (and Streamlit's extensions: :colour[], $maths$, emoji :codes:) reads.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=^])")
#: Where GFM's autolink literal starts a link: ``http(s)://``, ``www.`` and an email's ``@``
#: (``mailto:``/``xmpp:`` links need an ``@`` too). Found on the text before escaping.
_AUTOLINK_START = re.compile(r"(?=://)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
#: U+2060 WORD JOINER: invisible and not a word character, so the autolinker's pattern stops
#: there. Backslash escapes and HTML entities do not help: Streamlit's markdown resolves them
#: into the text before its autolink pass (checked in Chromium, tests/e2e/test_inert_text.py).
LINK_BREAK = "\u2060"
#: Text-direction overrides, isolates and marks: an RLO would reverse the app's own sentence.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible_char(ch: str) -> str:
    """Control characters and line breaks become a space; format characters (zero-width
    spaces and joiners, bidi controls, soft hyphens, tags) are dropped."""
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category == "Cf" or ch in _BIDI:
        return ""
    return ch


def plain_text(text: object) -> str:
    """Untrusted text without the characters that hide or reorder what it says."""
    raw = str(text)
    if raw.isascii() and raw.isprintable():
        return raw
    return "".join(_visible_char(ch) for ch in raw)


def escape_markdown(text: object) -> str:
    """The one path for untrusted or data text into any markdown body (st.markdown, captions,
    info/warning/error, toasts): it reads literally and can never become a link, image, HTML,
    emphasis or a Streamlit directive.

    Three steps: format and control characters go (:func:`plain_text`); an invisible word joiner
    breaks every place the browser's autolinker would start a link (a bare ``http://``,
    ``www.`` or ``name@host``); every markdown character is backslash-escaped.
    """
    shown = _AUTOLINK_START.sub(LINK_BREAK, plain_text(text))
    return _MD_SPECIAL.sub(r"\\\1", shown)


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """+25.0% / -3.2% / n/a; fractions in, signed percent out (never "125%" for +25%)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x * 100:+.{digits}f}%"


def as_percent(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with fraction ``columns`` in percent points, for NumberColumn's ``%...%%`` formats.

    The one place fractions become percent for tables; ``fmt_pct`` does the same for text.
    """
    return frame.assign(**{c: frame[c] * 100.0 for c in columns})


def percent_column(
    label: str, digits: int = 1, *, signed: bool = True
) -> st.column_config.NumberColumn:
    """A table column for values already passed through :func:`as_percent`."""
    sign = "+" if signed else ""
    return st.column_config.NumberColumn(label, format=f"%{sign}.{digits}f%%")


def fmt_date(d: date | pd.Timestamp | None) -> str:
    if d is None or pd.isna(d):
        return "n/a"
    return pd.Timestamp(d).strftime("%d %b %Y")


def download_csv(
    frame_factory: Callable[[], pd.DataFrame], *, label: str, file_name: str, key: str
) -> None:
    """A download button that builds the escaped CSV only when clicked (full resolution)."""
    st.download_button(
        label,
        data=lambda: export.to_csv_bytes(frame_factory()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def lazy_expander(label: str, *, key: str, icon: str | None = None) -> Any | None:
    """An expander whose body runs only while it is open: the container, or None when closed.

    Streamlit sends (and the browser mounts) a collapsed expander's content all the same; a
    table in every collapsed expander made each page switch draw grids nobody sees. With
    ``on_change="rerun"`` a click opens it and runs the body; the open state lives under ``key``.
    """
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    return box if box.open else None
