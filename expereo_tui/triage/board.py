"""What the wall and the alerts count over every open case: SLA clocks at risk or breached (the
cases waiting on us are counted by ``turn.waiting_on_us``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from expereo_tui.store.activity import CaseActivity
from expereo_tui.store.cases import CaseRow

from .sla import Clock, Level, Targets, clocks

_NONE = CaseActivity()


@dataclass(frozen=True)
class Board:
    """Counts over the open cases, and the clocks that are at risk or breached (worst first)."""

    breached: int
    at_risk: int
    alarming: tuple[tuple[CaseRow, Clock], ...]


def board(
    rows: Sequence[CaseRow],
    activity: Mapping[str, CaseActivity],
    targets: Mapping[str, Targets],
    now: float,
) -> Board:
    breached = at_risk = 0
    alarming: list[tuple[CaseRow, Clock]] = []
    for row in rows:
        act = activity.get(row.id, _NONE)
        worst = None
        for clock in clocks(row, act, targets, now):
            if clock.level is not Level.OK:
                alarming.append((row, clock))
                if worst is None or clock.left < worst.left:
                    worst = clock
        if worst is not None:  # a case counts once, by its worst clock
            if worst.level is Level.BREACHED:
                breached += 1
            else:
                at_risk += 1
    alarming.sort(key=lambda rc: rc[1].left)
    return Board(breached, at_risk, tuple(alarming))
