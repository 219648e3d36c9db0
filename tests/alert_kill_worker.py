"""A process that dies at one step of an alert run (the kill tests start and kill it).

python -m tests.alert_kill_worker DB_URL SECRETS after-record|after-send TODAY
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from lib.alerts import config
from lib.alerts.store import AlertStore
from lib.prices import PriceStore
from lib.watchlists import WatchlistStore
from scripts.alerts import run_rules, send


def main() -> None:
    url, secrets, step, today = sys.argv[1:5]
    cfg = config.load(Path(secrets))
    wl = WatchlistStore.open(url)
    now = datetime.now(UTC)
    if step == "after-record":
        run_rules(AlertStore(wl.engine), PriceStore(), cfg, date.fromisoformat(today), now)
        os._exit(9)  # committed firings and outbox rows, nothing sent
    send(wl.engine, cfg, now, after_send=lambda _d: os._exit(9))
    os._exit(3)  # not reached when a delivery was pending


if __name__ == "__main__":
    main()
