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


# -- the numbers behind the module's rules, worked out by hand: reads refill at 3 a second; a
# bucket that runs dry keeps HEADROOM (0.15 s, so 0.45 of a read token) behind the server's.
ONE_READ = 1 / 3


async def _reads(rl: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    """When each of ``n`` reads went, from now."""
    start, out = clock.now, []
    for _ in range(n):
        await rl.acquire("read")
        out.append(clock.now - start)
    return out


async def test_after_a_429_with_no_wait_the_next_read_keeps_the_headroom() -> None:
    """The server's bucket is empty: ours goes to empty and HEADROOM behind it, once."""
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(0)
    went = await _reads(rl, clock, 3)
    assert went == pytest.approx([n * ONE_READ + HEADROOM for n in (1, 2, 3)])
    assert rl.waited == pytest.approx(3 * ONE_READ + HEADROOM)  # every wait added up


async def test_a_429_after_a_burst_adds_no_second_headroom() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    await _reads(rl, clock, 50)  # dry: already HEADROOM behind
    rl.penalise(0)
    assert await _reads(rl, clock, 1) == pytest.approx([ONE_READ + HEADROOM])


async def test_a_429_blocks_for_its_retry_after_and_no_longer() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(10)
    assert rl.budget.blocked_until == pytest.approx(clock.now + 10)
    assert await _reads(rl, clock, 1) == pytest.approx([10.0])  # 30 tokens back by then
    clock2 = FakeClock()
    rl2 = limiter(clock2)
    rl2.penalise(-5)  # a date in the past: no block, only the empty bucket
    assert rl2.budget.blocked_until is None
    assert await _reads(rl2, clock2, 1) == pytest.approx([ONE_READ + HEADROOM])


async def test_a_full_bucket_is_in_step_again_and_a_new_burst_keeps_the_headroom() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    first = await _reads(rl, clock, 51)
    assert first[-1] == pytest.approx(ONE_READ + HEADROOM)
    clock.advance(60)  # full again
    again = await _reads(rl, clock, 51)
    assert again[49] == 0 and again[-1] == pytest.approx(ONE_READ + HEADROOM)


@pytest.mark.parametrize(("gap", "rate"), [(59.0, 3.0 * 0.7), (60.0, 3.0), (61.0, 3.0)])
async def test_only_a_second_429_within_a_minute_slows_reads(gap: float, rate: float) -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(0)
    clock.advance(gap)
    rl.penalise(0)
    assert rl.budget.read_rate == pytest.approx(rate)


async def test_the_read_rate_recovers_one_step_after_a_quiet_minute() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(0)
    clock.advance(1)
    rl.penalise(0)
    last = clock.now
    assert rl.budget.read_rate == pytest.approx(2.1)
    clock.now = last + 59.5  # not yet a quiet minute
    await rl.acquire("read")
    assert rl.budget.read_rate == pytest.approx(2.1)
    clock.now = last + 60  # a minute after the last 429
    await rl.acquire("read")
    assert rl.budget.read_rate == pytest.approx(3.0)


async def test_a_read_long_after_a_single_429_does_not_make_the_next_one_a_second() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.penalise(0)
    clock.advance(61)
    await rl.acquire("read")  # quiet for a minute: nothing to recover, nothing restarted
    clock.advance(1)
    rl.penalise(0)  # 62 s after the first: a single 429 again
    assert rl.budget.read_rate == pytest.approx(3.0)
