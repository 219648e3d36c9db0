"""Where files live. Paths come from this file, never from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"

#: Environment variable that moves the local price cache and the default watchlist database.
ENV_DATA_HOME = "RER_DATA_HOME"


def user_data_dir() -> Path:
    """Writable per-user folder for the price cache and the SQLite watchlists.

    Overridable so that tests, CI and multi-server deployments can point it anywhere.
    """
    override = os.environ.get(ENV_DATA_HOME)
    path = Path(override) if override else Path(platformdirs.user_data_dir("rare-earths-revival"))
    path.mkdir(parents=True, exist_ok=True)
    return path
