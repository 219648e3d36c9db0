"""Return maths on hand-made frames and on real snapshot values."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lib import returns
from lib.prices import PriceStore


def tidy(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["date", "symbol", "adj_close"])
    df["date"] = pd.to_datetime(df["date"])
    df["close"] = df["adj_close"]
    return df


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = PriceStore(cache_dir=tmp_path_factory.mktemp("cache"))
    return store.load(["MP", "USAR", "SPY", "600111.SS", "LYC.AX", "REMX"])


@pytest.mark.parametrize(
    ("key", "as_of", "expected"),
    [
        ("1M", date(2026, 7, 31), date(2026, 6, 30)),
        ("3M", date(2026, 5, 31), date(2026, 2, 28)),
        ("YTD", date(2026, 7, 31), date(2026, 1, 1)),
        ("1Y", date(2024, 2, 29), date(2023, 2, 28)),
        ("5Y", date(2026, 7, 31), date(2021, 7, 31)),
        ("Max", date(2026, 7, 31), None),
    ],
)
def test_range_start(key: str, as_of: date, expected: date | None) -> None:
    assert returns.range_start(key, as_of) == expected


def test_unknown_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown range"):
        returns.range_start("2W", date(2026, 1, 1))


def test_rebase_uses_each_series_own_first_value_and_keeps_late_listing() -> None:
    df = tidy(
        [
            ("2025-03-12", "OLD", 10.0),
            ("2025-03-13", "OLD", 11.0),
            ("2025-03-14", "OLD", 12.0),
            ("2025-03-14", "NEW", 18.55),
            ("2025-03-17", "NEW", 37.10),
        ]
    )
    wide = returns.rebase_to_100(returns.to_wide(df))
    assert wide.loc["2025-03-12", "OLD"] == 100.0
    assert wide.loc["2025-03-14", "OLD"] == pytest.approx(120.0)
    assert wide.loc["2025-03-14", "NEW"] == pytest.approx(100.0)
    assert wide.loc["2025-03-17", "NEW"] == pytest.approx(200.0)
    assert len(wide) == 4  # no global dropna: OLD's early days survive


def test_percent_change_is_signed_change_not_ratio() -> None:
    df = tidy([("2025-01-02", "A", 80.0), ("2025-01-03", "A", 100.0)])
    pct = returns.percent_change(returns.to_wide(df))
    assert pct["A"].tolist() == pytest.approx([0.0, 25.0])


def test_mixed_exchange_calendars_keep_every_session(real: pd.DataFrame) -> None:
    """Holidays on one exchange are NaN for that symbol only, never a lost session."""
    window = returns.slice_dates(real, date(2025, 1, 6), date(2025, 2, 7))
    wide = returns.to_wide(window)
    # 2025-01-09: US markets closed (national day of mourning), Shanghai open.
    assert np.isnan(wide.loc["2025-01-09", "MP"])
    assert wide.loc["2025-01-09", "600111.SS"] > 0
    # 2025-01-30: Lunar New Year in Shanghai, New York open.
    assert np.isnan(wide.loc["2025-01-30", "600111.SS"])
    assert wide.loc["2025-01-30", "MP"] > 0
    rebased = returns.rebase_to_100(wide)
    assert rebased["MP"].dropna().iloc[0] == 100.0
    assert rebased["600111.SS"].dropna().iloc[0] == 100.0


def test_trim_pre_listing_starts_usar_at_listing(real: pd.DataFrame) -> None:
    trimmed = returns.trim_pre_listing(real, {"USAR": date(2025, 3, 14), "MP": date(2020, 11, 18)})
    usar = trimmed[trimmed["symbol"] == "USAR"]
    assert usar["date"].min() == pd.Timestamp("2025-03-14")
    assert usar.iloc[0]["adj_close"] == pytest.approx(18.55)
    assert trimmed[trimmed["symbol"] == "MP"]["date"].min() == pd.Timestamp("2020-11-18")
    assert trimmed[trimmed["symbol"] == "SPY"]["date"].min() == pd.Timestamp("2020-01-02")


@pytest.mark.parametrize(
    ("values", "expected"),
    [([100, 120, 90, 130], -0.25), ([1, 2, 3], 0.0), ([10, 5, 10, 2.5], -0.75)],
)
def test_max_drawdown(values: list[float], expected: float) -> None:
    assert returns.max_drawdown(pd.Series(values, dtype=float)) == pytest.approx(expected)


def test_volatility_of_constant_growth_is_zero_and_known_series() -> None:
    assert returns.annualised_volatility(pd.Series([1.0, 1.01, 1.0201])) == pytest.approx(0.0)
    s = pd.Series([100.0, 110.0, 99.0])
    r = np.log(s).diff().dropna()
    assert returns.annualised_volatility(s) == pytest.approx(r.std(ddof=1) * np.sqrt(252))


def test_summary_on_real_mp_july_2025(real: pd.DataFrame) -> None:
    window = returns.slice_dates(real, date(2025, 7, 9), date(2025, 7, 10))
    table = returns.summary_table(window, {"MP": "USD"}).set_index("symbol")
    assert table.loc["MP", "last"] == 45.23
    assert table.loc["MP", "as_of"] == date(2025, 7, 10)
    assert table.loc["MP", "return"] == pytest.approx(45.23 / 30.03 - 1)
    assert round(table.loc["MP", "return"] * 100, 1) == 50.6


def test_equal_weight_basket_averages_daily_returns_and_counts_members() -> None:
    df = tidy(
        [
            ("2025-01-02", "A", 100.0),
            ("2025-01-03", "A", 110.0),
            ("2025-01-06", "A", 110.0),
            ("2025-01-03", "B", 50.0),
            ("2025-01-06", "B", 40.0),
        ]
    )
    idx = returns.equal_weight_index(returns.to_wide(df))
    assert idx["level"].tolist() == pytest.approx([100.0, 110.0, 110.0 * (1 + (0 - 0.2) / 2)])
    assert idx["members"].tolist() == [0, 1, 2]


def test_period_changes_on_real_mp(real: pd.DataFrame) -> None:
    mp = real[real["symbol"] == "MP"].set_index("date")["adj_close"]
    ch = returns.period_changes(mp, pd.Timestamp("2026-10-06"))
    ytd_base = mp.loc[:"2025-12-31"].iloc[-1]
    assert ch["YTD"] == pytest.approx(48.53 / ytd_base - 1)


def test_with_base_rows_when_no_symbol_has_a_base() -> None:
    """A range starting before every series (Chinese data from 2024, YTD 2024) keeps all rows."""
    tidy = pd.DataFrame(
        {
            "symbol": ["A", "A", "B"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-03", "2023-06-01"]),
            "adj_close": [1.0, 2.0, 3.0],
        }
    )
    out = returns.with_base_rows(tidy, date(2023, 12, 31), None)
    assert out["symbol"].tolist() == ["A", "A"]  # B ends before the range: no lone point
    assert returns.with_base_rows(tidy.iloc[0:0], date(2023, 12, 31), None).empty


@pytest.mark.parametrize(("key", "expected"), [("YTD", 50.52 / 15.60 - 1), ("1D", None)])
def test_period_return_one_definition_on_real_mp(real: pd.DataFrame, key, expected) -> None:
    mp = real[real["symbol"] == "MP"].set_index("date")["adj_close"]
    got = returns.period_return(mp, key, date(2025, 12, 31))
    if expected is not None:
        assert got == pytest.approx(expected, rel=1e-3)  # +223.8 % (issue 14), not +208.2 %
    else:
        assert got == pytest.approx(mp["2025-12-31"] / mp["2025-12-30"] - 1)
    assert np.isnan(returns.period_return(mp, "5Y", date(2024, 1, 2)))  # history too short


def test_summary_table_of_no_rows_keeps_its_columns() -> None:
    """A symbol with no offline data gives an empty table, not a frame without columns."""
    empty = pd.DataFrame(columns=["date", "symbol", "close", "adj_close"])
    table = returns.summary_table(empty, {})
    assert table.empty and list(table.columns) == returns.SUMMARY_COLUMNS


# --------------------------------------------------------------------------- display modes


def test_mode_values_rebased_and_percent(real: pd.DataFrame) -> None:
    sub = real[(real["symbol"] == "MP") & (real["date"].between("2025-07-09", "2025-07-10"))]
    rebased = returns.mode_values(sub, "Rebased to 100")
    assert rebased["value"].round(2).tolist() == [100.0, 150.62]
    pct = returns.mode_values(sub, "% change")
    assert pct["value"].iloc[1] == pytest.approx(45.23 / 30.03 - 1)
    price = returns.mode_values(sub, "Price")
    assert price["value"].tolist() == [30.03, 45.23]


def test_price_mode_falls_back_to_adjusted_close_when_no_raw_close(real: pd.DataFrame) -> None:
    usar = real[real["symbol"] == "USAR"].tail(3)
    assert usar["close"].isna().all()
    assert returns.mode_values(usar, "Price")["value"].tolist() == usar["adj_close"].tolist()
