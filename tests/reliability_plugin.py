"""The ``reliability`` marker: a fault test says what fault it injects, what the user sees and
what happens to the data, and asserts the "sees" part through the ``reliability`` fixture::

    @pytest.mark.reliability(fault="API outage (503)", sees="OFFLINE, retry in Ns",
                             data="local data stays readable", shows="OFFLINE")
    async def test_...(reliability: Reliability) -> None:
        ...
        reliability.check(screen_text(app))   # fails unless ``shows`` is in it

``shows`` (default: ``sees``) is the literal text the outcome must contain.  A marked test
that never calls ``check`` fails.  ``--reliability-out=FILE`` writes the markers of the tests
that passed (or, with ``--collect-only``, of every collected test) as JSON; that is what
``scripts/reliability_doc.py`` turns into ``docs/reliability.md``."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

KEY = pytest.StashKey[dict[str, dict[str, str]]]()
FIELDS = ("fault", "sees", "data")


@dataclass
class Reliability:
    fault: str
    sees: str
    data: str
    shows: str = ""
    checked: list[str] = field(default_factory=list)

    def check(self, outcome: str) -> None:
        """Assert that what the user gets (screen text, status line, outcome) shows ``shows``."""
        wanted = self.shows or self.sees
        assert wanted in outcome, f"reliability: expected {wanted!r} in {outcome[:300]!r}"
        self.checked.append(outcome)


def _marker_of(item: pytest.Item) -> dict[str, str] | None:
    marker = item.get_closest_marker("reliability")
    if marker is None:
        return None
    missing = [k for k in FIELDS if not marker.kwargs.get(k)]
    if missing:
        raise pytest.UsageError(f"{item.nodeid}: reliability marker lacks {', '.join(missing)}")
    return {k: str(v) for k, v in marker.kwargs.items()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-out",
        metavar="FILE",
        help="write the reliability markers of passing (or, with --collect-only, collected) "
        "tests to FILE as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reliability(fault, sees, data, shows=None): a fault test's row in docs/reliability.md",
    )
    config.stash[KEY] = {}


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Reliability:
    marker = _marker_of(request.node)
    if marker is None:
        raise pytest.UsageError(f"{request.node.nodeid}: the reliability fixture needs the marker")
    return Reliability(**marker)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("collectonly"):
        for item in items:
            marker = _marker_of(item)
            if marker is not None:
                config.stash[KEY][item.nodeid] = marker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = _marker_of(item)
    if marker is None or report.when != "call" or not report.passed:
        return report
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    state = funcargs.get("reliability")
    if not isinstance(state, Reliability) or not state.checked:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: marked reliability(...) but never called reliability.check(...): "
            "the 'sees' column must be asserted"
        )
        return report
    item.config.stash[KEY][item.nodeid] = marker
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = session.config.getoption("reliability_out")
    if out:
        rows = [{"test": nodeid, **row} for nodeid, row in session.config.stash[KEY].items()]
        Path(out).write_text(json.dumps(rows, indent=1, sort_keys=True), encoding="utf-8")


__all__ = ["Reliability"]


def reliability_of(test: Any) -> Reliability:
    """The ``reliability`` a marked test gets, for a test that runs it again by calling it (the
    V1 suite re-runs V2 tests unchanged): its marker's row, checked the same way."""
    for mark in getattr(test, "pytestmark", []):
        if mark.name == "reliability":
            return Reliability(**{k: str(v) for k, v in mark.kwargs.items()})
    raise LookupError(f"{test.__name__} has no reliability marker")
