"""Alerts: a toast naming the case, the terminal bell, a desktop notification through the
terminal itself (OSC 9 / OSC 777, wrapped for tmux and screen so it reaches the engineer's desktop
over SSH), and the unread count in the title.  Many changes in one poll become one summary."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from expereo_tui.store.store import CaseActivity, CaseQuery, StoreError
from expereo_tui.sync.events import CaseChange, CasesChanged, SyncEvent
from expereo_tui.triage.sla import EXAMPLE_TARGETS, Level, clocks
from expereo_tui.ui.format import subject_label
from expereo_tui.ui.safe_text import safe

if TYPE_CHECKING:
    from textual.app import App

SUMMARY_OVER = 3  # more changes than this in one poll: one summary toast
SLA_CHECK_SECONDS = 30.0  # how often the SLA clocks are looked at between polls


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
        self.sent: list[str] = []  # notification sequences written (for tests)
        self.sla_levels: dict[tuple[str, str], Level] = {}  # each clock's level at the last check

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
            case = store.case(change.case_id)
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

    def check_sla(self) -> list[str]:
        try:
            return self._check_sla()
        except StoreError:  # a read-only or full store: the columns still show the clocks
            return []

    def _check_sla(self) -> list[str]:
        """Alert each SLA clock once when it becomes at risk and once when it breaches: a
        change this app saw happen (a clock first seen already late, at start-up or on a
        case's first sync, is only noted: the inbox and the wall show it, and a first sync of
        old cases must not be a storm of alerts).  The store remembers the alerts given, so
        several sessions on one store alert once between them.  Returns the lines alerted."""
        from expereo_tui.ui.triage_text import CLOCK_NAMES, span

        store = self.app.store  # type: ignore[attr-defined]
        opts = self.options
        open_q = CaseQuery(statuses=frozenset({"New", "In Progress", "Awaiting Customer"}))
        rows = store.query_cases(open_q, limit=max(1, store.count_cases(open_q)))
        if opts.alert_priorities:
            rows = [r for r in rows if r.priority in opts.alert_priorities]
        now = self.app.now()  # type: ignore[attr-defined]
        targets = getattr(opts, "sla_targets", None) or EXAMPLE_TARGETS
        activity = store.activity.activity([r.id for r in rows])
        rank = {Level.OK: 0, Level.AT_RISK: 1, Level.BREACHED: 2}
        levels: dict[tuple[str, str], Level] = {}
        lines: list[str] = []
        for row in rows:
            for clock in clocks(row, activity.get(row.id, CaseActivity()), targets, now):
                key = (row.id, clock.key)
                levels[key] = level = clock.level
                before = self.sla_levels.get(key)
                if before is None or rank[level] <= rank[before]:
                    continue  # first seen, or no worse than last time
                if not store.activity.claim_alert(row.id, clock.key, level.value, now):
                    continue  # another session on this store alerted it
                what = CLOCK_NAMES.get(clock.name, clock.name)
                prio = f"{row.priority} " if row.priority else ""
                if level is Level.BREACHED:
                    lines.append(f"{prio}{row.id}: {what} SLA breached ({span(clock.left)} over)")
                else:
                    lines.append(f"{prio}{row.id}: {what} SLA at risk ({span(clock.left)} left)")
        self.sla_levels = levels
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
        if isinstance(event, CasesChanged):
            self.check_sla()
        if not isinstance(event, CasesChanged):
            return
        wanted = [c for c in event.changes if self._wanted(c)]
        if not wanted:
            return
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
                case = store.case(change.case_id)
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
            case = store.case(case_id)
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
        unread = store.unread_count()
        p1 = store.unread_count(CaseQuery(priorities=frozenset({"P1"})))
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
