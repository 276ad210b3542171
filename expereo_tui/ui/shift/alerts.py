"""Alerts: a toast naming the case, the terminal bell, a desktop notification through the
terminal itself (OSC 9 / OSC 777, wrapped for tmux and screen so it reaches the engineer's desktop
over SSH), and the unread count in the title.  Many changes in one poll become one summary."""

from __future__ import annotations

import os
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from expereo_tui.store.store import CaseQuery, StoreError
from expereo_tui.sync.events import CaseChange, CasesChanged, SyncEvent
from expereo_tui.triage.labels import subject_label
from expereo_tui.triage.read_model import ClockChange, SlaWatch, read_sla
from expereo_tui.triage.sla import Level
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.triage_text import CLOCK_NAMES, span

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

SUMMARY_OVER = 3  # more changes than this in one poll: one summary toast
#: a change on a P1/P2 case, or on a case opened in this session, is told at once; the others
#: share one toast a window at most (the first at once, the rest gathered till the window ends)
LOUD_PRIORITIES = frozenset({"P1", "P2"})
QUIET_EVERY = 120.0  # seconds


def osc_notification(
    title: str, body: str, *, term: str | None = None, tmux: bool = False, screen: bool = False
) -> str:
    """The escape sequence that asks the terminal for a desktop notification."""
    title, body = safe(title, one_line=True).replace(";", ","), safe(body, one_line=True)
    if term and ("kitty" in term or "rxvt" in term or "foot" in term):
        seq = f"\x1b]777;notify;{title};{body}\x1b\\"
    else:
        seq = f"\x1b]9;{title}: {body}\x1b\\"
    if tmux:  # passthrough: double every ESC inside
        return "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    if screen:
        return "\x1bP" + seq + "\x1b\\"
    return seq


class Alerter:
    """Decides what deserves attention and how loudly."""

    def __init__(self, app: App[None]) -> None:
        self.app = app
        # the last notification sequences written (for tests; bounded: a wall runs for days)
        self.sent: deque[str] = deque(maxlen=50)
        self.watch: SlaWatch | None = None  # the SLA clocks, as last read
        self.sla_due_at: float | None = None  # when the next clock changes level
        self._sla_timer: Timer | None = None
        self._sla_reads = 0
        self.opened: set[str] = set()  # cases opened in this session: their news is loud
        self._quiet_at: float | None = None  # monotonic time of the last quiet toast
        self._quiet: list[CaseChange] = []  # quiet changes gathered for the window's end
        self._quiet_timer: Timer | None = None

    @property
    def options(self):  # type: ignore[no-untyped-def]
        return self.app.options  # type: ignore[attr-defined]

    def _wanted(self, change: CaseChange) -> bool:
        opts = self.options
        store = self.app.store  # type: ignore[attr-defined]
        if not (change.is_new or change.new_provider_messages or change.status_changed):
            return False
        if opts.alert_priorities and change.new_priority not in opts.alert_priorities:
            return False
        if opts.alert_services:
            case = store.cases.case(change.case_id)
            if case is None or case.service_id not in opts.alert_services:
                return False
        return True

    @staticmethod
    def describe(change: CaseChange, subject: str) -> str:
        prio = change.new_priority  # None on API V1, which has no priorities
        if change.is_new:
            return f"New {prio + ' ' if prio else ''}case {change.case_id}: {subject}"
        if change.new_provider_messages:
            return f"Expereo replied on {change.case_id} ({prio + ' ' if prio else ''}{subject})"
        return f"{change.case_id}: {change.old_status} → {change.new_status}"

    @property
    def sla_levels(self) -> dict[tuple[str, str], Level]:
        """Each SLA clock's level when last looked at."""
        return self.watch.levels if self.watch is not None else {}

    def check_sla(self) -> list[str]:
        """Look at every SLA clock now, here (the app does it in a thread: sla_data_changed);
        returns the lines alerted."""
        try:
            watch = read_sla(self.app.store, self.options, self.app.now(), **self._sla_args())  # type: ignore[attr-defined]
            return self._adopt(watch)
        except StoreError:  # a read-only or full store: the columns still show the clocks
            return []

    def _sla_args(self) -> dict[str, Any]:
        return {"priorities": self.options.alert_priorities, "before": dict(self.sla_levels)}

    def sla_data_changed(self) -> None:
        """The cases or their threads changed (or the app started): read every open case's SLA
        clocks again, in a thread (every open case and its thread on a large account), then
        alert what got worse and wait for the next clock to change level.  Only then: no timer
        looks at the clocks in between."""
        store, options, now = self.app.store, self.options, self.app.now()  # type: ignore[attr-defined]
        args = self._sla_args()
        self._sla_reads += 1
        generation = self._sla_reads

        def read() -> None:
            try:
                watch = read_sla(store, options, now, **args)
            except StoreError:
                return
            self.app.call_from_thread(self._sla_read, generation, watch)

        self.app.run_worker(
            read, thread=True, group="sla-alerts", exclusive=True, exit_on_error=False
        )

    def _sla_read(self, generation: int, watch: SlaWatch) -> None:
        if generation == self._sla_reads and self.app.is_running:  # else a newer read comes
            self._adopt(watch)

    def _adopt(self, watch: SlaWatch) -> list[str]:
        """A fresh look at every clock: alert those worse than when last looked at (and any
        that moved on since the look), then wait for the next to change level."""
        self.watch = watch
        changes = watch.changes + watch.advance(self.app.now())  # type: ignore[attr-defined]
        lines = self._alert_sla(changes)
        self._arm_sla()
        return lines

    def sla_due(self) -> list[str]:
        """A clock's level is due to change: look at the cases due (no store read), alert.
        The timer's handle is kept: this call may be a stale one (queued as a new read armed
        the timer again), and dropping the handle then left that timer pending, never stopped
        (_arm_sla stops it, whichever fired): a 72-hour soak ended with nine."""
        if self.watch is None:
            return []
        try:
            lines = self._alert_sla(self.watch.advance(self.app.now()))  # type: ignore[attr-defined]
        except StoreError:  # the alert could not be noted: it comes when the store can be written
            lines = []
        self._arm_sla()
        return lines

    def _arm_sla(self) -> None:
        """One timer, for the instant the next clock changes level."""
        if self._sla_timer is not None:
            self._sla_timer.stop()
            self._sla_timer = None
        due = self.watch.next_due if self.watch is not None else None
        self.sla_due_at = due
        if due is not None and self.app.is_running:
            delay = max(0.01, due - self.app.now())  # type: ignore[attr-defined]
            self._sla_timer = self.app.set_timer(delay, self.sla_due, name="sla-due")

    def _alert_sla(self, changes: list[ClockChange]) -> list[str]:
        """Alert each SLA clock once when it becomes at risk and once when it breaches: a
        change this app saw happen (a clock first seen already late, at start-up or on a
        case's first sync, is only noted: the inbox and the wall show it, and a first sync of
        old cases must not be a storm of alerts).  The store remembers the alerts given, so
        several sessions on one store alert once between them.  Returns the lines alerted."""

        store = self.app.store  # type: ignore[attr-defined]
        opts = self.options
        now = self.app.now()  # type: ignore[attr-defined]
        lines: list[str] = []
        for change in changes:
            row, clock, level = change.row, change.clock, change.level
            if not store.activity.claim_alert(row.id, clock.key, level.value, now):
                continue  # another session on this store alerted it
            what = CLOCK_NAMES.get(clock.name, clock.name)
            prio = f"{row.priority} " if row.priority else ""
            if level is Level.BREACHED:
                lines.append(f"{prio}{row.id}: {what} SLA breached ({span(clock.left)} over)")
            else:
                lines.append(f"{prio}{row.id}: {what} SLA at risk ({span(clock.left)} left)")
        if not lines:
            return lines
        text = (
            "\n".join(lines)
            if len(lines) <= SUMMARY_OVER
            else f"{len(lines)} SLA clocks at risk or breached:\n" + "\n".join(lines[:SUMMARY_OVER])
        )
        self.app.notify(text, title="SLA", severity="warning", markup=False, timeout=10)
        if opts.bell:
            self.app.bell()
        if opts.desktop_notifications:
            self.desktop(lines[0])
        return lines

    def handle(self, event: SyncEvent) -> None:
        """Alert what a poll reported (the SLA clocks are read again on news: the app's
        NewsGate calls ``sla_data_changed`` once the poll's changes are all stored)."""
        if not isinstance(event, CasesChanged):
            return
        wanted = [c for c in event.changes if self._wanted(c)]
        if not wanted:
            return
        loud = [c for c in wanted if self.is_loud(c)]
        quiet = [c for c in wanted if not self.is_loud(c)]
        if loud:
            self._toast(loud)
        if not quiet:
            return
        self._quiet += quiet
        at = time.monotonic()
        if self._quiet_at is None or at - self._quiet_at >= QUIET_EVERY:
            self._flush_quiet()
        elif self._quiet_timer is None and self.app.is_running:
            self._quiet_timer = self.app.set_timer(
                QUIET_EVERY - (at - self._quiet_at), self._flush_quiet, name="quiet-news"
            )

    def is_loud(self, change: CaseChange) -> bool:
        """Told at once: a P1/P2 case's news, or a case opened in this session."""
        return change.new_priority in LOUD_PRIORITIES or change.case_id in self.opened

    def _flush_quiet(self) -> None:
        """The quiet changes gathered: one toast ("5 cases changed: …" when many)."""
        if self._quiet_timer is not None:
            self._quiet_timer.stop()
            self._quiet_timer = None
        quiet = list({c.case_id: c for c in self._quiet}.values())  # a case once, its latest
        self._quiet = []
        if quiet:
            self._quiet_at = time.monotonic()
            self._toast(quiet)

    def _toast(self, wanted: list[CaseChange]) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        if len(wanted) > SUMMARY_OVER:
            new = sum(1 for c in wanted if c.is_new)
            replies = sum(1 for c in wanted if not c.is_new and c.new_provider_messages)
            moved = len(wanted) - new - replies  # status changes only
            parts = [f"{new} new"] if new else []
            parts += [f"{replies} with Expereo replies"] if replies else []
            parts += [f"{moved} changed status"] if moved else []
            text = f"{len(wanted)} cases changed: {', '.join(parts)}"
        else:
            lines = []
            for change in wanted:
                case = store.cases.case(change.case_id)
                subject = subject_label(safe(case.subject)) if case else ""
                lines.append(self.describe(change, subject))
            text = "\n".join(lines)
        urgent = any(c.new_priority in ("P1", "P2") for c in wanted)
        self.app.notify(
            text,
            title="expereo",
            severity="warning" if urgent else "information",
            markup=False,
            timeout=8,
        )
        if self.options.bell:
            self.app.bell()
        if self.options.desktop_notifications:
            self.desktop(text.splitlines()[0])
        self.update_title()

    def snoozes_woke(self, wakes: list[tuple[str, str]]) -> None:
        """Snoozed cases are back: ``wakes`` are (case id, ``time`` | ``provider``)."""
        if not wakes:
            return
        store = self.app.store  # type: ignore[attr-defined]
        lines = []
        for case_id, reason in wakes[:SUMMARY_OVER]:
            case = store.cases.case(case_id)
            subject = subject_label(safe(case.subject)) if case else ""
            why = "Expereo wrote" if reason == "provider" else "snooze over"
            lines.append(f"{case_id} is back ({why}): {subject}")
        if len(wakes) > SUMMARY_OVER:
            lines.append(f"and {len(wakes) - SUMMARY_OVER} more snoozed cases are back")
        text = "\n".join(lines)
        self.app.notify(text, title="expereo", markup=False, timeout=10)
        if self.options.bell:
            self.app.bell()
        if self.options.desktop_notifications:
            self.desktop(lines[0])

    def desktop(self, body: str) -> None:
        seq = osc_notification(
            "expereo",
            body,
            term=os.environ.get("TERM_PROGRAM") or os.environ.get("TERM"),
            tmux=bool(os.environ.get("TMUX")),
            screen=os.environ.get("TERM", "").startswith("screen") and not os.environ.get("TMUX"),
        )
        self.sent.append(seq)
        hint = getattr(self.app, "tmux_hint", None)
        if hint is not None:
            hint("passthrough")
        driver = getattr(self.app, "_driver", None)
        if driver is not None and not self.app.is_headless:
            driver.write(seq)

    def update_title(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        unread = store.cases.unread_count()
        p1 = store.cases.unread_count(CaseQuery(priorities=frozenset({"P1"})))
        parts = []
        if p1:
            parts.append(f"{p1} P1")
        if unread:
            parts.append(f"{unread} new")
        title = f"[{' · '.join(parts)}] expereo" if parts else "expereo"
        if self.app.title != title:
            self.app.title = title
            driver = getattr(self.app, "_driver", None)
            if driver is not None and not self.app.is_headless:
                driver.write(f"\x1b]2;{title}\x07")  # the terminal window's title
