"""The simulated world: the data and its rules, shared by both faces of the simulator.

``World`` holds the seeded data (accounts, sites, services, cases, messages, invoices), the
registered API clients, the clock and its strictly increasing stamps, and the Idempotency-Key
records.  The rules that change it live beside it: ``writes.py`` (create, update, reply: case
types, the incident window, the HC0011 quirk) and ``activity.py`` (what happens at the provider).
Nothing here knows HTTP, Starlette or GraphQL: the faces (``v2.py``, ``v1.py``) and the
middleware (``middleware.py``) import this module, never the other way round.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .auth import TokenIssuer
from .seed import SeedBuilder, SimData, iso


@dataclass
class Idempotent:
    """What one Idempotency-Key did: the request it came with and, once done, its answer."""

    fingerprint: tuple[str, str, bytes]
    status: int | None = None  # None: the first request is still being processed
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class World:
    """The data, the clients and the clock; every change happens under ``lock``."""

    def __init__(
        self, seed: int, scale: str, clock: Callable[[], float], epoch: float | None = None
    ) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        now = datetime.fromtimestamp(clock(), UTC)
        seeded_at = now if epoch is None else datetime.fromtimestamp(epoch, UTC)
        self.builder = SeedBuilder(self.rng, seeded_at)
        self.data: SimData = self.builder.build(scale)
        self.lock = threading.RLock()
        self.issuer = TokenIssuer(clock)
        # [assume] Idempotency-Key: (client id, key) -> the first request's answer
        self.idempotency: dict[tuple[str, str], Idempotent] = {}
        self._last_stamp = now

    def number_after(self, case_number: int, message_number: int) -> None:
        """New cases and messages from here on are numbered after these (see
        ``SimConfig.ids_after``); the seeded ones keep theirs."""
        data = self.data
        data.next_case_number = max(data.next_case_number, case_number)
        data.next_message_number = max(data.next_message_number, message_number)

    def stamp(self) -> str:
        """Now as a wire timestamp, strictly after the previous stamp (no ties)."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return iso(now)

    def client_name(self, client_id: str) -> str:
        """The name a client registered with (its id when it is not registered)."""
        client = self.issuer.clients.get(client_id)
        return client.name if client else client_id
