"""The Streamlit internals we use still exist, with the behaviour we rely on, in this version."""

from __future__ import annotations

import io
import logging
import threading

import pandas as pd
import pyarrow as pa
import streamlit

from lib.ui import st_internals


def test_altair_lock_is_streamlits_own() -> None:
    from streamlit.elements import vega_charts

    # Not our fallback: sharing Streamlit's lock is what keeps the global Altair switches safe.
    assert st_internals.ALTAIR_LOCK is vega_charts._altair_globals_lock
    assert isinstance(st_internals.ALTAIR_LOCK, type(threading.Lock()))


def test_arrow_bytes_round_trip() -> None:
    df = pd.DataFrame({"date": pd.to_datetime(["2025-07-10"]), "close": [45.23]})
    table = pa.Table.from_pandas(df, preserve_index=False)
    for data in (st_internals.arrow_table_to_bytes(table), st_internals.any_to_arrow_bytes(df)):
        back = pa.ipc.open_stream(io.BytesIO(data)).read_all().to_pandas()
        assert back["close"].tolist() == [45.23]


def test_delta_generator_is_what_st_returns() -> None:
    assert isinstance(streamlit.container(), st_internals.DeltaGenerator)


def test_logger_is_a_logger_under_streamlits_config() -> None:
    log = st_internals.get_logger("lib.ui.auth")
    assert isinstance(log, logging.Logger) and log.name == "lib.ui.auth"


def test_run_scope_is_fresh_for_every_run() -> None:
    """lib/ui/auth.py resolves sign-in once per run: the marker must change with each run."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st

        from lib.ui import st_internals

        scope = st_internals.run_scope()
        assert scope is not None
        holder, marker = scope
        seen = st.session_state.setdefault("markers", [])
        seen.append((id(holder), marker))
        st.button("again")

    at = AppTest.from_function(script).run()
    at.button[0].click().run()
    (_, m1), (_, m2) = at.session_state["markers"]
    assert m1 is not m2  # (the holder may be new too: Streamlit often starts a new runner)
    assert st_internals.run_scope() is None  # outside a run
