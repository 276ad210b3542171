"""Shared test set-up.  Async tests run on asyncio through anyio's pytest plugin (anyio comes
with httpx, so no extra dependency): every ``async def test_*`` is marked automatically."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.sim_fixtures", "tests.reliability_plugin"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Mark every ``async def test_*`` for anyio before anyio's own hook looks at it."""
    if name.startswith("test") and inspect.iscoroutinefunction(obj):
        pytest.mark.anyio(obj)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never touch the user's real config/data dirs from a test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("EXPEREO_CLIENT_SECRET", raising=False)
    # the machine's own keyring (if any) is never read or written by a test
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    yield


# Hypothesis: no per-example deadline (2 shared cores make timings meaningless) and no example
# database written into the working tree.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("expereo", deadline=None, database=None)
_hypothesis_settings.load_profile("expereo")


def require_service(found: object, what: str, install: str) -> None:
    """A test that needs a real service (Chromium, PostgreSQL) and does not have it.

    Under ``CI=true`` the test fails with the reason: a skipped browser test once hid a broken
    ``serve``.  The one exception is when ``.ci/run`` could not install the service because apt
    itself failed (it prints apt's error and sets ``EXPEREO_CI_APT_FAILED``).  Elsewhere the
    test skips, saying how to install it."""
    if found:
        return
    reason = f"{what} is not installed ({install})"
    if os.environ.get("CI") == "true" and not os.environ.get("EXPEREO_CI_APT_FAILED"):
        pytest.fail(f"{reason}; under CI=true a missing service is a failure, not a skip")
    pytest.skip(reason)
