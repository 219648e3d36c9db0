"""The one domain call for display prices: symbols and their FX in one store read."""

from __future__ import annotations

import pandas as pd
import pytest


def test_one_domain_call_loads_prices_and_their_fx_together(tmp_path) -> None:
    """load_display_prices reads symbols and FX in one store call and converts to USD."""
    from lib.prices import PriceStore, read_snapshot_meta
    from lib.prices.display import load_display_prices
    from lib.universe import load_universe

    calls: list[list[str]] = []

    class Spy(PriceStore):
        def load(self, symbols=None):  # type: ignore[override]
            calls.append(list(symbols or []))
            return super().load(symbols)

    store = Spy(cache_dir=tmp_path)
    uni, meta = load_universe(), read_snapshot_meta()
    usd = load_display_prices(
        store, ("MP", "600111.SS"), universe=uni, snapshot_meta=meta, currency="USD"
    )
    assert len(calls) == 1 and set(calls[0]) >= {"MP", "600111.SS", "CNY=X"}
    assert set(usd.prices["symbol"]) == {"MP", "600111.SS"}
    local = load_display_prices(store, ("600111.SS",), universe=uni, snapshot_meta=meta)
    day = pd.Timestamp("2025-07-10")
    cny = local.prices.set_index("date").loc[day, "adj_close"]
    usd_row = usd.prices[(usd.prices["symbol"] == "600111.SS") & (usd.prices["date"] == day)]
    rate = store.load(["CNY=X"]).set_index("date").loc[day, "adj_close"]
    assert float(usd_row["adj_close"].iloc[0]) == pytest.approx(float(cny) / float(rate))
