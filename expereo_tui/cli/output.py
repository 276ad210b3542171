"""What the command line prints: text from the API reaches a terminal only through
:func:`expereo_tui.ui.safe_text.safe` (the same rule as the screen), so an OSC 52 (clipboard),
OSC 8 (link) or OSC 0 (title) sequence in a subject is never obeyed.  A pipe or a file gets the
bytes as they are (CSV for a spreadsheet, Markdown); JSON is always exact (``json`` escapes
control characters itself)."""

from __future__ import annotations

from typing import TextIO

from expereo_tui.ui.safe_text import safe


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def emit(out: TextIO, text: str) -> None:
    """Write ``text``; to a terminal, without its escapes and control characters."""
    out.write(safe(text) if is_terminal(out) else text)


def field(value: str) -> str:
    """One field of a line of text output (tab-separated lists, ``cases show``): on one line
    and without escapes, wherever it goes (a tab inside a field would shift the columns)."""
    return safe(value, one_line=True)
