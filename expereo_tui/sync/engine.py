"""The sync engine.  INTERFACE STUB — implemented under issue #4 (sync part)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from expereo_tui.api.client import ExpereoClient, RateBudget
from expereo_tui.api.models import CaseCreate, CaseUpdate
from expereo_tui.store.store import Store

from .events import SyncEvent, SyncState


@dataclass(frozen=True)
class SyncSettings:
    poll_interval: float = 30.0  # seconds, idle default
    active_poll_interval: float = 10.0  # while a case is open and recently active
    max_poll_interval: float = 300.0
    inventory_interval: float = 900.0
    stale_after_intervals: int = 3
    read_only: bool = False


class SyncEngine:
    """Runs inside the app's asyncio loop (``start`` creates its tasks).  All network work
    happens in its own tasks; public methods return at once."""

    def __init__(
        self,
        store: Store,
        client: ExpereoClient,
        *,
        on_event: Callable[[SyncEvent], None],
        settings: SyncSettings | None = None,
        clock: Callable[[], float] | None = None,
        lock_path: Path | None = None,  # None: no cross-process lock (always the poller)
    ) -> None:
        raise NotImplementedError

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    @property
    def state(self) -> SyncState: ...
    @property
    def budget(self) -> RateBudget: ...
    @property
    def is_poller(self) -> bool:
        """False when another process on this host holds the profile's poll lock."""
        ...

    def refresh_now(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    @property
    def paused(self) -> bool: ...
    def set_active_case(self, case_id: str | None) -> None:
        """The case the user has open: polled more often, its thread fetched first."""
        ...
    async def fetch_thread(self, case_id: str) -> None:
        """Fetch one case's thread now (the user opened it)."""
        ...

    # writes: durably enqueued in the store (with their draft) before returning the entry id
    def send_reply(self, case_id: str, text: str, *, draft_key: str | None = None) -> int: ...
    def create_case(self, body: CaseCreate, *, draft_key: str | None = None) -> int: ...
    def update_case(self, case_id: str, body: CaseUpdate, *, draft_key: str | None = None
                    ) -> int: ...
