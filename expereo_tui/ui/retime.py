"""When a text that shows a time next changes: the instant a relative age ("11m"), a wait
("provider · 3h") or an SLA cell ("▲ 4m at risk") reads differently, so that a screen repaints
a row only then (never on a fixed tick).

Each function takes the time the text was drawn at and returns the first instant (clock seconds)
at which the same text drawn again may read differently, or None if it never will (a paused
clock).  An instant may come a little early (the caller draws again, finds the same text, and
asks again); it never comes late (by more than EPSILON: a threshold the text crosses
exactly as it is drawn), which would leave a stale text on screen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from expereo_tui.triage.sla import AT_RISK_SHARE, LEVEL_EPSILON, Clock

if TYPE_CHECKING:
    from expereo_tui.store.cases import CaseRow
    from expereo_tui.ui.inbox.columns import RowContext

EPSILON = LEVEL_EPSILON  # past a boundary: the texts change once a threshold is crossed, not on it
_UNITS = (31_536_000, 604_800, 86_400, 3_600, 60)  # format.relative's y, w, d, h, m


def relative_next(moment: datetime | float | None, now: float) -> float | None:
    """When ``format.relative(moment, t)`` next reads differently from at ``now``."""
    if moment is None:
        return None
    stamp = moment.timestamp() if isinstance(moment, datetime) else moment
    seconds = max(0.0, now - stamp)
    if seconds < 5:
        return stamp + 5  # "now" until 5 s, then "5s"
    if seconds < 60:
        return stamp + int(seconds) + 1
    bigger = None  # the next larger unit takes over at its own size (52w -> 1y at 365 d)
    for size in _UNITS:
        if seconds >= size:
            step = (int(seconds // size) + 1) * size
            return stamp + (min(step, bigger) if bigger else step)
        bigger = size
    return None  # not reached: seconds >= 60 matched "m"


def _span_unit(seconds: float) -> float:
    """The step of ``triage_text.span`` at ``seconds`` (>= 0): s, m, h up to two days, d."""
    if seconds < 60:
        return 1
    if seconds < 3_600:
        return 60
    if seconds < 48 * 3_600:
        return 3_600
    return 86_400


def span_up(seconds: float) -> float:
    """How long until ``span(x)`` of a growing ``x`` (now ``seconds``) reads differently."""
    seconds = max(0.0, seconds)
    unit = _span_unit(seconds)
    return (int(seconds // unit) + 1) * unit - seconds


def span_down(seconds: float) -> float:
    """How long until ``span(x)`` of a shrinking ``x >= 0`` (now ``seconds``) reads
    differently: once it drops below the step it shows."""
    unit = _span_unit(seconds)
    return seconds - int(seconds // unit) * unit + EPSILON


def waited_next(since: float, now: float) -> float:
    """When ``span(t - since)`` (a whose-turn wait) next reads differently."""
    return now + span_up(now - since)


def clock_next(clock: Clock | None, now: float) -> float | None:
    """When ``triage_text.sla_text`` of ``clock`` (computed at ``now``) next reads differently:
    its span, its share glyph (a quarter of the target), at risk, breached.  A paused clock does
    not move."""
    if clock is None or clock.paused:
        return None
    left, target, used = clock.left, clock.target, clock.used
    if left <= 0:  # breached: the overdue time grows
        return now + span_up(-left)
    steps = [span_down(left), left + EPSILON]  # the span, the breach
    risk_at = (1 - AT_RISK_SHARE) * target  # at risk once used > 80 % of the target
    if used <= risk_at:
        steps.append(risk_at - used + EPSILON)
        for quarter in (0.125, 0.375, 0.625, 0.875):  # share_glyph rounds share * 4
            if used < quarter * target:
                steps.append(quarter * target - used + EPSILON)
                break
    return now + max(EPSILON, min(steps))


def row_next(row: CaseRow, ctx: RowContext, now: float) -> float | None:
    """When an inbox row drawn at ``now`` next reads differently: its Changed and Age
    columns, its SLA clock, its whose-turn wait (inbox_columns.INBOX_COLUMNS)."""
    if now != ctx.now:
        ctx = replace(ctx, now=now)
    turn = ctx.turn(row)
    times = (
        relative_next(row.last_modified_date, now),
        relative_next(row.created_date, now),
        clock_next(ctx.clock(row), now),
        waited_next(turn.since, now) if turn is not None else None,
    )
    return min((t for t in times if t is not None), default=None)
