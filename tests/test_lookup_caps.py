"""Bounds on what visitors can make the server download: on-demand Yahoo lookups per session,
and how many symbols outside the universe the shared cache keeps. Against the fake Yahoo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path

import pandas as pd
import pytest

from lib.prices import PriceStore, read_snapshot
from tests.fake_yahoo import TODAY, Clock, FakeYahoo, running_fake
from tests.totality import main_messages, render


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    with running_fake(tmp_path, monkeypatch) as fake:
        yield fake


def _store(fake: FakeYahoo, tmp_path: Path, **kwargs: object) -> PriceStore:
    """A store whose snapshot holds only MP: every other symbol is new to it."""
    fake.as_of = TODAY
    snap = read_snapshot()
    path = tmp_path / "snapshot.parquet"
    snap[snap["symbol"] == "MP"].to_parquet(path, index=False)
    return PriceStore(
        snapshot_path=path,
        cache_dir=tmp_path / "cache",
        fetcher=fake.fetcher(),
        now=Clock(datetime.combine(TODAY, time(22, 0))),
        **kwargs,  # type: ignore[arg-type]
    )


def test_shared_cache_keeps_at_most_max_extra_symbols(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    store = _store(fake_yahoo, tmp_path, keep=("MP",), max_extra_symbols=2)
    report = store.refresh(["LYC.AX", "SPY", "600111.SS"], force=True)
    assert report.updated == ["LYC.AX", "SPY"], report.symbols
    assert report.skipped == ["600111.SS"]
    assert "outside the universe" in report.symbols["600111.SS"].message
    assert fake_yahoo.chart_requests("600111.SS") == 0, "a skipped symbol is never downloaded"
    held = set(store.load()["symbol"].astype(str))
    assert held == {"MP", "LYC.AX", "SPY"}
    # Symbols already kept stay refreshable; universe symbols are never capped.
    again = store.refresh(["LYC.AX", "MP"], force=True)
    assert not again.skipped


def test_a_full_cache_says_so_in_the_summary(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = _store(fake_yahoo, tmp_path, keep=("MP",), max_extra_symbols=0)
    report = store.refresh(["LYC.AX"], force=True)
    assert report.skipped == ["LYC.AX"] and not report.attempted
    assert "cache is full" in report.summary()


def test_on_demand_lookups_per_session_are_capped(
    fake_yahoo: FakeYahoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.ui import data, frame

    store = _store(fake_yahoo, tmp_path)
    monkeypatch.setattr(data, "price_store", lambda: store)
    monkeypatch.setattr(frame, "MAX_LOOKUPS_PER_SESSION", 1)
    # Two symbols nobody holds; the page-load refresh of the universe is not what is tested.
    at = render("prices", {"symbols": ["LYC.AX", "ZZZB"]}, state={"_refresh_checked": True})
    assert not at.exception
    text = " ".join(main_messages(at)).replace("\\", "")
    assert "not looked up: ZZZB" in text
    assert fake_yahoo.chart_requests("LYC.AX") >= 1
    assert fake_yahoo.chart_requests("ZZZB") == 0
    assert not pd.isna(store.load(["LYC.AX"])["date"].max())
