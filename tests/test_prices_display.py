"""Prices as pages show them: listing-date trim, USD conversion, currency of every series."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.prices import PriceStore, read_snapshot_meta
from lib.prices import display as pd_display
from lib.universe import load_universe


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PriceStore:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ("CNY", "CNY"),
        ("AUD", "AUD"),
        ("USD per AUD", "USD"),
        ("CNY per USD", "USD"),
        ("USD per troy ounce", "USD"),
    ],
)
def test_infer_currency_from_snapshot_meta(meta: str, expected: str) -> None:
    assert pd_display.infer_currency(meta) == expected


def test_currency_map_prefers_the_universe_then_the_snapshot() -> None:
    uni = load_universe()
    ccy = pd_display.currency_map(uni, read_snapshot_meta())
    assert ccy["600111.SS"] == "CNY" and ccy["LYC.AX"] == "AUD" and ccy["MP"] == "USD"
    assert ccy["CNY=X"] == "USD"  # an FX series, not a CNY listing
    assert set(uni["symbol"]) <= set(ccy)


def test_pre_listing_rows_are_trimmed_unless_asked_for(store: PriceStore) -> None:
    uni = load_universe()
    tidy = store.load(["MP"])
    listed = pd_display.listing_dates(uni)
    kw = {"listed": listed, "currency_of": {"MP": "USD"}, "rates": None, "currency": "local"}
    trimmed = pd_display.display_prices(tidy, ("MP",), include_pre_listing=False, **kw)
    full = pd_display.display_prices(tidy, ("MP",), include_pre_listing=True, **kw)
    assert trimmed.prices["date"].min() >= pd.Timestamp(listed["MP"])
    assert full.prices["date"].min() < pd.Timestamp(listed["MP"])  # SPAC era kept on request
    assert len(full.prices) == len(tidy) and trimmed.notes == {}


def test_usd_conversion_uses_the_needed_fx_series(store: PriceStore) -> None:
    ccy = {"600111.SS": "CNY", "MP": "USD"}
    symbols = ("600111.SS", "MP")
    assert pd_display.fx_needed(symbols, ccy) == ["CNY=X"]
    tidy = store.load(list(symbols))
    out = pd_display.display_prices(
        tidy,
        symbols,
        listed={},
        currency_of=ccy,
        rates=store.load(["CNY=X"]),
        currency="USD",
        include_pre_listing=True,
    )
    day = pd.Timestamp("2024-12-31")
    raw = tidy[(tidy["symbol"] == "600111.SS") & (tidy["date"] == day)]["close"].iloc[0]
    got = out.prices[(out.prices["symbol"] == "600111.SS") & (out.prices["date"] == day)]
    assert got["close"].iloc[0] == pytest.approx(raw / 7.2993)
    mp_in = tidy[tidy["symbol"] == "MP"].set_index("date")["close"]
    mp_out = out.prices[out.prices["symbol"] == "MP"].set_index("date")["close"]
    pd.testing.assert_series_equal(mp_in, mp_out)  # USD listings pass through untouched


def test_local_currency_needs_no_rates(store: PriceStore) -> None:
    tidy = store.load(["LYC.AX"])
    out = pd_display.display_prices(
        tidy,
        ("LYC.AX",),
        listed={},
        currency_of={"LYC.AX": "AUD"},
        rates=None,
        currency="local",
        include_pre_listing=True,
    )
    assert out.notes == {}
    assert out.prices["close"].tolist() == tidy["close"].tolist()


def test_quoted_levels_use_only_traded_closes() -> None:
    """Issue 14: SPY's Stooq close is dividend-adjusted, ILU.AX is scaled before 2025-09-02."""
    from lib.prices import read_snapshot, read_snapshot_meta
    from lib.prices.display import traded_close_mask

    snap = read_snapshot()
    meta = read_snapshot_meta()
    tidy = snap[snap["symbol"].isin(["SPY", "ILU.AX", "MP", "600366.SS", "REMX"])]
    mask = traded_close_mask(tidy, meta).set_axis(
        pd.MultiIndex.from_frame(tidy[["symbol", "date"]])
    )
    # SPY's close is Stooq's dividend-adjusted close up to its 2026-09-18 ex-date (SOURCES.md,
    # Extensions 2026-12); from that date adjusted = traded.
    assert not mask.loc[("SPY", pd.Timestamp("2026-09-17"))]
    assert mask.loc[("SPY", pd.Timestamp("2026-09-18"))]
    assert not mask.loc["SPY"].loc[: pd.Timestamp("2026-09-17")].any()
    assert not mask.loc[("ILU.AX", pd.Timestamp("2025-09-01"))]
    assert mask.loc[("ILU.AX", pd.Timestamp("2025-09-02"))]
    assert not mask.loc[("600366.SS", pd.Timestamp("2026-06-26"))]  # +0.001 source offset
    assert mask.loc[("600366.SS", pd.Timestamp("2026-06-29"))]
    assert mask.loc["MP"].all()
    assert not mask.loc["REMX"].any()  # adjusted closes only
    # A Yahoo row after the snapshot's end is a traded close (auto_adjust=False).
    later = pd.DataFrame(
        {"symbol": ["SPY"], "date": [pd.Timestamp("2026-09-28")], "close": [750.0],
         "adj_close": [750.0]}
    )  # fmt: skip
    assert traded_close_mask(later, meta).all()


def test_summary_and_export_name_the_quote_basis() -> None:
    from lib import returns
    from lib.markets import price_view
    from lib.prices import read_snapshot, read_snapshot_meta
    from lib.prices.display import traded_close_mask

    snap = read_snapshot()
    tidy = snap[snap["symbol"].isin(["SPY", "MP"])].copy()
    tidy["close"] = tidy["close"].where(traded_close_mask(tidy, read_snapshot_meta()))
    table = returns.summary_table(tidy, {}).set_index("symbol")
    assert table.loc["MP", "quote"] == "traded close" and table.loc["MP", "last"] == 46.14
    # SPY's last offline close (2026-09-25) is after its 2026-09-18 ex-date: a traded close.
    assert table.loc["SPY", "quote"] == "traded close"
    assert table.loc["SPY", "last"] == pytest.approx(771.35)
    old = returns.summary_table(tidy[tidy["date"] <= pd.Timestamp("2026-09-17")], {})
    assert old.set_index("symbol").loc["SPY", "quote"] == "adjusted close"  # labelled
    view = price_view.build_view(tidy, "1M", "Price", align=False)
    out = price_view.export_frame(view, {}, "Local")
    assert set(out.loc[out["symbol"] == "MP", "price_basis"]) == {"traded close"}
