"""The shipped files the catalyst calendar reads, typed (schemas in lib.datafiles)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.paths import DATA_DIR

PIPELINE_FILE = DATA_DIR / "supply" / "capacity_pipeline.csv"
MILESTONES_FILE = DATA_DIR / "catalysts" / "milestones.csv"


def load_pipeline(path: Path = PIPELINE_FILE, milestones: Path = MILESTONES_FILE) -> pd.DataFrame:
    """The capacity pipeline with each project's finer target period (``target_when``), where a
    source gives one in data/catalysts/milestones.csv; its source then replaces the row's."""
    pipe = pd.read_csv(path, dtype=str, keep_default_na=False)
    when = pd.read_csv(milestones, dtype=str, keep_default_na=False).set_index("pipeline_id")
    pipe["target_when"] = pipe["id"].map(when["when"]).fillna("")
    finer = pipe["id"].isin(when.index)
    pipe.loc[finer, "source_url"] = pipe.loc[finer, "id"].map(when["source_url"])
    pipe.loc[finer, "confidence"] = pipe.loc[finer, "id"].map(when["confidence"])
    return pipe
