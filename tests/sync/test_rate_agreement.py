"""The client's rate buckets and the simulator's agree, so a long sync never meets a 429: not
at the end of the burst of 50 (where a token out of step shows first), not when the first
request was slower than the rest, and a single 429 costs only its Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from expereo_tui.sim import Simulator
from tests.sim_fixtures import FakeClock, make_client

READS = 80  # the burst of 50 and 30 more at the sustained rate


class Latency(httpx.AsyncBaseTransport):
    """Each request reaches the simulator ``delay(request, n)`` seconds (fake clock) after it
    left the client; ``n`` counts the API requests (token requests excluded)."""

    def __init__(
        self, sim: Simulator, clock: FakeClock, delay: Callable[[httpx.Request, int], float]
    ) -> None:
        self.inner = sim.transport()
        self.clock = clock
        self.delay = delay
        self.api_requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/"):
            self.api_requests += 1
        self.clock.advance(self.delay(request, self.api_requests))
        return await self.inner.handle_async_request(request)


def _case_id(sim: Simulator) -> str:
    return next(iter(sim.data.cases))


async def _reads(sim: Simulator, clock: FakeClock, transport: Latency) -> float:
    case_id = _case_id(sim)
    start = clock.now
    async with make_client(sim, clock, transport=transport) as api:
        for _ in range(READS):
            await api.get_case(case_id)
        assert api.budget.read_rate == 3.0
    return clock.now - start


async def test_a_slow_token_fetch_does_not_put_the_buckets_out_of_step(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    """The token takes 0.3 s to come: the server's bucket starts when the first request
    arrives, so ours must not start counting before it (no 429 after the burst)."""

    def delay(request: httpx.Request, n: int) -> float:
        return 0.3 if request.url.path.endswith("/token") else 0.01

    elapsed = await _reads(sim, sim_clock, Latency(sim, sim_clock, delay))
    assert sim.limiter.rejected == 0
    assert elapsed == pytest.approx((READS - 50) / 3, abs=1.0)  # still the documented rate


async def test_a_slow_first_request_does_not_cause_a_429_at_the_burst_boundary(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    """The first request takes 100 ms (connection set-up), the rest 10 ms: each later request
    arrives relatively earlier than the client counted it; the client's headroom absorbs it."""

    def delay(request: httpx.Request, n: int) -> float:
        return 0.1 if n == 1 else 0.01

    elapsed = await _reads(sim, sim_clock, Latency(sim, sim_clock, delay))
    assert sim.limiter.rejected == 0
    assert elapsed == pytest.approx((READS - 50) / 3, abs=1.0)


async def test_one_429_costs_its_retry_after_and_the_rate_stays(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    """A single 429 (a bucket out of step, a neighbour's burst) must not slow the rest of a
    long sync: 30 reads after it still go at 3/s."""
    transport = Latency(sim, sim_clock, lambda request, n: 0.0)
    case_id = _case_id(sim)
    async with make_client(sim, sim_clock, transport=transport) as api:
        for _ in range(50):
            await api.get_case(case_id)
        sim.faults.storm_429 = 1
        sim.faults.storm_retry_after = 2
        start = sim_clock.now
        for _ in range(31):
            await api.get_case(case_id)
        assert api.budget.read_rate == 3.0
    # the Retry-After, then 31 reads at 3/s (the 2 s of the block refilled 6 tokens)
    assert sim_clock.now - start == pytest.approx(2 + (31 - 6) / 3, abs=1.0)
    assert sim.limiter.rejected == 0
