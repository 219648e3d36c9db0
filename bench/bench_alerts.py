"""Alert evaluation bench: 10,000 rules over the whole universe. Measures, never asserts.

Issue 23's goal is under 5 s on this machine for one `scripts/alerts.py run` evaluation
(prices index built once, every rule checked). ``run()`` returns the figures for bench/run.py;
``python bench/bench_alerts.py`` prints them.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_RULES = 10_000
REPEATS = 3
TODAY = date(2026, 12, 7)


def _rules() -> list[Any]:
    from lib.alerts import rules as R
    from lib.universe import load_universe

    universe = [str(s) for s in load_universe()["symbol"]]
    rng = random.Random(23)
    kinds = [
        ("daily_move", {"pct": 3, "direction": "either"}),
        ("level_cross", {"level": 20, "direction": "either"}),
        ("move_n", {"pct": 10, "sessions": 20, "direction": "either"}),
        ("policy_event", {}),
        ("catalyst_due", {"days": 60}),
        ("stale_price", {"sessions": 10}),
    ]
    out = []
    for i in range(N_RULES):
        kind, params = kinds[i % len(kinds)]
        syms = tuple(rng.sample(universe, 10))
        out.append(
            R.Rule(
                i,
                f"owner{i % 500}",
                i // 50,
                f"List {i // 50}",
                kind,
                R.clean_params(kind, params),
                symbols=syms,
                created="2026-01-01",
            )
        )
    return out


def run() -> dict[str, Any]:
    from lib.alerts.evaluate import PriceIndex, evaluate
    from lib.events.events import load_events
    from lib.prices import PriceStore
    from lib.universe import load_universe
    from scripts.alerts import catalysts_table

    rules = _rules()
    uni = load_universe()
    store = PriceStore()
    events, catalysts = load_events(), catalysts_table()
    walls, index_ms, eval_ms, fired = [], [], [], 0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        prices = store.load(sorted({s for r in rules for s in r.symbols}))
        index = PriceIndex(prices, dict(zip(uni["symbol"], uni["exchange"], strict=True)))
        t1 = time.perf_counter()
        fired = len(evaluate(rules, index, events, catalysts, TODAY))
        t2 = time.perf_counter()
        walls.append((t2 - t0) * 1000)
        index_ms.append((t1 - t0) * 1000)
        eval_ms.append((t2 - t1) * 1000)
    return {
        "rules": N_RULES,
        "symbols_per_rule": 10,
        "wall_ms_median": round(statistics.median(walls), 1),
        "load_and_index_ms_median": round(statistics.median(index_ms), 1),
        "evaluate_ms_median": round(statistics.median(eval_ms), 1),
        "firings": fired,
        "goal_ms": 5000,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
