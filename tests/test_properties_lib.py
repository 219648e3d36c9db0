"""Property tests for the pure lib: returns, FX conversion, downsampling, event study, and the
watchlist CSV import/export round-trip, over generated price frames with gaps, NaN, duplicated
dates, single rows and empty frames. Each function may raise only its module's own documented
errors (e.g. ``EventStudyError``, ``ImportProblem``), never a KeyError/IndexError from pandas.

Imports are at the top, from today's module paths (the lib/ restructure updates them).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.hypothesis_profiles as profiles
from lib.charts import prepare_plot
from lib.downsample import downsample_indices, downsample_long, points_per_series
from lib.events.study import (
    MODELS,
    EventStudyError,
    StudySpec,
    average_car,
    run_event_study,
)
from lib.events.study_text import summary_view
from lib.export import to_csv_bytes
from lib.markets.price_view import build_view, export_frame, missing_symbols
from lib.prices.fx import FX_PAIRS, convert_to_usd
from lib.prices.schema import SNAPSHOT_COLUMNS, normalise
from lib.returns import (
    RANGES,
    annualised_volatility,
    basket_levels,
    equal_weight_index,
    max_drawdown,
    mode_values,
    percent_change,
    period_changes,
    rebase_to_100,
    summary_table,
    to_wide,
    total_return,
)
from lib.watchlists import (
    ImportProblem,
    Watchlist,
    WatchlistError,
    WatchlistItem,
    clean_note,
    items_frame,
    parse_import_csv,
)
from lib.watchlists.perf import performance_table

pytestmark = pytest.mark.slow  # 120 examples per property: `make test` runs them

LIB = settings(max_examples=settings().max_examples * profiles.LIB_SCALE)

SYMBOLS = ["MP", "LYC.AX", "600111.SS", "SPY", "CNY=X", "AUDUSD=X", "HKD=X", "X"]
CCY = {"MP": "USD", "LYC.AX": "AUD", "600111.SS": "CNY", "SPY": "USD", "X": "XXX"}
BASE = pd.Timestamp("2024-01-01")

prices = st.one_of(
    st.just(float("nan")),
    st.floats(0.01, 1e5, allow_nan=False),
    st.sampled_from([0.0, -1.0, float("inf")]),
)


@st.composite
def tidy_frames(draw: st.DrawFn, symbols: list[str] = SYMBOLS) -> pd.DataFrame:
    """Tidy price frames: gaps, NaN, duplicate dates, single rows, empty, any order."""
    rows = []
    for sym in draw(st.lists(st.sampled_from(symbols), max_size=4, unique=True)):
        offsets = draw(st.lists(st.integers(0, 900), max_size=40))
        for off in offsets:
            px = draw(prices)
            rows.append(
                {
                    "date": BASE + pd.Timedelta(days=off),
                    "symbol": sym,
                    "open": px,
                    "high": px,
                    "low": px,
                    "close": draw(st.one_of(st.just(px), prices)),
                    "adj_close": px,
                    "volume": draw(st.one_of(st.none(), st.integers(0, 10**9))),
                }
            )
    df = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    return normalise(df)


def dedup(df: pd.DataFrame) -> pd.DataFrame:
    """What PriceStore.load guarantees: one row per (symbol, date), sorted."""
    return df.drop_duplicates(["symbol", "date"], keep="last").sort_values(
        ["symbol", "date"], ignore_index=True
    )


# --------------------------------------------------------------------------- returns


@LIB
@given(tidy_frames())
def test_return_maths_is_total(tidy: pd.DataFrame) -> None:
    wide = to_wide(tidy)
    rebased = rebase_to_100(wide)
    assert rebased.shape == wide.shape
    percent_change(wide)
    for col in wide.columns:
        s = wide[col]
        for f in (total_return, max_drawdown, annualised_volatility):
            assert isinstance(f(s), float)
        if s.notna().any():
            period_changes(s, s.dropna().index[-1])
    table = summary_table(tidy, CCY, {})
    # The summary of any frame, even an empty one, has the columns its callers index.
    for col in ("symbol", "return", "max_drawdown", "volatility", "last", "as_of", "trend"):
        assert col in table.columns, f"summary_table lacks {col!r} for {len(tidy)} rows"


@LIB
@given(tidy_frames())
def test_baskets_are_total(tidy: pd.DataFrame) -> None:
    wide = to_wide(tidy)
    if not wide.empty:
        idx = equal_weight_index(wide)
        assert list(idx.columns) == ["level", "members"]
    out = basket_levels(tidy, {"West": ["MP", "LYC.AX"], "China": ["600111.SS"]})
    assert list(out.columns) == ["date", "basket", "level", "members"]


@LIB
@given(
    tidy_frames(),
    st.sampled_from([*RANGES, "Custom"]),
    st.sampled_from(["Rebased to 100", "Price", "% change"]),
    st.one_of(st.none(), st.tuples(st.dates(), st.dates())),
)
def test_price_view_is_total(
    tidy: pd.DataFrame, range_key: str, mode: str, custom: tuple[date, date] | None
) -> None:
    """Every range (Custom with or without dates, reversed too) gives a view, maybe empty."""
    view = build_view(dedup(tidy), range_key, mode, custom)
    assert set(view.values.columns) >= {"date", "symbol", "value"}
    export_frame(view, CCY, "Local")
    missing_symbols(["MP", "ZZZZ"], view.tidy)
    if not view.values.empty:
        prepare_plot(view.values, ["SPY"])


@LIB
@given(tidy_frames(), st.sampled_from(["Rebased to 100", "Price", "% change"]))
def test_mode_values_with_duplicate_dates(tidy: pd.DataFrame, mode: str) -> None:
    """Duplicated (symbol, date) rows (a cache merge gone wrong) still chart."""
    mode_values(tidy, mode)


# --------------------------------------------------------------------------- FX


@LIB
@given(
    tidy_frames(["MP", "LYC.AX", "600111.SS", "X", "6680.HK"]), tidy_frames(["CNY=X", "AUDUSD=X"])
)
def test_fx_conversion_is_total(tidy: pd.DataFrame, fx: pd.DataFrame) -> None:
    ccy = {**CCY, "6680.HK": "HKD"}
    conv = convert_to_usd(dedup(tidy), ccy, dedup(fx))
    assert len(conv.prices) == len(dedup(tidy))
    assert set(conv.notes) <= set(tidy["symbol"].astype(str))
    for sym in conv.notes:
        assert ccy.get(sym, "USD") != "USD"
    assert set(FX_PAIRS) >= {"CNY", "AUD", "HKD"}


@LIB
@given(tidy_frames(["MP", "LYC.AX"]), tidy_frames(["AUDUSD=X"]))
def test_fx_conversion_with_duplicate_dates(tidy: pd.DataFrame, fx: pd.DataFrame) -> None:
    """Raw frames (duplicates, unsorted) convert or say why; merge_asof must not raise."""
    convert_to_usd(tidy, CCY, fx)


# --------------------------------------------------------------------------- downsampling


@LIB
@given(
    st.lists(st.one_of(st.just(float("nan")), st.floats(-1e6, 1e6)), max_size=300),
    st.integers(0, 50),
)
def test_downsample_indices_is_total(ys: list[float], n_out: int) -> None:
    y = np.asarray(ys, dtype="float64")
    x = np.arange(len(y), dtype="int64")
    idx = downsample_indices(x, y, n_out)
    assert np.all(np.diff(idx) > 0), "indices sorted and unique"
    assert np.all((idx >= 0) & (idx < max(1, len(y))))
    if len(y) > n_out:
        assert not np.isnan(y[idx]).any(), "NaNs are never chosen"


@LIB
@given(tidy_frames(), st.integers(0, 30))
def test_downsample_long_is_total(tidy: pd.DataFrame, n_out: int) -> None:
    long = tidy.rename(columns={"adj_close": "value"})[["date", "symbol", "value"]]
    out = downsample_long(long, "date", "value", "symbol", n_out=n_out)
    assert set(out["symbol"].astype(str)) <= set(long["symbol"].astype(str))
    assert points_per_series(int(long["symbol"].nunique())) >= 1


# --------------------------------------------------------------------------- event study

EVENTS = pd.DataFrame(
    {
        "id": ["E1", "E2", "E3"],
        "date": pd.to_datetime(["2024-03-01", "2024-06-15", "2026-01-01"]),
        "timing": ["before_open", "after_close", "unknown"],
    }
)


@LIB
@given(
    tidy_frames(["MP", "SPY", "LYC.AX"]),
    st.lists(st.sampled_from(["MP", "LYC.AX", "SPY", "ZZZZ"]), max_size=3),
    st.sampled_from(["SPY", "MP", "ZZZZ"]),
    st.tuples(st.integers(-30, 30), st.integers(-30, 30)),
    st.tuples(st.integers(-500, 0), st.integers(-500, 0)),
    st.sampled_from([*MODELS, "nonsense"]),
    st.integers(0, 3),
)
def test_event_study_is_total(
    tidy: pd.DataFrame,
    symbols: list[str],
    bench: str,
    win: tuple[int, int],
    est: tuple[int, int],
    model: str,
    n_events: int,
) -> None:
    try:
        spec = StudySpec(event_window=win, estimation_window=est, model=model)
    except EventStudyError:
        return
    res = run_event_study(EVENTS.head(n_events), dedup(tidy), symbols, bench, spec)
    assert len(res.summary) == n_events * len(dict.fromkeys(symbols))
    summary_view(res.summary)
    average_car(res.ar)
    average_car(res.ar, by=["symbol"])


# --------------------------------------------------------------------------- watchlist CSV

note_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=60
)
csv_symbols = st.from_regex(r"\A[A-Z]{1,5}(\.[A-Z]{1,2})?\Z")


@LIB
@given(
    st.lists(st.tuples(csv_symbols, note_text), min_size=1, max_size=20, unique_by=lambda t: t[0])
)
def test_watchlist_csv_round_trip(rows: list[tuple[str, str]]) -> None:
    """A list the store accepts exports to a CSV that imports back to the same symbols and
    notes: the Watchlists page documents the export as re-importable."""
    try:
        rows = [(s, clean_note(n)) for s, n in rows]
    except WatchlistError:
        return  # the store would never hold this note
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = tuple(
        WatchlistItem(symbol=s, note=n, position=i, added_at=now, added_price=None,
                      added_price_date=None)
        for i, (s, n) in enumerate(rows)
    )  # fmt: skip
    wl = Watchlist(id=1, owner="local", name="x", items=items, created_at=now, updated_at=now)
    back = parse_import_csv(to_csv_bytes(items_frame(wl, {})))
    assert [i.symbol for i in back] == [s for s, _ in rows]
    # The export guards formula-like notes for spreadsheets; the app's own import removes
    # exactly that guard, so every note comes back as it was (issue 25).
    assert [i.note for i in back] == [n for _, n in rows]


@LIB
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_watchlist_import_rejects_only_with_import_problem(data: bytes) -> None:
    with contextlib.suppress(ImportProblem):
        parse_import_csv(b"symbol,note\n" + data)


@LIB
@given(tidy_frames(["MP", "LYC.AX", "ZZZZ"]))
def test_performance_table_is_total(tidy: pd.DataFrame) -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    items = [
        WatchlistItem(symbol=s, note="", position=i, added_at=now, added_price=None,
                      added_price_date=None)
        for i, s in enumerate(["MP", "LYC.AX", "ZZZZ"])
    ]  # fmt: skip
    out = performance_table(items, dedup(tidy), CCY, {}, {"MP", "LYC.AX"})
    assert list(out["symbol"]) == ["MP", "LYC.AX", "ZZZZ"]
