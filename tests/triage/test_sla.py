"""SLA clocks on a fixed clock: targets per priority, the pause while Awaiting Customer, the
Incident's start of incident, and the at-risk / breached levels."""

from __future__ import annotations

import pytest

from expereo_tui.store.store import CaseActivity
from expereo_tui.triage.sla import (
    EXAMPLE_TARGETS,
    Clock,
    Level,
    Targets,
    clocks,
    most_urgent,
    parse_duration,
    sla_next,
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


def test_a_one_second_pause_counts() -> None:
    assert _update_clock(70 * MIN, 70 * MIN + 1) == 30 * MIN - 1


def test_the_current_status_counts_from_the_last_change_when_the_poll_missed_it() -> None:
    """The poll saw Awaiting Customer at 10 min; the case is now In Progress (changed at 70 min)
    without the poll having recorded it: paused 10..70, so 15 of 75 minutes count."""
    case = row(created=0, status="In Progress", changed=70 * MIN)
    seen = CaseActivity(transitions=((T0, "New"), (T0 + 10 * MIN, "Awaiting Customer")))
    clock = most_urgent(case, seen, TARGETS, T0 + 75 * MIN)
    assert clock is not None and clock.used == 15 * MIN and not clock.paused


def test_a_case_first_seen_awaiting_customer_waits_since_its_last_change() -> None:
    case = row(created=0, status="Awaiting Customer", changed=10 * MIN)
    clock = most_urgent(case, CaseActivity(), TARGETS, T0 + HOUR)
    assert clock is not None and clock.paused and clock.used == 10 * MIN


def test_without_a_last_change_the_current_status_counts_from_now() -> None:
    from dataclasses import replace

    case = replace(row(created=0, status="Awaiting Customer"), last_modified_date=None)
    clock = most_urgent(case, CaseActivity(), TARGETS, T0 + HOUR)
    assert clock is not None and clock.paused and clock.used == HOUR  # no pause known yet


def test_a_case_without_a_status_adds_no_span() -> None:
    """No status (a shape the app does not know): what the poll saw stands, the Awaiting
    Customer it saw at 10 min still running."""
    case = row(created=0, changed=20 * MIN)
    from dataclasses import replace

    case = replace(case, status=None)
    seen = CaseActivity(transitions=((T0, "New"), (T0 + 10 * MIN, "Awaiting Customer")))
    clock = most_urgent(case, seen, TARGETS, T0 + HOUR)
    assert clock is not None and clock.used == 10 * MIN


def test_a_clock_that_starts_in_the_future_has_used_nothing() -> None:
    case = row(created=0, start_of_incident=2 * HOUR)  # planned work, logged ahead
    answered = CaseActivity(first_provider_at=T0 + MIN, last_provider_at=T0 + MIN)
    res = [c for c in clocks(case, answered, TARGETS, T0 + HOUR) if c.name == "resolution"]
    assert res[0].used == 0 and res[0].left == 4 * HOUR and res[0].start == T0 + 2 * HOUR


def test_a_pause_over_the_whole_span_leaves_nothing_counted() -> None:
    case = row(created=0, status="Awaiting Customer", changed=0)
    waiting = CaseActivity(transitions=((T0, "Awaiting Customer"),))
    clock = most_urgent(case, waiting, TARGETS, T0 + HOUR)
    assert clock is not None and clock.used == 0


def test_clocks_name_their_start() -> None:
    case = row(created=10 * MIN)
    (first, res) = sorted(clocks(case, CaseActivity(), TARGETS, T0 + HOUR), key=lambda c: c.name)
    assert (first.name, first.start, first.key) == (
        "first_response", T0 + 10 * MIN, f"first_response@{int(T0 + 10 * MIN)}"
    )
    assert (res.name, res.start) == ("resolution", T0 + 10 * MIN)


def test_a_priority_without_one_of_the_targets_has_no_such_clock() -> None:
    only_resolution = {"P1": Targets(resolution=4 * HOUR)}
    names = {c.name for c in clocks(row(created=0), CaseActivity(), only_resolution, T0 + HOUR)}
    assert names == {"resolution"}


def test_a_case_without_a_creation_date_has_no_clock_from_it() -> None:
    from dataclasses import replace

    case = replace(row(type="General Request"), created_date=None)
    assert clocks(case, CaseActivity(), TARGETS, T0 + HOUR) == []


def test_bad_durations_say_what_is_expected() -> None:
    with pytest.raises(ValueError, match="not a duration like 15m"):
        parse_duration("soon")
    with pytest.raises(ValueError, match="longer than zero"):
        parse_duration("0m")


# -- when the app next wakes for a clock (docs/usage.md: exactly when the next clock changes
# level): just past the boundary, so that at that moment the level has changed.


def _at(used: float, target: float = HOUR, paused: bool = False) -> Clock:
    return Clock("update_interval", T0, target, used, paused)


@pytest.mark.parametrize(
    ("used", "after", "level"),
    [
        (0.0, 48 * MIN, Level.AT_RISK),  # 80% of an hour: 48 min
        (47 * MIN, MIN, Level.AT_RISK),
        (48 * MIN, 0.0, Level.AT_RISK),  # on the boundary (12 min left is not under 20%)
        (48 * MIN + 1, 12 * MIN - 1, Level.BREACHED),
        (59 * MIN, MIN, Level.BREACHED),
    ],
)
def test_sla_next_is_just_past_the_next_level(used: float, after: float, level: Level) -> None:
    now = T0 + 5 * HOUR
    due = sla_next(_at(used), now)
    assert due is not None and due == pytest.approx(now + after, abs=0.01) and due > now + after
    assert _at(used + (due - now)).level is level  # at that moment the level has changed
    assert _at(used + after - 0.01).level is not level  # and not a moment before


def test_sla_next_is_none_when_nothing_will_change() -> None:
    now = T0 + 5 * HOUR
    assert sla_next(None, now) is None
    assert sla_next(_at(10 * MIN, paused=True), now) is None  # paused: it does not move
    assert sla_next(_at(HOUR), now) is None  # breached: no later level
    assert sla_next(_at(HOUR + MIN), now) is None
    assert sla_next(_at(HOUR - 1), now) is not None
