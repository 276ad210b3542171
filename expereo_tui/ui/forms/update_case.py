"""Update a case: what a customer may change (customer reference, priority within the type's
range, closing a resolved case).  Only changed fields are sent."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, Footer, Label, Select, Static

from expereo_tui.api.models import ALLOWED_PRIORITIES, CaseStatus, CaseUpdate, check_case_update
from expereo_tui.store.errors import StoreError
from expereo_tui.store.outbox_types import PENDING, AlreadyQueued
from expereo_tui.sync.events import OutboxChanged, OutboxStatus, SyncEvent
from expereo_tui.ui import themes
from expereo_tui.ui.forms.field_words import in_words
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.store_notices import error_line
from expereo_tui.ui.widgets.in_order import Input
from expereo_tui.ui.widgets.news_line import NewsLine
from expereo_tui.ui.widgets.status_bar import StatusBar
from expereo_tui.ui.widgets.toggles import GlyphCheckbox


class UpdateCaseScreen(AppScreen[None]):
    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Save changes", id="update_case.submit"),
        Binding("escape", "close", "Close (draft kept)", id="update_case.close"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.draft_key = f"update:{case_id}"
        self.entry_id: int | None = None
        self.saved = False
        self._ready = False

    def _lock(self, disabled: bool) -> None:
        resolved = bool(self.case and self.case.status == CaseStatus.RESOLVED)
        for widget in self.query("#form Input, #form Select, #form Checkbox"):
            widget.disabled = disabled or (widget.id == "close" and not resolved)
        if disabled:
            self.set_focus(None)

    def _pending(self) -> bool:
        if self.entry_id is None:
            return False
        entry = self.xapp.store.outbox.outbox_entry(self.entry_id)
        return entry is not None and entry.status in PENDING

    def _reference_only(self) -> bool:
        """The profile's API (V1) can set the reference, not the priority or the status."""
        engine = self.xapp.engine
        return engine is not None and not {"priority", "status"} <= engine.features

    def compose(self) -> ComposeResult:
        case = self.xapp.store.cases.case(self.case_id)
        draft = self.xapp.store.drafts.load_draft(self.draft_key) or {}
        self.case = case
        ctype = case.type if case else None
        priorities = ALLOWED_PRIORITIES.get(ctype or "", ("P1", "P2", "P3", "P4", "P5"))
        current_p = draft.get("priority") or (case.priority if case else None)
        yield Static(id="banner")
        with VerticalScroll(id="form"):
            yield Label(f"Update case {self.case_id}", classes="title")
            yield Label("Customer reference (your ticket id)")
            yield Input(
                safe(
                    str(
                        draft.get(
                            "customerReference", (case.customer_reference if case else "") or ""
                        )
                    ),
                    one_line=True,
                ),
                id="reference",
            )
            yield Static(classes="error", id="err-customerReference")
            if self._reference_only():
                yield Static(
                    Text("API V1 can set only the reference: no priority or status.", style="dim"),
                    classes="hint",
                    id="reference-only",
                )
            yield Label("Priority", id="priority-label")
            yield Select(
                [(p, p) for p in priorities],
                value=current_p if current_p in priorities else priorities[-1],
                allow_blank=False,
                id="priority",
            )
            yield Static(classes="error", id="err-priority")
            resolved = bool(case and case.status == CaseStatus.RESOLVED)
            yield GlyphCheckbox(
                "Close this case",
                bool(draft.get("status") == "Closed") and resolved,
                id="close",
                disabled=not resolved,
            )
            if not resolved:
                yield Static(
                    Text(
                        f"Only a Resolved case can be closed (this one is "
                        f"{case.status if case else 'unknown'}).",
                        style="dim",
                    ),
                    classes="hint",
                    id="close-hint",
                )
            yield Static(classes="error", id="err-status")
            yield Static(classes="error", id="err-")
            yield Static(id="form-status")
        yield NewsLine()  # the app's news: never a toast over a field
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.xapp.paint_banner(self.query_one("#banner", Static))
        self.query_one("#reference", Input).focus()
        if self._reference_only():
            for widget in self.query("#priority-label, #priority, #close, #close-hint"):
                widget.display = False
        self._show_errors({})
        self._ready = True

    def changes(self) -> dict[str, Any]:
        """Only what differs from the case as stored."""
        case = self.case
        out: dict[str, Any] = {}
        ref = self.query_one("#reference", Input).value.strip()
        if case is None or ref != (case.customer_reference or ""):
            out["customerReference"] = ref or None
        if self._reference_only():
            return out
        prio = self.query_one("#priority", Select).value
        if case is None or prio != case.priority:
            out["priority"] = prio
        if self.query_one("#close", Checkbox).value:
            out["status"] = CaseStatus.CLOSED.value
        return out

    def _show_errors(self, errors: dict[str, list[str]]) -> None:
        for field in ("customerReference", "priority", "status", ""):
            error = self.query_one(f"#err-{field}", Static)
            messages = [safe(in_words(m)) for m in errors.get(field, [])]
            error.update(Text("\n".join(messages), style=themes.style("send-invalid")))
            error.display = bool(errors.get(field))

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        if not self._ready:
            return
        body = self.changes()
        errors: dict[str, list[str]] = {}
        for v in check_case_update(self.case.type if self.case else None, body):
            errors.setdefault(v.field, []).append(v.message)
        self._show_errors(errors)
        if body:
            self.xapp.store.drafts.save_draft(
                self.draft_key,
                {
                    "customerReference": self.query_one("#reference", Input).value,
                    "priority": self.query_one("#priority", Select).value,
                    "status": body.get("status"),
                },
            )
        else:
            self.xapp.store.drafts.delete_draft(self.draft_key)

    def action_submit(self) -> None:
        status = self.query_one("#form-status", Static)
        if self.saved:  # submitted once: a second ctrl+s sends nothing
            status.update(Text("Saved: escape closes.", style=themes.style("send-sent")))
            return
        if self._pending():
            status.update(
                Text(f"already sending (#{self.entry_id}); nothing new is sent", style="bold")
            )
            return
        body = self.changes()
        if not body:
            status.update(Text("Nothing changed.", style="bold"))
            return
        problems = check_case_update(self.case.type if self.case else None, body)
        if problems:
            self._show_errors({p.field: [p.message] for p in problems})
            status.update(
                Text("Not sent: fix the fields marked above.", style=themes.style("send-failed"))
            )
            return
        engine = self.xapp.engine
        if engine is None:
            status.update(Text("Offline viewing: cannot send. The draft is kept.", style="bold"))
            return
        update = CaseUpdate.model_validate(body)
        try:
            self.entry_id = engine.update_case(self.case_id, update, draft_key=self.draft_key)
        except StoreError as exc:  # disk full: not queued; the form and its draft are kept
            status.update(Text(f"Not queued ({error_line(exc)}); the draft is kept."))
            return
        except AlreadyQueued as exc:  # queued by another instance from the same draft
            self.entry_id = exc.entry_id
            status.update(Text(f"already sending (#{exc.entry_id})", style="bold"))
            return
        self._lock(True)  # what is on screen is what is being sent
        status.update(Text(f"queued (#{self.entry_id})…", style=themes.style("send-queued")))

    def sync_event(self, event: SyncEvent) -> None:
        if not isinstance(event, OutboxChanged) or event.entry_id != self.entry_id:
            return
        status = self.query_one("#form-status", Static)
        if event.status == OutboxStatus.SENT:
            self.case = self.xapp.store.cases.case(self.case_id)
            self.saved = True
            self._lock(True)  # done: read-only until the form is opened again
            status.update(Text("Saved: escape closes.", style=themes.style("send-sent")))
        elif event.status == OutboxStatus.FAILED:
            self._lock(False)
            self._show_errors(event.field_errors)
            status.update(
                Text(
                    f"Rejected: {safe(in_words(event.error or ''))}",
                    style=themes.style("send-failed"),
                )
            )
        else:
            status.update(
                Text(
                    f"{event.status}{': ' + safe(event.error) if event.error else ''}",
                    style=themes.style("send-queued"),
                )
            )

    def action_close(self) -> None:
        self.app.pop_screen()
