"""The NOC wall: counts, cycling, unmissable freshness, burn-in care, flat over time."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import ContentSwitcher, Digits

from expereo_tui.api.models import OPEN_STATUSES
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.screens.wall import WallScreen
from expereo_tui.ui.wall import WallApp
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import engine_factory, screen_text, until


def make_wall(
    sim: Simulator, store: Store, clock: FakeClock, *, online: bool = False, **options: Any
) -> WallApp:
    options.setdefault("wall_tick_seconds", 3600.0)  # the tests tick the wall by hand
    opts = AppOptions(clock=clock, bell=False, desktop_notifications=False, **options)
    factory = engine_factory(sim, store, clock, read_only=True) if online else None
    return WallApp(store=store, engine_factory=factory, options=opts)


async def _wall(app: WallApp, pilot: Any) -> WallScreen:
    await until(
        pilot, lambda: isinstance(app.screen, WallScreen) and bool(app.screen.query(Digits))
    )
    assert isinstance(app.screen, WallScreen)
    return app.screen


async def test_headline_counts_match_the_store(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        p1 = store.count_cases(
            CaseQuery(statuses=frozenset(OPEN_STATUSES), priorities=frozenset({"P1"}))
        )
        assert screen.query_one("#digits-p1", Digits).value == str(p1)
        assert app.options.read_only
        assert app.focused is None  # no focus cursor on a wall


async def test_views_cycle_and_space_pauses(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock, wall_cycle_seconds=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        switcher = screen.query_one(ContentSwitcher)
        seen = [switcher.current]
        for _ in range(9):
            screen.tick()
            if switcher.current != seen[-1]:
                seen.append(switcher.current)
        assert seen == ["overview", "incidents", "activity", "services"]
        await pilot.press("space")
        before = switcher.current
        for _ in range(10):
            screen.tick()
        assert switcher.current == before
        await until(pilot, lambda: "paused" in screen_text(app))


@pytest.mark.reliability(
    fault="no successful poll for three intervals, then an API outage (wall)",
    sees="a red banner 'STALE — data from …', then OFFLINE; it clears itself when the API is back",
    data="the wall keeps showing the last good data",
    shows="STALE — data from",
)
async def test_stale_offline_and_recovery_fill_the_screen(
    sim: Simulator, store: Store, sim_clock: FakeClock, reliability: Reliability
) -> None:
    store.set_meta("cases_first_sync_done", "1")
    app = make_wall(sim, store, sim_clock, online=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        engine = app.engine
        assert engine is not None
        await until(pilot, lambda: engine.polls >= 1)
        screen.tick()
        assert not screen.has_class("alarm")
        sim_clock.advance(engine.settings.poll_interval * 3 + 5)
        screen.tick()
        assert screen.has_class("alarm")
        await until(pilot, lambda: "STALE — data from" in screen_text(app))
        reliability.check(screen_text(app))
        sim.faults.outage = True
        engine.refresh_now()
        await until(pilot, lambda: engine.state.status == "offline")
        screen.tick()
        await until(pilot, lambda: "OFFLINE" in screen_text(app))
        sim.faults.outage = False
        engine.refresh_now()
        await until(pilot, lambda: engine.state.status == "fresh")
        screen.tick()
        assert not screen.has_class("alarm")


async def test_burn_in_shift_and_night_dim(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    hour = __import__("datetime").datetime.fromtimestamp(sim_clock.now).hour
    app = make_wall(
        sim, store, sim_clock, burn_in_shift_seconds=2, night_dim=(hour, (hour + 1) % 24)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        wall = screen.query_one("#wall")
        offsets = set()
        for _ in range(8):
            screen.tick()
            offsets.add((wall.styles.offset.x.value, wall.styles.offset.y.value))
        assert len(offsets) == 4
        assert screen.has_class("night")


async def test_wall_stays_flat_over_many_refreshes(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        await pilot.pause()
        widgets = len(list(app.screen.walk_children()))
        for _ in range(60):
            sim_clock.advance(60)
            screen.tick()
        await pilot.pause()
        assert len(list(app.screen.walk_children())) == widgets


def test_wall_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock, profile_label="NOC"), terminal_size=(120, 36)
    )


def test_wall_incidents_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)

    async def next_view(pilot: Any) -> None:
        await pilot.press("right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=next_view)


def _wall_view(view: int) -> Any:
    async def before(pilot: Any) -> None:
        for _ in range(view):
            await pilot.press("right")
        await pilot.pause()

    return before


def test_wall_activity_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock), terminal_size=(120, 36), run_before=_wall_view(2)
    )


def test_wall_services_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock), terminal_size=(120, 36), run_before=_wall_view(3)
    )


def test_wall_offline_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    store.set_meta("last_success", str(sim_clock.now - 1800))
    sim.faults.outage = True
    app = make_wall(sim, store, sim_clock, online=True)

    async def before(pilot: Any) -> None:
        await until(pilot, lambda: app.engine is not None and app.engine.state.status == "offline")
        app.screen.tick()  # type: ignore[attr-defined]
        await until(pilot, lambda: "OFFLINE" in screen_text(app))

    assert snap_compare(app, terminal_size=(120, 36), run_before=before)
