"""UI test set-up: a real store filled from the seeded simulator, the app on a fixed clock, and
(when a test needs the network) a real sync engine talking to the simulator in-process."""

from __future__ import annotations

import html
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.options import AppOptions
from tests.sim_fixtures import FakeClock, make_client
from tests.store.test_store import fill

os.environ["TZ"] = "UTC"  # local times on screen are the same on every machine
time.tzset()


@pytest.fixture
def store(tmp_path: Path, sim: Simulator, sim_clock: FakeClock) -> Store:
    s = Store(tmp_path / "ui.sqlite3", clock=sim_clock)
    fill(s, sim)
    return s


def engine_factory(
    sim: Simulator,
    store: Store,
    clock: FakeClock,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> Callable[..., SyncEngine]:
    from expereo_tui.sync.engine import SyncSettings

    def factory(on_event: Callable[..., None]) -> SyncEngine:
        return SyncEngine(
            store,
            make_client(sim, clock, transport=transport),
            on_event=on_event,
            clock=clock,
            settings=SyncSettings(**settings),
            rng=random.Random(0),
        )

    return factory


@pytest.fixture
def make_app(sim: Simulator, store: Store, sim_clock: FakeClock) -> Callable[..., ExpereoApp]:
    def make(
        *,
        online: bool = False,
        store_: Store | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> ExpereoApp:
        st = store_ or store
        # tests written before the inbox opened on open cases see every case unless they ask
        options = {
            "bell": False,
            "desktop_notifications": False,
            "inbox_open_only": False,
            **options,
        }
        opts = AppOptions(clock=sim_clock, **options)
        factory = (
            engine_factory(sim, st, sim_clock, transport, read_only=opts.read_only)
            if online
            else None
        )
        return ExpereoApp(store=st, engine_factory=factory, options=opts)

    return make


#: how long ``until`` lets the app run before the test is red: generous, for a loaded machine
#: (the suite's own per-test timeout is 60 s)
UNTIL_SECONDS = 30.0


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = UNTIL_SECONDS
) -> None:
    """Let the app run until ``condition`` holds: it waits for the condition, never a fixed
    time, and gives up at a deadline of real time (not after a number of rounds, which a loaded
    machine gets through more slowly than an idle one)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not reached in {seconds:g} s")
        await pilot.pause()


def screen_text(app: ExpereoApp) -> str:
    """What a person sees: the plain text of the current screen (from an SVG screenshot)."""
    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg)
    return html.unescape(text).replace("\xa0", " ")


async def engine_of(pilot: Pilot[Any], app: ExpereoApp) -> SyncEngine:
    """The app's sync engine once it has started (after the first frame, in a worker)."""
    await until(pilot, lambda: app.engine is not None)
    assert app.engine is not None
    return app.engine
