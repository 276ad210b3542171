"""A sync engine wired to the simulator in-process, all on one fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import SyncEvent
from tests.sim_fixtures import FakeClock, make_client
from tests.waiting import until


class Recorder(list[SyncEvent]):
    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self if isinstance(e, kind)]


@pytest.fixture
def events() -> Recorder:
    return Recorder()


@pytest.fixture
def store(tmp_path: Path, sim_clock: FakeClock) -> Store:
    return Store(tmp_path / "sync.sqlite3", clock=sim_clock)


@pytest.fixture
async def client(sim: Simulator, sim_clock: FakeClock) -> AsyncIterator[V2Client]:
    async with make_client(sim, sim_clock) as c:
        yield c


@pytest.fixture
def engine(
    store: Store, client: V2Client, events: Recorder, sim_clock: FakeClock
) -> SyncEngine:
    return SyncEngine(
        store, client, on_event=events.append, clock=sim_clock, settings=SyncSettings()
    )


async def wait_until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Yield to the loop until ``condition`` holds (a condition, not a fixed sleep)."""
    # a step of 1 ms, not sleep(0): a loop that never blocks keeps the GIL from the store's
    # worker thread, whose every SQLite step then waits a whole switch interval (a 5 ms convoy
    # per row: a 40-row upsert took seconds, and the 10 s limit was missed on a busy machine)
    await until(condition, limit, step=0.001)
