"""The inbox filter: status, priority and type, combinable (a modal over the inbox)."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, SelectionList

from expereo_tui.api.vocab import CaseStatus, CaseType, Priority
from expereo_tui.store.store import CaseQuery
from expereo_tui.ui.format import type_label
from expereo_tui.ui.widgets.toggles import GlyphCheckbox, GlyphSelectionList


class FilterScreen(ModalScreen[CaseQuery | None]):
    """Pick any combination; enter/ctrl+s applies, escape cancels.  A box reads ``X`` when
    chosen and blank when not (never by colour alone)."""

    CSS_PATH = "filter.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self, query: CaseQuery) -> None:
        super().__init__()
        self.initial = query

    def compose(self) -> ComposeResult:
        q = self.initial
        with Vertical():
            yield Label("Filter cases (space toggles, tab moves, ctrl+s applies)")
            with Horizontal():
                yield GlyphSelectionList[str](
                    *[(s.value, s.value, s.value in q.statuses) for s in CaseStatus], id="statuses"
                )
                yield GlyphSelectionList[str](
                    *[(p.value, p.value, p.value in q.priorities) for p in Priority],
                    id="priorities",
                )
                yield GlyphSelectionList[str](
                    *[(type_label(t), t.value, t.value in q.types) for t in CaseType], id="types"
                )
            yield GlyphCheckbox("Unread only", q.unread_only, id="unread")
            with Horizontal(id="buttons"):
                yield Button("Clear", id="clear")
                yield Button("Apply", variant="primary", id="apply")

    def on_mount(self) -> None:
        self.query_one("#statuses").border_title = "Status"
        self.query_one("#priorities").border_title = "Priority"
        self.query_one("#types").border_title = "Type"
        self.query_one("#statuses").focus()

    def _result(self) -> CaseQuery:
        def chosen(name: str) -> frozenset[str]:
            return frozenset(self.query_one(f"#{name}", SelectionList).selected)

        return replace(
            self.initial,
            statuses=chosen("statuses"),
            priorities=chosen("priorities"),
            types=chosen("types"),
            unread_only=self.query_one("#unread", Checkbox).value,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "clear":
            for name in ("statuses", "priorities", "types"):
                self.query_one(f"#{name}", SelectionList).deselect_all()
            self.query_one("#unread", Checkbox).value = False
        else:
            self.action_apply()

    def action_apply(self) -> None:
        self.dismiss(self._result())

    def action_cancel(self) -> None:
        self.dismiss(None)
