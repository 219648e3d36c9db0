"""AppTest: Home's physical-gap row and compact scoreboard say the same as the Supply page."""

from __future__ import annotations

import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from tests.apptest_frame import page_app


@pytest.fixture(scope="module")
def home() -> AppTest:
    return page_app().run()


def test_home_gap_row_is_same_edition_and_red_when_reliance_rises(home: AppTest) -> None:
    assert not home.exception, [e.value for e in home.exception]
    metrics = {m.label: m for m in home.metric}
    nir = metrics["US net import reliance (2025)"]
    assert (nir.value, nir.delta) == ("67%", "+14.0 pp vs 2024")
    assert nir.proto.color == Metric.MetricColor.RED
    captions = " ".join(c.value for c in home.caption).replace("\\", "")
    assert "revised 2024 from 80% (MCS2025) to 53%" in captions
    assert "-13.0" not in captions and "vs MCS2025 (2024)" not in captions


def test_home_compact_scoreboard(home: AppTest) -> None:
    board = next(d.value for d in home.main.dataframe if "west_by" in d.value.columns)
    assert list(board.columns) == ["stage", "china", "west_now", "west_by", "ratio"]
    assert board["stage"].tolist() == ["Mining", "Separation and refining", "Metal making",
                                       "Magnets"]  # fmt: skip
    magnets = board.set_index("stage").loc["Magnets"]
    assert magnets["west_by"] == "15,200 t/yr NdFeB magnets"
    assert magnets["ratio"] == "6% (capacity by 2028 against 2023 output)"
    assert magnets["west_now"] == "4,000 t/yr NdFeB magnets"
    assert board.set_index("stage").loc["Metal making", "ratio"].startswith("not comparable")
    links = [p.proto.label for p in home.get("page_link")]
    assert any(label.startswith("Full scoreboard with sources") for label in links)
