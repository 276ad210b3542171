"""The reply-template picker: type to narrow (fuzzy), enter inserts the rendered text."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from expereo_tui.ui.widgets.in_order import Input

PREVIEW = 62  # cells of name and preview a line (the picker is 80 wide at most)


class TemplatePicker(ModalScreen[str | None]):
    """Templates by name, each with the start of its rendered text; returns the chosen name."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, rendered: dict[str, str]) -> None:
        super().__init__()
        self.rendered = rendered  # name -> text with the case's values filled in

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Insert a reply template")
            yield Input(placeholder="type to filter", id="template-filter")
            yield OptionList(id="templates")
            yield Static("enter insert · escape cancel", id="template-keys")

    def on_mount(self) -> None:
        self._fill("")

    def _fill(self, typed: str) -> None:
        """The templates that match ``typed``, best first (all, in config order, when empty)."""
        names = list(self.rendered)
        if typed.strip():
            matcher = Matcher(typed.strip())
            scored = [(matcher.match(f"{n} {self.rendered[n]}"), i, n) for i, n in enumerate(names)]
            names = [n for score, _, n in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
        options = self.query_one(OptionList)
        options.clear_options()
        for name in names:
            preview = " ".join(self.rendered[name].split())
            room = max(0, PREVIEW - len(name))  # one line each (the list wraps long options)
            if len(preview) > room:
                preview = preview[: max(0, room - 1)] + "…"
            label = Text(name, style="bold")  # literal: names and values are never markup
            label.append(f"  {preview}", style="dim")
            options.add_option(Option(label, id=name))
        if names:
            options.highlighted = 0

    @on(Input.Changed, "#template-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#template-filter")
    def _choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
