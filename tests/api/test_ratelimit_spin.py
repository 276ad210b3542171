"""The rate limiter never spins or stalls, whatever the floats: on a large epoch clock a wait
can round away to nothing (now + 3e-13 == now), and a server can send any Retry-After.
A spin shows as a red test, not a stuck suite: the fake sleep counts its calls, and a short
pytest-timeout backs it up."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expereo_tui.api.ratelimit import MAX_RETRY_AFTER, RateLimiter, RateLimits
from tests.sim_fixtures import FakeClock

pytestmark = pytest.mark.timeout(20)

MAX_SLEEPS = 2_000  # a token at 0.5/s after a 300 s block takes a handful; a spin takes millions


class Spinning(AssertionError):
    pass


def limiter(clock: FakeClock) -> tuple[RateLimiter, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > MAX_SLEEPS:
            raise Spinning(f"{len(sleeps)} sleeps, the last ones {sleeps[-3:]}")
        clock.advance(seconds)

    return RateLimiter(RateLimits(), clock, fake_sleep), sleeps


@given(
    start=st.floats(min_value=0, max_value=1e11),
    short=st.floats(min_value=0, max_value=1, exclude_max=True),
    kind=st.sampled_from(["read", "write"]),
)
def test_a_token_short_by_any_amount_comes_in_bounded_sleeps(
    start: float, short: float, kind: str
) -> None:
    clock = FakeClock(start)
    rl, sleeps = limiter(clock)
    bucket = rl._read if kind == "read" else rl._write
    bucket.tokens = 1 - short
    before = clock.now
    asyncio.run(rl.acquire(kind))
    assert len(sleeps) <= 3
    # it waited about what the missing part of a token takes, not more
    assert clock.now - before <= short / bucket.rate + 0.01 + 1e-6 * max(1.0, start)


@given(
    start=st.floats(min_value=0, max_value=1e11),
    retry_after=st.one_of(
        st.floats(min_value=0, max_value=1e12),
        st.sampled_from([math.inf, math.nan, -1.0, 1e-300]),
    ),
)
def test_any_retry_after_ends_in_bounded_time(start: float, retry_after: float) -> None:
    clock = FakeClock(start)
    rl, sleeps = limiter(clock)
    rl.penalise(retry_after)
    blocked = rl.budget.blocked_until
    assert blocked is None or blocked <= clock.now + MAX_RETRY_AFTER
    asyncio.run(rl.acquire("write"))
    assert len(sleeps) <= 3
    assert clock.now - start <= MAX_RETRY_AFTER + 1


async def test_a_long_run_on_a_large_clock_keeps_the_documented_rate() -> None:
    """1,000 reads one after another on an epoch clock: no spin, and 3 per second after the
    burst of 50."""
    clock = FakeClock(1_795_000_000.0)
    rl, sleeps = limiter(clock)
    for _ in range(1_000):
        await rl.acquire("read")
    assert clock.now - 1_795_000_000.0 == pytest.approx(950 / 3, abs=1)
    assert len(sleeps) <= 1_000
