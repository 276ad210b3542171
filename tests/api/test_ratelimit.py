"""The token-bucket rate limiter on a fake clock: bursts, sustained rates, 429 penalties."""

from __future__ import annotations

import pytest

from expereo_tui.api.ratelimit import HEADROOM, RateLimiter, RateLimits
from tests.sim_fixtures import FakeClock


def limiter(clock: FakeClock) -> RateLimiter:
    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    return RateLimiter(RateLimits(), clock, fake_sleep)


async def test_burst_of_200_reads_takes_the_documented_time() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    start = clock.now
    for _ in range(200):
        await rl.acquire("read")
    assert clock.now - start == pytest.approx((200 - 50) / 3, abs=0.5)


async def test_the_first_50_reads_do_not_wait() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(50):
        await rl.acquire("read")
    assert rl.waited == 0
    assert rl.budget.read_available == pytest.approx(0)


async def test_writes_have_their_own_bucket_of_30_per_minute() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(40):
        await rl.acquire("write")
    # a bucket that runs dry keeps HEADROOM seconds behind the server's
    assert clock.now - FakeClock().now == pytest.approx(10 / 0.5 + HEADROOM, abs=0.1)
    assert rl.budget.read_available == pytest.approx(50)


async def test_a_429_blocks_everything_until_retry_after() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(20)
    assert rl.budget.blocked_until == pytest.approx(clock.now + 20)
    start = clock.now
    await rl.acquire("write")
    assert clock.now - start >= 20
    assert rl.budget.blocked_until is None


async def test_429s_shrink_the_read_rate_to_a_floor_and_it_recovers_when_quiet() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(0)
    assert rl.budget.read_rate == pytest.approx(3.0)  # one 429: only its Retry-After
    rl.penalise(0)
    assert rl.budget.read_rate == pytest.approx(2.1)
    for _ in range(20):
        rl.penalise(0)
    assert rl.budget.read_rate == pytest.approx(0.5)
    for _ in range(10):
        clock.advance(61)
        await rl.acquire("read")
    assert rl.budget.read_rate == pytest.approx(3.0)


async def test_a_nearly_whole_token_on_a_large_clock_does_not_spin() -> None:
    clock = FakeClock(1_795_000_000.0)
    rl = limiter(clock)
    for _ in range(50):
        await rl.acquire("read")
    rl._read.tokens = 1 - 1e-12  # a wait of ~3e-13 s: lost in the clock's float rounding
    await rl.acquire("read")
    rl._read.tokens = 1 - 1e-4
    await rl.acquire("read")
    assert rl.waited < 0.01
