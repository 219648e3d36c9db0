"""Download buttons beyond CSV: chart images (PNG, SVG) and one Excel workbook per page.

Every button builds its bytes only when clicked (``st.download_button`` with a callable), so
a rerun never pays for vl-convert or openpyxl. The image carries its title, source and as-of
date (lib.chart_image); the workbook carries a Sources sheet (lib.xlsx).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from lib.chart_image import ImageMeta, chart_to_png, chart_to_svg, day_of, image_filename
from lib.xlsx import TableSource, workbook_bytes, xlsx_filename

__all__ = [
    "ImageMeta",
    "TableSource",
    "chart_images",
    "download_xlsx",
    "png_data",
    "svg_data",
    "xlsx_data",
    "xlsx_filename",
]

Chart = alt.TopLevelMixin | dict[str, Any]
Tables = Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Where the price-based charts' numbers come from (the snapshot is built from Yahoo data).
PRICE_SOURCE = "Yahoo Finance daily closes (offline snapshot or live refresh)"


def as_date(value: object) -> date | None:
    """A plain date from a Timestamp/date/ISO text/None, for ImageMeta and TableSource."""
    return day_of(value)


def png_data(
    chart: Chart, meta: ImageMeta, width: int = 800, height: int = 400
) -> Callable[[], bytes]:
    """The deferred PNG renderer a download button calls on click."""
    return lambda: chart_to_png(plain_spec(chart), meta, width, height)


def svg_data(
    chart: Chart, meta: ImageMeta, width: int = 800, height: int = 400
) -> Callable[[], bytes]:
    """The deferred SVG renderer a download button calls on click."""
    return lambda: chart_to_svg(plain_spec(chart), meta, width, height)


def xlsx_data(
    tables: Callable[[], Tables], sources: Sequence[TableSource] = ()
) -> Callable[[], bytes]:
    """The deferred workbook builder: tables are made (full resolution) only on click."""
    return lambda: workbook_bytes(tables(), sources)


#: (extension, deferred renderer, MIME type, icon, help) per chart image button, in order.
IMAGE_FORMATS = (
    ("png", png_data, "image/png", ":material/image:",
     "Chart image with title, source and as-of date (for memos and slides)"),
    ("svg", svg_data, "image/svg+xml", ":material/draw:",
     "Vector image: sharp at any size, text stays editable"),
)  # fmt: skip


def chart_images(
    chart: Chart,
    meta: ImageMeta,
    *,
    kind: str,
    key: str,
    width: int = 800,
    height: int = 400,
) -> None:
    """PNG and SVG download buttons for ``chart``, side by side, rendered only on click."""
    row = st.container(horizontal=True, gap="small")
    for fmt, deferred, mime, icon, help_text in IMAGE_FORMATS:
        row.download_button(
            fmt.upper(),
            data=deferred(chart, meta, width, height),
            file_name=image_filename(kind, meta.as_of, fmt),
            mime=mime,
            key=f"{key}_{fmt}",
            icon=icon,
            on_click="ignore",
            help=help_text,
        )


def download_xlsx(
    tables: Callable[[], Tables],
    sources: Sequence[TableSource],
    *,
    file_name: str,
    key: str,
    label: str = "Download Excel (.xlsx)",
) -> None:
    """One workbook: a sheet per table plus a Sources sheet; built only on click."""
    st.download_button(
        label,
        data=xlsx_data(tables, sources),
        file_name=file_name,
        mime=XLSX_MIME,
        key=key,
        icon=":material/table_view:",
        on_click="ignore",
    )


def plain_spec(chart: Chart) -> Chart:
    """A spec whose datasets are JSON rows again: cached specs carry Arrow IPC bytes for
    Streamlit (lib.ui.views.supply), which vl-convert cannot read."""
    if not isinstance(chart, dict):
        return chart
    datasets = chart.get("datasets", {})
    if not any(isinstance(v, bytes) for v in datasets.values()):
        return chart
    out = dict(chart)
    out["datasets"] = {
        name: (_arrow_rows(v) if isinstance(v, bytes) else v) for name, v in datasets.items()
    }
    return out


def _arrow_rows(data: bytes) -> list[dict[str, Any]]:
    table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
    return json.loads(table.to_pandas().to_json(orient="records", date_format="iso"))
