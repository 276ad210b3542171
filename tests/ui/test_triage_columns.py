"""The inbox's column model: one declaration decides the header, the width, the sort and its
first direction, whether the sort comes from a header click or from ``s``."""

from __future__ import annotations

from pathlib import Path

from expereo_tui.store.store import CaseQuery
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.columns import INBOX_COLUMNS
from expereo_tui.ui.inbox.screen import DEFAULT_SORT, InboxScreen
from tests.sim_fixtures import FakeClock

from .test_triage_inbox import T0, case, make


def test_columns_are_declared_once_with_unique_keys_and_sorts() -> None:
    keys = [c.key for c in INBOX_COLUMNS]
    sorts = [c.sort for c in INBOX_COLUMNS]
    assert len(set(keys)) == len(keys) and len(set(sorts)) == len(sorts)
    assert all(c.width >= 1 for c in INBOX_COLUMNS)


async def test_each_column_sorts_first_in_its_declared_direction(tmp_path: Path) -> None:
    """A click on a header sorts by it in the model's direction, a second click reverses it,
    and ``s`` reaches every column in the same direction the click chose."""
    store, app = make(tmp_path, FakeClock(T0))
    store.cases.upsert_cases([case("CS-1", 0), case("CS-2", 5, status="Awaiting Customer")])
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        table = screen.query_one(CaseTable)
        for column in INBOX_COLUMNS:
            other = "id" if column.sort != "id" else "subject"
            screen.set_query(CaseQuery(sort=((other, False),)))
            table.post_message(CaseTable.HeaderSelected(table, column.key))
            await pilot.pause()
            assert screen.query_state.sort[0] == (column.sort, column.descending), column.key
            table.post_message(CaseTable.HeaderSelected(table, column.key))
            await pilot.pause()
            assert screen.query_state.sort[0] == (column.sort, not column.descending)
        screen.set_query(CaseQuery(sort=DEFAULT_SORT))
        seen: dict[str, bool] = {}
        for _ in INBOX_COLUMNS:
            await pilot.press("s")
            first = screen.query_state.sort[0]
            seen[first[0]] = first[1]
        assert seen == {c.sort: c.descending for c in INBOX_COLUMNS}
