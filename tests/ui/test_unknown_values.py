"""Values the API may add after us are shown as they came, and as text only."""

from __future__ import annotations

from expereo_tui.api.models import CaseMessage
from expereo_tui.ui.case.thread_view import message_text


def test_an_unknown_message_type_is_shown_as_it_came() -> None:
    msg = CaseMessage(id="m1", message="maintenance window", type="System\x1b[2J")
    line = message_text(msg, 0.0).plain.splitlines()[0]
    assert line.startswith("◆ System")
    assert "You" not in line and "Expereo" not in line and "\x1b" not in line
    ours = message_text(CaseMessage(id="m2", message="x", type="Customer"), 0.0).plain
    theirs = message_text(CaseMessage(id="m3", message="x", type="Expereo"), 0.0).plain
    assert ours.startswith("▶ You") and theirs.startswith("◀ Expereo")
