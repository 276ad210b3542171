"""SLA clocks on a fixed clock: targets per priority, the pause while Awaiting Customer, the
Incident's start of incident, and the at-risk / breached levels."""

from __future__ import annotations

import pytest

from expereo_tui.store.store import CaseActivity
from expereo_tui.triage.sla import (
    EXAMPLE_TARGETS,
    Level,
    Targets,
    clocks,
    most_urgent,
    parse_duration,
)

from .rows import HOUR, MIN, T0, row

TARGETS = {"P1": Targets(first_response=30 * MIN, update_interval=HOUR, resolution=4 * HOUR)}


def test_first_response_clock_runs_from_creation_until_the_provider_writes() -> None:
    case = row(created=0)
    clock = most_urgent(case, CaseActivity(), TARGETS, T0 + 10 * MIN)
    assert clock is not None and clock.name == "first_response"
    assert clock.left == 20 * MIN and clock.level is Level.OK
    answered = CaseActivity(first_provider_at=T0 + 5 * MIN, last_provider_at=T0 + 5 * MIN)
    names = {c.name for c in clocks(case, answered, TARGETS, T0 + 10 * MIN)}
    assert names == {"update_interval", "resolution"}


def test_levels_at_risk_under_a_fifth_left_then_breached() -> None:
    case = row(created=0)
    assert most_urgent(case, CaseActivity(), TARGETS, T0 + 23 * MIN).level is Level.OK  # type: ignore[union-attr]
    assert most_urgent(case, CaseActivity(), TARGETS, T0 + 25 * MIN).level is Level.AT_RISK  # type: ignore[union-attr]
    late = most_urgent(case, CaseActivity(), TARGETS, T0 + 42 * MIN)
    assert late is not None and late.level is Level.BREACHED and late.left == -12 * MIN


def test_clock_pauses_while_awaiting_customer() -> None:
    """10 min running, 60 min Awaiting Customer, 5 min running again: 15 min counted."""
    case = row(created=0, status="In Progress", changed=70 * MIN)
    activity = CaseActivity(
        transitions=(
            (T0, "New"),
            (T0 + 10 * MIN, "Awaiting Customer"),
            (T0 + 70 * MIN, "In Progress"),
        )
    )
    clock = most_urgent(case, activity, TARGETS, T0 + 75 * MIN)
    assert clock is not None and clock.name == "first_response" and clock.used == 15 * MIN
    waiting = row(created=0, status="Awaiting Customer", changed=10 * MIN)
    still = most_urgent(
        waiting, CaseActivity(transitions=activity.transitions[:2]), TARGETS, T0 + 5 * HOUR
    )
    assert still is not None and still.paused and still.used == 10 * MIN  # frozen while waiting


def test_incident_resolution_counts_from_start_of_incident() -> None:
    case = row(created=2 * HOUR, start_of_incident=0, type="Incident")
    answered = CaseActivity(
        first_provider_at=T0 + 2 * HOUR, last_provider_at=T0 + 3 * HOUR + 50 * MIN
    )
    clock = most_urgent(case, answered, TARGETS, T0 + 3 * HOUR + 50 * MIN)
    assert clock is not None and clock.name == "resolution" and clock.left == 10 * MIN
    request = row(created=2 * HOUR, start_of_incident=0, type="NonIncident")
    res = [c for c in clocks(request, answered, TARGETS, T0 + 3 * HOUR) if c.name == "resolution"]
    assert res[0].used == HOUR


def test_resolved_and_untargeted_cases_have_no_clock() -> None:
    assert most_urgent(row(status="Resolved"), CaseActivity(), TARGETS, T0 + HOUR) is None
    assert most_urgent(row(priority="P5"), CaseActivity(), TARGETS, T0 + HOUR) is None
    assert most_urgent(row(priority=None), CaseActivity(), EXAMPLE_TARGETS, T0 + HOUR) is not None


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("4h", 14400), ("1d", 86400), ("1h30m", 5400)]
)
def test_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0m", "15", "-5m"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
