"""Chart images (PNG/SVG) rendered on the server with vl-convert: no browser, no network.

An image leaves the app on its own (pasted into a memo), so it carries its title, data source
and as-of date inside the picture. Text uses Liberation Sans, which vl-convert bundles, so the
output is the same on a machine without any system fonts.
"""

from __future__ import annotations

import copy
import struct
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import altair as alt
import vl_convert as vlc

#: Bundled inside vl-convert; always available offline.
IMAGE_FONT = "Liberation Sans"
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 400
DEFAULT_SCALE = 2.0
MAX_PIXELS = 40_000_000  # refuse absurd sizes instead of exhausting server memory
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COMPOSITE_KEYS = ("vconcat", "hconcat", "concat", "facet", "repeat")


class ChartImageError(ValueError):
    """The chart or the requested size cannot be rendered as an image."""


@dataclass(frozen=True)
class ImageMeta:
    """What the image must say about itself: title, where the data is from, and when."""

    title: str
    source: str
    as_of: date | None = None
    note: str | None = None  # e.g. "Adjusted close, rebased to 100"

    def __post_init__(self) -> None:
        # A Timestamp or datetime is a date too, but prints "2026-01-02T00:00:00".
        object.__setattr__(self, "as_of", day_of(self.as_of))

    def caption_lines(self) -> list[str]:
        first = f"Source: {self.source}" if self.source else "Source: not stated"
        first += f" · as of {self.as_of.isoformat()}" if self.as_of else " · as-of date unknown"
        return [first] + ([self.note] if self.note else [])


def day_of(value: object) -> date | None:
    """The calendar day of a date, datetime, pandas Timestamp or ISO text; None if there is
    none (None, NaT, empty or unreadable text). Images and file names show days, never times."""
    if value is None:
        return None
    if isinstance(value, datetime):  # before date: every datetime is a date
        return None if value != value else value.date()  # NaT compares unequal to itself
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text).date() if text else None
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def _fix_container_width(node: Any, width: int) -> None:
    """``width="container"`` has no container on the server; give such views a fixed width."""
    if isinstance(node, dict):
        if node.get("width") == "container":
            node["width"] = width
        for value in node.values():
            _fix_container_width(value, width)
    elif isinstance(node, list):
        for item in node:
            _fix_container_width(item, width)


def image_spec(
    chart: alt.TopLevelMixin | dict[str, Any],
    meta: ImageMeta,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
) -> dict[str, Any]:
    """The Vega-Lite spec to render: our title block, fixed size and the bundled font.

    A single (or layered) view is fitted so the whole image is exactly ``width`` × ``height``
    CSS pixels, title and axes included. Composite charts (concat/facet) keep their own
    heights; views asking for the container width get ``width`` (and a concat that fits its
    width, like the Prices chart, is exactly ``width`` wide).
    """
    if width < 50 or height < 50:
        raise ChartImageError(f"image too small: {width}×{height} (minimum 50×50)")
    spec = copy.deepcopy(chart) if isinstance(chart, dict) else chart.to_dict()
    spec.pop("$schema", None)
    composite = any(key in spec for key in _COMPOSITE_KEYS)
    spec["title"] = alt.TitleParams(
        text=meta.title or "Chart",
        subtitle=meta.caption_lines(),
        anchor="start",
        fontSize=16,
        subtitleFontSize=11,
        subtitleColor="#555555",
    ).to_dict()
    _fix_container_width(spec, width)
    autosize = spec.get("autosize")
    fit_x = isinstance(autosize, dict) and autosize.get("type") in ("fit", "fit-x")
    if composite:
        if fit_x:  # e.g. the Prices chart: the concat already fits its width to the top level
            spec["width"] = width
    else:
        spec["width"] = width
        spec["height"] = height
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    config = spec.setdefault("config", {})
    config["font"] = IMAGE_FONT
    config.setdefault("background", "white")
    spec.setdefault("padding", 8)
    return spec


def _checked_scale(scale: float, width: int, height: int) -> float:
    if not 0.25 <= scale <= 8:
        raise ChartImageError(f"scale {scale} outside 0.25–8")
    if width * height * scale * scale > MAX_PIXELS:
        raise ChartImageError("requested image is too large")
    return float(scale)


def chart_to_png(
    chart: alt.TopLevelMixin | dict[str, Any],
    meta: ImageMeta,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    scale: float = DEFAULT_SCALE,
) -> bytes:
    """PNG bytes; a single view is exactly ``round(width*scale)`` × ``round(height*scale)``."""
    s = _checked_scale(scale, width, height)
    spec = image_spec(chart, meta, width, height)
    try:
        return bytes(vlc.vegalite_to_png(spec, scale=s))
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError with JS text
        raise ChartImageError(f"could not render chart image: {exc}") from exc


def chart_to_svg(
    chart: alt.TopLevelMixin | dict[str, Any],
    meta: ImageMeta,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
) -> bytes:
    """UTF-8 SVG bytes (text stays text, so titles are searchable and crisp in documents)."""
    spec = image_spec(chart, meta, width, height)
    try:
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    except Exception as exc:
        raise ChartImageError(f"could not render chart image: {exc}") from exc


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises ChartImageError if it is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ChartImageError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def image_filename(kind: str, as_of: date | None, ext: str) -> str:
    """e.g. prices_asof-2026-07-31.png; only safe characters, whatever the inputs."""
    if ext not in ("png", "svg"):
        raise ChartImageError(f"unknown image format: {ext}")
    day = day_of(as_of)
    stem = kind + (f"_asof-{day.isoformat()}" if day else "")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem)
    return f"{safe}.{ext}"
