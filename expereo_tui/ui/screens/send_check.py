"""The checks before a message goes out, and the dialog that asks about what they found.

- **Lint** (reply and new case): lines that look like credentials, shown masked; ``y`` sends
  anyway, ``n``/escape goes back to editing (the default: the safe answer is the easy one).
- **Conflict** (reply): the provider wrote, or the status changed, since the draft was
  started; the new messages are shown above the reply; enter sends, escape goes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from expereo_tui.api.vocab import from_customer
from expereo_tui.triage.conflict import Conflict
from expereo_tui.triage.lint import KIND, Finding, lint
from expereo_tui.ui.safe_text import literal


def lint_findings(text: str, is_client_secret: Callable[[str], bool] | None) -> list[Finding]:
    return lint(text, is_client_secret)


def lint_report(findings: Sequence[Finding]) -> Text:
    """What the lint dialog says: one line a finding, the line masked and shown literally."""
    text = Text("This message looks like it contains credentials:\n", style="bold")
    for f in findings[:8]:
        text.append(f"\nline {f.line_number}: {KIND.get(f.code, f.code)}\n")
        text.append("  ")
        text.append_text(literal(f.masked, one_line=True))
        text.append("\n")
    if len(findings) > 8:
        text.append(f"\n…and {len(findings) - 8} more lines\n")
    text.append("\nSend it anyway?")
    return text


def conflict_report(found: Conflict) -> Text:
    """What the conflict dialog says: the status change and the provider's new messages (as
    literal text), then the question."""
    text = Text("Since you started this reply:\n", style="bold")
    if found.status_change is not None:
        then, now = found.status_change
        text.append("\nthe status changed: ")
        text.append_text(literal(then or "?", one_line=True))
        text.append(" → ")
        text.append_text(literal(now or "?", one_line=True))
        text.append("\n")
    for message in found.new_messages[-3:]:
        ours = from_customer(message.type)  # team mode: a colleague replied meanwhile
        who = literal(
            message.sent_by or ("someone on your team" if ours else "Expereo"), one_line=True
        )
        text.append("\n▶ " if ours else "\n◀ ", style="bold")
        text.append_text(who)
        text.append(":\n")
        text.append_text(literal(message.message[:600]))
        text.append("\n")
    if len(found.new_messages) > 3:
        text.append(f"\n(and {len(found.new_messages) - 3} earlier new messages)\n")
    text.append("\nSend your reply as it is?  enter sends, escape goes back to editing.")
    return text


class SendCheckScreen(ModalScreen[bool]):
    """A question before sending: True sends, False goes back to editing."""

    CSS_PATH = "dialogs.tcss"

    def __init__(self, body: Text, *, send: str, back: str, enter_sends: bool) -> None:
        super().__init__()
        self.body, self.send, self.back, self.enter_sends = body, send, back, enter_sends

    BINDINGS = [
        Binding("escape,n", "back", "Back to editing"),
        Binding("y", "send", "Send"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="send-check"):
            with VerticalScroll(id="send-check-body"):
                yield Static(self.body, markup=False)
            with Horizontal():
                yield Button(f"{self.back} (esc)", id="back")
                yield Button(
                    f"{self.send} ({'enter' if self.enter_sends else 'y'})",
                    variant="warning",
                    id="send",
                )

    def on_mount(self) -> None:
        self.query_one("#send" if self.enter_sends else "#back").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "send")

    def action_send(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
