"""Share counts from Yahoo through yfinance's real code path (fake Yahoo on 127.0.0.1):
good answers merge in, bad answers never overwrite the sourced file's rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lib.markets import valuation
from lib.prices import probe_reachable
from lib.prices.shares import YahooShares, merge_shares, refresh_shares
from tests.fake_yahoo import FakeYahoo, closed_port, running_fake

FILE = valuation.read_shares()
MP_FILE = int(FILE.set_index("symbol").loc["MP", "shares_outstanding"])  # 177,098,314


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    with running_fake(tmp_path, monkeypatch) as fake:
        yield fake


def shares_for(fake: FakeYahoo) -> YahooShares:
    return YahooShares(
        session=fake.session(),
        probe=lambda: probe_reachable("127.0.0.1", fake.port, ttl=0),
        today=lambda: date(2026, 7, 31),
        deadline_s=20,
    )


def test_yahoo_count_is_read_through_yfinance(fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.shares["MP"] = [(date(2026, 3, 31), 170_000_000), (date(2026, 6, 30), 180_512_345)]
    rows, errors = shares_for(fake_yahoo).fetch_shares(["MP"])
    assert errors == {}
    assert rows.to_dict("records") == [
        {"symbol": "MP", "shares_outstanding": 180_512_345, "as_of": pd.Timestamp("2026-06-30")}
    ]
    assert any(p.startswith("/ws/fundamentals-timeseries/") for p in fake_yahoo.counts)


def test_refresh_updates_good_rows_and_never_overwrites_with_bad(fake_yahoo: FakeYahoo) -> None:
    fake_yahoo.shares["MP"] = [(date(2026, 6, 30), 180_512_345)]  # newer, plausible: update
    fake_yahoo.shares["LYC.AX"] = [(date(2026, 6, 30), 934_000_000)]  # not in the file: add
    fake_yahoo.share_faults["USAR"] = "status"
    fake_yahoo.share_faults["NEO.TO"] = "malformed"
    fake_yahoo.shares["600111.SS"] = [(date(2026, 6, 30), 3_615_065)]  # 1000x off: held back
    # CRML: Yahoo has no series at all
    wanted = ["MP", "LYC.AX", "600111.SS", "USAR", "NEO.TO", "CRML"]
    res = refresh_shares(FILE, wanted, shares_for(fake_yahoo))
    table = res.table.set_index("symbol")
    assert res.updated == ["MP"] and res.added == ["LYC.AX"]
    assert table.loc["MP", "shares_outstanding"] == 180_512_345
    assert table.loc["MP", "confidence"] == "unverified"
    assert table.loc["MP", "source_url"].startswith("https://finance.yahoo.com/quote/MP")
    assert table.loc["LYC.AX", "as_of"] == pd.Timestamp("2026-06-30")
    for sym in ("600111.SS", "USAR", "NEO.TO", "CRML"):
        assert sym in res.kept, sym
        before = FILE.set_index("symbol").loc[sym]
        assert table.loc[sym, "shares_outstanding"] == before["shares_outstanding"]
        assert table.loc[sym, "source_url"] == before["source_url"]
    assert "differs" in res.kept["600111.SS"]
    # The merged table still obeys the data-file schema (it can be written back as CSV).
    raw = res.table.assign(as_of=res.table["as_of"].dt.strftime("%Y-%m-%d")).astype(str)
    raw["note"] = raw["note"].replace("nan", "")
    assert valuation.validate(raw, valuation.SHARES_OUTSTANDING) == []


def test_offline_refresh_returns_the_file_unchanged(tmp_path: Path) -> None:
    offline = YahooShares(probe=lambda: probe_reachable("127.0.0.1", closed_port(), ttl=0))
    res = refresh_shares(FILE, ["MP"], offline)
    pd.testing.assert_frame_equal(res.table, FILE)
    assert res.kept == {"MP": "offline"} and not res.updated


@pytest.mark.parametrize(
    ("count", "as_of", "why"),
    [
        (0, "2026-06-30", "plausible"),
        (-5, "2026-06-30", "plausible"),
        (1.5, "2026-06-30", "plausible"),
        (10**14, "2026-06-30", "plausible"),
        (MP_FILE, "2020-01-01", "older"),
        (MP_FILE, None, "no date"),
    ],
)
def test_implausible_counts_keep_the_file_row(count: object, as_of: str | None, why: str) -> None:
    fetched = pd.DataFrame(
        {"symbol": ["MP"], "shares_outstanding": [count], "as_of": [pd.Timestamp(as_of)]}
    )
    res = merge_shares(FILE, fetched)
    assert why in res.kept["MP"]
    pd.testing.assert_frame_equal(res.table, FILE)


def test_refreshed_copy_is_written_used_and_survives_corruption(
    fake_yahoo: FakeYahoo, tmp_path: Path
) -> None:
    cache = valuation.shares_cache_path(tmp_path / "home")
    fake_yahoo.shares["MP"] = [(date(2026, 6, 30), 180_512_345)]
    res = valuation.refresh_shares_file(["MP"], shares_for(fake_yahoo), cache)
    assert res.updated == ["MP"] and cache.exists()
    table, origin = valuation.current_shares(cache)
    assert origin == "refreshed"
    assert table.set_index("symbol").loc["MP", "shares_outstanding"] == 180_512_345
    # Offline always reads the sourced file, even with a refreshed copy on disk.
    offline, origin = valuation.current_shares(cache, offline=True)
    assert (
        origin == "file" and offline.set_index("symbol").loc["MP", "shares_outstanding"] == MP_FILE
    )
    # A failed refresh writes nothing: the refreshed copy stays as it was.
    fake_yahoo.share_faults["MP"] = "status"
    before = cache.read_bytes()
    res = valuation.refresh_shares_file(["MP"], shares_for(fake_yahoo), cache)
    assert "MP" in res.kept and cache.read_bytes() == before
    # A corrupt copy falls back to the file instead of failing the page.
    cache.write_text("symbol,shares_outstanding\nMP,lots\n")
    assert valuation.current_shares(cache)[1] == "file"
