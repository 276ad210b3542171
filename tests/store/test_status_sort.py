"""Status sorts by the workflow (New, In Progress, Awaiting Customer, Resolved, Closed), not
by the alphabet; unknown statuses come last in either direction; SQL and memory agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.store.store import CaseQuery, Store

from .test_store import _case

STATUSES = ["Closed", "Escalated", "Resolved", None, "New", "Awaiting Customer", "In Progress"]


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
@pytest.mark.parametrize(
    ("desc", "wanted"),
    [
        (
            False,
            ["New", "In Progress", "Awaiting Customer", "Resolved", "Closed", None, "Escalated"],
        ),
        (
            True,
            ["Closed", "Resolved", "Awaiting Customer", "In Progress", "New", "Escalated", None],
        ),
    ],
    ids=["ascending", "descending"],
)
def test_status_sorts_by_workflow_with_unknown_last(
    tmp_path: Path, warm: bool, desc: bool, wanted: list[str | None]
) -> None:
    store = Store(tmp_path / "s.sqlite3", clock=lambda: 1000.0)
    store.cases.upsert_cases([_case(f"CS-{n}", n, status=status) for n, status in enumerate(STATUSES)])
    if warm:
        store.cases.warm_inbox()
        assert store.cases.inbox_is_warm()
    query = CaseQuery(sort=(("status", desc), ("last_modified", True)))
    rows = store.cases.inbox_page(query, limit=50) if warm else store.cases.query_cases(query, limit=50)
    assert [r.status for r in rows] == wanted
