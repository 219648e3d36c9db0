"""Private events on the Policy timeline: their own "My events" lane for their owner only."""

from __future__ import annotations

import json

from lib import watchlists as wl
from lib.catalysts.private import MY_EVENTS, PrivateEventStore
from tests.apptest_frame import chart_specs, ok, page_app

PAGE = "pages/2_Policy_timeline.py"


def _add(owner: str, title: str) -> None:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        PrivateEventStore(store.engine).add(owner, "2025-07-10", "day", title, "", "MP")
    finally:
        store.dispose()


def _chart_text(at) -> str:
    return json.dumps(chart_specs(at))


def test_my_events_lane_on_the_timeline() -> None:
    _add(wl.LOCAL_OWNER, "My note on the DoD deal")
    at = ok(page_app(PAGE).run())
    text = _chart_text(at)
    assert MY_EVENTS in text
    table = "\n".join(df.value.astype(str).to_csv() for df in at.dataframe)
    assert "My note on the DoD deal" in table
    # Category and jurisdiction filters describe curated events; the user's own stay shown.
    at.multiselect(key="pt_jur").set_value(["China"]).run()
    ok(at)
    table = "\n".join(df.value.astype(str).to_csv() for df in at.dataframe)
    assert "My note on the DoD deal" in table


def test_no_private_rows_without_events() -> None:
    at = ok(page_app(PAGE).run())
    table = "\n".join(df.value.astype(str).to_csv() for df in at.dataframe)
    assert MY_EVENTS not in table


def _chart_rows(at) -> str:
    import pyarrow as pa

    rows = []
    for chart in at.get("vega_lite_chart"):
        for ds in chart.proto.datasets:
            rows.append(pa.ipc.open_stream(ds.data.data).read_pandas().to_csv())
    return "\n".join(rows)


def test_my_events_on_the_prices_overlay() -> None:
    _add(wl.LOCAL_OWNER, "My overlay note")
    link = {"px_symbols": "MP", "px_range": "Max", "px_events": "true"}
    at = ok(page_app("pages/1_Prices.py", query=link).run())
    assert "My overlay note" in _chart_rows(at)
    off = ok(page_app("pages/1_Prices.py", query={"px_symbols": "MP", "px_range": "Max"}).run())
    assert "My overlay note" not in _chart_rows(off)  # only with the overlay on
