"""The per-owner list cap holds under concurrent creators on PostgreSQL (advisory lock)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from lib import watchlists as wl
from tests.pg_server import fresh_database, pg_cluster

pytestmark = pytest.mark.postgres

OWNER = "racer@example.com"
CREATORS = 8


@pytest.fixture(scope="module")
def pg_admin_url() -> Iterator[str]:
    with pg_cluster() as url:
        yield url


def test_concurrent_creators_never_exceed_the_cap(pg_admin_url: str) -> None:
    url = fresh_database(pg_admin_url, f"t_{uuid.uuid4().hex[:12]}")
    setup = wl.WatchlistStore.open(url)
    for i in range(wl.MAX_LISTS_PER_OWNER - 2):
        setup.create(OWNER, f"list {i}")
    # One store (engine, connection pool) per creator, as separate app servers would have.
    stores = [wl.WatchlistStore.open(url) for _ in range(CREATORS)]
    start = threading.Barrier(CREATORS)
    made: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        start.wait()
        try:
            list_id = stores[i].create(OWNER, f"racer {i}")
        except wl.WatchlistError as exc:
            with lock:
                refused.append(str(exc))
        else:
            with lock:
                made.append(list_id)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(CREATORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert len(setup.lists(OWNER)) == wl.MAX_LISTS_PER_OWNER
        assert len(made) == 2 and len(refused) == CREATORS - 2
        assert all("at most" in msg for msg in refused)
    finally:
        for s in [setup, *stores]:
            s.dispose()
