"""Regenerate ``screenshots/`` (never edit them by hand): SVGs of each screen from the seeded
simulator on a fixed clock, and a PNG of the app served in headless Chromium when it exists.

    make screenshots
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["TZ"] = "UTC"
time.tzset()

from expereo_tui.sim import SimConfig, Simulator  # noqa: E402
from expereo_tui.sim.text import HOSTILE_TEXTS  # noqa: E402
from expereo_tui.store.store import CaseQuery, Store  # noqa: E402
from expereo_tui.ui.app import ExpereoApp  # noqa: E402
from expereo_tui.ui.options import AppOptions  # noqa: E402
from expereo_tui.ui.wall.app import WallApp  # noqa: E402
from tests.sim_fixtures import FakeClock  # noqa: E402
from tests.store.test_store import fill  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(
    app: ExpereoApp,
    name: str,
    size: tuple[int, int],
    before: Callable[[ExpereoApp, Any], Awaitable[None]] | None = None,
) -> None:
    async with app.run_test(size=size) as pilot:
        for _ in range(5):
            await pilot.pause()
        if before:
            await before(app, pilot)
        for _ in range(5):
            await pilot.pause()
        app.save_screenshot(str(OUT / f"{name}.svg"))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    clock = FakeClock()
    sim = Simulator(SimConfig(seed=7, scale="small", clock=clock))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "shots.sqlite3", clock=clock)
        fill(store, sim)
        for row in store.cases.query_cases(CaseQuery(statuses=frozenset({"In Progress"})), limit=4):
            store.mark_unread(row.id)

        def app(**options: Any) -> ExpereoApp:
            return ExpereoApp(
                store=store, engine_factory=None, options=AppOptions(clock=clock, **options)
            )

        await shoot(app(profile_label="PROD", profile_color="red"), "inbox", (100, 30))
        await shoot(app(), "inbox-80x24", (80, 24))

        busy = max(sim.data.messages, key=lambda c: len(sim.data.messages[c]))

        async def open_case(a: ExpereoApp, pilot: Any) -> None:
            a.action_open_case(busy)

        await shoot(app(), "case", (110, 36), open_case)
        hostile = next(
            c
            for c, msgs in sim.data.messages.items()
            if any(HOSTILE_TEXTS[0] in m["message"] for m in msgs)
        )

        async def open_hostile(a: ExpereoApp, pilot: Any) -> None:
            a.action_open_case(hostile)

        await shoot(app(), "case-hostile-text", (110, 36), open_hostile)
        service = next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")

        async def new_case(a: ExpereoApp, pilot: Any) -> None:
            a.action_new_case(service)

        await shoot(app(), "new-case", (100, 34), new_case)

        async def inventory(a: ExpereoApp, pilot: Any) -> None:
            a.action_open_inventory()
            for _ in range(3):
                await pilot.pause()
            await pilot.press("down", "enter", "down", "down", "enter", "down")

        await shoot(app(), "inventory", (110, 32), inventory)
        await shoot(app(theme="expereo-high-contrast"), "inbox-high-contrast", (100, 30))
        await shoot(app(theme="expereo-16"), "inbox-16-colours", (100, 30))
        wall = WallApp(
            store=store, engine_factory=None, options=AppOptions(clock=clock, profile_label="NOC")
        )
        await shoot(wall, "wall", (140, 42))

        async def incidents(a: ExpereoApp, pilot: Any) -> None:
            await pilot.press("right")

        wall2 = WallApp(store=store, engine_factory=None, options=AppOptions(clock=clock))
        await shoot(wall2, "wall-incidents", (140, 42), incidents)


if __name__ == "__main__":
    asyncio.run(main())
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="expereo-shots-")
    browser = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "browser_check.py"),
            str(OUT / "browser-inbox.png"),
        ],
        check=False,
    )
    if browser.returncode:
        print("no browser screenshot (Chromium missing?)")
    else:
        print("screenshots/browser-inbox.png")
