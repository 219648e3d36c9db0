"""Every data/*.csv obeys its schema, and cross-file references resolve."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import datafiles
from lib.paths import DATA_DIR


@pytest.mark.parametrize("name", sorted(datafiles.SCHEMAS))
def test_data_file_matches_schema(name: str) -> None:
    df = datafiles.read_raw(name)
    assert datafiles.validate(df, datafiles.SCHEMAS[name], name) == []


#: Files with their own registry or writer: data/supply/ (lib.supply.schema, tested in
#: test_supply_data.py) and data/prices/ (written by `make snapshot`).
OWN_REGISTRY = ("supply/", "prices/")


def test_every_csv_in_data_has_a_schema() -> None:
    """Nested folders included: a new data/<topic>/x.csv without a schema fails here."""
    found = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*.csv")}
    assert "valuation/shares_outstanding.csv" in found
    assert {f for f in found if not f.startswith(OWN_REGISTRY)} == set(datafiles.SCHEMAS)


def test_universe_has_at_least_20_listed_symbols_and_both_blocs() -> None:
    uni = datafiles.read_raw("universe.csv")
    assert len(uni) >= 20
    assert {"West", "China"} <= set(uni["bloc"])
    assert set(uni.loc[uni["basket"] != "", "basket"]) == {"West", "China"}


def test_listing_dates_recorded_for_spac_histories() -> None:
    uni = datafiles.read_raw("universe.csv").set_index("symbol")
    assert uni.loc["MP", "listing_date"] == "2020-11-18"
    assert uni.loc["USAR", "listing_date"] == "2025-03-14"


def test_event_symbols_exist_in_universe() -> None:
    uni = set(datafiles.read_raw("universe.csv")["symbol"])
    events = datafiles.read_raw("policy_events.csv")
    used = {s for cell in events["symbols"] for s in cell.split()}
    assert used - uni == set()


def test_events_are_dated_2010_to_2026_and_at_least_80() -> None:
    events = datafiles.read_raw("policy_events.csv")
    years = pd.to_datetime(events["date"]).dt.year
    assert len(events) >= 80
    assert years.min() >= 2010 and years.max() <= 2026


def test_projection_supersedes_points_to_existing_id() -> None:
    proj = datafiles.read_raw("market_projections.csv")
    refs = set(proj["supersedes"]) - {""}
    assert refs <= set(proj["id"])


BAD_ROWS = [
    ("source_url", "http://example.com", "is not an https URL"),
    ("currency", "USDT", "is not one of"),
    ("symbol", "mp materials", "does not match"),
    ("symbol", "=HYPERLINK(1)", "starts like a spreadsheet formula"),
    ("role", "=cmd|' /C calc'!A0", "starts like a spreadsheet formula"),
    ("listing_date", "2020-13-45", "is not a real date"),
    ("name", "", "is required"),
    ("name", " padded", "whitespace"),
]


@pytest.mark.parametrize(("column", "value", "problem"), BAD_ROWS)
def test_validator_catches_bad_cells(column: str, value: str, problem: str) -> None:
    df = datafiles.read_raw("universe.csv").head(3).copy()
    df.loc[1, column] = value
    problems = datafiles.validate(df, datafiles.UNIVERSE, "universe.csv")
    assert any(problem in p and "row 3" in p for p in problems), problems


def test_validator_catches_duplicates_and_wrong_columns() -> None:
    df = datafiles.read_raw("universe.csv").head(3)
    dup = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    assert any("duplicate value 'MP'" in p for p in datafiles.validate(dup, datafiles.UNIVERSE))
    assert "columns" in datafiles.validate(df.drop(columns="role"), datafiles.UNIVERSE)[0]


def test_event_outcomes_point_to_later_occurred_events() -> None:
    events = datafiles.read_raw("policy_events.csv")
    assert datafiles.event_outcome_problems(events) == []
    assert set(events["status"]) == {"occurred", "scheduled"}
    bad = events.copy()
    sched = bad.index[bad["id"] == "E125"][0]
    occurred = bad.index[bad["id"] == "E065"][0]
    bad.loc[sched, "outcome"] = "E065"  # dated before the deadline
    bad.loc[occurred, "outcome"] = "E125"  # an occurred row cannot have an outcome
    problems = datafiles.event_outcome_problems(bad)
    assert any("must be an occurred event on or after 2026-07-13" in p for p in problems)
    assert any("only a scheduled event has an outcome" in p for p in problems)
    bad.loc[sched, "outcome"] = "E999"
    assert any("'E999' is not an event id" in p for p in datafiles.event_outcome_problems(bad))
    bad.loc[sched, "status"] = "maybe"
    assert any("status: 'maybe'" in p for p in datafiles.validate(bad, datafiles.POLICY_EVENTS))
