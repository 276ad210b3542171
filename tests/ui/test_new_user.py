"""What a new user ran into at 80x24 (issue 14): each fix, seen the way a person sees it."""

from __future__ import annotations

from collections.abc import Callable

from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.screens.case import CaseScreen
from expereo_tui.ui.screens.dialogs import HELP, HelpScreen
from expereo_tui.ui.screens.inbox import InboxScreen

from .conftest import screen_text, until


def _footer_line(app: ExpereoApp) -> str:
    return screen_text(app).rstrip().splitlines()[-1]


async def test_footer_shows_the_keys_that_matter_at_80_columns(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        footer = _footer_line(app)
        for key in ("⏎ Open", "u Next unread", "r Reply", "/ Search", "q Quit", "? Help"):
            assert key in footer, (key, footer)
        assert footer.rstrip().endswith("^p palette")  # nothing cut off
        for rest in ("Filter", "Sort", "New case", "Inventory", "Refresh", "Pause"):
            assert rest not in footer, (rest, footer)  # behind "?"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = HELP.lower()
        for rest in ("filter:", "cycle the sort", "new case", "inventory", "refresh now"):
            assert rest in help_text, rest
        await pilot.press("escape")
        case_id = store.query_cases(CaseQuery(), limit=1)[0].id
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        footer = _footer_line(app)
        for key in ("esc Back", "r Reply", "q Quit", "? Help"):
            assert key in footer, (key, footer)
