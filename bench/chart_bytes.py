"""Chart bytes side by side: the Prices chart vs a naive every-point chart of the same data.

Both are measured the same way in the same run, as Streamlit ships them (spec JSON + Arrow
datasets of the Vega-Lite element, read from AppTest). The Prices chart is the app's page at
10 symbols and Max range. The naive chart is the "stock peers" pattern: every daily point of
the same 10 symbols, rebased to 100, one `mark_line` coloured by symbol, no downsampling.
Measures, never asserts. Run: ``.venv/bin/python bench/chart_bytes.py``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import PAGE_QUERY, TEN, _apptest, chart_payloads  # noqa: E402

NAIVE_APP = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import altair as alt
    import streamlit as st
    from lib.prices import PriceStore

    tidy = PriceStore().load({symbols!r})
    tidy = tidy.dropna(subset=["adj_close"])
    first = tidy.groupby("symbol")["adj_close"].transform("first")
    data = tidy.assign(value=tidy["adj_close"] / first * 100)[["date", "symbol", "value"]]
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            alt.X("date:T"),
            alt.Y("value:Q").scale(zero=False),
            alt.Color("symbol:N"),
            tooltip=["date:T", "symbol:N", "value:Q"],
        )
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"{{len(data)}} rows")
    """
)


def naive_chart() -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "naive_chart.py"
        script.write_text(NAIVE_APP.format(root=str(ROOT), symbols=TEN))
        at = AppTest.from_file(str(script), default_timeout=120).run()
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        sizes = chart_payloads(at)
        rows = int(at.caption[0].value.split()[0])
    return {"bytes": sizes[0], "rows": rows}


def prices_chart() -> dict[str, Any]:
    at = _apptest("pages/1_Prices.py")
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    sizes = chart_payloads(at)
    return {"bytes": max(sizes), "charts": len(sizes)}


def run() -> dict[str, Any]:
    os.environ.setdefault("RER_OFFLINE", "1")
    os.environ.setdefault("RER_DATA_HOME", tempfile.mkdtemp(prefix="rer-bench-"))
    prices = prices_chart()
    naive = naive_chart()
    return {
        "what": "Prices page chart vs naive every-point chart, 10 symbols, Max range",
        "query": PAGE_QUERY["pages/1_Prices.py"],
        "prices_chart_kib": round(prices["bytes"] / 1024, 1),
        "naive_chart_kib": round(naive["bytes"] / 1024, 1),
        "naive_rows": naive["rows"],
        "naive_over_prices": round(naive["bytes"] / prices["bytes"], 2),
        "goal": "naive_over_prices >= 10",
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
