"""The handover report: what the next shift needs to know, from the local store.

``H`` in the app and ``expereo-tui handover [--since 8h] [--md|--json] [--out FILE]`` both build
a :class:`HandoverReport` here and render it as Markdown or JSON: open P1/P2 cases, new cases,
cases changed by the provider and those changed only by our writes, cases waiting on us, SLA and clusters (from :mod:`expereo_tui.triage` once it is
there: see :func:`triage_sections`), the writes we sent, the pinned notes and the snoozes.  Text from the API
is cleaned of control characters (a report may be printed to a terminal) and kept on one line.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store is imported when a report is built, not when cli.py parses
    from expereo_tui.store.cases import CaseRow
    from expereo_tui.store.store import Store

log = logging.getLogger(__name__)
DEFAULT_SINCE = "8h"


@dataclass(frozen=True)
class Section:
    """One part of the report: a title and its items (each a flat dict of text)."""

    key: str
    title: str
    items: list[dict[str, Any]] = field(default_factory=list)
    empty: str = "none"


@dataclass(frozen=True)
class HandoverReport:
    profile: str
    generated: float
    since: float
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def clean(value: Any) -> str:
    """One line of untrusted text for the Markdown: control characters (escapes, newlines)
    become spaces, and ``&``, ``<``, ``>`` HTML entities (a viewer that renders HTML in
    Markdown shows a subject's ``<img onerror=…>`` as text, never runs it)."""
    text = "" if value is None else str(value)
    one_line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(moment: datetime | float | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _case_item(row: CaseRow, **extra: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "priority": row.priority,
        "status": row.status,
        "subject": row.subject,
        "service": row.service_name or row.service_id,
        "site": row.site_name,
        "changed": _iso(row.last_modified_date),
        **extra,
    }


def _rows(store: Store, ids: list[str]) -> list[CaseRow]:
    """Inbox rows of these cases, in the order given."""
    from expereo_tui.store.query import CaseQuery

    if not ids:
        return []
    found = store.cases.query_cases(CaseQuery(only_ids=frozenset(ids)), limit=len(ids))
    by_id = {r.id: r for r in found}
    return [by_id[i] for i in ids if i in by_id]


# A section maker: (store, since, now, options) -> sections.  triage_sections is the hook for SLA and
# clusters; more can be appended (a test or a plug-in) without touching build().
SectionMaker = Callable[["Store", float, float, Any], list[Section]]


def _duration(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    text = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return text


def triage_sections(store: Store, since: float, now: float, options: Any) -> list[Section]:
    """SLA at risk or breached (one entry per case, its alarming clocks together), and open
    clusters, from the triage read the inbox and the wall use (``read_triage``)."""
    from expereo_tui.triage.read_model import read_triage

    triage = read_triage(store, options, now)  # options: its sla_targets, if any
    notes: dict[str, list[str]] = {}
    rows: dict[str, CaseRow] = {}
    for row, clock in triage.board.alarming:
        level = str(getattr(clock.level, "value", clock.level)).replace("_", " ")
        left = clock.left
        state = f"{_duration(left)} left" if left > 0 else f"{_duration(left)} over"
        name = clock.name.replace("_", " ")
        rows.setdefault(row.id, row)
        notes.setdefault(row.id, []).append(f"SLA {name}: {level}, {state}")
    sla = [_case_item(rows[case_id], note="; ".join(n)) for case_id, n in notes.items()]
    clusters = [
        {
            "id": f"{c.kind} {c.label}",
            "subject": f"{len(c.case_ids)} open incidents since {_iso(c.since)}",
            "note": ", ".join(c.case_ids),
        }
        for c in triage.clusters
    ]
    unknown = [
        _case_item(r, note="first response, update clock and whose turn not known yet")
        for r in triage.rows
        if (act := triage.activity.get(r.id)) is not None and not act.thread_known
    ]
    return [
        Section("sla", "SLA at risk or breached", sla),
        Section("clusters", "Open clusters", clusters),
        # never counted as on time: their threads are still being fetched (#32)
        Section("thread_not_loaded", "Thread not loaded", unknown),
    ]


EXTRA_SECTIONS: list[SectionMaker] = [triage_sections]


def waiting_on_us(store: Store) -> list[CaseRow]:
    """Open cases whose turn is ours, snoozed ones left out (they are under "Snoozed"), by the
    one rule the inbox's Turn column and ``w`` view and the wall's tile use (``triage/turn.py``),
    most urgent first."""
    from expereo_tui.api.vocab import open_statuses
    from expereo_tui.store.query import CaseQuery
    from expereo_tui.triage.turn import waiting_on_us as ours_of

    query = CaseQuery(statuses=open_statuses(store.cases.statuses()))
    rows = store.cases.query_cases(query, limit=max(1, store.cases.count_cases(query)))
    activity = store.activity.activity([r.id for r in rows])
    ours = ours_of(rows, activity, store.shift.snoozed_ids())
    latest = {r.id: r.last_modified_date.timestamp() if r.last_modified_date else 0.0 for r in ours}
    return sorted(ours, key=lambda r: (r.priority is None, r.priority or "", -latest[r.id]))


def split_changed(
    store: Store, touched: list[CaseRow], since: float, ours_at: dict[str, float]
) -> tuple[list[CaseRow], list[CaseRow], list[CaseRow]]:
    """The cases changed in the window, in three lists that never share a case:

    - new: created in the window (by anyone, us too);
    - changed only by our writes: we sent a write to it in the window, it last changed at or
      after our first one, and the provider neither wrote nor moved its status in the window;
    - changed by the provider: every other.
    """
    activity = store.activity.activity([r.id for r in touched])
    new: list[CaseRow] = []
    theirs: list[CaseRow] = []
    ours: list[CaseRow] = []
    for row in touched:
        act = activity[row.id]
        created = row.created_date.timestamp() if row.created_date else None
        changed = row.last_modified_date.timestamp() if row.last_modified_date else None
        if created is not None and created >= since:
            new.append(row)
        elif (
            row.id in ours_at
            and changed is not None
            and changed >= ours_at[row.id]
            and not (act.last_provider_at is not None and act.last_provider_at >= since)
            # a status moved in the window (the first one recorded is where the case was first
            # seen, not a move)
            and not any(at >= since for at, _ in act.transitions[1:])
        ):
            ours.append(row)
        else:
            theirs.append(row)
    return new, theirs, ours


def build(
    store: Store, *, since: float, now: float, profile: str = "", options: Any = None
) -> HandoverReport:
    """The report over ``since``..``now`` (epoch seconds) from what the store holds."""
    from expereo_tui.api.vocab import open_statuses
    from expereo_tui.store.cases import ts
    from expereo_tui.store.query import CaseQuery

    urgent = store.cases.query_cases(
        CaseQuery(
            statuses=open_statuses(store.cases.statuses()),  # a status added since counts too
            priorities=frozenset({"P1", "P2"}),
            sort=(("priority", False), ("last_modified", True)),
        ),
        limit=10_000,
    )
    touched = _rows(store, store.shift.changed_since(ts(datetime.fromtimestamp(since, UTC)) or ""))
    waiting = waiting_on_us(store)
    sent = []
    ours_at: dict[str, float] = {}  # case -> our first write to it in the window
    for entry in store.outbox.outbox(statuses=("sent",)):
        at = entry.first_attempt_at or entry.created_at
        if at < since:
            continue
        if entry.case_id:
            ours_at[entry.case_id] = min(at, ours_at.get(entry.case_id, at))
        case = entry.case_id or entry.result_id
        body = entry.payload
        what = body.get("message") if entry.kind == "reply" else None
        if entry.kind == "update":
            what = ", ".join(f"{k}={v}" for k, v in sorted(body.items()))
        elif entry.kind == "create":
            what = f"new case: {body.get('subject')} on {body.get('serviceId')}"
        sent.append({"id": case, "kind": str(entry.kind), "sent": _iso(at), "text": what})
    pins = []
    pinned_rows = {r.id: r for r in _rows(store, [p.case_id for p in store.shift.pins()])}
    for pin in store.shift.pins():
        row = pinned_rows.get(pin.case_id)
        item = _case_item(row) if row else {"id": pin.case_id}
        pins.append({**item, "note": pin.note, "pinned": _iso(pin.updated)})
    snoozed = []
    snoozed_rows = {r.id: r for r in _rows(store, [s.case_id for s in store.shift.snoozes()])}
    for snooze in store.shift.snoozes():
        row = snoozed_rows.get(snooze.case_id)
        wake = _iso(snooze.until) if snooze.until is not None else None
        if snooze.until_provider:
            wake = f"{wake} or " if wake else ""
            wake += "when the provider writes"
        snoozed.append({**(_case_item(row) if row else {"id": snooze.case_id}), "wakes": wake})
    new, changed, changed_by_us = split_changed(store, touched, since, ours_at)
    # what the next shift must act on first: our own notes, the urgent, what waits on us
    sections = [
        Section("pins", "Pinned notes", pins),
        Section("open_p1_p2", "Open P1 and P2", [_case_item(r) for r in urgent]),
        Section("waiting_on_us", "Waiting on us", [_case_item(r) for r in waiting]),
    ]
    for make in EXTRA_SECTIONS:
        sections.extend(make(store, since, now, options))
    sections += [
        Section("new", "New cases", [_case_item(r, created=_iso(r.created_date)) for r in new]),
        Section("changed", "Changed by the provider", [_case_item(r) for r in changed]),
        Section(
            "changed_by_us", "Changed only by our writes", [_case_item(r) for r in changed_by_us]
        ),
        Section("sent", "Sent by us", sent),
        Section("snoozed", "Snoozed", snoozed),
    ]
    return HandoverReport(profile=profile, generated=now, since=since, sections=sections)


_ORDER = ("id", "priority", "status", "subject", "service", "site", "created", "changed")


def _md_item(item: dict[str, Any]) -> str:
    head = clean(item.get("id") or "?")
    from expereo_tui.triage.labels import subject_label

    shown = {**item, "subject": subject_label(item["subject"])} if item.get("subject") else item
    parts = [
        (f"{k} {clean(shown[k])}" if k in ("created", "changed") else clean(shown[k]))
        for k in _ORDER[1:]
        if shown.get(k)
    ]
    line = f"- **{head}**"
    if "kind" in item:  # a write we sent
        line += f" {clean(item['kind'])} at {clean(item.get('sent'))}"
        if item.get("text"):
            line += f": {clean(str(item['text'])[:200])}"
        return line
    if parts:
        line += " " + " · ".join(parts)
    if item.get("wakes"):
        line += f" — wakes {clean(item['wakes'])}"
    if item.get("note"):
        mark = "📌 " if item.get("pinned") else ""  # a pinned note, not a computed one
        line += f"\n  - {mark}{clean(item['note'])}"
    return line


def to_markdown(report: HandoverReport) -> str:
    who = f" ({clean(report.profile)})" if report.profile else ""
    lines = [
        f"# Handover{who}",
        "",
        f"{_iso(report.since)} → {_iso(report.generated)}",
    ]
    for section in report.sections:
        lines += ["", f"## {section.title} ({len(section.items)})", ""]
        if not section.items:
            lines.append(f"_{section.empty}_")
        lines += [_md_item(item) for item in section.items]
    return "\n".join(lines) + "\n"


def to_json(report: HandoverReport) -> str:
    doc = {
        "profile": report.profile,
        "generated": _iso(report.generated),
        "since": _iso(report.since),
        **{s.key: s.items for s in report.sections},
    }
    return json.dumps(doc, indent=2, default=str) + "\n"


def osc52(text: str) -> str:
    """The escape that puts ``text`` on the clipboard of the terminal (works over SSH)."""
    return "\x1b]52;c;" + base64.b64encode(text.encode()).decode() + "\x07"


def parse_since(text: str, now: float) -> float:
    """``8h``, ``30m``, ``2d`` (back from now) or any time ui/timeparse reads; ValueError."""
    from expereo_tui.shift.timeparse import parse_when

    value = text.strip()
    if value[:1].isdigit() and value[-1:].lower() in "smhdw" and value[:-1].strip().isdigit():
        value = "-" + value
    moment = parse_when(value, datetime.fromtimestamp(now, UTC))
    return moment.timestamp()
