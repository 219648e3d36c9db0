"""yfinance through its real code path against the fake Yahoo on 127.0.0.1 (issue 2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lib.prices import PriceStore, YahooFetcher, probe_reachable
from scripts import refresh as refresh_cli
from tests.fake_yahoo import (
    TODAY,
    FakeYahoo,
    LoopbackSession,
    closed_port,
    running_fake,
    store_for,
)


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    with running_fake(tmp_path, monkeypatch) as fake:
        yield fake


def _close(df: pd.DataFrame, symbol: str, day: str) -> float:
    row = df[(df["symbol"] == symbol) & (df["date"] == pd.Timestamp(day))]
    assert len(row) == 1, f"{symbol} {day}: {len(row)} rows"
    return float(row["close"].iloc[0])


def test_download_returns_real_snapshot_values(fake_yahoo: FakeYahoo) -> None:
    fetcher = fake_yahoo.fetcher()
    res = fetcher.fetch(["MP", "SPY"], date(2025, 7, 8), date(2025, 7, 11))
    assert res.errors == {}
    assert _close(res.rows, "MP", "2025-07-09") == pytest.approx(30.03)
    assert _close(res.rows, "MP", "2025-07-10") == pytest.approx(45.23)
    assert sorted(res.rows["symbol"].unique()) == ["MP", "SPY"]
    assert fake_yahoo.chart_requests("MP") >= 1  # really went through the server


def test_refresh_success_merges_real_rows(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = store_for(fake_yahoo, tmp_path)
    assert store.load(["MP"])["date"].max() == pd.Timestamp("2025-06-30")
    report = store.refresh(["MP", "SPY"])
    assert report.failed == []
    assert report.updated == ["MP", "SPY"]
    assert report.written
    prices = store.load(["MP"])
    assert _close(prices, "MP", "2025-07-10") == pytest.approx(45.23)
    mp = prices.set_index("date")["adj_close"]
    assert mp["2025-07-10"] / mp["2025-07-09"] - 1 == pytest.approx(0.506, abs=1e-3)
    assert prices["date"].max() == pd.Timestamp(TODAY)
    assert not prices.duplicated(["symbol", "date"]).any()


def test_unknown_symbol_is_reported_by_name(fake_yahoo: FakeYahoo, tmp_path: Path) -> None:
    store = store_for(fake_yahoo, tmp_path)
    report = store.refresh(["MP", "NOPEX"])
    assert report.failed == ["NOPEX"]
    assert report.symbols["NOPEX"].message
    assert report.updated == ["MP"]
    assert "NOPEX" in report.summary()
    assert "NOPEX" not in set(store.load()["symbol"])
    assert _close(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


def test_refused_connection_fails_cleanly_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RER_OFFLINE", raising=False)
    port = closed_port()
    fetcher = YahooFetcher(
        session=LoopbackSession(f"http://127.0.0.1:{port}"),
        probe=lambda: True,  # pretend the probe passed: the download itself is refused
        timeout=2,
        sleep=lambda _s: None,
    )
    store = PriceStore(cache_dir=tmp_path / "cache", fetcher=fetcher)
    report = store.refresh(["MP", "SPY"], force=True)
    assert report.failed == ["MP", "SPY"]
    assert not report.written
    assert not store.backend.path.exists()
    assert _close(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


def test_refused_port_is_detected_as_offline_by_the_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RER_OFFLINE", raising=False)
    port = closed_port()
    assert probe_reachable("127.0.0.1", port, timeout=1.0, ttl=0) is False
    fetcher = YahooFetcher(
        session=LoopbackSession(f"http://127.0.0.1:{port}"),
        probe=lambda: probe_reachable("127.0.0.1", port, ttl=0),
    )
    store = PriceStore(cache_dir=tmp_path / "cache", fetcher=fetcher)
    report = store.refresh(["MP"], force=True)
    assert report.offline
    assert report.attempted == []
    assert "unreachable" in report.summary()
    assert not store.backend.path.exists()


# --------------------------------------------------------------------------- make refresh


def _cli_store(fake: FakeYahoo, tmp_path: Path) -> PriceStore:
    return store_for(fake, tmp_path)


def test_cli_refreshes_named_symbols(
    fake_yahoo: FakeYahoo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _cli_store(fake_yahoo, tmp_path)
    code = refresh_cli.main(["--symbols", "MP,SPY"], store=store)
    err = capsys.readouterr().err
    assert code == 0
    assert "MP" in err and "SPY" in err
    assert _close(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


def test_cli_names_failed_symbols_and_exits_1(
    fake_yahoo: FakeYahoo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _cli_store(fake_yahoo, tmp_path)
    fake_yahoo.fail("SPY", "status", status=500)
    code = refresh_cli.main(["--symbols", "MP", "SPY"], store=store)
    out = capsys.readouterr()
    assert code == 1
    assert "failed: SPY" in out.out
    assert _close(store.load(["MP"]), "MP", "2025-07-10") == pytest.approx(45.23)


def test_cli_offline_exits_0_with_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RER_OFFLINE", raising=False)
    port = closed_port()
    fetcher = YahooFetcher(probe=lambda: probe_reachable("127.0.0.1", port, ttl=0))
    store = PriceStore(cache_dir=tmp_path / "cache", fetcher=fetcher)
    assert refresh_cli.main(["--symbols", "MP", "--force"], store=store) == 0
    assert "unreachable" in capsys.readouterr().out
    assert not store.backend.path.exists()


def test_cli_default_symbols_cover_universe_and_fx() -> None:
    from lib.prices import refresh_universe_symbols

    syms = refresh_universe_symbols()
    assert {"MP", "LYC.AX", "SPY", "REMX"} <= set(syms)
    assert {"AUDUSD=X", "CNY=X"} <= set(syms)  # FX needed to show AUD and CNY prices in USD
    assert len(syms) == len(set(syms))


def test_cli_unexpected_error_exits_2(tmp_path: Path) -> None:
    class Broken(PriceStore):
        def refresh(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    assert refresh_cli.main(["--symbols", "MP"], store=Broken(cache_dir=tmp_path)) == 2
