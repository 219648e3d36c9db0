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
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

__all__ = [
    "ALTAIR_LOCK",
    "DeltaGenerator",
    "any_to_arrow_bytes",
    "arrow_table_to_bytes",
    "get_logger",
    "run_scope",
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


def run_scope() -> tuple[object, object] | None:
    """(holder, marker) for the script run in progress, or None outside a run.

    ``marker`` is a fresh object for every run, fragment run included (the run context's
    ``cursors`` dict, replaced in ``ScriptRunContext.reset`` before widget callbacks run);
    ``holder`` (the context) lives at least as long as the run. lib/ui/auth.py keeps its one
    sign-in answer per run on the holder, tagged with the marker.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    marker = getattr(ctx, "cursors", None) if ctx is not None else None
    return None if marker is None else (ctx, marker)
