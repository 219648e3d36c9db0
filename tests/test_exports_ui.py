"""lib.ui.exports: the deferred builders behind the PNG/SVG/XLSX buttons make real files."""

from __future__ import annotations

import io
from datetime import date

import altair as alt
import pandas as pd
import pyarrow as pa
from openpyxl import load_workbook

from lib.chart_image import ImageMeta, png_size
from lib.ui import exports

FRAME = pd.DataFrame({"x": [1, 2, 3], "y": [3.0, 1.0, 2.0]})
CHART = alt.Chart(FRAME).mark_line().encode(x="x:Q", y="y:Q")
META = ImageMeta("Test chart", "Unit test data", date(2026, 7, 31), "a note")


def _arrow_spec() -> dict:
    """A spec as lib.ui.views.supply caches it: datasets as Arrow IPC bytes."""
    spec = CHART.to_dict()
    for name, values in spec["datasets"].items():
        table = pa.Table.from_pandas(pd.DataFrame(values), preserve_index=False)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        spec["datasets"][name] = sink.getvalue().to_pybytes()
    return spec


def test_png_builder_renders_the_requested_size() -> None:
    assert png_size(exports.png_data(CHART, META, 600, 300)()) == (1200, 600)


def test_svg_builder_carries_title_source_and_as_of() -> None:
    svg = exports.svg_data(CHART, META)().decode()
    assert svg.startswith("<svg")
    assert "Test chart" in svg and "Unit test data" in svg and "2026-07-31" in svg


def test_arrow_datasets_are_decoded_for_the_image() -> None:
    spec = _arrow_spec()
    plain = exports.plain_spec(spec)
    assert plain["datasets"] and all(isinstance(v, list) for v in plain["datasets"].values())
    assert isinstance(next(iter(spec["datasets"].values())), bytes), "cached spec untouched"
    svg = exports.svg_data(spec, META)().decode()
    # Three points drawn: the line path has the data, not an empty dataset.
    assert svg.count("<path") >= 1 and "Test chart" in svg
    assert png_size(exports.png_data(spec, META)()) == (1600, 800)


def test_xlsx_builder_runs_the_table_factory_only_when_called() -> None:
    calls: list[int] = []

    def tables() -> list[tuple[str, pd.DataFrame]]:
        calls.append(1)
        return [("Data", FRAME.assign(label=["=1+1", "ok", "-3"]))]

    build = exports.xlsx_data(tables, [exports.TableSource("Data", "Unit test", date(2026, 7, 31))])
    assert calls == []
    book = load_workbook(io.BytesIO(build()))
    assert calls == [1]
    assert book.sheetnames == ["Data", "Sources"]
    ws = book["Data"]
    assert ws["B2"].value == 3.0 and ws["C2"].value == "=1+1"  # numbers typed, formulas inert
    assert ws["C2"].data_type == "s" and ws["C2"].quotePrefix
    assert book["Sources"]["B2"].value == "Unit test"


def test_as_date_accepts_timestamps_and_missing() -> None:
    assert exports.as_date(pd.Timestamp("2026-07-31 00:00")) == date(2026, 7, 31)
    assert exports.as_date(None) is None and exports.as_date(pd.NaT) is None
