"""Client-side rate limiting: two token buckets (reads, writes) matching the documented budget,
so the app never sends what the API would refuse.

The server counts a request when it arrives, the client when it sends it; once a bucket runs
dry, a request that travels faster than the first one did would find the server's bucket a
little short.  So a bucket that runs dry keeps :data:`HEADROOM` seconds behind the server's
(the burst itself is not delayed).  A 429 blocks both buckets until its Retry-After; a second
429 within :data:`RECOVER_AFTER` seconds also shrinks the read rate, which recovers after a
quiet minute.  A single 429 costs only its Retry-After."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC


@dataclass(frozen=True)
class RateLimits:
    """The documented budgets (configurable: the provider may change them)."""

    read_rate: float = 3.0  # tokens per second
    read_burst: int = 50
    write_rate: float = 0.5  # 30 per minute
    write_burst: int = 30


@dataclass(frozen=True)
class RateBudget:
    """A snapshot of the limiter for display: tokens left now and when reads resume."""

    read_available: float
    read_capacity: int
    write_available: float
    write_capacity: int
    read_rate: float  # current (possibly shrunk after 429s) refill rate per second
    blocked_until: float | None  # clock time before which nothing is sent (Retry-After)


class _Bucket:
    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.stamp = now
        self.lagging = False  # ran dry and keeps HEADROOM behind the server's bucket

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            if self.tokens >= self.capacity:  # full again: in step with the server's
                self.lagging = False
        self.stamp = max(self.stamp, now)

    def take(self) -> None:
        self.tokens -= 1
        if self.tokens < 1 - EPSILON and not self.lagging:
            self.lagging = True
            self.tokens -= HEADROOM * self.rate


SHRINK = 0.7
MIN_READ_RATE = 0.5
RECOVER_AFTER = 60.0
EPSILON = 1e-6
#: seconds a dry bucket keeps behind the server's: covers the first request's extra latency
#: (connection set-up) and loopback jitter, so the request after a burst is never refused
HEADROOM = 0.15
# a Retry-After further away than this is read as this: one of days (or "inf") must not stop
# the app for good (docs/api-assumptions.md: "anything beyond an hour is read as an hour")
MAX_RETRY_AFTER = 3600.0


class RateLimiter:
    """``await acquire("read"|"write")`` waits (with the injected sleep) for a token."""

    def __init__(
        self,
        limits: RateLimits,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        now = clock()
        self._read = _Bucket(limits.read_burst, limits.read_rate, now)
        self._write = _Bucket(limits.write_burst, limits.write_rate, now)
        self.blocked_until: float | None = None
        self._last_429: float | None = None
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting (for tests and benchmarks)

    def _recover(self, now: float) -> None:
        if (
            self._read.rate < self.limits.read_rate
            and self._last_429 is not None
            and now - self._last_429 >= RECOVER_AFTER
        ):
            self._read.refill(now)
            self._read.rate = min(self.limits.read_rate, self._read.rate / SHRINK)
            self._last_429 = now  # one step per quiet minute

    async def acquire(self, kind: str) -> None:
        bucket = self._read if kind == "read" else self._write
        async with self._lock:  # FIFO: callers are served in order
            while True:
                now = self.clock()
                self._recover(now)
                if self.blocked_until is not None and now < self.blocked_until:
                    wait = self.blocked_until - now
                else:
                    bucket.refill(now)
                    if bucket.tokens >= 1 - EPSILON:  # float time: 0.9999999 is a token
                        bucket.take()
                        return
                    wait = max((1 - bucket.tokens) / bucket.rate, 0.001)
                self.waited += wait
                await self.sleep(wait)

    def penalise(self, retry_after: float) -> None:
        """The server said 429: wait ``retry_after``; the server's bucket is empty, so ours is
        too.  Only a second 429 within :data:`RECOVER_AFTER` seconds slows reads down: one 429
        (a bucket a token out of step) must not cost the rest of a long sync."""
        now = self.clock()
        until = now + min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        self.blocked_until = max(self.blocked_until or 0.0, until)
        read = self._read
        read.refill(now)
        if self._last_429 is not None and now - self._last_429 < RECOVER_AFTER:
            read.rate = max(MIN_READ_RATE, read.rate * SHRINK)
        read.tokens = min(read.tokens, 0.0) - (0.0 if read.lagging else HEADROOM * read.rate)
        read.lagging = True
        self._last_429 = now

    @property
    def budget(self) -> RateBudget:
        now = self.clock()
        self._read.refill(now)
        self._write.refill(now)
        blocked = self.blocked_until if self.blocked_until and self.blocked_until > now else None
        return RateBudget(
            read_available=max(0.0, self._read.tokens),
            read_capacity=self._read.capacity,
            write_available=max(0.0, self._write.tokens),
            write_capacity=self._write.capacity,
            read_rate=self._read.rate,
            blocked_until=blocked,
        )


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (``120``) or an HTTP date
    (``Wed, 25 Nov 2026 19:30:00 GMT``, compared with ``now``, epoch seconds).  None when
    absent or unreadable; a date in the past is 0."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        from email.utils import parsedate_to_datetime  # rare: not worth its import at launch

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110: HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
