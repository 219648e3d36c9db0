"""Cached chart specs: converted once, datasets as lean Arrow bytes, Altair's globals restored."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pyarrow as pa

from lib.ui import vega


def test_spec_carries_arrow_bytes_without_pandas_metadata_and_restores_globals() -> None:
    frame = pd.DataFrame({"d": [20000, 20001], "s0": [100.0, 101.5]}, index=[7, 9])
    before = (alt.data_transformers.active, alt.theme.active)
    spec = vega.to_spec(alt.Chart(frame).mark_line().encode(x="d:Q", y="s0:Q"))
    assert (alt.data_transformers.active, alt.theme.active) == before
    (name, payload), *rest = spec["datasets"].items()
    assert not rest and spec["data"] == {"name": name}
    table = pa.ipc.open_stream(payload).read_all()
    assert table.column_names == ["d", "s0"]  # no index column
    assert table.schema.metadata is None  # no pandas metadata shipped
    assert table.column("s0").to_pylist() == [100.0, 101.5]
    assert "config" not in spec or "view" not in spec.get("config", {})  # theme "none"


def test_spec_switches_off_per_item_aria_but_keeps_a_charts_own_choice() -> None:
    frame = pd.DataFrame({"d": [1, 2], "s0": [1.0, 2.0]})
    spec = vega.to_spec(alt.Chart(frame).mark_line().encode(x="d:Q", y="s0:Q"))
    assert spec["config"]["mark"]["aria"] is False
    own = vega.to_spec(
        alt.Chart(frame).mark_line().encode(x="d:Q", y="s0:Q").configure_mark(aria=True)
    )
    assert own["config"]["mark"]["aria"] is True


def test_policy_timeline_markers_keep_their_aria_descriptions() -> None:
    """The timeline's event markers stay described for screen readers (and the browser test
    finds them by it); the other marks follow the quiet default."""
    from lib.events import charts as event_charts
    from lib.events.events import load_events

    spec = vega.to_spec(event_charts.timeline_chart(load_events().head(5)))
    assert spec["config"]["mark"]["aria"] is False
    marks = [layer["mark"] for layer in spec["layer"]]
    assert [m.get("aria") for m in marks] == [None, None, True]
