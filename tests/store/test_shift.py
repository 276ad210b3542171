"""Pins, snoozes and saved views: local, persistent, and a snooze wakes exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.api.models import CaseMessage
from expereo_tui.sim import Simulator
from expereo_tui.store.shift import query_from_dict, query_to_dict
from expereo_tui.store.store import CaseQuery, Store
from tests.sim_fixtures import FakeClock

from .test_store import fill


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(10_000.0)


@pytest.fixture
def shift_store(tmp_path: Path, sim: Simulator, clock: FakeClock) -> Store:
    s = Store(tmp_path / "shift.sqlite3", clock=clock)
    fill(s, sim)
    return s


def _two_cases(store: Store) -> tuple[str, str]:
    rows = store.cases.query_cases(CaseQuery(sort=(("id", False),)), limit=2)
    return rows[0].id, rows[1].id


def test_pins_survive_a_restart_and_an_empty_note_unpins(
    shift_store: Store, tmp_path: Path
) -> None:
    a, b = _two_cases(shift_store)
    shift_store.shift.pin(a, "  watch the BGP flaps  ")
    shift_store.shift.pin(b, "call the site at 09:00")
    shift_store.close()
    again = Store(tmp_path / "shift.sqlite3")
    assert again.shift.pin_note(a) == "watch the BGP flaps"
    assert [p.case_id for p in again.shift.pins()] == [a, b]
    again.shift.pin(a, "   ")
    assert again.shift.pin_note(a) is None
    assert [p.case_id for p in again.shift.pins()] == [b]


def test_snoozed_cases_leave_the_query_and_the_snoozed_view_lists_them(
    shift_store: Store, clock: FakeClock
) -> None:
    a, b = _two_cases(shift_store)
    total = shift_store.cases.count_cases(CaseQuery())
    shift_store.shift.snooze(a, until=clock() + 1800)
    hidden = shift_store.shift.snoozed_ids()
    assert hidden == {a}
    assert shift_store.cases.count_cases(CaseQuery(hidden_ids=hidden)) == total - 1
    shift_store.cases.warm_inbox()  # the in-memory inbox answers the same
    summary = shift_store.cases.inbox_summary(CaseQuery(hidden_ids=hidden))
    assert summary.total == total - 1
    ids = {r.id for r in shift_store.cases.inbox_page(CaseQuery(hidden_ids=hidden), limit=total)}
    assert a not in ids and b in ids
    only = [r.id for r in shift_store.cases.inbox_page(CaseQuery(only_ids=hidden), limit=total)]
    assert only == [a]


def test_a_timed_snooze_wakes_once_when_its_time_comes(
    shift_store: Store, clock: FakeClock
) -> None:
    a, _ = _two_cases(shift_store)
    shift_store.shift.snooze(a, until=clock() + 1800)
    clock.advance(1799)
    assert shift_store.shift.wake_due(clock()) == []
    clock.advance(1)
    woke = shift_store.shift.wake_due(clock())
    assert [(w.case_id, w.reason) for w in woke] == [(a, "time")]
    assert shift_store.shift.wake_due(clock()) == []  # exactly once
    assert shift_store.shift.snoozed_ids() == frozenset()


def test_until_the_provider_writes_wakes_on_their_message_not_ours(
    shift_store: Store, clock: FakeClock
) -> None:
    a, _ = _two_cases(shift_store)
    shift_store.shift.snooze(a, until=None, until_provider=True)
    ours = CaseMessage(id="m-ours", message="any news?", type="Customer")
    shift_store.cases.upsert_messages(a, [ours], whole_thread=True)
    assert shift_store.shift.wake_due(clock()) == []
    theirs = CaseMessage(id="m-theirs", message="engineer on site", type="Expereo")
    shift_store.cases.upsert_messages(a, [theirs], whole_thread=True)
    assert [(w.case_id, w.reason) for w in shift_store.shift.wake_due(clock())] == [(a, "provider")]


def test_a_snooze_needs_a_time_or_the_provider(shift_store: Store) -> None:
    with pytest.raises(ValueError):
        shift_store.shift.snooze("CS-1", until=None)


def test_saved_views_round_trip_and_persist(shift_store: Store, tmp_path: Path) -> None:
    query = CaseQuery(
        statuses=frozenset({"New"}),
        priorities=frozenset({"P1", "P2"}),
        text="tokyo",
        sort=(("priority", False), ("last_modified", True)),
    )
    assert query_from_dict(query_to_dict(query)) == query
    shift_store.shift.save_view("P1/P2 new", query)
    shift_store.shift.save_view("unread", CaseQuery(unread_only=True))
    shift_store.close()
    views = Store(tmp_path / "shift.sqlite3").shift.views()
    assert [(v.name, v.query) for v in views] == [
        ("P1/P2 new", query),
        ("unread", CaseQuery(unread_only=True)),
    ]


def test_a_view_with_an_unknown_field_or_sort_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        query_from_dict({"colour": "red"})
    with pytest.raises(ValueError, match="cannot sort"):
        query_from_dict({"sort": [["nope", True]]})


def test_checking_for_due_snoozes_writes_nothing_when_none_is_due(
    shift_store: Store, clock: FakeClock
) -> None:
    """A check every 15 s must not stale the in-memory inbox (nor wake other instances)."""
    a, _ = _two_cases(shift_store)
    shift_store.shift.snooze(a, until=clock() + 60, until_provider=True)
    shift_store.cases.warm_inbox()
    before = shift_store.database.stamp()
    assert shift_store.shift.wake_due(clock()) == []
    assert shift_store.database.stamp() == before and shift_store.cases.inbox_is_warm()


def test_pins_snoozes_and_views_survive_a_store_reset(shift_store: Store, tmp_path: Path) -> None:
    """--reset-store sets the file aside and starts afresh: the shift's notes come along."""
    a, b = _two_cases(shift_store)
    shift_store.shift.pin(a, "hand over")
    shift_store.shift.snooze(b, until=20_000.0)
    shift_store.shift.save_view("mine", CaseQuery(unread_only=True))
    shift_store.close()
    fresh = Store(tmp_path / "shift.sqlite3", reset=True)
    assert fresh.cases.case_count() == 0  # a fresh database
    assert fresh.shift.pin_note(a) == "hand over"
    assert [(z.case_id, z.until) for z in fresh.shift.snoozes()] == [(b, 20_000.0)]
    assert [v.name for v in fresh.shift.views()] == ["mine"]
