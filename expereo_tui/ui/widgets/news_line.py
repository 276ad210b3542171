"""A screen's news line: the app's notifications as one line above the status bar, instead of
toasts, on screens where a toast would lie over what the person is typing (the case forms).

``ExpereoApp.notify`` sends a notification here when the active screen has a ``NewsLine``:
``14:02 expereo: New P1 case CS-1 … · New P1 case CS-2 …``, for as long as a toast would
show, then the line is empty again (its height stays, so the form never moves)."""

from __future__ import annotations

from datetime import datetime

from rich.errors import MarkupError
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

NEWS_SECONDS = 8.0  # a toast's own default is 5 s; one line is easier to miss


def news_text(
    message: str, *, title: str = "", severity: str = "information", markup: bool, now: float
) -> Text | None:
    """A notification as one line, ``14:02 expereo: New P1 case CS-1 … · …`` (None: empty):
    the forms' news line and the wall's footer say it the same way.  ``markup`` is the app's
    own text; the API's comes with ``markup=False`` and is shown as it came."""
    if markup:
        try:
            message = Text.from_markup(message).plain
        except MarkupError:
            pass
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if not lines:
        return None
    line = Text(datetime.fromtimestamp(now).strftime("%H:%M "), style="bold")
    line.append(f"{title}: " if title else "", style="dim")
    line.append(" · ".join(lines), style="bold" if severity in ("warning", "error") else "")
    return line


class NewsLine(Static):
    DEFAULT_CSS = """
    NewsLine { height: 1; padding: 0 1; color: $text; background: $boost; }
    NewsLine.-warning { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id, markup=False)
        self._clear: Timer | None = None

    def tell(
        self,
        message: str,
        *,
        title: str = "",
        severity: str = "information",
        timeout: float | None = None,
        markup: bool = False,
        now: float,
    ) -> None:
        """Show ``message`` (the API's text is never markup: ``markup`` is the app's own)."""
        line = news_text(message, title=title, severity=severity, markup=markup, now=now)
        if line is None:
            return
        line.truncate(max(1, self.size.width - 2) if self.size.width else 200, overflow="ellipsis")
        self.update(line)
        self.set_class(severity in ("warning", "error"), "-warning")
        if self._clear is not None:
            self._clear.stop()
        self._clear = self.set_timer(timeout or NEWS_SECONDS, self._cleared)

    def _cleared(self) -> None:
        self._clear = None
        self.update("")
        self.remove_class("-warning")
