"""A Retry-After given as an HTTP date is read against the wall clock (epoch seconds), and the
wait it means is kept on the monotonic clock. The two clocks differ here, as on a real machine
(monotonic: seconds since boot), so reading the date against the wrong one shows."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from email.utils import formatdate

import httpx
import pytest

from expereo_tui.api.errors import RateLimitedError
from expereo_tui.api.ratelimit import parse_retry_after
from expereo_tui.api.v2 import ClientSettings, V2Client
from tests.sim_fixtures import FIXED_NOW, FakeClock

from .test_client import SECRET, Api, ok_case

BOOT = 5_000.0  # the monotonic clock: seconds since the machine started


def client_on_two_clocks(
    server: Api, retries: int = 4
) -> tuple[V2Client, FakeClock, FakeClock, list[float]]:
    mono, wall = FakeClock(BOOT), FakeClock(FIXED_NOW)
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        mono.advance(seconds)
        wall.advance(seconds)

    settings = ClientSettings(
        base_url="https://api.test",
        token_url="https://api.test/oauth2/token",
        client_id="cid",
        client_secret=SECRET,
        scopes=["customerapi/support.read"],
        max_get_retries=retries,
    )
    client = V2Client(
        settings,
        transport=httpx.MockTransport(server),
        clock=mono,
        wall_clock=wall,
        sleep=fake_sleep,
        rng=random.Random(1),
    )
    return client, mono, wall, slept


def date_in(seconds: float) -> str:
    return formatdate(FIXED_NOW + seconds, usegmt=True)


@pytest.mark.parametrize(
    ("ahead", "low", "high"),
    [(30, 30.0, 31.0), (1, 1.0, 2.0), (0, 0.0, 1.0), (-1, 0.0, 1.0)],  # under 1 s: the pacing
)
async def test_a_429_with_an_http_date_waits_until_that_date(
    ahead: int, low: float, high: float
) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": date_in(ahead)})])
    server = Api(lambda r: next(answers, None) or ok_case(r))
    client, mono, _, slept = client_on_two_clocks(server)
    async with client:
        start = mono.now
        assert (await client.get_case("CS-1")).id == "CS-1"
        assert low <= mono.now - start < high
    assert low <= sum(slept) < high


async def test_a_429_date_given_up_on_reports_the_seconds_left() -> None:
    server = Api(lambda r: httpx.Response(429, headers={"Retry-After": date_in(30)}))
    client, mono, _, _ = client_on_two_clocks(server, retries=0)
    async with client:
        with pytest.raises(RateLimitedError) as info:
            await client.get_case("CS-1")
        assert info.value.retry_after == 30.0
        assert client.budget.blocked_until == pytest.approx(mono.now + 30.0)


@pytest.mark.parametrize(("ahead", "waits"), [(7, 7.0), (8, 8.0), (6, 6.0)])
async def test_a_5xx_back_off_honours_an_http_date(ahead: int, waits: float) -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": date_in(ahead)})])
    client, _, _, slept = client_on_two_clocks(Api(lambda r: next(answers, None) or ok_case(r)))
    async with client:
        await client.get_case("CS-1")
    assert slept == [waits]


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """Local time well away from UTC: a date read as local time would be hours off."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Wed, 18 Nov 2026 11:08:10 -0000", 90.0),  # no zone given: HTTP dates are GMT
        ("Wed, 18 Nov 2026 11:08:10 GMT", 90.0),
        ("Wed, 18 Nov 2026 20:08:10 +0900", 90.0),
        ("Wed, 18 Nov 2026 11:06:39 -0000", 0.0),  # a second ago: at once
    ],
)
def test_an_http_date_is_gmt_whatever_the_local_time(header: str, seconds: float) -> None:
    assert parse_retry_after(header, FIXED_NOW) == seconds  # FIXED_NOW: 11:06:40 GMT
