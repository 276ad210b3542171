"""SLA clocks: how much of each target a case has used, counting only the time the provider owes
something (the clock pauses while the case is Awaiting Customer).

Three clocks a case, each against its priority's target:

- **first response**: from the case's creation to the provider's first message;
- **update interval**: from the provider's latest message to its next one;
- **resolution**: from creation (an Incident: its start of incident) until Resolved/Closed.

Resolved and Closed cases have no running clock.  The provider's contract is not in its API
documentation, so :data:`EXAMPLE_TARGETS` are examples only; a profile sets its own in
``[profiles.NAME.sla]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from expereo_tui.api.vocab import DONE_STATUSES, CaseStatus
from expereo_tui.store.activity import CaseActivity
from expereo_tui.store.cases import CaseRow

AWAITING = CaseStatus.AWAITING_CUSTOMER
CLOSED_STATUSES = DONE_STATUSES  # the statuses that end a case: one rule, api/vocab.py
AT_RISK_SHARE = 0.2  # under this share of the target left: at risk
LEVEL_EPSILON = 0.001  # sla_next: just past a level's boundary, not on it
INCIDENT = "Incident"


@dataclass(frozen=True)
class Targets:
    """One priority's targets, in seconds (None: no such clock)."""

    first_response: float | None = None
    update_interval: float | None = None
    resolution: float | None = None


H, M, D = 3600.0, 60.0, 86400.0
#: EXAMPLES, not the provider's contract (which is not in its API documentation): a profile
#: that sets no ``sla`` table runs on these, and the app says so.
EXAMPLE_TARGETS: dict[str, Targets] = {
    "P1": Targets(15 * M, 1 * H, 4 * H),
    "P2": Targets(30 * M, 2 * H, 8 * H),
    "P3": Targets(1 * H, 4 * H, 1 * D),
    "P4": Targets(4 * H, 8 * H, 3 * D),
    "P5": Targets(8 * H, 1 * D, 5 * D),
}
# a case with no priority (API V1 has none) is held to P3's targets, the server's default
NO_PRIORITY = "P3"

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(text: str) -> float:
    """``"15m"``, ``"4h"``, ``"1d"``, ``"1h30m"`` → seconds; ValueError on anything else."""
    match = _DURATION.match(text.lower())
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 15m, 4h, 1d or 1h30m")
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    seconds = days * D + hours * H + minutes * M
    if seconds <= 0:
        raise ValueError(f"{text!r}: a target must be longer than zero")
    return seconds


class Level(StrEnum):
    """Where a clock stands: the glyphs and words the inbox shows come from this."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


@dataclass(frozen=True)
class Clock:
    """One running (or paused) clock of a case."""

    name: str  # "first_response" | "update_interval" | "resolution"
    start: float  # when it started counting (before pauses)
    target: float  # seconds
    used: float  # seconds counted so far, pauses excluded
    paused: bool  # the case is Awaiting Customer: the clock is not moving

    @property
    def left(self) -> float:
        return self.target - self.used

    @property
    def share_used(self) -> float:
        return self.used / self.target

    @property
    def level(self) -> Level:
        if self.left <= 0:
            return Level.BREACHED
        if self.left < AT_RISK_SHARE * self.target:
            return Level.AT_RISK
        return Level.OK

    @property
    def key(self) -> str:
        """Names this clock of this case across polls (a new update window is a new clock)."""
        return f"{self.name}@{int(self.start)}"


def awaiting_spans(row: CaseRow, activity: CaseActivity, now: float) -> list[tuple[float, float]]:
    """The spans the case spent Awaiting Customer, from the observed transitions (the current
    status counts from the row's last change when the poll has not recorded it)."""
    changes = list(activity.transitions)
    if row.status is not None and (not changes or changes[-1][1] != row.status):
        at = row.last_modified_date.timestamp() if row.last_modified_date else now
        changes.append((at, row.status))
    spans: list[tuple[float, float]] = []
    for (at, status), after in zip(changes, [*changes[1:], (now, "")], strict=True):
        if status == AWAITING and after[0] > at:
            spans.append((at, after[0]))
    return spans


def counted(start: float, end: float, pauses: Sequence[tuple[float, float]]) -> float:
    """Seconds from ``start`` to ``end`` outside the paused spans."""
    total = max(0.0, end - start)
    for a, b in pauses:
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            total -= overlap
    return max(0.0, total)


def clocks(
    row: CaseRow, activity: CaseActivity, targets: Mapping[str, Targets], now: float
) -> list[Clock]:
    """The case's running or paused clocks (none when Resolved or Closed, or no target)."""
    if row.status in CLOSED_STATUSES:
        return []
    goal = targets.get(row.priority or NO_PRIORITY)
    if goal is None:
        return []
    created = row.created_date.timestamp() if row.created_date else None
    pauses = awaiting_spans(row, activity, now)
    paused = row.status == AWAITING
    out: list[Clock] = []

    def add(name: str, start: float | None, target: float | None) -> None:
        if start is not None and target is not None:
            out.append(Clock(name, start, target, counted(start, now, pauses), paused))

    if not activity.thread_known:
        pass  # no thread in the store: whether the provider answered is not known, so no clock
    elif activity.first_provider_at is None:
        add("first_response", created, goal.first_response)
    else:
        add("update_interval", activity.last_provider_at, goal.update_interval)
    start = created
    if row.type == INCIDENT and row.start_of_incident is not None:
        start = row.start_of_incident.timestamp()
    add("resolution", start, goal.resolution)
    return out


def most_urgent(
    row: CaseRow, activity: CaseActivity, targets: Mapping[str, Targets], now: float
) -> Clock | None:
    """The clock with the least time left: the one the inbox shows and sorts by."""
    running = clocks(row, activity, targets, now)
    return min(running, key=lambda c: c.left) if running else None


def sla_next(clock: Clock | None, now: float) -> float | None:
    """When ``clock`` next changes level (ok -> at risk -> breached), or None."""
    if clock is None or clock.paused:
        return None
    if clock.left <= 0:
        return None
    risk_at = (1 - AT_RISK_SHARE) * clock.target
    if clock.used <= risk_at:
        return now + risk_at - clock.used + LEVEL_EPSILON
    return now + clock.left + LEVEL_EPSILON
