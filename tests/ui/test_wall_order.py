"""The wall's incidents, most urgent first (issue 32 item 9): P1s (breached first), then the
other breached, then by priority, the oldest first within each; hand-written cases and order."""

from __future__ import annotations

from expereo_tui.store.store import CaseRow
from expereo_tui.triage.sla import Level
from expereo_tui.ui.wall.screen import HIDDEN_P1_GLYPH, cut, more_line, summary_rows, urgent_first
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


def _incidents(p1: int, p2: int, p3: int) -> list[CaseRow]:
    rows = [row(f"P1-{i}", priority="P1", created=i * HOUR) for i in range(p1)]
    rows += [row(f"P2-{i}", priority="P2", created=i * HOUR) for i in range(p2)]
    return rows + [row(f"P3-{i}", priority="P3", created=i * HOUR) for i in range(p3)]


def test_what_fits_shows_and_the_rest_is_one_line_per_priority() -> None:
    rows = _incidents(2, 3, 10)
    assert cut(rows, 15, 15) == (rows, {})  # all fit: no summary line
    shown, hidden = cut(rows, 15, 8)
    assert [r.id for r in shown] == [r.id for r in rows[:7]]  # the last row says the rest
    assert hidden == {"P3": 8}
    shown, hidden = cut(rows, 20, 8)  # 5 more open than read: past the limit, "lower"
    assert hidden == {"P3": 8, "lower": 5}
    table = summary_rows(13, hidden)
    assert len(table) == 1 and [str(c) for c in table[0][:3]] == ["", "", "+13 more"]
    assert str(table[0][3]) == "P3 8 · lower 5"


def test_hidden_p1s_are_an_alarm_of_their_own() -> None:
    """More P1s than rows: the P1s past the cut are counted on their own line, with a glyph,
    the word and the P1 colour; the "+N more" line counts every hidden one."""
    rows = _incidents(6, 2, 3)
    shown, hidden = cut(rows, 11, 5)
    assert [r.id for r in shown] == ["P1-0", "P1-1", "P1-2"]  # two rows for the summary
    assert hidden == {"P1": 3, "P2": 2, "P3": 3}
    alarm, more = summary_rows(8, hidden)
    assert [str(c) for c in alarm[:3]] == [HIDDEN_P1_GLYPH, "P1", "+3 hidden"]
    assert "P1 NOT SHOWN" in str(alarm[3]) and alarm[3].style  # the word, in a colour
    assert str(more[2]) == "+8 more"
    assert str(more[3]) == "P1 3 · P2 2 · P3 3"
    assert len(shown) + len(summary_rows(8, hidden)) == 5  # the rows the table has
