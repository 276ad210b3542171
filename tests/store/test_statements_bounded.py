"""Reading the activity of a drifting number of cases (the open cases, every poll) must not make
a new prepared statement per count: the connection keeps up to 128 of them, each tens of KB of
SQLite's heap, so over days of polls the heap grew with every count seen."""

from __future__ import annotations

from pathlib import Path

from expereo_tui.store.store import Store
from tests.store.test_cache_bounded import _sqlite_heap
from tests.store.test_store import _case

MB = 1024 * 1024


def test_activity_of_any_number_of_cases_is_one_statement(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case(f"CS-{i}", i, status="In Progress") for i in range(260)])
    ids = [f"CS-{i}" for i in range(260)]
    assert len(store.activity.activity(ids)) == 260  # pages and statements warm
    before = _sqlite_heap()
    for count in range(200, 260):  # sixty different counts of open cases
        got = store.activity.activity(ids[:count])
        assert list(got) == ids[:count]
    grown = _sqlite_heap() - before
    assert grown < MB / 4, f"SQLite's heap grew {grown / MB:.2f} MB over 60 counts of ids"


def test_inbox_queries_by_any_number_of_ids_are_one_statement(tmp_path: Path) -> None:
    """The same for the inbox's id filters (a cluster's cases, snoozed cases left out) and the
    warm inbox's page read."""
    from dataclasses import replace

    from expereo_tui.store.store import CaseQuery

    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case(f"CS-{i}", i, status="In Progress") for i in range(260)])
    ids = [f"CS-{i}" for i in range(260)]
    store.cases.warm_inbox()
    base = CaseQuery()
    assert len(store.cases.query_cases(replace(base, only_ids=frozenset(ids)), limit=300)) == 260
    before = _sqlite_heap()
    for count in range(200, 260):
        shown = store.cases.query_cases(replace(base, only_ids=frozenset(ids[:count])), limit=300)
        assert len(shown) == count
        hidden = store.cases.query_cases(replace(base, hidden_ids=frozenset(ids[:count])), limit=300)
        assert len(hidden) == 260 - count
        assert len(store.cases.inbox_page(base, offset=0, limit=count)) == count
    grown = _sqlite_heap() - before
    assert grown < MB / 4, f"SQLite's heap grew {grown / MB:.2f} MB over 60 counts of ids"
