"""Finished Vega-Lite specs: convert an Altair chart once, draw the cached dict every rerun.

``st.altair_chart`` converts and schema-validates the Altair object and serialises every
dataset to Arrow on *every* rerun; that was half of a warm rerun's CPU. Views cache the
result of :func:`to_spec` (a plain dict whose datasets are already Arrow bytes) next to
their data, and pages draw it with :func:`show`.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib.ui.st_internals import ALTAIR_LOCK as _LOCK
from lib.ui.st_internals import any_to_arrow_bytes, arrow_table_to_bytes

Spec = dict[str, Any]

#: Schema-validate each spec as Altair builds it. Off at run time: validation was about a tenth
#: of a cold page run (deep-copying the whole chart to check it), and the specs are built by
#: our own code, not from user input. tests/test_page_home.py checks every chart every page
#: draws against the Vega-Lite schema instead, and tests/test_charts.py builds the charts with
#: validation on.
VALIDATE = False


def _to_arrow(data: Any, datasets: dict[str, Any]) -> dict[str, str]:
    """Altair data transformer: keep each dataset as Arrow IPC bytes under a content hash."""
    if isinstance(data, pd.DataFrame):
        # Vega reads columns only: no index, no pandas schema metadata (a few hundred bytes
        # a column), which Streamlit's own conversion would add.
        table = pa.Table.from_pandas(data, preserve_index=False).replace_schema_metadata(None)
        data_bytes = arrow_table_to_bytes(table)
    else:
        data_bytes = any_to_arrow_bytes(data)
    name = hashlib.md5(data_bytes, usedforsecurity=False).hexdigest()
    datasets[name] = data_bytes
    return {"name": name}


alt.data_transformers.register("rer_arrow", _to_arrow)


def to_spec(chart: alt.TopLevelMixin) -> Spec:
    """The Vega-Lite dict Streamlit would build from ``chart``, with Arrow-bytes datasets.

    Same conversion as ``st.altair_chart`` (theme "none", datasets by content hash), done
    once per cache key instead of once per rerun. Marks get no per-item ARIA descriptions
    (see :func:`quiet_marks`).
    """
    datasets: dict[str, Any] = {}
    with _LOCK:
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable("rer_arrow", datasets=datasets):
            spec = chart.to_dict(validate=VALIDATE)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return quiet_marks(spec)


def quiet_marks(spec: Spec) -> Spec:
    """Switch off Vega's ARIA description of every mark item (``config.mark.aria``).

    Vega builds a text description for each point, rule and bar through its expression
    interpreter: on the Prices chart that was about a tenth of the time from a click to a
    drawn chart. Axes and legends keep their ARIA roles; the numbers behind every chart are
    in the page's tables and downloads. A chart that sets ``aria`` itself keeps its choice.
    """
    config = dict(spec.get("config", {}))
    mark = dict(config.get("mark", {}))
    mark.setdefault("aria", False)
    config["mark"] = mark
    return {**spec, "config": config}


def show(
    spec: Spec,
    *,
    key: str | None = None,
    width: Any = "stretch",
    on_select: Any = "ignore",
    selection_mode: Any = None,
    alt_text: str | None = None,
) -> Any:
    """Draw a cached spec (and return its selection event when ``on_select`` asks for one).

    ``alt_text`` is the chart's text alternative for screen readers (marks carry none, see
    :func:`quiet_marks`). Streamlit pops ``datasets`` off the dict it gets, so it gets a
    shallow copy and the cached one stays whole."""
    return st.vega_lite_chart(
        dict(spec),
        width=width,
        key=key,
        on_select=on_select,
        selection_mode=selection_mode,
        alt=alt_text,
    )
