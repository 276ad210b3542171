"""Simulator fixtures shared by every test package: a seeded small simulator, an in-process
transport to it, and a real loopback server for tests of the transport itself."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

import httpx
import pytest

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import SimConfig, SimTransport, Simulator, run_server

FIXED_NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z: seeded data is the same on every run


class FakeClock:
    """A settable clock (seconds since the epoch) for the simulator and the code under test."""

    def __init__(self, start: float = FIXED_NOW) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim_clock() -> FakeClock:
    return FakeClock()


#: the simulator's modes: ``normal`` behaves as we assumed; ``unknowns`` (``sim --unknowns``)
#: answers the unhelpful way wherever the provider's documents are silent
SIM_MODES = ("normal", "unknowns")
#: a suite that must hold under both modes: ``pytestmark = BOTH_MODES`` (as tests/v1 re-runs
#: suites on API V1)
BOTH_MODES = pytest.mark.parametrize("sim_mode", SIM_MODES, indirect=True)


@pytest.fixture
def sim_mode(request: pytest.FixtureRequest) -> str:
    """``normal`` unless a test or module parametrizes it (:data:`BOTH_MODES`)."""
    mode = getattr(request, "param", "normal")
    assert mode in SIM_MODES, mode
    return str(mode)


@pytest.fixture
def sim(sim_clock: FakeClock, sim_mode: str) -> Simulator:
    """A small seeded simulator on a fake clock; rate limits on, as documented."""
    return Simulator(
        SimConfig(
            seed=7,
            scale="small",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=sim_clock,
            unknowns=sim_mode == "unknowns",
        )
    )


def normal_only(sim: Simulator, why: str) -> None:
    """Skip a test under ``--unknowns`` that checks an assumption that mode breaks on purpose
    (``why`` names it); the test still runs under the normal mode."""
    if sim.config.unknowns:
        pytest.skip(f"--unknowns: {why}")


@pytest.fixture
def sim_transport(sim: Simulator) -> SimTransport:
    return sim.transport()


@pytest.fixture
def live_sim_url(sim: Simulator) -> Iterator[str]:
    """The ``sim`` fixture served on a real loopback socket."""
    with run_server(sim) as url:
        yield url


TEST_SECRET = "test-secret-do-not-log"


class SentRequest(NamedTuple):
    method: str
    url: httpx.URL
    body: bytes


class RecordingTransport(httpx.AsyncBaseTransport):
    """The simulator's in-process transport, keeping every request as it reached the server
    (URL with its query, and the body), for tests that check what was actually sent."""

    def __init__(self, sim: Simulator) -> None:
        self.inner = sim.transport()
        self.sent: list[SentRequest] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.sent.append(SentRequest(request.method, request.url, body))
        return await self.inner.handle_async_request(request)

    def api(self, method: str | None = None) -> list[SentRequest]:
        """The API requests (not token requests), optionally of one method."""
        return [
            r
            for r in self.sent
            if r.url.path.startswith("/v2/") and (method is None or r.method == method)
        ]


def make_client(
    sim: Simulator,
    clock: FakeClock,
    *,
    secret: str = TEST_SECRET,
    scopes: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> V2Client:
    """A client of the ``sim`` fixture, in-process, on the same fake clock (sleeping advances it)."""

    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="test-client",
        client_secret=secret,
        scopes=scopes or [],
    )
    return V2Client(
        settings,
        transport=transport or sim.transport(),
        clock=clock,
        sleep=fake_sleep,
        rng=random.Random(0),
    )
