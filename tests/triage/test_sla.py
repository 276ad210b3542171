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


# -- pauses against the clock's span (issue #29): an Awaiting Customer span before a clock
# started takes nothing from it; a span across its start takes only the part after it.
# The update clock here starts at the provider's message at 60 min; now is 90 min, so 30 min
# have passed on the clock before any pause.
UPDATE_START = 60 * MIN


def _update_clock(pause_from: float, pause_to: float) -> float:
    case = row(created=0, status="In Progress", changed=pause_to)
    activity = CaseActivity(
        first_provider_at=T0 + UPDATE_START,
        last_provider_at=T0 + UPDATE_START,
        thread_known=True,
        transitions=(
            (T0, "New"),
            (T0 + pause_from, "Awaiting Customer"),
            (T0 + pause_to, "In Progress"),
        ),
    )
    clock = next(
        c for c in clocks(case, activity, TARGETS, T0 + 90 * MIN) if c.name == "update_interval"
    )
    return clock.used


@pytest.mark.parametrize(
    ("pause_from", "pause_to", "used"),
    [
        (10 * MIN, 50 * MIN, 30 * MIN),  # entirely before the clock started
        (10 * MIN, 59 * MIN, 30 * MIN),  # ends a minute before
        (10 * MIN, 60 * MIN, 30 * MIN),  # ends as the clock starts
        (10 * MIN, 61 * MIN, 29 * MIN),  # a minute across the start
        (59 * MIN, 70 * MIN, 20 * MIN),  # starts a minute before, ends inside
        (60 * MIN, 70 * MIN, 20 * MIN),  # starts with the clock
        (70 * MIN, 80 * MIN, 20 * MIN),  # inside
    ],
)
def test_a_pause_counts_only_where_it_overlaps_the_clock(
    pause_from: float, pause_to: float, used: float
) -> None:
    assert _update_clock(pause_from, pause_to) == used


def test_a_pause_before_a_resolution_clock_started_takes_nothing_from_it() -> None:
    """An Incident's resolution clock starts at its start of incident; waiting before that (a
    case opened ahead of planned work) is not subtracted."""
    case = row(created=0, status="In Progress", changed=2 * HOUR, start_of_incident=3 * HOUR)
    activity = CaseActivity(
        first_provider_at=T0 + MIN,
        last_provider_at=T0 + 3 * HOUR + 30 * MIN,
        thread_known=True,
        transitions=((T0, "New"), (T0 + HOUR, "Awaiting Customer"), (T0 + 2 * HOUR, "New")),
    )
    res = [c for c in clocks(case, activity, TARGETS, T0 + 4 * HOUR) if c.name == "resolution"]
    assert res[0].used == HOUR and res[0].left == 3 * HOUR
