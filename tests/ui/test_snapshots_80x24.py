"""The shift at the 80×24 floor (issue 32, "Done when"): the inbox's `w` view, the wall's
incidents, a case with a toast, the handover.  The inbox's default view is
test_snapshots.test_inbox_80x24 and the wall's overview test_triage_snapshots.test_triage_wall_80x24.
Fixed clock, seeded data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from tests.sim_fixtures import FakeClock

from .conftest import screen_text, until
from .test_wall import make_wall


def test_inbox_whose_turn_view_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp]
) -> None:
    app = make_app(inbox_open_only=True)

    async def whose_turn(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        await pilot.press("w")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=whose_turn)


def test_wall_incidents_80x24(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """The incidents by urgency: P1s first, the rest counted per priority on the last row."""
    app = make_wall(sim, store, sim_clock)

    async def incidents(pilot: Pilot[Any]) -> None:
        await pilot.press("right")
        await until(pilot, lambda: "Incidents by urgency" in screen_text(app))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=incidents)


def test_case_with_a_toast_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    """A toast over an open case: below the header, beside the thread."""
    busy = max(sim.data.messages, key=lambda c: len(sim.data.messages[c]))
    app = make_app()

    async def toast(pilot: Pilot[Any]) -> None:
        app.action_open_case(busy)
        await until(pilot, lambda: bool(app.screen.query("MessageView")))
        app.notify("New P1 case CS-1000999: Service down", title="expereo",
                   severity="warning", markup=False, timeout=3600)  # fmt: skip
        await until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=toast)


def test_handover_80x24(snap_compare: Any, make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app(inbox_open_only=True)

    async def handover(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
        await pilot.press("H")
        await until(pilot, lambda: type(app.screen).__name__ == "HandoverScreen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=handover)
