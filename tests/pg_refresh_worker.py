"""One app server's price refresh, as a separate process, for the shared-store race tests.

Run as ``python -m tests.pg_refresh_worker URL FAKE_PORT SNAPSHOT [--go FILE] SYMBOL...``:
builds a :class:`PgPriceStore` on the truncated snapshot, the fake Yahoo on ``FAKE_PORT`` and
the fixed test day, optionally waits until ``--go FILE`` exists (so two workers start
together), refreshes, and prints the report as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

from lib.prices import YahooFetcher, probe_reachable
from lib.prices.pg_store import PgPriceStore
from tests.fake_yahoo import TODAY, Clock, LoopbackSession, reset_yfinance

#: A held download must outlast another worker's whole start-up on a busy machine.
WORKER_REQUEST_TIMEOUT_S = 240.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("port", type=int)
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("symbols", nargs="+")
    ap.add_argument("--go", type=Path, help="wait for this file before refreshing")
    args = ap.parse_args(argv)
    os.environ.pop("RER_OFFLINE", None)
    reset_yfinance(Path(tempfile.mkdtemp(prefix="rer-yf-")))
    fetcher = YahooFetcher(
        session=LoopbackSession(f"http://127.0.0.1:{args.port}"),
        probe=lambda: probe_reachable("127.0.0.1", args.port, ttl=0),
        sleep=lambda _s: None,
        timeout=WORKER_REQUEST_TIMEOUT_S,
        deadline_s=2 * WORKER_REQUEST_TIMEOUT_S,
    )
    store = PgPriceStore(
        args.url,
        snapshot_path=args.snapshot,
        fetcher=fetcher,
        now=Clock(datetime.combine(TODAY, dtime(22, 0))),
        token_ttl_s=0,
    )
    store.backend.ensure_schema()
    print(json.dumps({"ready": True}), flush=True)
    if args.go is not None:
        while not args.go.exists():  # a start signal from the test, not a timing assumption
            time.sleep(0.01)
    report = store.refresh(args.symbols)
    loaded = store.load(args.symbols)
    out = {
        "busy": bool(getattr(report, "busy", False)),
        "attempted": report.attempted,
        "updated": report.updated,
        "failed": report.failed,
        "written": report.written,
        "last_dates": {
            str(s): str(d.date()) for s, d in loaded.groupby("symbol")["date"].max().items()
        },
        "yahoo_calls": fetcher.calls,
    }
    store.dispose()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
