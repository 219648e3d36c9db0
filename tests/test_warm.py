"""The background warm-up: every page's default data warms without error, once per process,
and a failing step is logged, never raised into a session."""

from __future__ import annotations

import logging
import threading

import pytest

from lib.ui import warm


def test_every_warm_step_runs_with_the_pages_defaults(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lib.ui.warm"):
        warm._run(warm.STEPS)
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "failed" in m], messages
    assert len([m for m in messages if m.startswith("warmed ")]) == len(warm.STEPS)


def test_starts_once_and_a_failing_step_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(warm, "_started", threading.Event())
    monkeypatch.setenv(warm.ENV_WARM, "0")
    assert warm.start_once((("never", lambda: None),)) is False  # switched off
    monkeypatch.setenv(warm.ENV_WARM, "1")
    done = threading.Event()

    def boom() -> None:
        raise RuntimeError("no data")

    steps = (("broken", boom), ("after", done.set))
    with caplog.at_level(logging.WARNING, logger="lib.ui.warm"):
        assert warm.start_once(steps) is True
        assert warm.start_once(steps) is False  # one thread per process
        assert done.wait(10)  # the step after the failure still ran
    assert any("warming broken failed" in r.getMessage() for r in caplog.records)
