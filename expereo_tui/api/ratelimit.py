"""Client-side rate limiting: two token buckets (reads, writes) matching the documented budget,
so the app never sends what the API would refuse.  A 429 blocks both buckets until its
Retry-After and shrinks the read rate, which recovers after a quiet minute."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime


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

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)


SHRINK = 0.7
MIN_READ_RATE = 0.5
RECOVER_AFTER = 60.0
EPSILON = 1e-6
MAX_RETRY_AFTER = 300.0  # a Retry-After of days (or "inf") must not stop the app for good


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
                        bucket.tokens = max(0.0, bucket.tokens - 1)
                        return
                    wait = max((1 - bucket.tokens) / bucket.rate, 0.001)
                self.waited += wait
                await self.sleep(wait)

    def penalise(self, retry_after: float) -> None:
        """The server said 429: wait ``retry_after`` and slow down reads."""
        now = self.clock()
        until = now + min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        self.blocked_until = max(self.blocked_until or 0.0, until)
        self._read.refill(now)
        self._read.rate = max(MIN_READ_RATE, self._read.rate * SHRINK)
        self._read.tokens = min(self._read.tokens, 1.0)
        self._last_429 = now

    @property
    def budget(self) -> RateBudget:
        now = self.clock()
        self._read.refill(now)
        self._write.refill(now)
        blocked = self.blocked_until if self.blocked_until and self.blocked_until > now else None
        return RateBudget(
            read_available=self._read.tokens,
            read_capacity=self._read.capacity,
            write_available=self._write.tokens,
            write_capacity=self._write.capacity,
            read_rate=self._read.rate,
            blocked_until=blocked,
        )


MAX_RETRY_AFTER = 3600.0  # a Retry-After further away than this is read as this


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
