"""AppTest: with RER_DATABASE_URL on PostgreSQL, pages read prices from the shared store.

Runs against a throwaway cluster (tests/pg_server.py): skipped locally without the server
binaries, a failure in CI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest

from lib.prices.pg_store import PgCache, PgPriceStore, _upsert_rows
from lib.ui import data
from tests.apptest_frame import page_app
from tests.pg_server import _free_port, fresh_database, pg_cluster

pytestmark = pytest.mark.postgres

#: Newer than any close in the shipped snapshot: only the database has it.
DB_DAY = pd.Timestamp("2026-10-09")  # the day after the snapshot's last MP close
DB_CLOSE = 77.77


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


@pytest.fixture
def fresh_app_stores() -> Iterator[None]:
    """The app keeps one price store per process: start and end each test without one."""
    data.price_store.clear()
    yield
    data.price_store.clear()


def seed_mp_row(url: str) -> None:
    """Write one MP close newer than the snapshot straight into the shared table."""
    store = PgPriceStore(url)
    try:
        store.backend.ensure_schema()
        row = pd.DataFrame(
            {
                "symbol": ["MP"],
                "date": [DB_DAY],
                **{c: [DB_CLOSE] for c in ("open", "high", "low", "close", "adj_close")},
                "volume": [1000],
            }
        )
        with store.backend.engine.begin() as conn:
            _upsert_rows(conn, row)
    finally:
        store.dispose()


def test_prices_page_is_served_from_the_postgres_store(
    pg_admin_url: str, fresh_app_stores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_database(pg_admin_url, f"app_{uuid.uuid4().hex[:12]}")
    seed_mp_row(url)
    monkeypatch.setenv("RER_DATABASE_URL", url)

    at = page_app("pages/1_Prices.py", query={"symbols": ["MP"], "range": "1M"}).run()
    assert not at.exception, [e.value for e in at.exception]
    assert isinstance(data.price_store().backend, PgCache)
    # The database's newer row reaches the sidebar's as-of date and the summary table.
    assert any("Prices as of 09 Oct 2026" in m.value for m in at.sidebar.markdown)
    summary = at.main.dataframe[0].value.set_index("symbol")
    assert summary.loc["MP", "last"] == pytest.approx(DB_CLOSE)
    assert pd.Timestamp(summary.loc["MP", "as_of"]) == DB_DAY
    assert not [w for w in at.sidebar.warning if "database" in w.value]
    assert len(at.get("vega_lite_chart")) >= 1  # the price chart (plus the risk charts)


def test_unreachable_database_still_renders_with_a_database_message(
    fresh_app_stores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nowhere"
    monkeypatch.setenv("RER_DATABASE_URL", url)

    at = page_app("pages/1_Prices.py", query={"symbols": ["MP"], "range": "1Y"}).run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "shared price database could not be reached" in warnings
    assert "Rebuild cache" not in warnings  # there is no local file to set aside
    assert [b.label for b in at.sidebar.button if b.key == "_recheck_db"] == ["Check again"]
    assert any("Prices as of" in m.value for m in at.sidebar.markdown)  # the snapshot
    assert len(at.get("vega_lite_chart")) >= 1  # the price chart (plus the risk charts)
