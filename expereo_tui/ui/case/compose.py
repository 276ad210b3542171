"""The compose panel under a thread: a multi-line reply, autosaved as a draft, sent through the
outbox, with a line per outgoing message (queued / sending / sent / failed: reason)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from expereo_tui.sync.events import OutboxStatus
from expereo_tui.ui import themes
from expereo_tui.ui.editor import edit_in_editor
from expereo_tui.ui.forms.field_words import field_label, in_words
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.widgets.in_order import TextArea

_STATUS_ROLE = {  # colours from the theme (ui/themes.py)
    OutboxStatus.QUEUED: "send-queued",
    OutboxStatus.SENDING: "send-sending",
    OutboxStatus.SENT: "send-sent",
    OutboxStatus.FAILED: "send-failed",
}


class ComposePanel(Vertical):
    """Emits :class:`ComposePanel.SendRequested`; the screen decides what sending means."""

    DEFAULT_CSS = """
    ComposePanel { height: auto; max-height: 50%; border-top: solid $accent; }
    ComposePanel TextArea { height: auto; min-height: 1; max-height: 33vh;
                            border: none; border-left: outer $accent 50%; padding: 0 1; }
    ComposePanel TextArea:focus { border: none; border-left: outer $accent; }
    ComposePanel #compose-hint { height: 1; color: $text-muted; padding: 0 1; }
    ComposePanel #compose-status { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="compose.send"),
        # priority: the TextArea binds ctrl+e to "end of line" and would take it first
        Binding("ctrl+e", "editor", "$EDITOR", id="compose.editor", priority=True),
    ]

    class SendRequested(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class DraftChanged(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, text: str = "", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.initial = safe(text)  # drafts may hold text that came from the API
        self.lines: dict[int, Text] = {}
        self._save_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            Text("Reply — ctrl+s send · ctrl+e $EDITOR · escape back to the thread"),
            id="compose-hint",
        )
        yield TextArea(self.initial, id="reply", soft_wrap=True, show_line_numbers=False)
        yield Static(id="compose-status")

    @property
    def area(self) -> TextArea:
        return self.query_one("#reply", TextArea)

    @property
    def text(self) -> str:
        return self.area.text

    def set_text(self, text: str) -> None:
        self.area.load_text(safe(text))
        self.area.move_cursor(self.area.document.end)

    @on(TextArea.Changed, "#reply")
    def _changed(self) -> None:
        # autosave once typing pauses (and on leave/quit: the screen flushes)
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.5, self.flush_draft)

    def flush_draft(self) -> None:
        self._save_timer = None
        self.post_message(self.DraftChanged(self.text))

    def action_send(self) -> None:
        self.post_message(self.SendRequested(self.text))

    def note(self, message: str, style: str | Style | None = None) -> None:
        self.lines[-1] = Text(message, style=style or themes.style("attention"))
        self._paint()

    def outbox_status(
        self,
        entry_id: int,
        status: OutboxStatus,
        error: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ) -> None:
        if status == OutboxStatus.QUEUED and not error:
            self.lines.pop(-1, None)  # a new send: the last note is done with
        line = Text(f"reply #{entry_id}: ", style="dim")
        line.append(
            str(status), style=themes.style(_STATUS_ROLE[status]) if status in _STATUS_ROLE else ""
        )
        if error:
            line.append(f": {safe(in_words(error), one_line=True)}")
        for field, msgs in (field_errors or {}).items():
            words = in_words("; ".join(msgs))
            line.append(
                f"  [{field_label(field) or 'reply'}] {safe(words, one_line=True)}",
                style=themes.style("send-invalid"),
            )
        self.lines[entry_id] = line
        self._paint()

    def _paint(self) -> None:
        out = Text()
        for key in sorted(self.lines)[-4:]:
            if out:
                out.append("\n")
            out.append_text(self.lines[key])
        self.query_one("#compose-status", Static).update(out)

    def action_editor(self) -> None:
        """Edit the reply in $VISUAL/$EDITOR with the app suspended."""
        result = edit_in_editor(self.app, self.text)
        if result.text is not None:
            self.set_text(result.text)
            self.flush_draft()
        elif result.problem:
            self.note(result.problem)
