"""The app's settings from the environment, in one frozen object.

Every ``RER_*`` variable is named and parsed here, once per distinct environment, so no
other module reads ``os.environ`` and the offline rule is written in one place. Secrets
(``.streamlit/secrets.toml``) are read by the UI layer (``lib.ui``), which owns Streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: Where the price cache and the default SQLite watchlist database live.
ENV_DATA_HOME = "RER_DATA_HOME"
#: "1": never contact Yahoo (air-gapped servers, tests).
ENV_OFFLINE = "RER_OFFLINE"
#: Any SQLAlchemy URL for watchlists (and a shared PostgreSQL price cache); wins over secrets.
ENV_DATABASE_URL = "RER_DATABASE_URL"
#: "0": do not precompute the other pages' views in the background after the first page.
ENV_WARM = "RER_WARM_PAGES"
#: The address people reach behind a proxy (set by `make serve-team` for its backends).
ENV_PUBLIC_ADDRESS = "RER_PUBLIC_ADDRESS"

NAMES = (ENV_DATA_HOME, ENV_OFFLINE, ENV_DATABASE_URL, ENV_WARM, ENV_PUBLIC_ADDRESS)


@dataclass(frozen=True)
class Settings:
    """What the environment asks of this server process."""

    data_home: Path | None = None  # None: the platform's user data dir
    offline: bool = False
    database_url: str | None = None
    warm_pages: bool = True
    public_address: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse the ``RER_*`` variables; blank values count as unset."""
        home = (env.get(ENV_DATA_HOME) or "").strip()
        url = (env.get(ENV_DATABASE_URL) or "").strip()
        return cls(
            data_home=Path(home).expanduser() if home else None,
            offline=(env.get(ENV_OFFLINE) or "").strip() == "1",
            database_url=url or None,
            warm_pages=(env.get(ENV_WARM) or "1").strip() != "0",
            public_address=(env.get(ENV_PUBLIC_ADDRESS) or "").strip() or None,
        )


@lru_cache(maxsize=8)
def _parsed(values: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(values))


def current(env: Mapping[str, str] | None = None) -> Settings:
    """The settings of this process (or of ``env``), parsed once per distinct environment."""
    env = os.environ if env is None else env
    return _parsed(tuple((k, env[k]) for k in NAMES if k in env))
