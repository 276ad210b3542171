"""The shift's rules one at a time, on an empty store (docs/usage.md "Snooze", "Pin for
handover", saved views): what each listing holds and in what order, what unsnooze and
delete_view report, and a view's JSON form as the config and the store keep it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expereo_tui.store.shift import Pin, Snooze, query_from_dict, query_to_dict
from expereo_tui.store.store import CaseQuery, Store
from tests.sim_fixtures import FakeClock

DEFAULT_SORT = [["unread", True], ["priority", False], ["last_modified", True]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(10_000.0)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store(tmp_path / "rules.sqlite3", clock=clock)


# -- a view's JSON form ---------------------------------------------------------------------


def test_a_default_query_is_saved_as_its_sort_alone() -> None:
    """Empty filters, no text and unread_only off say nothing, so they are not written."""
    assert query_to_dict(CaseQuery()) == {"sort": DEFAULT_SORT}
    assert query_to_dict(CaseQuery(text="", unread_only=False, site_id=None)) == {
        "sort": DEFAULT_SORT
    }


def test_a_query_is_saved_with_its_sets_sorted_and_its_sort_as_pairs() -> None:
    query = CaseQuery(
        statuses=frozenset({"New", "Awaiting Customer"}),
        priorities=frozenset({"P2", "P1"}),
        types=frozenset({"Incident"}),
        site_id="SITE-7",
        text="tokyo",
        unread_only=True,
        sort=(("status", False), ("created", True)),
    )
    assert query_to_dict(query) == {
        "statuses": ["Awaiting Customer", "New"],
        "priorities": ["P1", "P2"],
        "types": ["Incident"],
        "site_id": "SITE-7",
        "text": "tokyo",
        "unread_only": True,
        "sort": [["status", False], ["created", True]],
    }


def test_a_sort_column_given_alone_sorts_ascending() -> None:
    assert query_from_dict({"sort": ["priority", ["last_modified", True]]}) == CaseQuery(
        sort=(("priority", False), ("last_modified", True))
    )


def test_unknown_view_fields_are_all_named() -> None:
    with pytest.raises(ValueError) as refused:
        query_from_dict({"text": "x", "size": 3, "colour": "red"})
    assert str(refused.value) == "unknown view field(s): colour, size"


def test_a_filter_given_as_one_text_is_refused_not_read_letter_by_letter() -> None:
    """``statuses = "New"`` (not a list) would otherwise filter on N, e and w."""
    with pytest.raises(ValueError) as refused:
        query_from_dict({"statuses": "New"})
    assert str(refused.value) == "statuses must be a list of text"
    with pytest.raises(ValueError, match="^priorities must be a list of text$"):
        query_from_dict({"priorities": ["P1", 2]})


def test_an_unknown_sort_column_names_the_columns_there_are() -> None:
    with pytest.raises(ValueError) as refused:
        query_from_dict({"sort": [["colour", False]]})
    assert str(refused.value) == (
        "cannot sort on 'colour'; one of unread, priority, status, type, subject, id, "
        "service, site, customer_reference, last_modified, created"
    )


# -- pins -----------------------------------------------------------------------------------


def test_pins_list_oldest_first_with_the_time_each_was_written(
    store: Store, clock: FakeClock
) -> None:
    store.shift.pin("CS-2", "call the site")
    clock.advance(60)
    store.shift.pin("CS-1", "watch BGP")
    clock.advance(60)
    store.shift.pin("CS-3", "vendor ticket 42")
    assert store.shift.pins() == [
        Pin("CS-2", "call the site", 10_000.0),
        Pin("CS-1", "watch BGP", 10_060.0),
        Pin("CS-3", "vendor ticket 42", 10_120.0),
    ]
    assert store.shift.pin_note("CS-1") == "watch BGP"
    assert store.shift.pin_note("CS-9") is None


# -- snoozes --------------------------------------------------------------------------------


def test_snoozes_list_soonest_wake_first_and_those_waiting_on_the_provider_alone_last(
    store: Store, clock: FakeClock
) -> None:
    store.shift.snooze("CS-4", until=None, until_provider=True)
    store.shift.snooze("CS-3", until=12_000.0)
    clock.advance(5)
    store.shift.snooze("CS-1", until=11_000.0, until_provider=True)
    store.shift.snooze("CS-2", until=None, until_provider=True)
    assert store.shift.snoozes() == [
        Snooze("CS-1", 11_000.0, True, 10_005.0),
        Snooze("CS-3", 12_000.0, False, 10_000.0),
        Snooze("CS-2", None, True, 10_005.0),
        Snooze("CS-4", None, True, 10_000.0),
    ]
    assert store.shift.snoozed_ids() == {"CS-1", "CS-2", "CS-3", "CS-4"}


def test_a_snooze_with_neither_a_time_nor_the_provider_says_what_it_needs(
    store: Store,
) -> None:
    with pytest.raises(ValueError) as refused:
        store.shift.snooze("CS-1", until=None, until_provider=False)
    assert str(refused.value) == "a snooze needs a time or 'until the provider writes'"
    assert store.shift.snoozes() == []


def test_unsnooze_wakes_that_case_alone_and_says_whether_it_was_snoozed(
    store: Store,
) -> None:
    store.shift.snooze("CS-1", until=20_000.0)
    store.shift.snooze("CS-2", until=None, until_provider=True)
    assert store.shift.unsnooze("CS-1") is True
    assert store.shift.snoozed_ids() == {"CS-2"}
    assert store.shift.unsnooze("CS-1") is False  # woken already
    assert store.shift.unsnooze("CS-9") is False  # never snoozed
    assert store.shift.snoozed_ids() == {"CS-2"}


# -- saved views ----------------------------------------------------------------------------


def test_a_view_needs_a_name(store: Store) -> None:
    with pytest.raises(ValueError) as refused:
        store.shift.save_view("   ", CaseQuery(unread_only=True))
    assert str(refused.value) == "a view needs a name"
    assert store.shift.views() == []


def test_delete_view_removes_that_view_alone_and_says_whether_there_was_one(
    store: Store,
) -> None:
    store.shift.save_view("mine", CaseQuery(unread_only=True))
    store.shift.save_view("P1", CaseQuery(priorities=frozenset({"P1"})))
    assert store.shift.delete_view("mine") is True
    assert [v.name for v in store.shift.views()] == ["P1"]
    assert store.shift.delete_view("mine") is False
    assert store.shift.delete_view("nope") is False
    assert [v.name for v in store.shift.views()] == ["P1"]


def test_an_unreadable_saved_view_is_skipped_and_the_ones_after_it_still_listed(
    store: Store, clock: FakeClock
) -> None:
    """A view saved by another version (a field this one does not know) must not hide the
    rest."""
    store.shift.save_view("first", CaseQuery(unread_only=True))
    clock.advance(1)
    with store.database.tx() as db:
        db.execute(
            "INSERT INTO saved_views (name, query, created) VALUES (?, ?, ?)",
            ("from a newer version", json.dumps({"colour": "red"}), clock()),
        )
    clock.advance(1)
    store.shift.save_view("last", CaseQuery(text="tokyo"))
    assert [(v.name, v.query) for v in store.shift.views()] == [
        ("first", CaseQuery(unread_only=True)),
        ("last", CaseQuery(text="tokyo")),
    ]
