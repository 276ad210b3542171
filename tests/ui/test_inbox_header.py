"""The inbox header at 80 columns: the unread legend (● ★) is never cut, the counts follow the
open-cases filter, one case is "1 case"; → and ← move the table a column at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
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


async def test_right_and_left_move_the_table_a_column_and_the_case_id_stays(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.screen.query(CaseTable)))
        table = app.screen.query_one(CaseTable)
        table.focus()
        await pilot.pause()
        keys = [c.key for c in table.columns]

        def shown() -> list[str]:
            return [keys[i] for i in table.current_layout().shown]

        start = shown()
        assert start[:3] == ["unread", "id", "priority"] and table.current_layout().right
        await pilot.press("right")
        assert shown()[:3] == ["unread", "id", "sla"]  # Pri hidden at the left, the id stays
        assert table.current_layout().left == 1
        await pilot.press("right")
        assert shown()[:3] == ["unread", "id", "turn"]
        await pilot.press("left")
        assert shown()[:3] == ["unread", "id", "sla"]
        await pilot.press("left", "left")
        assert shown() == start and table.first_column == 0
        for _ in keys:  # → as far as it goes: the last column shows, and → then does nothing
            await pilot.press("right")
        assert shown()[-1] == keys[-1] and not table.current_layout().right
