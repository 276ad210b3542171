"""One case: its fields, the whole thread, and the compose panel."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from expereo_tui.api.models import Case, repairs_of
from expereo_tui.store.errors import StoreError
from expereo_tui.store.outbox import OutboxEntry
from expereo_tui.store.outbox_types import PENDING, AlreadyQueued
from expereo_tui.sync.engine import CaseClosedError
from expereo_tui.sync.events import (
    CasesChanged,
    MessagesAdded,
    OutboxChanged,
    OutboxKind,
    OutboxStatus,
    SyncEvent,
)
from expereo_tui.sync.sender import CODE_CHECKING, CODE_DECIDE, CODE_READ_ONLY
from expereo_tui.triage.conflict import conflict, is_fresh
from expereo_tui.triage.labels import subject_label
from expereo_tui.ui import themes
from expereo_tui.ui.case.compose import ComposePanel
from expereo_tui.ui.case.thread_view import ThreadView
from expereo_tui.ui.format import (
    ago,
    incident_span,
    local_time,
    priority_text,
    status_text,
    type_label,
)
from expereo_tui.ui.retime import relative_next
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.screens.dialogs import ConfirmScreen
from expereo_tui.ui.shift.dialogs import PromptScreen, snooze_cases, snooze_label
from expereo_tui.ui.store_notices import error_line
from expereo_tui.ui.team_view import claim_text, presence_text
from expereo_tui.ui.widgets.in_order import TextArea
from expereo_tui.ui.widgets.status_bar import StatusBar


class CaseScreen(AppScreen[None]):
    CSS_PATH = "case.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="case.back"),
        # priority: it acts before the keys typed after it are routed (see on_key)
        Binding("r", "reply", "Reply", id="case.reply", priority=True),
        Binding("e", "update", "Update case", id="case.update"),
        Binding("n", "new_case", "New case", show=False, id="case.new_case"),
        Binding("y", "copy_id", "Copy id", show=False, id="case.copy_id"),
        Binding("m", "mark_unread", "Mark unread", show=False, id="case.mark_unread"),
        Binding("L", "load_earlier", "Earlier", show=False, id="case.earlier"),
        Binding("o", "open_portal", "Portal", show=False, id="case.portal"),
        Binding("P", "pin", "Pin note", show=False, id="case.pin"),
        Binding("z", "snooze", "Snooze", show=False, id="case.snooze"),
        Binding("t", "template", "Template", show=False, id="case.template"),
        Binding("ctrl+t", "template_in_box", "Template", show=False, id="case.template_in_box"),
        Binding("S", "send_again", "Send again", show=False, id="case.send_again"),
        Binding("D", "discard", "Discard", show=False, id="case.discard"),
        Binding("T", "claim", "Take", show=False, id="case.claim"),
    ]

    def __init__(self, case_id: str, *, reply: bool = False) -> None:
        super().__init__()
        self._send_confirmed: str | None = None  # the text a send-check dialog said to send
        self._lint_passed: str | None = None  # the text the lint dialog said to send anyway
        self.case_id = case_id
        self.focus_reply = reply
        # a reply was asked for and its box has no focus yet: keys typed meanwhile are its text
        self.reply_pending = reply
        self.draft_key = f"reply:{case_id}"
        self.my_entries: set[int] = set()
        self._header_times: list[datetime | None] = []  # the header's relative times
        self._retimer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield Static(id="case-header")
        yield ThreadView(id="thread")
        if not self.xapp.options.read_only:
            draft = self.xapp.store.drafts.load_draft(self.draft_key) or {}
            yield ComposePanel(text=str(draft.get("text", "")), id="compose")
        else:
            yield Static(self._read_only_notice(), id="read-only")
        yield StatusBar()
        yield Footer()

    def _read_only_notice(self) -> Text:
        reason = self.xapp.read_only_reason
        notice = Text(f"Read-only: {reason}. Replies are disabled.", style="dim")
        for entry in self.xapp.store.outbox.outbox():
            if entry.case_id == self.case_id and entry.kind == OutboxKind.REPLY:
                # queued by a writable instance: this one never sends it
                notice.append(f"\nreply #{entry.id}: queued · waiting for a writable instance")
        return notice

    def on_mount(self) -> None:
        app = self.xapp
        app.paint_banner(self.query_one("#banner", Static))
        app.store.mark_read(self.case_id)
        app.alerter.update_title()
        self.refresh_case()
        self.refresh_thread()
        for entry in app.store.outbox.outbox():
            if entry.case_id == self.case_id and entry.kind == OutboxKind.REPLY:
                self.my_entries.add(entry.id)
                self.compose_panel_status(entry.id, entry.status, entry.last_error)
        if app.awareness is not None:
            app.awareness.viewing(self.case_id)
        if app.engine is not None:
            app.engine.set_active_case(self.case_id)
            self.run_worker(
                app.engine.fetch_thread(self.case_id),
                exclusive=True,
                group="thread",
                exit_on_error=False,
            )
        if self.focus_reply and self.has_compose:
            self.query_one(ComposePanel).area.focus()
        else:
            self.query_one(ThreadView).focus()
        for entry in self._undecided():
            self.compose_panel_status(entry.id, entry.status, entry.last_error, code=CODE_DECIDE)

    def _undecided(self) -> list[OutboxEntry]:
        """This case's replies whose outcome the outbox cannot know: the user decides."""
        return [
            e
            for e in self.xapp.store.outbox.outbox(statuses=(OutboxStatus.NEEDS_DECISION,))
            if e.case_id == self.case_id and e.kind == OutboxKind.REPLY
        ]

    def _decide(self, send: bool) -> None:
        engine = self.xapp.engine
        undecided = self._undecided()
        if engine is None or not undecided:
            self.notify("No reply of this case needs your decision.")
            return
        entry = undecided[0]
        if send:
            engine.send_again(entry.id)
        else:
            engine.discard(entry.id)

    def action_send_again(self) -> None:
        """A reply that needs your decision: you checked, it did not arrive; send it again."""
        self._decide(send=True)

    def action_discard(self) -> None:
        """A reply that needs your decision: it arrived (or is not wanted); its text goes back
        into the reply box's draft."""
        self._decide(send=False)

    async def on_key(self, event: events.Key) -> None:
        """Keys that reach the screen between "reply" and the reply box taking them (typed in
        one burst with "r", or delivered together by a slow link) are the start of the reply:
        they go into the box, and none of them runs a one-key action ("n" is New case).  The
        box's editing keys among them (backspace, arrows) run now, in turn with the text, not
        once they have bubbled up to the app.  Keys the box itself took never get here."""
        if not self.reply_pending or not self.has_compose:
            return
        area = self.query_one(ComposePanel).area
        if event.is_printable or event.key in ("enter", "space"):
            text = "\n" if event.key == "enter" else (event.character or " ")
            area.insert(text, area.document.end)  # after any draft: they were typed in order
            area.move_cursor(area.document.end)
            event.stop()
            event.prevent_default()
        elif await area.run_own_binding(event.key):
            event.stop()
            event.prevent_default()

    def watch_focused(self, old: Widget | None, new: Widget | None) -> None:
        if self.has_compose and old is self.query_one(ComposePanel).area:
            self.reply_pending = False  # the person left the reply box: keys are keys again

    def on_unmount(self) -> None:
        if self.xapp.awareness is not None:
            self.xapp.awareness.left(self.case_id)
        if self.xapp.engine is not None:
            self.xapp.engine.set_active_case(None)

    # -- team mode (ui/team_view.py) ----------------------------------------------------------
    @on(TextArea.Changed, "#reply")
    def _typing(self) -> None:
        """A keystroke in the reply box: "replying" for the team, until it is idle ~10 s."""
        if self.xapp.awareness is not None:
            self.xapp.awareness.typing(self.case_id)

    def team_changed(self) -> None:
        if self.xapp.awareness is not None:
            self.xapp.awareness.viewing(self.case_id)  # the awareness may be newer than us
        self.refresh_case()

    def action_claim(self) -> None:
        """Team mode: take the case ("mine" for the team), or give it back."""
        self.xapp.claim_case(self.case_id)

    def _team_lines(self) -> list[Text]:
        awareness = self.xapp.awareness
        lines = [presence_text(awareness, self.case_id), claim_text(awareness, self.case_id)]
        return [line for line in lines if line is not None]

    @property
    def has_compose(self) -> bool:
        return bool(self.query(ComposePanel))

    # -- rendering --------------------------------------------------------------------------
    def _place_toasts(self) -> None:
        """Toasts go under the case header, over the thread: never over the header, the reply
        box or the footer (at most the thread's height of them)."""
        from textual.widgets._toast import ToastRack  # the screen's own rack (Textual's)

        racks = self.query_children(ToastRack)
        if not racks or not self.is_attached:
            return
        header, thread = self.query_one("#case-header"), self.query_one(ThreadView)
        rack = racks.first()
        rack.styles.dock = "top"
        rack.styles.align = ("right", "top")
        rack.styles.margin = (header.region.bottom, 0, 0, 0)
        rack.styles.max_height = max(3, thread.region.height)

    def on_resize(self) -> None:
        self.call_after_refresh(self._place_toasts)

    @on(TextArea.Changed)
    def _reply_grew(self) -> None:
        """The reply box grows as it is typed in: the thread (and the toasts' room) shrinks."""
        self.call_after_refresh(self._place_toasts)

    def refresh_case(self) -> None:
        store = self.xapp.store
        case = store.cases.case(self.case_id)
        header = self.query_one("#case-header", Static)
        self.call_after_refresh(self._place_toasts)  # the header's height may change
        if case is None:
            header.update(
                Text(
                    f"Case {self.case_id} is not in the local store yet "
                    "(it appears after the next refresh).",
                    style="bold",
                )
            )
            return
        service = store.inventory.service(case.service_id) if case.service_id else None
        site = store.inventory.site(case.site_id) if case.site_id else None
        now = self.xapp.now()
        title = Text()
        title.append(f" {safe(case.id)} ", style="bold reverse")
        title.append("  ")
        title.append_text(priority_text(case.priority))
        title.append("  ")
        title.append_text(status_text(case.status))
        title.append(f"  {type_label(case.type)} · ", style="bold")
        title.append(subject_label(safe(case.subject)), style="bold")
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        svc_label = literal(
            f"{case.service_id} {service.service_name if service else ''}", one_line=True
        )
        site_label = literal(
            f"{site.name}, {site.city}, {site.country}" if site else "no site", one_line=True
        )
        incident = ""
        if case.start_of_incident:
            incident = incident_span(case.start_of_incident, case.incident_end, now)
        grid.add_row("Service", svc_label, "Site", site_label)
        grid.add_row(
            "Incident",
            Text(incident or "—"),
            "Cust. ref",
            literal(case.customer_reference or "—", one_line=True),
        )
        grid.add_row(
            "Created",
            Text(f"{local_time(case.created_date)} ({ago(case.created_date, now)})"),
            "Changed",
            Text(f"{local_time(case.last_modified_date)} ({ago(case.last_modified_date, now)})"),
        )

        extra = [*self._repair_lines(case), *self._shift_lines(), *self._team_lines()]
        header.update(Group(title, grid, *extra))
        self._header_times = [case.start_of_incident, case.created_date, case.last_modified_date]
        self._arm_retime()

    def _arm_retime(self) -> None:
        """The ages on screen ("4m ago", "2h since start") tick: the header and the thread are
        drawn again when the first of them reads differently (not on a fixed tick)."""
        now = self.xapp.now()
        due = [relative_next(moment, now) for moment in self._header_times]
        due.append(self.query_one(ThreadView).retime(now))
        first = min((t for t in due if t is not None), default=None)
        if self._retimer is not None:
            self._retimer.stop()
        self._retimer = (
            None if first is None else self.set_timer(max(0.05, first - now), self.refresh_case)
        )

    @staticmethod
    def _repair_lines(case: Case) -> list[Text]:
        """What the client repaired in the case as the API sent it (never hidden, said)."""
        repairs = repairs_of(case)
        if not repairs:
            return []
        line = Text("⚠ repaired on arrival: ", style=themes.style("attention"))
        line.append_text(literal("; ".join(repairs), one_line=True))
        return [line]

    def _shift_lines(self) -> list[Text]:
        """The local pin and snooze of this case (never sent to the API)."""
        shift = self.xapp.store.shift
        lines = []
        note = shift.pin_note(self.case_id)
        if note:
            line = Text("📌 Pinned for handover: ", style="bold")
            line.append_text(literal(note, one_line=True))
            lines.append(line)
        snooze = next((z for z in shift.snoozes() if z.case_id == self.case_id), None)
        if snooze is not None:
            lines.append(Text(f"⏰ Snoozed {snooze_label(snooze)} (z to change)", style="dim"))
        return lines

    def refresh_thread(self) -> None:
        """Read only the tail that is shown: a 10,000-message thread costs what 100 do."""
        store = self.xapp.store
        view = self.query_one(ThreadView)
        total = store.cases.message_count(self.case_id)
        start = max(0, total - view.window)
        messages = store.cases.thread(self.case_id, offset=start, limit=view.window)
        view.show(messages, self.xapp.now(), total=total)
        self._arm_retime()

    def compose_panel_status(
        self,
        entry_id: int,
        status: OutboxStatus,
        error: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        code: str | None = None,
    ) -> None:
        if not self.has_compose:
            return
        if code == CODE_CHECKING:
            error = "outcome unknown; checking expereoOne before sending again"
        elif code == CODE_READ_ONLY:
            error = "waiting for a writable instance"
        elif code == CODE_DECIDE:
            error = (
                "needs your decision · S send again · D discard · expereoOne cannot tell "
                f"whether it arrived ({error}): check the portal"
            )
        self.query_one(ComposePanel).outbox_status(entry_id, status, error, field_errors)

    def on_screen_resume(self) -> None:
        """Back from the update form (or a dialog): the header shows what the store holds now."""
        self.refresh_case()

    def sync_event(self, event: SyncEvent) -> None:
        if (
            isinstance(event, OutboxChanged)
            and event.case_id == self.case_id
            and event.kind != OutboxKind.REPLY
            and event.status == OutboxStatus.SENT
        ):
            self.refresh_case()  # an update saved (new reference, priority): show it at once
        # (not before compose is done: an event can land between the push and the mount)
        notice = self.query("#read-only")
        if (
            notice
            and not self.has_compose
            and getattr(event, "case_id", None) in (self.case_id, None)
        ):
            notice.first(Static).update(self._read_only_notice())
        if isinstance(event, MessagesAdded) and event.case_id == self.case_id:
            self.refresh_thread()
            self.xapp.store.mark_read(self.case_id)  # the user is looking at it
        elif isinstance(event, CasesChanged) and any(
            c.case_id == self.case_id for c in event.changes
        ):
            self.refresh_case()
            self.xapp.store.mark_read(self.case_id)
        elif (
            isinstance(event, OutboxChanged)
            and event.case_id == self.case_id
            and event.kind == OutboxKind.REPLY
        ):
            self.compose_panel_status(
                event.entry_id, event.status, event.error, event.field_errors, event.code
            )
            if event.status == OutboxStatus.SENT:
                self.refresh_thread()
                self.refresh_case()
            elif event.status == OutboxStatus.FAILED and self.has_compose:
                panel = self.query_one(ComposePanel)
                draft = self.xapp.store.drafts.load_draft(self.draft_key) or {}
                if not panel.text.strip() and draft.get("text"):
                    panel.set_text(str(draft["text"]))  # the rejected text is back, editable

    # -- compose ------------------------------------------------------------------------------
    @on(ComposePanel.DraftChanged)
    def _save_draft(self, event: ComposePanel.DraftChanged) -> None:
        store = self.xapp.store
        if event.text.strip():
            self._draft_baseline()  # a new draft: note what the case looks like now
            store.drafts.save_draft(self.draft_key, {"text": event.text})
        else:
            store.drafts.delete_draft(self.draft_key)

    def _draft_baseline(self) -> dict[str, object]:
        """What the case looked like when this draft was started, for the send-time conflict
        check (kept beside the draft in the store's meta; a new draft gets a new one)."""
        store = self.xapp.store
        key = f"triage.draft_baseline:{self.draft_key}"
        saved = store.meta.get_meta(key)
        if saved and store.drafts.load_draft(self.draft_key) is not None:
            baseline: dict[str, object] = json.loads(saved)
            return baseline
        case = store.cases.case(self.case_id)
        baseline = {
            "seen_messages": store.cases.message_count(self.case_id),
            "seen_status": case.status if case else None,
        }
        try:
            store.meta.set_meta(key, json.dumps(baseline))
        except StoreError:  # a read-only or full store: the check compares with now
            pass
        return baseline

    @on(ComposePanel.SendRequested)
    def _send(self, event: ComposePanel.SendRequested) -> None:
        panel = self.query_one(ComposePanel)
        engine = self.xapp.engine
        pending = [
            e.id
            for e in self.xapp.store.outbox.outbox(statuses=PENDING)
            if e.draft_key == self.draft_key
        ]
        if pending:  # a double tap, or a laggy link delivering ctrl+s twice
            self._already_sending(panel, pending[0])
            return
        if not event.text.strip():
            panel.note("Nothing to send: the reply is empty.")
            return
        if engine is None:
            panel.note("Offline viewing: no connection to send through. The draft is kept.")
            return
        if self._check_before_send(event.text):  # triage: a dialog asks first
            return
        self._save_draft(ComposePanel.DraftChanged(event.text))
        try:
            entry = engine.send_reply(self.case_id, event.text, draft_key=self.draft_key)
        except AlreadyQueued as exc:  # queued meanwhile by another instance
            self._already_sending(panel, exc.entry_id)
            return
        except CaseClosedError:
            panel.note(
                f"Case {self.case_id} is closed: the reply was not sent and stays here. "
                "Open a new case that references it?"
            )
            self._offer_new_case(event.text)
            return
        except StoreError as exc:  # disk full: not queued, and the text stays here and in memory
            panel.note(f"Not queued ({error_line(exc)}); the draft is kept.")
            return
        except (PermissionError, ValueError) as exc:
            panel.note(str(exc))
            return
        self.my_entries.add(entry)
        panel.area.load_text("")
        panel.outbox_status(entry, OutboxStatus.QUEUED)

    def _check_before_send(self, text: str) -> bool:
        """The checks before a reply goes out (see send_check.py): True when a dialog now
        asks, and the reply goes only if the answer is to send."""
        from expereo_tui.ui.screens.send_check import (
            SendCheckScreen,
            lint_findings,
            lint_report,
        )

        if self._send_confirmed == text:  # every check passed or was answered: send
            self._send_confirmed = self._lint_passed = None
            return False

        def answer(send: bool | None, *, linted: bool = False) -> None:
            if send and linted:
                self._lint_passed = text
                self._send(ComposePanel.SendRequested(text))  # on to the conflict check
            elif send:
                self._send_confirmed = text
                self._send(ComposePanel.SendRequested(text))
            elif self.has_compose:
                self._lint_passed = None
                self.query_one(ComposePanel).area.focus()

        if self._lint_passed != text:
            findings = lint_findings(text, self.xapp.options.client_secret_matcher)
            if findings:
                self.app.push_screen(
                    SendCheckScreen(
                        lint_report(findings),
                        send="Send anyway",
                        back="Keep editing",
                        enter_sends=False,
                    ),
                    lambda send: answer(send, linted=True),
                )
                return True
        engine = self.xapp.engine
        last = engine.state.last_success if engine is not None else None
        if is_fresh(last, self.xapp.now()):  # the store's copy will do: no read
            return self._ask_about_conflict(text, answer)
        self.query_one(ComposePanel).note("checking for new messages before sending…")
        self.run_worker(self._read_then_check(text, answer), group="send-check", exclusive=True)
        return True

    async def _read_then_check(self, text: str, answer: Callable[..., None]) -> None:
        """The one read at send time (the case's thread), then the conflict check; offline,
        the check runs on the store's copy."""
        engine = self.xapp.engine
        if engine is not None:
            await engine.fetch_thread(self.case_id)
        if not self._ask_about_conflict(text, answer):
            answer(True)

    def _ask_about_conflict(self, text: str, answer: Callable[..., None]) -> bool:
        """Show what the provider wrote (or the status change) since the draft was started;
        True when the dialog now asks."""
        from expereo_tui.ui.screens.send_check import SendCheckScreen, conflict_report

        store = self.xapp.store
        baseline = self._draft_baseline()
        case = store.cases.case(self.case_id)
        found = conflict(
            store.cases.thread(self.case_id),
            int(str(baseline.get("seen_messages") or 0)),
            None if baseline.get("seen_status") is None else str(baseline["seen_status"]),
            case.status if case else None,
            # team mode: a colleague's reply since the draft began counts too
            me=self.xapp.options.sent_by if self.xapp.awareness is not None else None,
        )
        if found is None:
            return False
        self.app.push_screen(
            SendCheckScreen(
                conflict_report(found), send="Send", back="Back to editing", enter_sends=True
            ),
            answer,
        )
        return True

    def _already_sending(self, panel: ComposePanel, entry_id: int) -> None:
        self.flush()  # the draft is what the box holds now, never the text being sent
        panel.note(
            f"already sending reply #{entry_id}; what is in the box now stays as the draft "
            "until it is sent"
        )

    def _offer_new_case(self, text: str) -> None:
        """A closed case takes no replies: offer a new case that references it, prefilled
        with the reply (which also stays in this case's draft)."""
        case = self.xapp.store.cases.case(self.case_id)

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            from expereo_tui.ui.forms.new_case import NewCaseScreen

            self.flush()
            prefill = {
                "message": f"Follow-up to closed case {self.case_id}:\n\n{text}",
                "serviceId": case.service_id if case else None,
                "type": case.type if case else None,
            }
            self.app.push_screen(NewCaseScreen(case.service_id if case else None, prefill=prefill))

        self.app.push_screen(
            ConfirmScreen(
                f"{self.case_id} is closed. Open a new case referencing it?",
                yes="New case",
                no="Keep editing",
            ),
            answer,
        )

    def flush(self) -> None:
        """Save the draft now (leaving the screen or quitting)."""
        if self.has_compose:
            panel = self.query_one(ComposePanel)
            self._save_draft(ComposePanel.DraftChanged(panel.text))

    # -- actions --------------------------------------------------------------------------------
    def action_back(self) -> None:
        if self.has_compose and self.query_one(ComposePanel).area.has_focus:
            self.query_one(ThreadView).focus()
            return
        self.flush()
        self.app.pop_screen()

    def action_reply(self) -> None:
        if self.xapp.options.read_only:
            self.notify(f"Read-only ({self.xapp.read_only_reason}): cannot reply.")
            return
        self.reply_pending = self.focus_reply = True  # on_mount focuses the box if not yet up
        if self.has_compose:
            self.query_one(ComposePanel).area.focus()

    def action_update(self) -> None:
        self.flush()
        self.xapp.action_update_case(self.case_id)

    def action_new_case(self) -> None:
        case = self.xapp.store.cases.case(self.case_id)
        self.xapp.action_new_case(case.service_id if case else None)

    def action_copy_id(self) -> None:
        self.xapp.copy_case_id(self.case_id)

    def action_open_portal(self) -> None:
        self.xapp.open_in_portal(self.case_id)

    def action_mark_unread(self) -> None:
        self.xapp.store.mark_unread(self.case_id)
        self.flush()
        self.app.pop_screen()

    def action_pin(self) -> None:
        """A short local note for the handover report; an empty note unpins."""

        def done(note: str | None) -> None:
            if note is None:
                return
            try:
                self.xapp.store.shift.pin(self.case_id, note)
            except StoreError as exc:
                self.notify(f"Not pinned: {error_line(exc)}", severity="error", markup=False)
                return
            self.xapp.team_pin(self.case_id, note)  # team mode: the team's pin too
            self.refresh_case()

        current = self.xapp.store.shift.pin_note(self.case_id) or ""
        self.app.push_screen(
            PromptScreen("Pin for handover (empty: unpin)", value=current, placeholder="a note"),
            done,
        )

    def action_snooze(self) -> None:

        snooze_cases(self, [self.case_id], then=self.refresh_case)

    def action_template(self) -> None:
        """Pick a reply template (config); its text, filled from the store, goes into the reply
        box at the cursor, where it can still be edited."""
        from expereo_tui.shift.templates import render, values_for
        from expereo_tui.ui.shift.template_picker import TemplatePicker

        if not self.has_compose:
            return
        templates = self.xapp.options.templates
        if not templates:
            self.notify("No reply templates: add [profiles.<name>.templates] to the config.")
            return
        values = values_for(self.xapp.store, self.case_id, self.xapp.options.sent_by)
        rendered = {name: render(text, values) for name, text in templates.items()}

        def insert(name: str | None) -> None:
            area = self.query_one(ComposePanel).area
            if name is not None:
                area.insert(rendered[name])
            self.reply_pending = False
            area.focus()

        self.app.push_screen(TemplatePicker(rendered), insert)

    def action_template_in_box(self) -> None:
        """ctrl+t while typing: a letter there is text, so ``t`` itself cannot open the picker."""
        self.action_template()

    def action_load_earlier(self) -> None:
        self.query_one(ThreadView).load_earlier()
        self.refresh_thread()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.writes_off(action):  # read-only: gone from the footer (the key says why)
            return False
        # letters type into the reply box; only bindings with modifiers act while it has focus
        focused = self.focused
        if isinstance(focused, TextArea) and action not in ("back", "template_in_box"):
            return False
        if self.reply_pending and self.has_compose and action not in ("back", "template_in_box"):
            # "r" was pressed and the box is not focused yet: the keys after it (another "r"
            # among them, as in "r burst") are the reply's text, taken by on_key
            return False
        return True
