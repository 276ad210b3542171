"""Jittered exponential back-off for the sync engine's retries."""

from __future__ import annotations

import random


class Backoff:
    """``next()`` returns base·2ⁿ seconds (capped), with ±25 % jitter; ``reset()`` after success."""

    def __init__(
        self, base: float = 2.0, cap: float = 300.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        delay: float = min(self.cap, self.base * (2.0**self.failures))
        self.failures += 1
        return delay * self._rng.uniform(0.75, 1.25)

    def reset(self) -> None:
        self.failures = 0
