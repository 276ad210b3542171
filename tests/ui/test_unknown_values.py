"""Values the API may add after us are shown as they came, and as text only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from expereo_tui.api.models import CaseMessage
from expereo_tui.sim import Simulator
from expereo_tui.sim.faults import INVALID_UTF8_MARK
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.thread_view import message_text
from tests.reliability_plugin import Reliability

from .conftest import screen_text, until


def test_an_unknown_message_type_is_shown_as_it_came() -> None:
    msg = CaseMessage(id="m1", message="maintenance window", type="System\x1b[2J")
    line = message_text(msg, 0.0).plain.splitlines()[0]
    assert line.startswith("◆ System")
    assert "You" not in line and "Expereo" not in line and "\x1b" not in line
    ours = message_text(CaseMessage(id="m2", message="x", type="Customer"), 0.0).plain
    theirs = message_text(CaseMessage(id="m3", message="x", type="Expereo"), 0.0).plain
    assert ours.startswith("▶ You") and theirs.startswith("◀ Expereo")


@pytest.mark.reliability(
    fault="a P1 whose subject holds bytes that are not UTF-8 (an item the API sent damaged)",
    sees="the case in the inbox; its detail says what was repaired",
    data="kept, repaired (U+FFFD), never dropped; only an item with no usable id is skipped",
    shows="repaired on arrival",
)
async def test_a_p1_with_invalid_utf8_in_its_subject_shows_in_the_inbox_and_says_repaired(
    make_app: Callable[..., ExpereoApp],
    sim: Simulator,
    store: Store,
    reliability: Reliability,
) -> None:
    """Repair, don't drop: the P1 is in the inbox (its bad bytes shown as U+FFFD) and its
    detail says what was repaired."""
    case = next(c for c in sim.data.cases.values() if c["status"] == "In Progress")
    case.update(
        {
            "priority": "P1",
            "type": "Incident",
            "subject": INVALID_UTF8_MARK.decode("ascii"),
            "lastModifiedDate": sim.stamp(),
        }
    )
    sim.faults.bad_items = True
    app = make_app(online=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: case["id"] in screen_text(app))
        assert store.cases.case(case["id"]) is not None
        app.action_open_case(case["id"])
        await until(pilot, lambda: "repaired on arrival" in screen_text(app))
        assert "U+FFFD" in screen_text(app)
        reliability.check(screen_text(app))
