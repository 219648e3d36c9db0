"""Event-study timing: all verified exact-day events x 10 symbols, market model vs SPY.

Measures only (never asserts). Warm = prices already loaded (as the page's cached loader
has them); the timed part is alignment, OLS, ARs, CARs, t/p and the average CAR.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SYMBOLS = ["MP", "LYC.AX", "USAR", "UUUU", "600111.SS", "300748.SZ", "AREC", "REMX", "LIT", "URA"]
BUDGET_MS = 300
REPEATS = 15


def run(repeats: int = REPEATS) -> dict[str, Any]:
    from lib.events import study as es
    from lib.events.events import load_events
    from lib.prices import PriceStore
    from lib.universe import load_universe

    events = load_events()
    chosen = events[(events["confidence"] == "verified") & events["exact"]]
    prices = PriceStore(cache_dir=Path(tempfile.mkdtemp(prefix="rer-es-bench-"))).load(
        [*SYMBOLS, "SPY"]
    )
    uni = load_universe()
    listing = dict(zip(uni["symbol"], uni["listing_date"], strict=True))
    exchanges = dict(zip(uni["symbol"], uni["exchange"], strict=True))

    def once() -> es.StudyResult:
        res = es.run_event_study(
            chosen, prices, SYMBOLS, "SPY", listing_dates=listing, exchanges=exchanges
        )
        es.average_car(res.ar)
        return res

    t = time.perf_counter()
    res = once()
    cold_ms = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        once()
        times.append((time.perf_counter() - t) * 1000)
    warm = statistics.median(times)
    return {
        "events": len(chosen),
        "symbols": len(SYMBOLS),
        "pairs": len(res.summary),
        "pairs_ok": int((res.summary["status"] == "ok").sum()),
        "ar_rows": len(res.ar),
        "first_run_ms": round(cold_ms, 1),
        "warm_ms_median": round(warm, 1),
        "warm_ms_max": round(max(times), 1),
        "repeats": repeats,
        "budget_ms": BUDGET_MS,
        "within_budget": warm <= BUDGET_MS,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
