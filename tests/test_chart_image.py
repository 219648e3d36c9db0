"""Chart images: real PNG/SVG bytes of the requested size, with title, source and as-of inside."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lib import charts, returns
from lib.chart_image import (
    ChartImageError,
    ImageMeta,
    chart_to_png,
    chart_to_svg,
    day_of,
    image_filename,
    image_spec,
    png_size,
)
from lib.prices import PriceStore

META = ImageMeta("MP Materials vs REMX", "Stooq/yfinance snapshot", date(2026, 7, 31), "Rebased")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))
    return store.load(["MP", "REMX"])


@pytest.fixture(scope="module")
def line_chart(real: pd.DataFrame) -> alt.Chart:
    mp = real[real["symbol"] == "MP"][["date", "close"]]
    return (
        alt.Chart(mp)
        .mark_line()
        .encode(x="date:T", y="close:Q")
        .properties(width="container", title="ignored")
    )


def _svg_root(data: bytes) -> ET.Element:
    return ET.fromstring(data.decode("utf-8"))


def _svg_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


@pytest.mark.parametrize(("width", "height", "scale"), [(600, 300, 1.0), (640, 360, 2.0)])
def test_png_is_valid_and_sized(
    line_chart: alt.Chart, width: int, height: int, scale: float
) -> None:
    data = chart_to_png(line_chart, META, width=width, height=height, scale=scale)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert png_size(data) == (round(width * scale), round(height * scale))


def test_svg_is_valid_sized_and_carries_title_source_asof(line_chart: alt.Chart) -> None:
    root = _svg_root(chart_to_svg(line_chart, META, width=600, height=300))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib["width"] == "600"
    assert root.attrib["height"] == "300"
    text = _svg_text(root)
    assert "MP Materials vs REMX" in text
    assert "Stooq/yfinance snapshot" in text
    assert "2026-07-31" in text
    assert "ignored" not in text  # the image title replaces the in-app one


def test_real_price_chart_vconcat_has_requested_width(real: pd.DataFrame) -> None:
    values = returns.mode_values(real, "Rebased to 100")
    chart = charts.price_chart(charts.prepare_plot(values, ["REMX"]), "Rebased to 100")
    png = chart_to_png(chart, META, width=700, scale=1.0)
    w, h = png_size(png)
    assert w == 700
    assert h > 300  # detail + overview + title
    svg = _svg_root(chart_to_svg(chart, META, width=700))
    assert svg.attrib["width"] == "700"
    assert "MP Materials vs REMX" in _svg_text(svg)


def test_unknown_as_of_is_said_not_hidden(line_chart: alt.Chart) -> None:
    meta = ImageMeta("T", "", None)
    text = _svg_text(_svg_root(chart_to_svg(line_chart, meta, 400, 200)))
    assert "Source: not stated" in text
    assert "as-of date unknown" in text


def test_title_text_is_escaped_in_svg(line_chart: alt.Chart) -> None:
    meta = ImageMeta('<script>alert("x")</script> & co', "a<b", date(2026, 1, 2))
    root = _svg_root(chart_to_svg(line_chart, meta, 400, 200))  # still parses
    assert '<script>alert("x")</script> & co' in _svg_text(root)
    assert not any(el.tag.endswith("script") for el in root.iter())


def test_spec_uses_bundled_font_and_leaves_chart_untouched(line_chart: alt.Chart) -> None:
    before = line_chart.to_dict()
    spec = image_spec(line_chart, META, 500, 250)
    assert spec["config"]["font"] == "Liberation Sans"
    assert spec["width"] == 500
    assert spec["autosize"] == {"type": "fit", "contains": "padding"}
    assert line_chart.to_dict() == before


def test_bad_sizes_raise_documented_error(line_chart: alt.Chart) -> None:
    with pytest.raises(ChartImageError):
        chart_to_png(line_chart, META, width=10, height=10)
    with pytest.raises(ChartImageError):
        chart_to_png(line_chart, META, scale=20)
    with pytest.raises(ChartImageError):
        chart_to_png(line_chart, META, width=20000, height=20000, scale=1)
    with pytest.raises(ChartImageError):
        png_size(b"GIF89a" + b"\0" * 30)


def test_broken_spec_raises_documented_error() -> None:
    with pytest.raises(ChartImageError):
        chart_to_png({"mark": "no-such-mark", "data": {"values": []}}, META)


def test_image_filename_is_safe() -> None:
    assert image_filename("prices", date(2026, 7, 31), "png") == "prices_asof-2026-07-31.png"
    assert image_filename("../../etc/x y", None, "svg") == "..-..-etc-x-y.svg"
    assert Path(image_filename("a/b", None, "svg")).name == "a-b.svg"
    with pytest.raises(ChartImageError):
        image_filename("x", None, "exe")


@pytest.mark.parametrize(
    "as_of",
    [
        pd.Timestamp("2026-01-02"),
        pd.Timestamp("2026-01-02 15:30", tz="UTC"),
        datetime(2026, 1, 2, 23, 59),
        "2026-01-02T00:00:00",
        np.datetime64("2026-01-02T00:00"),
    ],
    ids=["Timestamp", "tz-Timestamp", "datetime", "iso-text", "datetime64"],
)
def test_image_and_file_name_show_a_day_never_a_time(line_chart: alt.Chart, as_of: object) -> None:
    """'as of 2026-01-02', not '2026-01-02T00:00:00', whatever kind of date a page passes."""
    meta = ImageMeta("T", "S", as_of)  # type: ignore[arg-type]
    assert meta.as_of == date(2026, 1, 2) and type(meta.as_of) is date
    assert meta.caption_lines() == ["Source: S · as of 2026-01-02"]
    text = _svg_text(_svg_root(chart_to_svg(line_chart, meta, 400, 200)))
    assert "as of 2026-01-02" in text and "T00" not in text and "00:00" not in text
    assert image_filename("prices", as_of, "png") == "prices_asof-2026-01-02.png"  # type: ignore[arg-type]


@pytest.mark.parametrize("missing", [None, pd.NaT, np.datetime64("NaT"), "", "not a date"])
def test_a_missing_day_is_said_unknown(missing: object) -> None:
    assert day_of(missing) is None
    assert ImageMeta("T", "S", missing).caption_lines() == ["Source: S · as-of date unknown"]  # type: ignore[arg-type]
    assert image_filename("prices", missing, "svg") == "prices.svg"  # type: ignore[arg-type]
