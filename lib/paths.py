"""Where files live. Paths come from this file, never from the working directory."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from lib import settings

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"

ENV_DATA_HOME = settings.ENV_DATA_HOME


def user_data_dir() -> Path:
    """Writable per-user folder for the price cache and the SQLite watchlists.

    Overridable so that tests, CI and multi-server deployments can point it anywhere.
    """
    home = settings.current().data_home
    path = home if home else Path(platformdirs.user_data_dir("rare-earths-revival"))
    path.mkdir(parents=True, exist_ok=True)
    return path
