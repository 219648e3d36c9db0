"""Supply gap bench: warm rerun of the page and each chart's payload. Measures, never asserts.

`python bench/bench_supply.py` prints JSON; ``run()`` returns the same dict so bench/run.py
can add it to its report (``optional("bench_supply")``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = "pages/6_Supply_gap.py"
REPEATS = 15
BUDGET_WARM_MS = 100
BUDGET_CHART_KIB = 100


def run() -> dict[str, Any]:
    """Warm reruns of the whole page (the page owns its layout since the views split, so there
    is no single render function left to time on its own)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    at.run()
    whole: list[float] = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        at.run()
        whole.append((time.perf_counter() - t0) * 1000)
    if at.exception:
        raise RuntimeError(f"{PAGE} raised: {at.exception[0].value}")
    sizes = []
    for node in at.get("vega_lite_chart"):
        proto = node.proto
        sizes.append(len(proto.spec.encode()) + sum(len(d.data.data) for d in proto.datasets))
    return {
        "page": PAGE,
        "budget_warm_ms": BUDGET_WARM_MS,
        "budget_chart_kib": BUDGET_CHART_KIB,
        "warm_rerun_ms_median": round(statistics.median(whole), 1),
        "warm_rerun_ms_min": round(min(whole), 1),
        "chart_kib": [round(s / 1024, 1) for s in sizes],
        "chart_kib_max": round(max(sizes) / 1024, 1) if sizes else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
