"""The row of view tabs above the inbox: each view's name and its count, the active one marked.

The widget owns the views (as Textual's ``Tabs`` owns ``active``): the list, the active one,
each tab's query as it was last left, and each tab's count.  It reports clicks; the inbox screen
coordinates (it counts the views and switches the table's query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from expereo_tui.store.query import CaseQuery

INBOX, SNOOZED = "inbox", "snoozed"


@dataclass(frozen=True)
class InboxView:
    """A tab: its name, its query, and what it is (``inbox``, ``config``, ``saved``,
    ``snoozed``)."""

    name: str
    query: CaseQuery
    kind: str


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
        self.views: list[InboxView] = []
        self.queries: dict[int, CaseQuery] = {}  # each tab's query as last left
        self.counts: dict[int, int] = {}
        self._spans: list[tuple[int, int]] = []  # (start, end) cell offsets of each tab
        self.progress: str | None = None  # a bulk write under way, shown after the tabs

    @property
    def view(self) -> InboxView:
        """The active view."""
        return self.views[self.active] if self.views else InboxView("Inbox", CaseQuery(), "")

    def query_of(self, index: int) -> CaseQuery:
        """A tab's query: as it was last left, else the view's own."""
        return self.queries.get(index, self.views[index].query)

    def switch(self, index: int, leaving: CaseQuery) -> CaseQuery | None:
        """Make ``index`` active, remembering ``leaving`` (the active tab's query as shown);
        the query to show now, or None when there is nothing to switch to."""
        if not self.views or index == self.active:
            return None
        self.queries[self.active] = leaving
        self.active = index
        return self.query_of(index)

    def put_saved(self, view: InboxView) -> int:
        """A view saved in the app: replaces the one of its name, else goes before Snoozed.
        Its index; every count is taken again."""
        existing = next((i for i, v in enumerate(self.views) if v.name == view.name), None)
        if existing is None:
            self.views.insert(len(self.views) - 1, view)
            existing = len(self.views) - 2
        else:
            self.views[existing] = view
        self.queries.pop(existing, None)
        self.counts.clear()
        return existing

    def remove_active(self) -> CaseQuery:
        """Remove the active view and go back to the first; the query to show."""
        del self.views[self.active]
        self.queries, self.counts, self.active = {}, {}, 0
        return self.views[0].query

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
