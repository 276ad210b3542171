"""A V1 (GraphQL) client and sync engine on the simulator in-process, all on one fake clock;
the transport records what each GraphQL request asked for."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from expereo_tui.api.v1 import V1Client
from expereo_tui.api.v2 import ClientSettings
from expereo_tui.sim import SimTransport, Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from tests.sim_fixtures import TEST_SECRET, FakeClock
from tests.sync.conftest import Recorder


class RecordingTransport(SimTransport):
    """The simulator's transport, keeping each GraphQL body (query, variables) it carried."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__(app=sim.app)
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/graphql":
            self.bodies.append(json.loads(request.content))
        return await super().handle_async_request(request)


def make_v1_client(
    sim: Simulator, clock: FakeClock, *, secret: str = TEST_SECRET
) -> tuple[V1Client, RecordingTransport]:
    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    transport = RecordingTransport(sim)
    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="test-client",
        client_secret=secret,
    )
    client = V1Client(
        settings, transport=transport, clock=clock, sleep=fake_sleep, rng=random.Random(0)
    )
    return client, transport


@pytest.fixture
def events() -> Recorder:
    return Recorder()


@pytest.fixture
def store(tmp_path: Path, sim_clock: FakeClock) -> Store:
    return Store(tmp_path / "v1.sqlite3", clock=sim_clock)


@pytest.fixture
async def v1(
    sim: Simulator, sim_clock: FakeClock
) -> AsyncIterator[tuple[V1Client, RecordingTransport]]:
    client, transport = make_v1_client(sim, sim_clock)
    async with client:
        yield client, transport


@pytest.fixture
def engine(
    store: Store, v1: tuple[V1Client, RecordingTransport], events: Recorder, sim_clock: FakeClock
) -> SyncEngine:
    return SyncEngine(
        store, v1[0], on_event=events.append, clock=sim_clock, settings=SyncSettings()
    )
