"""Shared test set-up: no test may reach the network, and caches never leak between tests."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest

from tests.downloads import deferred  # noqa: F401  (fixture: capture deferred downloads)

os.environ.setdefault("RER_OFFLINE", "1")
os.environ.setdefault("RER_WARM_PAGES", "0")  # no background warm-up mid-test


def _scan_components_once() -> None:
    """AppTest scans every installed distribution's metadata for Streamlit v2 components on
    each script run's set-up (``discover_and_register_components``): about 0.5 s of CPU per
    AppTest, a third of a page test's time. The installed packages do not change during a
    test run, so the scan is done once per process and its (immutable) result reused.
    tests/test_st_internals.py checks the patched name still exists.
    """
    import functools

    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)

    def scan_once(max_workers: int | None = None) -> list:  # type: ignore[type-arg]
        return list(scan())

    manifest_scanner.scan_component_manifests = scan_once  # type: ignore[assignment]


_scan_components_once()

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise OSError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise OSError(f"network access blocked in tests: {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None and not _is_loopback(host if isinstance(host, str) else host.decode()):
        raise socket.gaierror(f"name resolution blocked in tests: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


#: Set to 1 to start every test with empty Streamlit data caches (the old, slow behaviour),
#: e.g. to rule out a cache leak between tests.
COLD_CACHES = os.environ.get("RER_TEST_COLD_CACHES", "") == "1"


def _clear_streamlit_caches(*, data: bool) -> None:
    try:
        import streamlit as st
    except ImportError:  # pure lib tests may run without streamlit imported
        return
    st.cache_resource.clear()
    if data:
        st.cache_data.clear()


@pytest.fixture(autouse=True)
def _isolated_user_data(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Each test gets its own cache/watchlist folder and its own stores (``st.cache_resource``).

    The ``st.cache_data`` loaders stay warm between tests of a worker, as they do between the
    users of one server: their keys carry what their results depend on (arguments and the
    price cache token, which differs for every cache file a test writes). A test that patches
    anything (it uses ``monkeypatch``, directly or through a fixture) could change what a
    loader returns without changing its key, so it starts and ends with empty data caches.
    """
    patches = COLD_CACHES or "monkeypatch" in request.fixturenames
    home = tmp_path_factory.mktemp("userdata")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RER_DATA_HOME", str(home))
        _clear_streamlit_caches(data=patches)
        yield
        if patches:
            _clear_streamlit_caches(data=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop this process's shared PostgreSQL cluster (tests/pg_server.py), if one started."""
    from tests.pg_server import stop_shared_cluster

    stop_shared_cluster()
