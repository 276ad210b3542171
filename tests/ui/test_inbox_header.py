"""The inbox header at 80 columns: the unread legend (● ★) is never cut, the counts follow the
open-cases filter, one case is "1 case"; → and ← move the table a column at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CELL_PADDING, CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen

from .conftest import screen_text, until


async def test_header_keeps_its_legend_and_counts_open_cases_only(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app(inbox_open_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await until(pilot, lambda: "cases" in str(screen.query_one("#counts").content))
        counts = str(screen.query_one("#counts").content)
        assert "● " in counts and "★" not in counts  # no ★ row yet: no legend for it
        assert "In Progress" in counts
        screen.recent.add(store.cases.query_cases(screen.query_state, limit=1)[0].id)
        screen.reload()
        await pilot.pause()
        assert "Resolved" not in counts and "Closed" not in counts  # not shown, not counted
        header = next(line for line in screen_text(app).splitlines() if "unread" in line)
        assert "●" in header and "★ changed" in header  # on screen, whole, at 80 columns
        await pilot.press("a")  # every case: every status counted
        await until(pilot, lambda: "Closed" in str(screen.query_one("#counts").content))
        one = store.cases.query_cases(screen.query_state, limit=1)[0].id
        screen.set_query(replace(screen.query_state, text=one))
        await until(pilot, lambda: str(screen.query_one("#counts").content).startswith(" 1 case "))


async def test_right_and_left_move_the_table_a_column(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.screen.query(CaseTable)))
        table = app.screen.query_one(CaseTable)
        table.focus()
        await pilot.pause()
        edges = [0]
        for column in table.columns:
            edges.append(edges[-1] + column.width + 2 * CELL_PADDING)
        assert table.max_scroll_x > edges[2]  # wider than 80 columns: there is room to move
        await pilot.press("right")
        assert table.scroll_x == edges[1]
        await pilot.press("right")
        assert table.scroll_x == edges[2]
        await pilot.press("left")
        assert table.scroll_x == edges[1]
        await pilot.press("left", "left")
        assert table.scroll_x == 0
