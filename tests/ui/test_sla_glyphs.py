"""An at-risk SLA clock shows its own clock's glyph (issue 32: at-risk resolution clocks showed
the first response's)."""

from __future__ import annotations

from expereo_tui.triage.sla import Clock, Level
from expereo_tui.ui.triage_text import sla_text

HOUR = 3600.0


def at_risk(name: str, paused: bool = False) -> Clock:
    clock = Clock(name, start=0.0, target=10 * HOUR, used=9 * HOUR, paused=paused)
    assert clock.level is Level.AT_RISK
    return clock


def test_each_at_risk_clock_has_its_own_glyph() -> None:
    assert sla_text(at_risk("first_response")).plain == "▲ 1h at risk"
    assert sla_text(at_risk("update_interval")).plain == "↻ 1h at risk"
    assert sla_text(at_risk("resolution")).plain == "⚑ 1h at risk"
    assert sla_text(at_risk("resolution", paused=True)).plain == "⏸ 1h at risk"  # not moving
