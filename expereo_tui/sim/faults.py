"""Faults the simulator injects on demand, and its per-client rate limiter."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    """What goes wrong, and how often.  Set by flags, by tests directly, or through
    ``POST /_sim/faults`` with a JSON object of these fields."""

    latency: float = 0.0  # seconds added to every API request
    error_rate: float = 0.0  # share of API requests answered 500
    storm_429: int = 0  # the next N API requests answer 429 (with Retry-After)
    storm_retry_after: int = 2  # seconds, for storm_429
    reset_rate: float = 0.0  # share of API requests whose connection is reset
    malformed_json_rate: float = 0.0  # share of GETs answered with broken JSON
    lost_write_responses: int = 0  # next N writes are committed, then the connection resets
    hang_after_commit: float = 0.0  # with lost_write_responses: wait this long before resetting
    drop_writes: int = 0  # next N writes: the connection resets BEFORE anything is committed
    commit_delay: float = 0.0  # seconds a write waits before committing (a client may time out)
    write_response_shape: str = "data"  # data: {"data": ...} | bare: the object | empty: 204
    extra_fields: bool = False  # add unknown fields to every item
    outage: bool = False  # every API request fails with 503 (the API is down)
    token_ttl: int = 3600  # lifetime in seconds of tokens issued from now on

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys raise ``KeyError`` naming them."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise KeyError(", ".join(unknown))
        for key, value in values.items():
            current = getattr(self, key)
            setattr(self, key, type(current)(value))

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second, on an injectable clock."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.tokens = capacity
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> float:
        """Take a token: 0.0 on success, else the seconds until one is available."""
        self._refill()
        if self.tokens >= 1 - 1e-6:  # float time: 0.9999999 is a token
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class SimLimits:
    """The documented budgets ([assume] token buckets): reads 50 burst at 3/s, writes 30 at 0.5/s."""

    read_rate: float = 3.0
    read_burst: int = 50
    write_rate: float = 0.5
    write_burst: int = 30
    enabled: bool = True


class RateLimiter:
    """One read bucket and one write bucket per API client."""

    def __init__(self, limits: SimLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self.rejected = 0

    def check(self, client_id: str, kind: str) -> int:
        """0 when the request may proceed, else the Retry-After seconds (≥ 1)."""
        if not self.limits.enabled:
            return 0
        bucket = self._buckets.get((client_id, kind))
        if bucket is None:
            lim = self.limits
            cap, rate = (
                (lim.read_burst, lim.read_rate)
                if kind == "read"
                else (lim.write_burst, lim.write_rate)
            )
            bucket = self._buckets[(client_id, kind)] = TokenBucket(cap, rate, self.clock)
        wait = bucket.take()
        if wait <= 0:
            return 0
        self.rejected += 1
        return max(1, math.ceil(wait))
