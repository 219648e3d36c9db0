"""Hypothesis profiles: a bounded, derandomized "ci" run inside `make test`; "fuzz" for `make fuzz`.

Import this module from every property-test module; HYPOTHESIS_PROFILE picks the profile
(default "ci"). Page examples each start a Streamlit script run (about a second), so the CI
profile keeps example counts small and fixed: same inputs on every machine, no flaky CI.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

#: Page properties run each example through AppTest; these scale their example counts.
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    derandomize=True,
    # 8 page examples per property (12 until session 6): each is a Streamlit script run, and
    # the page properties were ~100 s of one worker's time in `make test`; `make fuzz` runs 400.
    max_examples=8,
    deadline=None,
    suppress_health_check=_SUPPRESS,
    print_blob=True,
    # No shrinking in CI: a failure is reported with its (already small) example; shrink with
    # the fuzz profile locally and keep the minimal example as a plain regression test.
    phases=[Phase.explicit, Phase.generate, Phase.target],
    database=None,
)
settings.register_profile(
    "fuzz",
    max_examples=400,
    deadline=None,
    suppress_health_check=_SUPPRESS,
    print_blob=True,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

#: Example-count multiplier for the lib-level properties (tens of ms per example, on frames
#: built per example): 56 examples each in `make test`, 1200 under `make fuzz`.
LIB_SCALE = 7 if PROFILE == "ci" else 3
