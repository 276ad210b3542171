"""The in-memory inbox's rules on hand-made cases (docs/usage.md: a status sort follows the
workflow at any place in the sort; a case without a status is counted as "?"), and its promise
to a keystroke: the page and the header's counts come from one pass, and an order is sorted
once per index."""

from __future__ import annotations

from typing import Any

from expereo_tui.store.inbox_index import FIELDS, InboxIndex
from expereo_tui.store.query import CaseQuery


def _key(case_id: str, **fields: Any) -> tuple[Any, ...]:
    """A case's index entry (FIELDS order): None where not given, no search text, read."""
    values: dict[str, Any] = {"search": "", "unread": 0, **fields, "id": case_id}
    return tuple(values.get(name) for name in FIELDS)


def _ids(index: InboxIndex, query: CaseQuery) -> list[str]:
    return [k[0] for k in index.matches(query).keys]


def test_status_follows_the_workflow_when_it_is_not_the_first_sort_column() -> None:
    index = InboxIndex(
        [
            _key("CS-1", priority="P2", status="Closed"),
            _key("CS-2", priority="P1", status="Resolved"),
            _key("CS-3", priority="P2", status="New"),
            _key("CS-4", priority="P1", status="In Progress"),
            _key("CS-5", priority="P2", status="Awaiting Customer"),
            _key("CS-6", priority="P1", status="Escalated"),
        ]
    )
    query = CaseQuery(sort=(("priority", False), ("status", False)))
    assert _ids(index, query) == ["CS-4", "CS-2", "CS-6", "CS-3", "CS-5", "CS-1"]
    query = CaseQuery(sort=(("priority", True), ("status", True)))
    assert _ids(index, query) == ["CS-1", "CS-5", "CS-3", "CS-2", "CS-4", "CS-6"]


def test_a_case_without_a_status_is_counted_as_a_question_mark() -> None:
    index = InboxIndex(
        [_key("CS-1", status="New"), _key("CS-2"), _key("CS-3", status=None, unread=1)]
    )
    matches = index.matches(CaseQuery())
    assert matches.by_status == {"New": 1, "?": 2}
    assert (matches.total, matches.unread) == (3, 1)


def test_the_page_and_the_counts_of_one_keystroke_are_one_pass() -> None:
    """inbox_page and inbox_summary ask the same query in turn: the second gets the first's
    answer, not a second pass over every case."""
    index = InboxIndex([_key("CS-1", status="New", search="tokyo"), _key("CS-2", search="oslo")])
    query = CaseQuery(text="tokyo")
    first = index.matches(query)
    assert index.matches(CaseQuery(text="tokyo")) is first
    assert _ids(index, query) == ["CS-1"]


def test_an_order_is_sorted_once_per_index_not_once_per_keystroke() -> None:
    """Typing changes the text, not the sort: the cases stay in the order sorted the first
    time (a query that filters nothing answers with that very list)."""
    index = InboxIndex([_key("CS-2", priority="P1"), _key("CS-1", priority="P2")])
    sort = (("priority", False),)
    first = index.matches(CaseQuery(sort=sort)).keys
    assert [k[0] for k in first] == ["CS-2", "CS-1"]
    again = index.matches(CaseQuery(text="  ", sort=sort)).keys  # nothing typed but blanks
    assert again is first
