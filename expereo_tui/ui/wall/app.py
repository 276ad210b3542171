"""``expereo-tui --wall``: the NOC wall app (read-only, high contrast, no key press needed)."""

from __future__ import annotations

from typing import Any

from rich.errors import MarkupError
from rich.text import Text
from textual.notifications import SeverityLevel
from textual.screen import Screen

from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.wall.screen import WallScreen


class WallApp(ExpereoApp):
    """The same store, engine and alerts as the terminal app; only the wall screen."""

    BINDINGS = []  # nothing to press on a wall (space and → are on the screen)
    CSS_PATH = "../app.tcss"  # the app's (Textual reads a CSS_PATH beside the subclass's file)

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.options.read_only = True
        self.options.wall = True
        if not self.options.theme:
            self.theme = "expereo-high-contrast"

    def action_help(self) -> None:
        """The wall's own keys, not the whole app's (issue 32 item 9)."""
        from expereo_tui.keymap import WALL_SECTIONS
        from expereo_tui.ui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.options.keymap, sections=WALL_SECTIONS))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """No toasts on a wall (issue 32 item 9): the news goes to the wall's footer line
        (WallScreen.tell), so nothing ever lies over its tables."""
        if markup:  # the app's own text; news from the API comes with markup=False
            try:
                message = Text.from_markup(message).plain
            except MarkupError:
                pass
        for screen in reversed(self.screen_stack):
            if isinstance(screen, WallScreen):
                screen.tell(message, title=title, severity=severity)
                return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_default_screen(self) -> Screen[Any]:
        return self.with_css(WallScreen())
