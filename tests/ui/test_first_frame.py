"""Launch: the first frame shows the inbox's rows, and what it need not wait for (the sync
engine and its imports, the incident clusters) starts only once that frame is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.options import AppOptions
from tests.sim_fixtures import FakeClock

from .conftest import engine_factory, until


async def test_the_engine_starts_after_a_frame_with_the_rows(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    seen: dict[str, Any] = {}
    inner = engine_factory(sim, store, sim_clock)

    def factory(on_event: Callable[..., None]) -> Any:
        screen = app.screen
        seen["screen"] = type(screen).__name__
        seen["rows painted"] = screen.query_one(CaseTable).painted
        seen["first frame"] = app.first_frame_out
        return inner(on_event)

    app = ExpereoApp(
        store=store,
        engine_factory=factory,
        options=AppOptions(clock=sim_clock, bell=False, desktop_notifications=False),
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.engine is not None)
        assert seen == {"screen": "InboxScreen", "rows painted": True, "first frame": True}
        # the inbox is the bottom of the stack: no blank default screen under it
        assert [type(s) for s in app.screen_stack] == [InboxScreen]


async def test_what_waits_on_the_first_frame_runs_once_after_it(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    calls: list[tuple[str, bool]] = []
    app.after_first_frame(lambda: calls.append(("early", app.first_frame_out)))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: bool(calls))
        app.first_frame_painted()  # a second signal changes nothing
        app.after_first_frame(lambda: calls.append(("late", app.first_frame_out)))  # soon
        await until(pilot, lambda: len(calls) == 2)
        await pilot.pause()
        assert calls == [("early", True), ("late", True)]


async def test_the_collector_held_by_the_launch_runs_again_after_the_first_frame(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """``launch.run`` holds the cyclic garbage collector through start-up (~30 ms of collections
    of objects that live as long as the app); after the first frame, what start-up made is
    frozen and the collector runs again, or the app would never free a cycle."""
    import gc

    from expereo_tui.cli.launch import hold_gc_until_first_frame

    app = make_app()
    hold_gc_until_first_frame()
    try:
        assert not gc.isenabled()
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.first_frame_out)
            await until(pilot, gc.isenabled)
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
