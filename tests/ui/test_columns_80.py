"""The inbox at 80 columns: the columns that matter most show, whole; the case id stays while
the table scrolls sideways; a marker says how many columns are hidden; the sorted-by column is
always on screen; headers and the sort line are never cut; ``b`` sorts by time to breach."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable, Column, cell_width, header_label, layout
from expereo_tui.ui.inbox.columns import FIXED_COLUMNS, INBOX_COLUMNS, TRIAGE_SORTS, RowContext
from expereo_tui.ui.inbox.screen import InboxScreen

from .conftest import screen_text, until


def test_every_header_fits_its_column_with_a_sort_arrow() -> None:
    for column in INBOX_COLUMNS:
        for sort in (None, (column.key, True)):
            label = header_label(column.table_column(), sort)
            assert label.rstrip("↑↓").split()[0] == column.label.split()[0], column.key  # whole
            assert len(label) <= column.width, column.key
    example = Column("sla", "SLA (example)", 15)
    assert header_label(example, ("sla", False)) == "SLA (example)↑"
    assert header_label(Column("sla", "SLA (example)", 10), ("sla", False)) == "SLA↑"


@pytest.mark.parametrize("width", [40, 60, 79, 100, 200])
@pytest.mark.parametrize("first", [0, 3, 20])
@pytest.mark.parametrize("keep", [None, "sla", "service", "type", "id"])
def test_layout_shows_whole_columns_within_the_width(
    width: int, first: int, keep: str | None
) -> None:
    columns = [c.table_column() for c in INBOX_COLUMNS]
    shown = layout(columns, width, FIXED_COLUMNS, first, keep)
    used = sum(cell_width(columns[i]) for i in shown.shown)
    assert used + len(shown.marker) <= width
    assert list(shown.shown[:FIXED_COLUMNS]) == list(range(FIXED_COLUMNS))  # pinned
    assert list(shown.shown) == sorted(shown.shown)  # in their declared order
    assert len(shown.shown) + shown.left + shown.right == len(columns)
    fixed = sum(cell_width(c) for c in columns[:FIXED_COLUMNS])
    kept = next((c for c in columns if c.key == keep), None)
    if kept is not None and fixed + cell_width(kept) + len("‹9 +9›") <= width:
        assert keep in [columns[i].key for i in shown.shown]  # the sorted-by column stays


async def _inbox(app: ExpereoApp, pilot) -> InboxScreen:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: isinstance(app.screen, InboxScreen))
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await pilot.pause()
    return screen


def _header(app: ExpereoApp) -> str:
    return next(line for line in screen_text(app).splitlines() if "Case" in line)


async def test_80_columns_show_the_columns_that_matter_whole_with_a_marker(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app(inbox_open_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _inbox(app, pilot)
        header = _header(app)
        for label in ("●", "Case", "Pri", "SLA (example)", "Turn", "Subject"):
            assert label in header, label
        hidden = len(INBOX_COLUMNS) - 6
        assert header.rstrip().endswith(f"+{hidden}›")  # the sign of hidden columns
        await pilot.press("right")
        header = _header(app)
        assert "Case" in header and "Pri" not in header and "‹1" in header
        assert f"+{hidden - 1}›" in header or f"+{hidden}›" in header


async def test_the_sorted_by_column_is_always_on_screen(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _inbox(app, pilot)
        for column in INBOX_COLUMNS:
            screen.set_query(replace(screen.query_state, sort=((column.sort, False),)))
            await pilot.pause()
            assert f"{column.label if column.key != 'sla' else 'SLA'}" in _header(app), column.key
        screen.set_query(replace(screen.query_state, sort=CaseQuery().sort))
        await pilot.press("w")  # a whose-turn view shows its own Turn column, sorted by it
        await pilot.pause()
        assert "Turn↑" in _header(app)
        assert "sort: Turn↑" in screen_text(app)
        for _ in range(4):
            await pilot.press("right")
        assert "Turn↑" in _header(app)


async def test_b_sorts_by_time_to_breach_in_one_key(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app(inbox_open_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _inbox(app, pilot)
        await pilot.press("b")
        assert screen.query_state.sort[0] == ("sla", False)
        table = screen.query_one(CaseTable)
        ids = [table.row(i).key for i in range(min(table.row_count, 20))]  # type: ignore[union-attr]
        now = app.now()
        page = store.cases.query_cases(screen.store_query, limit=1000)
        ctx = RowContext(now=now, activity=store.activity.activity([r.id for r in page]))
        left = {r.id: TRIAGE_SORTS["sla"](r, ctx) for r in page}
        lefts = [left[i] for i in ids if left[i] is not None]
        assert lefts and lefts == sorted(lefts)  # the least time left (most overdue) first
        assert "SLA (example)↑" in _header(app)


async def test_the_sort_line_is_never_cut(make_app: Callable[..., ExpereoApp]) -> None:
    """The sort comes first on its line, and a filter too long for one line wraps to a second
    (typed, as a person does: the line grows after the screen was laid out)."""
    app = make_app(inbox_open_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _inbox(app, pilot)
        await pilot.press("b", "w", "slash", *"Service", "enter")
        await until(pilot, lambda: screen.query_state.text == "Service")
        await pilot.pause()
        chips = screen.query_one("#chips")
        line = str(chips.content)
        assert line.startswith(" sort: SLA↑ Changed↓") and 'text="Service"' in line
        assert len(line) > chips.size.width  # too long for one line: it takes two
        assert chips.size.height == 2
