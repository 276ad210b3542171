"""A case's message thread: oldest → newest, customer and provider told apart by layout,
colour and a label; only the newest messages are mounted (older ones on request)."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from expereo_tui.api.models import CaseMessage, from_customer, from_provider
from expereo_tui.ui import themes
from expereo_tui.ui.format import ago, local_time
from expereo_tui.ui.retime import relative_next
from expereo_tui.ui.safe_text import safe

FIRST = 30  # messages mounted when a thread opens: more than the tallest screen shows, so a
# 2,000-message thread opens as fast as a 30-message one
EARLIER = 100  # more of the older messages for each `L`


def message_text(msg: CaseMessage, now: float) -> Text:
    provider = from_provider(msg.type)
    text = Text()
    if msg.type is not None and not provider and not from_customer(msg.type):
        # a message type the API added after us: shown as it came, neither side's
        text.append(f"◆ {safe(msg.type, one_line=True) or '?'}", style="bold")
    else:
        text.append(
            "◀ Expereo" if provider else "▶ You / your team",
            style=themes.style("message-provider" if provider else "message-customer"),
        )
    text.append("  ")
    text.append(safe(msg.sent_by, one_line=True) or "unknown sender", style="bold")
    text.append(f"  {local_time(msg.timestamp)}", style="dim")
    if msg.timestamp:
        text.append(f" ({ago(msg.timestamp, now)})", style="dim")
    text.append("\n")
    text.append(safe(msg.message))
    return text


class MessageView(Static):
    DEFAULT_CSS = """
    MessageView { padding: 0 1; margin: 0 0 1 0; width: 1fr; height: auto; }
    MessageView.provider { border-left: thick $message-provider; margin-right: 6; background: $boost; }
    MessageView.customer { border-left: thick $message-customer; margin-left: 6; }
    MessageView.pending { border-left: dashed $message-customer; margin-left: 6; color: $text-muted; }
    """


class ThreadView(VerticalScroll):
    """Show ``messages``; call :meth:`show` again with the full thread to update."""

    DEFAULT_CSS = """
    ThreadView { height: 1fr; }
    ThreadView > .earlier { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.window = FIRST
        self.shown_ids: list[str] = []
        self._drawn: list[tuple[MessageView, CaseMessage, str]] = []  # with the age it says

    def retime(self, now: float) -> float | None:
        """Draw again the messages whose age ("4m ago") reads differently at ``now``; when the
        next one will (None: no message shows an age)."""
        due: list[float] = []
        for i, (view, msg, said) in enumerate(self._drawn):
            if ago(msg.timestamp, now) != said:
                view.update(message_text(msg, now))
                self._drawn[i] = (view, msg, ago(msg.timestamp, now))
            if (at := relative_next(msg.timestamp, now)) is not None:
                due.append(at)
        return min(due, default=None)

    def show(self, messages: list[CaseMessage], now: float, total: int | None = None) -> None:
        """Show the newest ``window`` of ``messages``; ``total`` is the thread's full length
        when only its tail was read from the store."""
        visible = messages[-self.window :]
        ids = [m.id or str(i) for i, m in enumerate(visible)]
        at_end = self.scroll_y >= self.max_scroll_y - 1
        if ids[: len(self.shown_ids)] == self.shown_ids and self.shown_ids:
            new = visible[len(self.shown_ids) :]  # append only what is new
        else:
            self.remove_children()
            self._drawn = []
            new = visible
            hidden = (total if total is not None else len(messages)) - len(visible)
            if hidden:
                self.mount(
                    Static(
                        Text(f"… {hidden} earlier messages (press L to load)"), classes="earlier"
                    )
                )
        for msg in new:
            provider = from_provider(msg.type)
            view = MessageView(
                message_text(msg, now), classes="provider" if provider else "customer"
            )
            self._drawn.append((view, msg, ago(msg.timestamp, now)))
            self.mount(view)
        self.shown_ids = ids
        if new and (at_end or len(new) == len(visible)):
            self.call_after_refresh(self.scroll_end, animate=False)

    def load_earlier(self) -> None:
        """Show ``EARLIER`` more of the older messages (the screen re-reads the thread)."""
        self.window += EARLIER
        self.shown_ids = []
