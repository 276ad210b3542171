"""The row of view tabs above the inbox: each view's name and its count, the active one marked.

A widget that displays and reports clicks; the inbox screen decides what a view is and counts it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static


class ViewTabs(Static):
    """`` Inbox 41 │ P1/P2 3 │ Snoozed 2 ``: ``[`` and ``]`` (on the inbox) or a click switch."""

    DEFAULT_CSS = """
    ViewTabs { height: 1; padding: 0 1; background: $panel; }
    """

    class Selected(Message):
        """A tab was clicked: ``index`` is its position."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.tabs: list[tuple[str, int | None]] = []
        self.active = 0
        self._spans: list[tuple[int, int]] = []  # (start, end) cell offsets of each tab
        self.progress: str | None = None  # a bulk write under way, shown after the tabs

    def show(self, tabs: Sequence[tuple[str, int | None]], active: int) -> None:
        """Names and counts (None: not counted yet), and which one is active."""
        self.tabs, self.active = list(tabs), active
        line = Text()
        self._spans = []
        for i, (name, count) in enumerate(self.tabs):
            if i:
                line.append(" │ ", style="dim")
            start = line.cell_len
            label = f" {name} {'…' if count is None else count} "
            # names come from the config or the person: never markup (Text.append is literal)
            line.append(label, style="bold reverse" if i == active else "")
            self._spans.append((start, line.cell_len))
        if self.progress:
            line.append(f"   ⇡ {self.progress}", style="bold")
        self.update(line, layout=False)

    def set_progress(self, text: str | None) -> None:
        """Show (or, with None, clear) a bulk write's progress after the tabs."""
        self.progress = text
        self.show(self.tabs, self.active)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for i, (start, end) in enumerate(self._spans):
            if start <= offset.x < end:
                self.post_message(self.Selected(i))
                return
