"""Settings: every RER_* variable parsed in one place, blanks as unset, one object per env."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib import settings
from lib.settings import Settings


def test_defaults_when_nothing_is_set() -> None:
    assert settings.current({}) == Settings(None, False, None, True, None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"RER_OFFLINE": "1"}, Settings(offline=True)),
        ({"RER_OFFLINE": " 1 "}, Settings(offline=True)),
        ({"RER_OFFLINE": "0"}, Settings()),
        ({"RER_OFFLINE": "true"}, Settings()),  # only "1" switches Yahoo off, as documented
        ({"RER_DATA_HOME": "/srv/rer"}, Settings(data_home=Path("/srv/rer"))),
        ({"RER_DATA_HOME": "  "}, Settings()),
        ({"RER_DATABASE_URL": " postgresql://h/db "}, Settings(database_url="postgresql://h/db")),
        ({"RER_DATABASE_URL": ""}, Settings()),
        ({"RER_WARM_PAGES": "0"}, Settings(warm_pages=False)),
        ({"RER_PUBLIC_ADDRESS": " 0.0.0.0 "}, Settings(public_address="0.0.0.0")),
        ({"UNRELATED": "1"}, Settings()),
    ],
)
def test_each_variable(env: dict[str, str], expected: Settings) -> None:
    assert settings.current(env) == expected


def test_frozen_and_shared_per_environment() -> None:
    a = settings.current({"RER_OFFLINE": "1"})
    assert settings.current({"RER_OFFLINE": "1", "OTHER": "x"}) is a
    with pytest.raises(AttributeError):
        a.offline = False  # type: ignore[misc]


def test_follows_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RER_OFFLINE", "1")
    assert settings.current().offline
    monkeypatch.setenv("RER_OFFLINE", "0")
    assert not settings.current().offline


def test_no_other_module_reads_the_environment() -> None:
    from lib.paths import ROOT

    readers = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "lib").rglob("*.py"))
        if "os.environ" in p.read_text() or "os.getenv" in p.read_text()
    ]
    assert readers == ["lib/settings.py"]
