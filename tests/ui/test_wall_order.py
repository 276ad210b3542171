"""The wall's incidents, most urgent first (issue 32 item 9): P1s (breached first), then the
other breached, then by priority, the oldest first within each; hand-written cases and order."""

from __future__ import annotations

from expereo_tui.triage.sla import Level
from expereo_tui.ui.wall.screen import more_line, urgent_first
from tests.triage.rows import HOUR, T0, row

NOW = T0 + 1000 * HOUR


def test_p1s_then_breached_then_priority_then_oldest() -> None:
    rows = [
        row("P3-NEW", priority="P3", created=900 * HOUR),
        row("P3-OLD-BREACHED", priority="P3", created=10 * HOUR),
        row("P1-YOUNG", priority="P1", created=990 * HOUR),
        row("P2-OLD", priority="P2", created=20 * HOUR),
        row("P1-OLD", priority="P1", created=30 * HOUR),
        row("P1-BREACHED", priority="P1", created=995 * HOUR),
        row("P2-NEW", priority="P2", created=950 * HOUR),
        row("NONE", priority=None, created=0.0),
        row("P4-BREACHED", priority="P4", created=500 * HOUR),
    ]
    worst = {"P3-OLD-BREACHED": Level.BREACHED, "P1-BREACHED": Level.BREACHED,
             "P4-BREACHED": Level.BREACHED, "P2-NEW": Level.AT_RISK}  # fmt: skip
    assert [r.id for r in urgent_first(rows, worst, NOW)] == [
        "P1-BREACHED",
        "P1-OLD",
        "P1-YOUNG",
        "P3-OLD-BREACHED",
        "P4-BREACHED",
        "P2-OLD",
        "P2-NEW",
        "P3-NEW",
        "NONE",
    ]


def test_the_cut_is_counted_per_priority() -> None:
    assert more_line(16, {"P2": 4, "P3": 12}) == "+16 more: P2 4 · P3 12"
    assert more_line(3) == "+3 more"
