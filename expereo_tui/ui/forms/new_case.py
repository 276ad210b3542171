"""A new case: service, type → allowed priorities and subjects, incident window, first message.
Validated as you type, autosaved as a draft, sent through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Footer, Label, Select, Static

from expereo_tui.api.models import (
    ALLOWED_PRIORITIES,
    ALLOWED_SUBJECTS,
    DEFAULT_PRIORITY,
    CaseCreate,
    CaseType,
    ModelError,
    write_problems,
)
from expereo_tui.shift.timeparse import parse_when
from expereo_tui.store.errors import StoreError
from expereo_tui.store.outbox_types import PENDING, AlreadyQueued
from expereo_tui.sync.events import OutboxChanged, OutboxStatus, SyncEvent
from expereo_tui.triage.labels import subject_label
from expereo_tui.ui import themes
from expereo_tui.ui.editor import edit_in_editor
from expereo_tui.ui.format import local_time
from expereo_tui.ui.forms.field_words import in_words
from expereo_tui.ui.forms.service_picker import ServicePicker, service_label
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.store_notices import error_line
from expereo_tui.ui.widgets.in_order import Input, TextArea
from expereo_tui.ui.widgets.news_line import NewsLine
from expereo_tui.ui.widgets.status_bar import StatusBar

FIELDS = (
    "serviceId",
    "type",
    "priority",
    "subject",
    "startOfIncident",
    "endOfIncident",
    "customerReference",
    "message",
)


class NewCaseScreen(AppScreen[None]):
    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Create case", id="new_case.submit"),
        Binding("escape", "close", "Close (draft kept)", id="new_case.close"),
        # priority: the message's TextArea binds ctrl+e to "end of line" and would take it first
        Binding("ctrl+e", "editor", "$EDITOR", id="new_case.editor", priority=True),
    ]

    def __init__(
        self, service_id: str | None = None, *, prefill: dict[str, Any] | None = None
    ) -> None:
        """``prefill``: form values to start from when there is no draft (e.g. a follow-up to
        a closed case)."""
        super().__init__()
        self.service_id = service_id
        self.prefill = prefill or {}
        self.draft_key = f"new:{service_id}" if service_id else "new"
        self.entry_id: int | None = None
        self.created: str | None = None
        self.done = False  # sent once: the form is read-only
        self.server_errors: dict[str, list[str]] = {}
        self._save_timer: Timer | None = None
        self._ready = False

    def _lacks_priority(self) -> bool:
        """The profile's API (V1) sets no priority on create."""
        engine = self.xapp.engine
        return engine is not None and "priority" not in engine.features

    def compose(self) -> ComposeResult:
        draft = self.xapp.store.drafts.load_draft(self.draft_key) or self.prefill
        ctype = str(draft.get("type") or CaseType.INCIDENT)
        if ctype not in ALLOWED_PRIORITIES:
            ctype = CaseType.INCIDENT
        yield Static(id="banner")
        with VerticalScroll(id="form"):
            yield Label("New case", classes="title")
            yield Label("Service")
            yield ServicePicker(
                self.xapp.store,
                safe(str(draft.get("serviceId") or self.service_id or ""), one_line=True) or None,
                id="service",
            )
            yield Static(classes="hint", id="service-label")
            yield Static(classes="error", id="err-serviceId")
            with Horizontal(classes="row"):
                yield Select(
                    [
                        ("Incident", CaseType.INCIDENT.value),
                        ("General Request", CaseType.NON_INCIDENT.value),
                    ],
                    value=ctype,
                    allow_blank=False,
                    id="type",
                    prompt="Type",
                )
                priority = Select(
                    self._priorities(ctype),
                    value=self._pick(
                        draft.get("priority"), ALLOWED_PRIORITIES[ctype], DEFAULT_PRIORITY
                    ),
                    allow_blank=False,
                    id="priority",
                )
                priority.display = not self._lacks_priority()
                yield priority
                yield Select(
                    self._subjects(ctype),
                    value=self._pick(
                        draft.get("subject"), ALLOWED_SUBJECTS[ctype], ALLOWED_SUBJECTS[ctype][0]
                    ),
                    allow_blank=False,
                    id="subject",
                )
            if self._lacks_priority():
                yield Static(
                    Text("API V1 takes no priority on a new case: expereo sets it.", style="dim"),
                    classes="hint",
                    id="no-priority",
                )
            for name in ("type", "priority", "subject"):
                yield Static(classes="error", id=f"err-{name}")
            with Horizontal(classes="row incident"):
                yield Input(
                    safe(str(draft.get("start") or "now"), one_line=True),
                    id="start",
                    placeholder="start: now, -30m, -2h, 14:00, ISO 8601",
                )
                yield Input(
                    safe(str(draft.get("end") or ""), one_line=True),
                    id="end",
                    placeholder="end: empty = ongoing",
                )
            yield Static(classes="hint incident", id="when")
            yield Static(classes="error", id="err-startOfIncident")
            yield Static(classes="error", id="err-endOfIncident")
            yield Input(
                safe(str(draft.get("customerReference") or ""), one_line=True),
                id="reference",
                placeholder="your reference (optional), e.g. INC0012345",
            )
            yield Static(classes="error", id="err-customerReference")
            yield Label("First message")
            yield TextArea(safe(str(draft.get("message") or "")), id="message", soft_wrap=True)
            yield Static(classes="error", id="err-message")
            yield Static(id="form-status")
        yield NewsLine()  # the app's news: never a toast over a field
        yield StatusBar()
        yield Footer()

    @staticmethod
    def _pick(value: Any, allowed: tuple[str, ...], default: str) -> str:
        return str(value) if value in allowed else default

    @staticmethod
    def _priorities(ctype: str) -> list[tuple[str, str]]:
        return [(p, p) for p in ALLOWED_PRIORITIES[ctype]]

    @staticmethod
    def _subjects(ctype: str) -> list[tuple[str, str]]:
        return [(subject_label(s), s) for s in ALLOWED_SUBJECTS[ctype]]

    def on_mount(self) -> None:
        self.xapp.paint_banner(self.query_one("#banner", Static))
        for widget_id, title in (
            ("#type", "Type"),
            ("#priority", "Priority"),
            ("#subject", "Subject"),
            ("#start", "Start of incident"),
            ("#end", "End of incident"),
            ("#reference", "Customer reference"),
        ):
            self.query_one(widget_id).border_title = title
        self.query_one("#type", Select).focus() if self.service_id else self.query_one(
            "#service-search", Input
        ).focus()
        self._ready = True
        self.validate()

    # -- values -------------------------------------------------------------------------------
    def form_values(self) -> dict[str, Any]:
        return {
            "serviceId": self.query_one(ServicePicker).service_id,
            "type": self.query_one("#type", Select).value,
            "priority": self.query_one("#priority", Select).value,
            "subject": self.query_one("#subject", Select).value,
            "start": self.query_one("#start", Input).value,
            "end": self.query_one("#end", Input).value,
            "customerReference": self.query_one("#reference", Input).value,
            "message": self.query_one("#message", TextArea).text,
        }

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The camelCase create body and the problems with what is typed."""
        values = self.form_values()
        errors: dict[str, str] = {}
        body: dict[str, Any] = {
            k: values[k] for k in ("subject", "type", "serviceId", "message", "priority")
        }
        if self._lacks_priority():
            del body["priority"]
        if values["customerReference"].strip():
            body["customerReference"] = values["customerReference"].strip()
        if not (body["serviceId"] or "").strip():
            body["serviceId"] = None
        if values["type"] == CaseType.INCIDENT:
            now = datetime.fromtimestamp(self.xapp.now(), UTC)
            for key, field in (("start", "startOfIncident"), ("end", "endOfIncident")):
                text = values[key].strip()
                if not text:
                    body[field] = None
                    continue
                try:
                    body[field] = parse_when(text, now).astimezone(UTC).isoformat()
                except ValueError as exc:
                    errors[field] = str(exc)
                    body[field] = None if key == "end" else "invalid"
            if "startOfIncident" in errors:
                body.pop("startOfIncident")
        for violation in write_problems(CaseCreate, body):
            errors.setdefault(violation.field, violation.message)
        return body, errors

    def validate(self) -> bool:
        body, errors = self.body()
        incident = body.get("type") == CaseType.INCIDENT
        for widget in self.query(".incident"):
            widget.display = incident
        when = Text()
        if incident and body.get("startOfIncident") and "startOfIncident" not in errors:
            start = datetime.fromisoformat(body["startOfIncident"])
            when.append(f"start {local_time(start)} (local)")
            end = body.get("endOfIncident")
            when.append(
                f" · end {local_time(datetime.fromisoformat(end))}"
                if end
                else " · end: ongoing (sent = start)"
            )
        self.query_one("#when", Static).update(when)
        for field in FIELDS:
            messages = [errors[field]] if field in errors else []
            messages += self.server_errors.get(field, [])
            error = self.query_one(f"#err-{field}", Static)
            error.update(
                Text(
                    "\n".join(safe(in_words(m)) for m in messages),
                    style=themes.style("send-invalid"),
                )
            )
            error.display = bool(messages)
        picker = self.query_one(ServicePicker)
        service = (
            self.xapp.store.inventory.service(picker.service_id) if picker.service_id else None
        )
        self.query_one("#service-label", Static).update(
            service_label(service, self.xapp.store)
            if service
            else Text("type to search, ↓ to pick", style="dim")
        )
        return not errors

    # -- events ---------------------------------------------------------------------------------
    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        ctype = str(event.value)
        if ctype not in ALLOWED_PRIORITIES:
            return
        priority = self.query_one("#priority", Select)
        subject = self.query_one("#subject", Select)
        old_p, old_s = priority.value, subject.value
        priority.set_options(self._priorities(ctype))
        subject.set_options(self._subjects(ctype))
        priority.value = self._pick(old_p, ALLOWED_PRIORITIES[ctype], DEFAULT_PRIORITY)
        subject.value = self._pick(old_s, ALLOWED_SUBJECTS[ctype], ALLOWED_SUBJECTS[ctype][0])
        if self._ready and isinstance(old_p, str) and old_p != priority.value:
            allowed = ALLOWED_PRIORITIES[ctype]
            self.notify(
                f"Priority changed from {old_p} to {priority.value}: a "
                f"{CaseType(ctype).label} takes {allowed[0]} to {allowed[-1]}.",
                title="Priority changed",
                timeout=6,
            )
        self._changed()

    @on(Select.Changed, "#priority, #subject")
    @on(Input.Changed, "#start, #end, #reference")
    @on(TextArea.Changed, "#message")
    @on(ServicePicker.Picked)
    def _changed(self) -> None:
        if not self._ready:
            return
        self.server_errors = {}
        self.validate()
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.5, self.flush)

    def flush(self) -> None:
        """Save what is typed as the draft (never lose a form).  Not while it is being sent
        or once it was: the form then holds what was sent, and a draft of it would send it
        again."""
        if self.done or self._pending():
            return
        values = self.form_values()
        if (
            any(str(values[k] or "").strip() for k in ("message", "customerReference"))
            or values["serviceId"]
        ):
            self.xapp.store.drafts.save_draft(self.draft_key, values)

    def action_submit(self) -> None:
        status = self.query_one("#form-status", Static)
        if self.done:  # submitted once: a second ctrl+s creates nothing
            status.update(self._created_text())
            return
        if self._pending():
            status.update(
                Text(f"already sending (#{self.entry_id}); nothing new is sent", style="bold")
            )
            return
        body, errors = self.body()
        if errors:
            self.validate()
            status.update(
                Text("Not sent: fix the fields marked above.", style=themes.style("send-failed"))
            )
            return
        engine = self.xapp.engine
        if engine is None:
            status.update(Text("Offline viewing: cannot send. The draft is kept.", style="bold"))
            return
        try:
            model = CaseCreate.model_validate(
                {k: v for k, v in body.items() if v is not None or k == "endOfIncident"}
            )
        except ModelError as exc:
            msg = in_words(str(exc.errors()[0]["msg"]).removeprefix("Value error, "))
            status.update(Text(f"Not sent: {safe(msg)}", style=themes.style("send-failed")))
            return
        if self._lint_first(str(body.get("message") or "")):  # triage: a dialog asks first
            return
        self.flush()
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        try:
            self.entry_id = engine.create_case(model, draft_key=self.draft_key)
        except StoreError as exc:  # disk full: not queued; the form and its draft are kept
            status.update(Text(f"Not queued ({error_line(exc)}); the draft is kept."))
            return
        except AlreadyQueued as exc:  # queued by another instance from the same draft
            self.entry_id = exc.entry_id
            status.update(Text(f"already sending (#{exc.entry_id})", style="bold"))
            return
        self._lock(True)  # what is on screen is what is being sent
        status.update(
            Text(
                f"queued (#{self.entry_id}): sending to expereoOne…",
                style=themes.style("send-queued"),
            )
        )

    def _lint_first(self, message: str) -> bool:
        """Pre-send lint (send_check.py): True when a dialog now asks about what looks like a
        credential; ctrl+s runs again only if the answer is to send."""
        from expereo_tui.ui.screens.send_check import (
            SendCheckScreen,
            lint_findings,
            lint_report,
        )

        if getattr(self, "_lint_confirmed", None) == message:
            return False
        findings = lint_findings(message, self.xapp.options.client_secret_matcher)
        if not findings:
            return False

        def answer(send: bool | None) -> None:
            if send:
                self._lint_confirmed = message
                self.action_submit()

        self.app.push_screen(
            SendCheckScreen(
                lint_report(findings), send="Send anyway", back="Keep editing", enter_sends=False
            ),
            answer,
        )
        return True

    def _lock(self, disabled: bool) -> None:
        for widget in self.query("#form Input, #form Select, #form TextArea"):
            widget.disabled = disabled
        if disabled:
            self.set_focus(None)

    def _pending(self) -> bool:
        if self.entry_id is None:
            return False
        entry = self.xapp.store.outbox.outbox_entry(self.entry_id)
        return entry is not None and entry.status in PENDING

    def _created_text(self) -> Text:
        if not self.created:  # accepted without an id (an empty answer, not found yet)
            return Text("Created; it appears in the inbox with the next refresh · escape closes")
        return Text(
            f"Created {safe(self.created)}: enter opens it · escape closes",
            style=themes.style("send-sent"),
        )

    def sync_event(self, event: SyncEvent) -> None:
        if not isinstance(event, OutboxChanged) or event.entry_id != self.entry_id:
            return
        status = self.query_one("#form-status", Static)
        if event.status == OutboxStatus.SENT:
            self.done = True
            self.created = event.result_id
            self._lock(True)  # the form is done: read-only, enter opens the case
            status.update(self._created_text())
        elif event.status == OutboxStatus.FAILED:
            self._lock(False)
            self.server_errors = dict(event.field_errors)
            self.validate()
            status.update(
                Text(
                    f"Rejected: {safe(in_words(event.error or ''))}. Fix and press ctrl+s again; "
                    "nothing typed is lost.",
                    style=themes.style("send-failed"),
                )
            )
            self.flush()
        elif event.status == OutboxStatus.QUEUED and event.error:
            status.update(
                Text(f"queued, will retry: {safe(event.error)}", style=themes.style("send-sending"))
            )
        else:
            status.update(Text(str(event.status), style=themes.style("send-queued")))

    def key_enter(self) -> None:
        if self.created:
            created = self.created
            self.app.pop_screen()
            self.xapp.action_open_case(created)

    def action_editor(self) -> None:
        """Edit the first message in $VISUAL/$EDITOR (app suspended); elsewhere ctrl+e is the
        field's own key (end of line)."""
        message = self.query_one("#message", TextArea)
        if self.focused is not message or message.read_only:
            raise SkipAction()
        result = edit_in_editor(self.app, message.text)
        if result.text is not None:
            message.load_text(safe(result.text))
            message.move_cursor(message.document.end)
            self._changed()
        elif result.problem:
            self.query_one("#form-status", Static).update(Text(result.problem, style="bold"))

    def action_close(self) -> None:
        self.flush()
        self.app.pop_screen()
