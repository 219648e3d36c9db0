"""The one place that reaches into Streamlit beyond its public ``st.*`` API.

Each name here is checked against the installed Streamlit by ``tests/test_st_internals.py``,
so an upgrade that moves or removes one fails a test instead of a page. Every other module
imports only ``streamlit`` itself (``tests/test_architecture.py`` enforces it).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pyarrow as pa
from streamlit import dataframe_util
from streamlit import logger as _st_logger
from streamlit.delta_generator import DeltaGenerator

__all__ = [
    "ALTAIR_LOCK",
    "DeltaGenerator",
    "any_to_arrow_bytes",
    "arrow_table_to_bytes",
    "get_logger",
]

# Altair's theme and data-transformer switches are process-global: share the lock that
# st.altair_chart holds around the same switches, so a session drawing an Altair chart at
# the same moment never converts with our transformer (or we with its).
try:
    from streamlit.elements.vega_charts import _altair_globals_lock as ALTAIR_LOCK
except ImportError:  # a Streamlit without it: at least serialise our own conversions
    ALTAIR_LOCK = threading.Lock()


def arrow_table_to_bytes(table: pa.Table) -> bytes:
    """Arrow IPC bytes exactly as Streamlit ships a dataframe to the browser."""
    return dataframe_util.convert_arrow_table_to_arrow_bytes(table)


def any_to_arrow_bytes(data: Any) -> bytes:
    """Streamlit's own conversion of any dataframe-like value to Arrow IPC bytes."""
    return dataframe_util.convert_anything_to_arrow_bytes(data)


def get_logger(name: str) -> logging.Logger:
    """Streamlit's own logger set-up (its format and ``logger.level``), so our lines match."""
    return _st_logger.get_logger(name)
