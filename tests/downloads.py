"""Capture what a download button would send, without a browser.

``st.download_button(data=callable)`` registers the callable with the runtime's media file
manager and only runs it on click. The fixture records (file name, mime, callable) for every
deferred button of a run, so a test can "click" and check the actual bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@dataclass
class Deferred:
    file_name: str
    mime: str | None
    build: Callable[[], Any]

    def bytes(self) -> bytes:
        data = self.build()
        return data.encode() if isinstance(data, str) else bytes(data)


@pytest.fixture
def deferred() -> Iterator[dict[str, Deferred]]:
    """file name -> Deferred, for every deferred download registered while the test runs.

    Its own MonkeyPatch, not the ``monkeypatch`` fixture: recording downloads changes no data,
    so these tests keep the warm data caches (see tests/conftest.py).
    """
    seen: dict[str, Deferred] = {}
    real = MediaFileManager.add_deferred

    def record(self: MediaFileManager, data_callable: Any, mimetype: Any, *a: Any, **kw: Any):
        name = kw.get("file_name") if "file_name" in kw else (a[1] if len(a) > 1 else None)
        seen[str(name)] = Deferred(str(name), mimetype, data_callable)
        return real(self, data_callable, mimetype, *a, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MediaFileManager, "add_deferred", record)
        yield seen
