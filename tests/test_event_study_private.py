"""A person's own events (ids M<n>) in the Event study: the same statistics as a curated event,
a cache key that only their owner can reach, and a page that offers them to that owner only."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import watchlists as wl
from lib.catalysts.private import COLUMNS as PRIVATE_COLUMNS
from lib.catalysts.private import MY_EVENTS, PrivateEventStore, as_event_rows
from lib.events import selection as sel
from lib.events import study as es
from lib.events.events import prepare_events
from lib.paths import ROOT
from lib.ui.views import event_study as view
from tests.apptest_frame import ok
from tests.test_page_auth import ALICE, ALICE_KEY, auth_secrets

# ----------------------------------------------------------------------------- pure

DATES = pd.bdate_range("2024-01-01", periods=11)
SMALL = es.StudySpec(event_window=(-1, 1), estimation_window=(-6, -2), min_estimation_obs=3)
R = [0.0, 0.02, -0.01, 0.05, 0.0, -0.03, 0.006, 0.05, -0.02, 0.0]
M = [0.0, 0.01, -0.01, 0.02, 0.0, -0.02, 0.0, 0.01, -0.01, 0.0]


def _prices() -> pd.DataFrame:
    def one(symbol: str, rets: list[float]) -> pd.DataFrame:
        level = 100.0 * np.cumprod([1.0, *(1.0 + np.asarray(rets))])
        return pd.DataFrame({"symbol": symbol, "date": DATES, "adj_close": level})

    return pd.concat([one("AAA", R), one("BMK", M)], ignore_index=True)


def _mine(*rows: tuple[int, str, str, str]) -> pd.DataFrame:
    """An owner's events as PrivateEventStore.frame returns them: (id, date, precision, title)."""
    return pd.DataFrame(
        [
            {"id": i, "date": pd.Timestamp(d), "precision": p, "title": t, "note": "",
             "symbols": "AAA", "source_url": "", "revision": 0}
            for i, d, p, t in rows
        ],
        columns=PRIVATE_COLUMNS,
    )  # fmt: skip


def _curated(event_id: str, day: str) -> pd.DataFrame:
    row = {
        "id": event_id, "date": day, "date_precision": "day", "timing": "unknown",
        "jurisdiction": "other", "body": "", "category": "export control", "title": "curated",
        "summary": "", "symbols": "AAA", "source_urls": "https://example.com/",
        "confidence": "documented", "fact_ref": "", "note": "", "status": "occurred",
        "outcome": "",
    }  # fmt: skip
    return prepare_events(pd.DataFrame([row]))


def test_an_own_event_gets_the_same_statistics_as_a_curated_one_on_its_day() -> None:
    day = str(DATES[7].date())
    own = prepare_events(as_event_rows(_mine((3, day, "day", "My <b>thesis</b> date"))))
    events = sel.with_own_events(_curated("E900", day), own)
    assert list(events["id"]) == ["E900", "M3"]
    chosen, left_out = sel.select_study_events(events, "event", ["M3", "E900"])
    assert left_out.empty and set(chosen["id"]) == {"E900", "M3"}
    res = es.run_event_study(chosen, _prices(), ["AAA"], "BMK", SMALL)
    by_id = res.summary.set_index("event_id")
    assert by_id.loc["M3", "status"] == "ok"
    cols = ["car", "t_stat", "p_value", "ar_day0", "beta", "n_est"]
    assert by_id.loc["M3", cols].tolist() == pytest.approx(by_id.loc["E900", cols].tolist())
    ars = res.ar.pivot(index="tau", columns="event_id", values="ar")
    assert ars["M3"].tolist() == pytest.approx(ars["E900"].tolist())


def test_own_events_follow_the_study_rules() -> None:
    """Month-only is inexact (opt in), year-only has no day (not offered), chosen by id only."""
    own = prepare_events(
        as_event_rows(
            _mine((1, "2024-01-09", "day", "a"), (2, "2024-01-01", "month", "b"),
                  (3, "2024-01-01", "year", "c"))
        )
    )  # fmt: skip
    assert list(own["id"]) == ["M2", "M1"]  # sorted by date; the year-only one is absent
    events = sel.with_own_events(_curated("E900", "2024-01-09"), own)
    kept, left = sel.select_study_events(events, "event", ["M1", "M2"])
    assert list(kept["id"]) == ["M1"] and list(left["id"]) == ["M2"]
    kept, left = sel.select_study_events(events, "event", ["M1", "M2"], include_inexact=True)
    assert set(kept["id"]) == {"M1", "M2"} and left.empty
    kept, _ = sel.select_study_events(events, "category", ["export control"])
    assert list(kept["id"]) == ["E900"]
    assert set(events.loc[events["id"].str.startswith("M"), "category"]) == {MY_EVENTS}


@pytest.mark.parametrize(
    ("value", "own"),
    [("M1", True), ("M123", True), ("E065", False), ("M", False), ("m1", False), ("M1a", False),
     ("M\u00b2", False), ("M\u0661", False), (" M1", False), ("M" + "9" * 19, False)],
)  # fmt: skip
def test_own_ids(value: str, own: bool) -> None:
    assert sel.is_own_id(value) is own


def test_study_key_carries_the_owner_only_for_own_events() -> None:
    args = (["MP"], "SPY", "market", (-5, 10), (-250, -30))
    alice, bob = ("alice", "1-2026-01-01"), ("bob", "1-2026-01-01")
    curated_a = view.study_key(["E065"], *args, mine=alice)
    assert curated_a == view.study_key(["E065"], *args, mine=bob) == view.study_key(["E065"], *args)
    assert curated_a.mine == view.NOBODY  # a curated study is shared
    own_a = view.study_key(["E065", "M1"], *args, mine=alice)
    own_b = view.study_key(["E065", "M1"], *args, mine=bob)
    assert own_a.mine == alice and own_a != own_b  # never one cache entry for two owners
    edited = view.study_key(["E065", "M1"], *args, mine=("alice", "1-2026-01-02"))
    assert edited != own_a  # an edit of the owner's events computes the study again
    assert view.study_key(["M1"], *args, mine=view.NOBODY).mine == view.NOBODY


@pytest.mark.parametrize(
    ("values", "owner", "expect"),
    [
        (["E065"], None, None),
        (["M1"], "alice", None),  # hers: offered, nothing to say
        (["M9"], "alice", "not among your events"),
        (["M9", "E065"], None, "sign in as their owner"),
        (["<b>M9</b>", "M9\u202e"], None, None),  # not own ids: the generic link note names them
    ],
)
def test_own_event_link_note(values: list[str], owner: str | None, expect: str | None) -> None:
    note = view.own_event_link_note(values, {"E065": "E065 · …", "M1": "M1 · …"}, owner)
    if expect is None:
        assert note is None
    else:
        assert note is not None and expect in note and "M9" in note


# ----------------------------------------------------------------------------- pages

#: Signed in just now: a sign-in more than 30 days old is refused (lib.auth_sessions).
NOW = int(time.time())
ALICE_NOW = {**ALICE, "iat": NOW}
BOB = {**ALICE_NOW, "sub": "bob-sub", "name": "Bob", "email": "bob@example.com", "nonce": "bob-n1"}
STUDY = "pages/3_Event_study.py"


def _open(user: dict[str, object], query: dict[str, str]) -> AppTest:
    """The Event study opened from a link by a signed-in ``user``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = auth_secrets()
    at.user = user
    ok(at.run())  # Home first: the sign-in is checked and its session recorded there
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(STUDY)
    return ok(at.run())


def _summary(at: AppTest) -> pd.DataFrame:
    at.session_state["es_tabs"] = "Summary"
    return ok(at.run()).main.dataframe[0].value


def test_alice_studies_her_event_and_bob_cannot_see_it() -> None:
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        events = PrivateEventStore(store.engine)
        eid = events.add(ALICE_KEY, "2025-07-10", "day", "Alice: DoD deal, my read", "", "MP")
    finally:
        store.dispose()
    link = {"es_events": f"M{eid}", "es_syms": "MP"}

    alice = _open(ALICE_NOW, link)
    picker = alice.multiselect(key="es_events")
    assert (
        picker.options[-1].startswith(f"M{eid} · 10 Jul 2025 · Alice")
        and "(my event)" in (picker.options[-1])
    )
    assert picker.value == [f"M{eid}"]
    assert not alice.info or all("own events" not in str(i.value) for i in alice.info)
    summary = _summary(alice)
    assert list(summary["event_id"]) == [f"M{eid}"] and list(summary["status"]) == ["ok"]
    assert pd.Timestamp(summary["event_date"].iloc[0]) == pd.Timestamp("2025-07-10")

    # Her edit of the event (a new date) is what the next run studies: the key's stamp changed.
    store = wl.WatchlistStore.open(wl.resolve_database_url())
    try:
        PrivateEventStore(store.engine).update(
            ALICE_KEY, eid, 0, "2025-04-04", "day", "Alice: DoD deal, my read", "", "MP"
        )
    finally:
        store.dispose()
    alice.run()
    summary = _summary(alice)
    assert pd.Timestamp(summary["event_date"].iloc[0]) == pd.Timestamp("2025-04-04")

    bob = _open(BOB, link)
    picker = bob.multiselect(key="es_events")
    assert not any(o.startswith("M") for o in picker.options)
    assert picker.value == view.DEFAULT_EVENTS  # the link's event is not his: the default view
    notes = " ".join(str(i.value) for i in bob.info)
    assert f"M{eid}" in notes and "not among your events" in notes
    assert "Alice" not in notes
    assert f"M{eid}" not in set(_summary(bob)["event_id"])
    assert bob.session_state["es_events"] == view.DEFAULT_EVENTS
