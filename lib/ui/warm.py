"""Warm every page's cached data in the background once the landing page has rendered.

The first visit to a page used to compute its data and build its charts while the user
waited (Event study ~1.6 s). These caches are per process and keyed on small values, so
filling them once with each page's *default* choices makes the first click as fast as a
warm one for everybody. The thread runs once per process, never blocks a page (it starts
after Home has drawn, as a daemon) and never raises into a session: each step is
guarded and logged. The defaults mirror the pages'; a step whose defaults drift only
warms a key nobody asks for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from lib import settings

log = logging.getLogger(__name__)

_started = threading.Event()
#: Set to "0" to switch warming off (the test suite does, so no background work interleaves
#: with a test).
ENV_WARM = settings.ENV_WARM
#: Pause between steps so sessions being served get the interpreter between them.
STEP_PAUSE_S = 0.05


def _prices() -> None:
    from lib.markets.price_view import DEFAULT_SYMBOLS
    from lib.ui import data
    from lib.ui import prices_link as px
    from lib.ui.views import prices

    data.symbol_labels()
    prices.symbol_options(list(DEFAULT_SYMBOLS))
    key = prices.choice(DEFAULT_SYMBOLS, "local", False, px.DEFAULT_RANGE, None, px.DEFAULT_MODE)
    prices.price_view_for(key)
    prices.summary_table_for(key)
    prices.price_chart_for(key, False, (), None, None)


def _event_study() -> None:
    from lib.ui import data
    from lib.ui.views import event_study as es

    chosen, _ = es.select_events("event", ["E065"], False)
    symbols = es.resolve_symbols(["MP", "600111.SS"], [])
    data.available_symbols()
    key = es.study_key(
        list(chosen["id"]), symbols, "SPY", next(iter(es.MODELS)), (-5, 10), (-250, -30)
    )
    es.event_study(key)
    es.study_chart(key, "paths")


def _outlook() -> None:
    from lib.ui.views import outlook

    outlook.outlook_tables()
    scope = next(iter(outlook.scopes()))
    outlook.scope_consensus(scope, True)
    outlook.outlook_paths_chart(scope, False, True, True, None)
    outlook.ndpr_panel()


def _supply() -> None:
    from lib.ui.views import supply

    supply.supply_data()


def _policy() -> None:
    from lib.ui import data

    data.policy_events()


#: In the order people open them from Home.
STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("prices", _prices),
    ("event study", _event_study),
    ("market outlook", _outlook),
    ("supply gap", _supply),
    ("policy timeline", _policy),
)


def _run(steps: tuple[tuple[str, Callable[[], None]], ...]) -> None:
    for name, step in steps:
        t0 = time.perf_counter()
        try:
            step()
        except Exception:  # a warm-up must never take a server or a session down
            log.warning("warming %s failed; the page computes on first open", name, exc_info=True)
        else:
            log.info("warmed %s in %.2f s", name, time.perf_counter() - t0)
        time.sleep(STEP_PAUSE_S)


def start_once(steps: tuple[tuple[str, Callable[[], None]], ...] = STEPS) -> bool:
    """Start the warm-up thread if this process has not yet; True when this call started it."""
    if _started.is_set() or not settings.current().warm_pages:
        return False
    _started.set()
    threading.Thread(target=_run, args=(steps,), name="rer-warm-pages", daemon=True).start()
    return True
