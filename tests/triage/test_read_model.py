"""The SLA watch and the triage reads (docs/usage.md, "SLA clocks": an alert once when a clock
becomes at risk and once when it breaches, a change the app saw happen; a clock first seen
already late is only noted; the app wakes exactly when the next clock changes level).
Expected instants and levels are worked out by hand from the targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.store.store import CaseActivity, Store
from expereo_tui.triage.read_model import (
    SlaWatch,
    read_open,
    read_sla,
    read_triage,
    read_wall_triage,
)
from expereo_tui.triage.sla import EXAMPLE_TARGETS, Level, Targets
from tests.sim_fixtures import FakeClock

from .rows import MIN, T0, row

TARGETS = {"P1": Targets(first_response=30 * MIN, update_interval=60 * MIN, resolution=240 * MIN)}


def _changes(found: list) -> list[tuple[str, str, Level]]:  # type: ignore[type-arg]
    return [(c.row.id, c.clock.name, c.level) for c in found]


def watch_rows() -> list:  # type: ignore[type-arg]
    return [
        row("CS-A", created=0),  # first response: at risk at 24 min, breached at 30
        row("CS-B", created=-25 * MIN),  # 5 min left now: at risk, breaches at +5 min
        row("CS-C", status="Awaiting Customer", created=-10 * MIN, changed=-5 * MIN),  # paused
        row("CS-D", status="Resolved", created=-300 * MIN),  # no clocks
    ]


def test_a_first_look_only_notes_what_is_already_late() -> None:
    watch = SlaWatch(watch_rows(), {}, TARGETS, T0)
    assert watch.changes == []
    assert (watch.breached, watch.at_risk) == (0, 1)
    assert watch.worst == {"CS-A": Level.OK, "CS-B": Level.AT_RISK, "CS-C": Level.OK}
    assert watch.next_due == pytest.approx(T0 + 5 * MIN, abs=0.01)


def test_each_clock_alerts_once_as_it_becomes_at_risk_and_once_as_it_breaches() -> None:
    watch = SlaWatch(watch_rows(), {}, TARGETS, T0)
    assert watch.advance(T0 + 5 * MIN - 1) == []  # a second early: nothing yet
    assert _changes(watch.advance(T0 + 5 * MIN + 0.01)) == [
        ("CS-B", "first_response", Level.BREACHED)
    ]
    assert (watch.breached, watch.at_risk) == (1, 0)
    assert watch.next_due == pytest.approx(T0 + 24 * MIN, abs=0.01)
    assert _changes(watch.advance(T0 + 24 * MIN + 0.01)) == [
        ("CS-A", "first_response", Level.AT_RISK)
    ]
    assert (watch.breached, watch.at_risk) == (1, 1)
    assert _changes(watch.advance(T0 + 30 * MIN + 0.01)) == [
        ("CS-A", "first_response", Level.BREACHED)
    ]
    assert (watch.breached, watch.at_risk) == (2, 0)
    assert watch.advance(T0 + 30 * MIN + 0.02) == []  # once
    # the resolution clocks are next: CS-B's at 80% of 4 h from its creation at -25 min
    assert watch.next_due == pytest.approx(T0 + 192 * MIN - 25 * MIN, abs=0.01)


def test_a_later_look_alerts_only_what_got_worse_since_the_levels_before() -> None:
    first = SlaWatch(watch_rows(), {}, TARGETS, T0)
    same = SlaWatch(watch_rows(), {}, TARGETS, T0 + MIN, before=first.levels)
    assert same.changes == []  # nothing moved: no alert (another session looked already)
    later = SlaWatch(watch_rows(), {}, TARGETS, T0 + 25 * MIN, before=first.levels)
    assert _changes(later.changes) == [
        ("CS-A", "first_response", Level.AT_RISK),
        ("CS-B", "first_response", Level.BREACHED),
    ]


def test_a_watch_over_paused_and_closed_cases_never_wakes() -> None:
    rows = watch_rows()[2:]
    watch = SlaWatch(rows, {}, TARGETS, T0)
    assert watch.next_due is None and watch.advance(T0 + 10**6) == []


# -- the reads from a store: open cases only, each read shared until the store is written


def _case(case_id: str, status: str, priority: str, minutes: int, **over: object) -> Case:
    at = datetime.fromtimestamp(T0, UTC) + timedelta(minutes=minutes)
    return Case.model_validate(
        {
            "id": case_id,
            "subject": "ServiceDown",
            "type": "Incident",
            "status": status,
            "priority": priority,
            "createdDate": at,
            "lastModifiedDate": at,
            "serviceId": f"SVC-{case_id}",
            **over,
        }
    )


@pytest.fixture
def small_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "triage.sqlite3", clock=FakeClock())
    store.cases.upsert_cases(
        [
            _case("CS-X", "In Progress", "P1", -40, siteId="S1"),
            _case("CS-Y", "New", "P2", -35, siteId="S1"),
            _case("CS-Z", "Awaiting Customer", "P3", -20),
            _case("CS-W", "Resolved", "P1", -300, siteId="S1"),
        ]
    )
    for case_id, minutes in (("CS-X", -40), ("CS-Y", -35)):  # threads known: our first
        store.cases.upsert_messages(  # message only, no answer yet (CS-Z: no thread stored)
            case_id,
            [
                CaseMessage.model_validate(
                    {
                        "id": f"{case_id}-M0",
                        "caseId": case_id,
                        "message": "down",
                        "type": "Customer",
                        "timestamp": datetime.fromtimestamp(T0, UTC) + timedelta(minutes=minutes),
                    }
                )
            ],
            whole_thread=True,
        )
    return store


def test_the_reads_see_the_open_cases_only(small_store: Store) -> None:
    rows, activity = read_open(small_store)
    assert sorted(r.id for r in rows) == ["CS-X", "CS-Y", "CS-Z"]
    assert read_open(small_store)[0] is rows  # shared until the store is written
    small_store.cases.upsert_cases([_case("CS-V", "New", "P4", -1)])
    assert sorted(r.id for r in read_open(small_store)[0]) == ["CS-V", "CS-X", "CS-Y", "CS-Z"]


def test_the_wall_counts_waiting_on_us_and_clusters(small_store: Store) -> None:
    wall = read_wall_triage(small_store, SimpleNamespace(sla_targets=TARGETS), T0)
    assert wall.waiting_on_us == ("CS-Z",)
    assert [(c.kind, c.key, c.case_ids) for c in wall.clusters] == [
        ("site", "S1", ("CS-X", "CS-Y"))
    ]
    # P1 only has targets here: CS-X's first response (40 of 30 min) is the one late clock
    assert (wall.sla.breached, wall.sla.at_risk) == (1, 0)
    triage = read_triage(small_store, SimpleNamespace(sla_targets=TARGETS), T0)
    assert (triage.board.breached, triage.board.at_risk) == (1, 0)
    assert [c.case_ids for c in triage.clusters] == [("CS-X", "CS-Y")]


def test_read_sla_keeps_to_the_priorities_asked_and_defaults_to_the_example_targets(
    small_store: Store,
) -> None:
    only_p1 = read_sla(small_store, SimpleNamespace(sla_targets=None), T0, priorities={"P1"})
    assert {case_id for case_id, _ in only_p1.levels} == {"CS-X"}
    every = read_sla(small_store, None, T0)  # example targets: P1 15 min, P2 30 min, P3 1 h
    assert {case_id for case_id, _ in every.levels} == {"CS-X", "CS-Y", "CS-Z"}
    assert EXAMPLE_TARGETS["P2"].first_response == 30 * MIN
    assert every.worst == {"CS-X": Level.BREACHED, "CS-Y": Level.BREACHED, "CS-Z": Level.OK}


def test_a_watch_reads_each_cases_own_activity_and_every_change_at_once() -> None:
    answered = CaseActivity(first_provider_at=T0 - MIN, last_provider_at=T0 - MIN)
    watch = SlaWatch(watch_rows(), {"CS-A": answered}, TARGETS, T0)
    assert {name for (case_id, name) in watch.levels if case_id == "CS-A"} == {
        f"update_interval@{int(T0 - MIN)}",
        f"resolution@{int(T0)}",
    }
    plain = SlaWatch(watch_rows(), {}, TARGETS, T0)
    assert plain.advance(plain.next_due or 0) != []  # due exactly now: looked at
    late = SlaWatch(watch_rows(), {}, TARGETS, T0)
    # 31 min on: CS-B breached, and CS-A straight from fine to breached: both at once
    assert _changes(late.advance(T0 + 31 * MIN)) == [
        ("CS-B", "first_response", Level.BREACHED),
        ("CS-A", "first_response", Level.BREACHED),
    ]


def test_read_sla_uses_the_profiles_targets_and_the_levels_before(small_store: Store) -> None:
    slow = {"P1": Targets(first_response=60 * MIN)}  # CS-X: 40 of 60 min used, fine
    watch = read_sla(small_store, SimpleNamespace(sla_targets=slow), T0)
    assert watch.worst == {"CS-X": Level.OK}
    later = read_sla(
        small_store, SimpleNamespace(sla_targets=slow), T0 + 9 * MIN, before=watch.levels
    )
    assert _changes(later.changes) == [("CS-X", "first_response", Level.AT_RISK)]


def test_read_triage_carries_the_open_rows_and_their_activity(small_store: Store) -> None:
    triage = read_triage(small_store, None, T0)
    assert sorted(r.id for r in triage.rows) == ["CS-X", "CS-Y", "CS-Z"]
    assert triage.activity["CS-X"].last_customer_at == T0 - 40 * MIN


def test_the_open_read_is_not_cut_at_a_page(tmp_path: Path) -> None:
    store = Store(tmp_path / "many.sqlite3", clock=FakeClock())
    store.cases.upsert_cases([_case(f"CS-{i:03}", "New", "P3", -i) for i in range(120)])
    assert len(read_open(store)[0]) == 120


def test_the_wall_counts_each_case_waiting_on_us_from_its_own_thread(small_store: Store) -> None:
    small_store.cases.upsert_cases(
        [
            _case("CS-Q", "Awaiting Customer", "P3", -30),
            _case("CS-R", "Awaiting Customer", "P3", -30),
        ]
    )
    small_store.cases.upsert_messages(  # we answered CS-R after it went to Awaiting Customer
        "CS-R",
        [
            CaseMessage.model_validate(
                {
                    "id": "CS-R-M0",
                    "caseId": "CS-R",
                    "message": "done",
                    "type": "Customer",
                    "timestamp": datetime.fromtimestamp(T0, UTC) - timedelta(minutes=10),
                }
            )
        ],
        whole_thread=True,
    )
    assert read_wall_triage(small_store, None, T0).waiting_on_us == ("CS-Q", "CS-Z")


def test_the_wall_leaves_a_snoozed_case_out_of_waiting_on_us(small_store: Store) -> None:
    """docs/usage.md: "A snoozed case is left out of *waiting on us* everywhere" (the wall too)."""
    assert read_wall_triage(small_store, None, T0).waiting_on_us == ("CS-Z",)
    small_store.shift.snooze("CS-Z", until=T0 + 60 * MIN)
    assert read_wall_triage(small_store, None, T0).waiting_on_us == ()
