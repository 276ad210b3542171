"""Extra themes: a high-contrast one for NOC walls and bright rooms, and one that stays within
the 16 ANSI colours for old terminals and 16-colour SSH sessions."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="expereo-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffffff",
    warning="#ffaa00",
    error="#ff4040",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    boost="#1a1a1a",
    dark=True,
)
ANSI16 = Theme(
    name="expereo-16",
    primary="ansi_bright_blue",
    secondary="ansi_cyan",
    accent="ansi_bright_yellow",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_black",
    boost="ansi_black",
    dark=True,
)
THEMES = (HIGH_CONTRAST, ANSI16)


def register_themes(app: App[object]) -> None:
    for theme in THEMES:
        app.register_theme(theme)
