"""Soak the NOC wall: many simulated hours of live activity on an accelerated clock.

    python -m benchmarks.wall_soak [HOURS] [MINUTES_PER_POLL]

Each step advances the clock a minute, lets the simulator produce activity, runs one real poll
through the sync engine and one tick of the wall.  Prints RSS, widget and timer counts at the
start and the end (they must stay flat), the RSS at the end of the first simulated hour (after
warm-up) against the end of the last one (target ratio ≤ 1.05; default 72 hours), and the time
per simulated hour as a ratio to a baseline measured in the same run (one store query).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.screens.wall import WallScreen
from expereo_tui.ui.wall import WallApp
from tests.sim_fixtures import FakeClock, make_client

SOAK_TARGET = 1.05  # RSS of the last simulated hour against the first, after warm-up


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def counts(app: WallApp) -> tuple[int, int]:
    nodes = [app, *app.screen.walk_children(with_self=True)]
    timers = sum(len(getattr(n, "_timers", ())) for n in nodes)
    return len(nodes), timers


async def soak(hours: float, step_minutes: int = 1) -> int:
    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=3,
            scale="medium",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=clock,
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "soak.sqlite3", clock=clock)
        engines: list[SyncEngine] = []

        def factory(on_event):  # type: ignore[no-untyped-def]
            engine = SyncEngine(
                store,
                make_client(sim, clock),
                on_event=on_event,
                clock=clock,
                settings=SyncSettings(read_only=True, poll_interval=1e9),
            )
            engines.append(engine)
            return engine

        app = WallApp(
            store=store,
            engine_factory=factory,
            options=AppOptions(clock=clock, bell=False, desktop_notifications=False),
        )
        async with app.run_test(size=(160, 50)) as pilot:
            while not (engines and engines[0].polls >= 1):
                await pilot.pause()
            engine = engines[0]
            screen = app.screen
            assert isinstance(screen, WallScreen)
            for _ in range(5):
                await pilot.pause()
            start_rss, (start_nodes, start_timers) = rss_mb(), counts(app)
            started = time.perf_counter()
            steps = int(hours * 60 / step_minutes)
            per_hour = max(1, 60 // step_minutes)
            hourly: list[float] = []  # RSS at the end of each simulated hour
            for step in range(steps):
                clock.advance(60 * step_minutes)
                sim.step_activity(step_minutes)
                await engine.poll_once()
                for _ in range(step_minutes):
                    screen.tick()
                if step % 10 == 0:
                    await pilot.pause()
                if step % per_hour == per_hour - 1:
                    hourly.append(rss_mb())
            await pilot.pause()
            took = time.perf_counter() - started
            end_rss, (end_nodes, end_timers) = rss_mb(), counts(app)
            t0 = time.perf_counter()
            for _ in range(20):
                store.query_cases(CaseQuery(), limit=200)
            baseline = (time.perf_counter() - t0) / 20
        print(
            f"simulated {hours:g} h ({steps} polls, {store.case_count()} cases at the end) "
            f"in {took:.1f} s"
        )
        per_hour = took / hours
        print(
            f"per simulated hour: {per_hour * 1000:.0f} ms = {per_hour / baseline:.0f}× "
            f"baseline (one inbox query, {baseline * 1000:.2f} ms)"
        )
        print(f"RSS     {start_rss:8.1f} MB → {end_rss:8.1f} MB  ({end_rss / start_rss:.2f}×)")
        growth = hourly[-1] / hourly[0] if len(hourly) >= 2 else 1.0
        if len(hourly) >= 2:
            print(
                f"RSS end of hour 1 (after warm-up) {hourly[0]:.1f} MB, end of hour "
                f"{len(hourly)} {hourly[-1]:.1f} MB: {growth:.3f}× (target ≤ {SOAK_TARGET})"
            )
        print(f"widgets {start_nodes:8d}    → {end_nodes:8d}")
        print(f"timers  {start_timers:8d}    → {end_timers:8d}")
        flat = (
            end_nodes == start_nodes
            and end_timers == start_timers
            and end_rss < start_rss * 1.5 + 20
            and growth <= SOAK_TARGET
        )
        print("FLAT" if flat else "GROWING")
        return 0 if flat else 1


def main() -> int:
    hours = float(sys.argv[1]) if len(sys.argv) > 1 else 72.0
    step_minutes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    return asyncio.run(soak(hours, step_minutes))


if __name__ == "__main__":
    raise SystemExit(main())
