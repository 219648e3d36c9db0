"""Valuation: the sourced shares file obeys its schema; market caps on real snapshot prices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.datafiles import read_raw, validate
from lib.markets import valuation
from lib.prices import PriceStore
from lib.universe import load_universe


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return load_universe()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PriceStore:
    return PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def caps(universe: pd.DataFrame, store: PriceStore) -> pd.DataFrame:
    prices = store.load(list(universe["symbol"]))
    rates = store.load(valuation.fx_symbols(universe))
    return valuation.market_caps(universe, prices, valuation.read_shares(), rates).set_index(
        "symbol"
    )


# --- the data file -----------------------------------------------------------------------------


def test_shares_file_matches_schema() -> None:
    raw = read_raw(valuation.SHARES_FILE)
    assert validate(raw, valuation.SHARES_OUTSTANDING, valuation.SHARES_FILE) == []
    assert valuation.consistency_problems(raw) == []


def test_shares_file_symbols_are_companies_in_universe(universe: pd.DataFrame) -> None:
    shares = valuation.read_shares()
    seg = universe.set_index("symbol")["segment"]
    assert set(shares["symbol"]) <= set(seg.index)
    assert not seg[shares["symbol"]].isin(list(valuation.NO_MARKET_CAP_SEGMENTS)).any()
    assert (shares["shares_outstanding"] > 0).all()
    assert (shares["as_of"] <= pd.Timestamp("2026-12-31")).all()


def test_secondary_sources_are_never_verified() -> None:
    shares = valuation.read_shares()
    secondary = shares[shares["source_kind"] == "secondary"]
    assert (secondary["confidence"] == "unverified").all()


def _row(**over: str) -> pd.DataFrame:
    base = {
        "symbol": "MP",
        "shares_outstanding": "100",
        "as_of": "2025-11-05",
        "source_url": "https://example.org/x",
        "source_kind": "filing",
        "confidence": "verified",
        "note": "",
    }
    base.update(over)
    return pd.DataFrame([base])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shares_outstanding", "0"),
        ("shares_outstanding", "1.5e8"),
        ("shares_outstanding", "-5"),
        ("as_of", "2025-13-01"),
        ("source_url", "http://example.org/x"),
        ("source_kind", "blog"),
        ("confidence", "derived"),
        ("symbol", "mp lower"),
        ("note", "=HYPERLINK(1)"),
    ],
)
def test_schema_rejects_bad_rows(field: str, value: str) -> None:
    assert validate(_row(**{field: value}), valuation.SHARES_OUTSTANDING) != []


def test_schema_rejects_duplicates_and_secondary_verified() -> None:
    dup = pd.concat([_row(), _row()], ignore_index=True)
    assert any("duplicate" in p for p in validate(dup, valuation.SHARES_OUTSTANDING))
    bad = _row(source_kind="secondary", confidence="verified")
    assert valuation.consistency_problems(bad) == ["MP: a secondary source cannot be 'verified'"]


def test_read_shares_raises_documented_error(tmp_path: Path) -> None:
    path = tmp_path / "shares.csv"
    _row(shares_outstanding="lots").to_csv(path, index=False)
    with pytest.raises(valuation.SharesFileError, match="shares_outstanding"):
        valuation.read_shares(path)


# --- market caps on real snapshot prices ---------------------------------------------------------


def test_mp_market_cap_is_shares_times_last_traded_close(
    caps: pd.DataFrame, store: PriceStore
) -> None:
    mp = store.load(["MP"]).sort_values("date")
    last = mp.dropna(subset=["close"]).iloc[-1]
    row = caps.loc["MP"]
    assert row["close"] == last["close"]
    assert row["close_date"] == last["date"]
    assert row["market_cap_usd"] == pytest.approx(177_098_314 * last["close"])
    assert row["market_cap_usd"] == pytest.approx(8.17e9, rel=0.01)  # 46.14 on 2026-10-08
    assert row["shares_source_kind"] == "secondary"
    assert row["shares_confidence"] == "unverified"
    assert row["shares_as_of"] == pd.Timestamp("2025-11-05")
    assert row["reason"] == ""


def test_china_northern_converted_with_same_day_cny_rate(
    caps: pd.DataFrame, store: PriceStore
) -> None:
    row = caps.loc["600111.SS"]
    rates = store.load(["CNY=X"]).set_index("date")["adj_close"].sort_index()
    rate = rates.loc[: row["close_date"]].iloc[-1]  # CNY per USD, same or last prior day
    assert row["close_usd"] == pytest.approx(row["close"] / rate)
    assert row["market_cap_local"] == pytest.approx(3_615_065_842 * row["close"])
    assert row["market_cap_usd"] == pytest.approx(row["market_cap_local"] / rate)
    assert 1e10 < row["market_cap_usd"] < 5e10


def test_reasons_name_what_is_missing(caps: pd.DataFrame) -> None:
    # Lynas: no sourced count. Its close converts: AUD/USD runs to 2026-07-31, past the ASX
    # data's end (2026-06-04, snapshot of 2026-12), so 18.71 AUD is 18.71 x 0.7143 USD.
    assert caps.loc["LYC.AX", "reason"] == "no sourced share count"
    assert caps.loc["LYC.AX", "close_usd"] == pytest.approx(18.71 * 0.7143)
    # USAR: a sourced count, but the snapshot only has adjusted closes.
    assert caps.loc["USAR", "reason"] == "only adjusted closes in the price data (no traded close)"
    assert pd.isna(caps.loc["USAR", "market_cap_usd"])
    assert caps.loc["USAR", "shares_outstanding"] == 217_940_638
    # No prices at all offline.
    assert caps.loc["PRE.L", "reason"] == "no prices"
    # Funds are not companies.
    assert caps.loc["REMX", "reason"].startswith("fund")
    # Every row either has a USD market cap or says why not.
    has_cap = caps["market_cap_usd"].notna()
    assert (has_cap == caps["reason"].eq("")).all()


def test_table_shape(caps: pd.DataFrame, universe: pd.DataFrame) -> None:
    assert list(caps.reset_index().columns) == valuation.MARKET_CAP_COLUMNS
    assert list(caps.index) == list(universe["symbol"])


# --- FX cases on hand-made frames -----------------------------------------------------------------


def _uni(sym: str, ccy: str) -> pd.DataFrame:
    return pd.DataFrame([{"symbol": sym, "name": sym, "currency": ccy, "segment": "mining"}])


def _shares(sym: str, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "symbol": sym,
                "shares_outstanding": n,
                "as_of": pd.Timestamp("2025-01-01"),
                "source_url": "https://example.org",
                "source_kind": "filing",
                "confidence": "verified",
                "note": "",
            }
        ]
    )


def _px(sym: str, day: str, close: float, adj: float | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [pd.Timestamp(day)],
            "symbol": [sym],
            "open": [close],
            "high": [close],
            "low": [close],
            "close": [close],
            "adj_close": [close if adj is None else adj],
            "volume": [1.0],
        }
    )


def test_pence_quote_converted_to_usd() -> None:
    prices = _px("X.L", "2025-03-03", 10.0, adj=7.0)  # 10p traded; adjusted close ignored
    rates = pd.DataFrame(
        {"date": [pd.Timestamp("2025-03-03")], "symbol": ["GBPUSD=X"], "adj_close": [1.25]}
    )
    out = valuation.market_caps(_uni("X.L", "GBp"), prices, _shares("X.L", 1000), rates)
    row = out.iloc[0]
    assert row["close"] == 10.0
    assert row["close_usd"] == pytest.approx(0.125)
    assert row["market_cap_usd"] == pytest.approx(125.0)
    assert row["market_cap_local"] == pytest.approx(10_000.0)  # in pence, as quoted


def test_stale_fx_rate_gives_reason_not_number() -> None:
    prices = _px("Y.AX", "2025-03-20", 2.0)
    rates = pd.DataFrame(
        {"date": [pd.Timestamp("2025-03-01")], "symbol": ["AUDUSD=X"], "adj_close": [0.6]}
    )
    out = valuation.market_caps(_uni("Y.AX", "AUD"), prices, _shares("Y.AX", 10), rates)
    row = out.iloc[0]
    assert np.isnan(row["market_cap_usd"])
    assert row["market_cap_local"] == 20.0
    assert "AUDUSD=X" in row["reason"]


def test_empty_inputs_do_not_raise() -> None:
    empty_px = _px("Z", "2025-01-01", 1.0).iloc[0:0]
    out = valuation.market_caps(_uni("Z", "USD"), empty_px, _shares("Q", 1).iloc[0:0], empty_px)
    assert out.loc[0, "reason"] == "no sourced share count; no prices"


# --------------------------------------------------------------------------- display


def test_market_cap_labels_give_number_basis_or_reason() -> None:
    caps = pd.DataFrame(
        {
            "symbol": ["MP", "LYC.AX", "REMX"],
            "market_cap_usd": [8.594581e9, np.nan, np.nan],
            "shares_outstanding": pd.array([177098314, pd.NA, pd.NA], dtype="Int64"),
            "shares_as_of": pd.to_datetime(["2025-11-05", None, None]),
            "shares_source_kind": ["secondary", np.nan, np.nan],
            "shares_confidence": ["unverified", np.nan, np.nan],
            "reason": ["", "no sourced share count", "fund, not a company: no market cap"],
        }
    )
    out = valuation.market_cap_labels(caps, ["MP", "LYC.AX", "REMX", "XYZ"]).set_index("symbol")
    cap, basis = valuation.MARKET_CAP_LABEL, valuation.SHARE_BASIS_LABEL
    assert out.loc["MP", cap] == "8.59 bn"
    assert out.loc["MP", basis] == "177.1 m shares · 05 Nov 2025 · secondary, unverified"
    assert out.loc["LYC.AX", cap] == "–" and out.loc["LYC.AX", basis] == "– no sourced share count"
    assert out.loc["REMX", basis].startswith("– fund")
    assert out.loc["XYZ", cap] == "–" and "not in the sourced universe" in out.loc["XYZ", basis]


@pytest.mark.parametrize(
    ("value", "text"),
    [(8.594581e9, "8.59 bn"), (845e6, "845 m"), (np.nan, "–"), (None, "–")],
)
def test_fmt_usd_amount(value: object, text: str) -> None:
    assert valuation.fmt_usd_amount(value) == text


def test_shares_file_is_registered_with_the_data_file_schemas() -> None:
    from lib import datafiles

    assert datafiles.SCHEMAS[valuation.SHARES_FILE] is valuation.SHARES_OUTSTANDING


# --- issue 21: stale counts, third-party copies, one company counted once ------------------------


def test_mkango_is_counted_once(caps: pd.DataFrame) -> None:
    shares = valuation.read_shares()
    assert "MKA.V" not in set(shares["symbol"]) and "MKA.L" in set(shares["symbol"])
    assert caps.loc["MKA.V", "reason"] == (
        "same company as MKA.L: its market cap is counted once, on that line"
    )
    assert pd.isna(caps.loc["MKA.V", "market_cap_usd"])
    # Even with a count and a price for the second line, no second market cap appears.
    uni = pd.DataFrame(
        [{"symbol": s, "name": "Mkango", "currency": "GBp", "segment": "mining"}
         for s in ("MKA.L", "MKA.V")]
    )  # fmt: skip
    prices = pd.concat([_px("MKA.L", "2025-03-03", 10.0), _px("MKA.V", "2025-03-03", 10.0)])
    both = pd.concat([_shares("MKA.L", 1000), _shares("MKA.V", 1000)])
    rates = pd.DataFrame(
        {"date": [pd.Timestamp("2025-03-03")], "symbol": ["GBPUSD=X"], "adj_close": [1.25]}
    )
    out = valuation.market_caps(uni, prices, both, rates).set_index("symbol")
    assert out["market_cap_usd"].notna().sum() == 1 and out.loc["MKA.L", "market_cap_usd"] > 0


def test_third_party_copy_is_not_a_filing() -> None:
    crml = valuation.read_shares().set_index("symbol").loc["CRML"]
    assert (crml["source_kind"], crml["confidence"]) == ("secondary", "unverified")
    assert "third-party" in crml["note"]


@pytest.mark.parametrize(
    ("symbol", "as_of", "close_date", "expected"),
    [
        # USAR's count (28 Jan 2026) misses the January 2026 PIPE and the Commerce shares.
        ("USAR", "2026-01-28", "2026-02-02", "predates the shares of the January 2026 PIPE"),
        ("USAR", "2026-05-01", "2026-06-01", ""),  # a newer count is no longer covered
        ("MP", "2025-11-05", "2026-10-08", "counted 337 days before the close it multiplies"),
        ("MP", "2025-11-05", "2026-01-05", ""),
        ("MP", None, "2026-01-05", ""),
    ],
)
def test_stale_count_rule(symbol: str, as_of: str | None, close_date: str, expected: str) -> None:
    got = valuation.stale_count(
        symbol, pd.Timestamp(as_of) if as_of else None, pd.Timestamp(close_date)
    )
    assert got.startswith(expected) if expected else got == ""


def test_stale_count_shown_beside_the_market_cap(caps: pd.DataFrame) -> None:
    labels = valuation.market_cap_labels(caps.reset_index(), ["MP", "USAR", "MKA.V"])
    labels = labels.set_index("symbol")
    # MP: 177.1 m shares of 5 Nov 2025 against the 8 Oct 2026 close.
    assert labels.loc["MP", valuation.MARKET_CAP_LABEL] == "8.17 bn (stale count, 05 Nov 2025)"
    assert "stale: counted 337 days" in labels.loc["MP", valuation.SHARE_BASIS_LABEL]
    # USAR: no traded close offline, and the count is stale for a known reason: both said.
    usar = labels.loc["USAR", valuation.SHARE_BASIS_LABEL]
    assert usar.startswith("– only adjusted closes") and "28 Jan 2026 is stale" in usar
    assert "PIPE" in usar
    assert labels.loc["MKA.V", valuation.MARKET_CAP_LABEL] == "–"
