"""Small modals: confirm, go to a case by id, and the help screen."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from expereo_tui.ui.widgets.in_order import Input


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y``/enter confirm, ``n``/escape decline."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No")]

    def __init__(self, question: str, yes: str = "Quit", no: str = "Stay") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            # a Static wraps: the whole question reads at 80 columns (a Label was cut)
            yield Static(self.question, markup=False, id="question")
            with Horizontal():
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class GotoCaseScreen(ModalScreen[str | None]):
    """Type a case id (or part of it) and press enter."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to case")
            yield Input(placeholder="CS-1000042", id="case-id")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(
        self,
        keys: dict[str, str] | None = None,
        *,
        read_only: str | None = None,
        commands: dict[str, Any] | None = None,
        sections: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.sections = sections  # only these (the wall's help), or every section
        self.keys = dict(keys or {})  # the profile's rebound keys: shown in place of defaults
        self.read_only = read_only  # why writes are off (their keys are left out), or None
        self.commands = dict(commands or {})  # the profile's own [commands]

    def compose(self) -> ComposeResult:
        from expereo_tui.keymap import help_text  # drawn from keymap.ACTIONS, rebinds applied

        text = help_text(self.keys, read_only=self.read_only, sections=self.sections)
        if self.commands:  # the profile's own commands, on the selected case
            width = max(len(c.key) for c in self.commands.values())
            lines = [
                f"  {c.key:<{width}}  {name}: {c.description or ' '.join(c.argv)}"
                for name, c in self.commands.items()
            ]
            head = "Your commands (on the selected case; the profile's [commands])\n"
            text = head + "\n".join(lines) + "\n\n" + text  # first: they are yours
        with VerticalScroll():
            yield Static(text, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
