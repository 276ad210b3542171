"""The local store: one SQLite database (WAL) per profile.

Everything the UI shows is read from here (fast, indexed, works offline); the sync engine writes
what the API returns.  :class:`Store` is the one object the rest of the app holds: it opens the
:class:`~.database.Database` (connection, lock, transactions, opening) and holds the small stores
of one concern each, which callers use directly: ``store.cases``, ``store.inventory``,
``store.invoices``, ``store.drafts``, ``store.outbox``, ``store.meta``, ``store.activity``,
``store.shift``.  One door a concern (issue #27): the small store is the door; ``Store`` itself
keeps only the database's condition and the operations that span two small stores in one
transaction (:meth:`Store.enqueue`) or carry a policy of their own (:meth:`Store.mark_read`).
Several processes (several SSH sessions of one team) may open the same file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expereo_tui.locations import store_path

from .activity import ActivityStore, CaseActivity
from .cases import SORT_COLUMNS, CaseRow, CaseStore, InboxSummary, UpsertResult, message_key, ts
from .database import (
    Database,
    StoreError,
    StoreFullError,
    StoreNotice,
    StoreReadOnlyError,
)
from .drafts import DraftStore
from .inventory import InventoryStore
from .invoices import InvoiceStore
from .meta import MetaStore
from .outbox import OutboxEntry, OutboxStore
from .outbox_types import AlreadyQueued, OutboxKind, OutboxStatus
from .query import CaseQuery
from .shift import ShiftStore

log = logging.getLogger(__name__)

__all__ = [
    "SORT_COLUMNS",
    "CaseQuery",
    "CaseActivity",
    "CaseRow",
    "InboxSummary",
    "AlreadyQueued",
    "OutboxEntry",
    "OutboxKind",
    "OutboxStatus",
    "Store",
    "StoreError",
    "StoreFullError",
    "StoreNotice",
    "StoreReadOnlyError",
    "UpsertResult",
    "message_key",
    "ts",
]

if TYPE_CHECKING:  # the models load when a row is first turned into one
    pass


class Store:
    """The database, its condition, and the small stores (see the module's docstring)."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], float] | None = None,
        reset: bool = False,
        busy_timeout: float = 5.0,
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect,
    ) -> None:
        """Open (creating/migrating) the database; see :mod:`.database` for what happens to a
        corrupt, newer, read-only or full one.  ``reset`` sets an existing file aside first."""
        self.database = Database(
            path, clock=clock, reset=reset, busy_timeout=busy_timeout, connect=connect
        )
        self.path = self.database.path
        self.clock = self.database.clock
        self.inventory = InventoryStore(self.database)
        self.invoices = InvoiceStore(self.database)
        self.cases = CaseStore(self.database)
        self.drafts = DraftStore(self.database)
        self.outbox = OutboxStore(self.database)
        self.meta = MetaStore(self.database)
        self.activity = ActivityStore(self.database)  # triage: thread summary, status history
        self.shift = ShiftStore(self.database)  # pins, snoozes, saved views (never sent)

    @classmethod
    def for_profile(cls, profile: str, *, reset: bool = False) -> Store:
        """The database of a profile under the platformdirs data dir."""

        return cls(store_path(profile), reset=reset)

    # -- the database and its condition ------------------------------------------------------
    def set_cache_kib(self, kib: int) -> None:
        """Bound SQLite's page cache (database.CACHE_KIB unless a benchmark asks)."""
        self.database.set_cache_kib(kib)

    def stamp(self) -> tuple[int, int]:
        """Changes with every write: this process's and another's (a cached read is current
        while the stamp it was read at still is)."""
        return self.database.stamp()

    def highest_ids(self) -> tuple[str | None, str | None]:
        """The greatest case id and message id stored (by text), or None: the demo's simulator
        numbers its live cases and messages after them."""
        rows = self.database.rows(
            "SELECT (SELECT max(id) FROM cases) AS c, (SELECT max(id) FROM messages) AS m"
        )
        return (rows[0]["c"], rows[0]["m"]) if rows else (None, None)

    @property
    def notice(self) -> StoreNotice | None:
        """What happened at open that the user must be told (a file set aside), if anything."""
        return self.database.notice

    @property
    def recovered_from(self) -> Path | None:
        """Where a corrupt database was moved, if it was."""
        notice = self.database.notice
        return notice.path if notice is not None and notice.code == "recovered" else None

    @property
    def read_only_notice(self) -> StoreNotice | None:
        """Why the store cannot be written, when it cannot."""
        return self.database.read_only_notice

    @property
    def problem(self) -> StoreNotice | None:
        """The store's condition now: read-only, or the disk full; None when writes work."""
        if self.database.read_only_notice is not None:
            return self.database.read_only_notice
        if self.database.full:
            return StoreNotice("disk_full", self.path)
        return None

    def retry_writes(self) -> bool:
        """After a full disk, or a store that turned read-only while running: True once a
        write succeeds again (drafts held meanwhile are written then)."""
        if not self.database.retry():
            return False
        self.drafts.flush()  # a draft too big for the room there is keeps the disk "full"
        return not self.database.full

    def close(self) -> None:
        self.database.close()

    def data_version(self) -> int:
        """Changes when another connection (another process) commits: poll it to notice."""
        return self.database.data_version()

    # -- read state (a mark the store cannot write now is dropped: the case stays as it was) --
    def mark_read(self, case_id: str) -> None:
        try:
            self.cases.mark_read(case_id)
        except (StoreFullError, StoreReadOnlyError) as exc:
            log.info("read mark of %s not stored: %s", case_id, exc.code)

    def mark_unread(self, case_id: str) -> None:
        try:
            self.cases.mark_unread(case_id)
        except (StoreFullError, StoreReadOnlyError) as exc:
            log.info("unread mark of %s not stored: %s", case_id, exc.code)

    # -- outbox ------------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        case_id: str | None = None,
        draft_key: str | None = None,
    ) -> OutboxEntry:
        """Add a pending write and delete its draft in ONE transaction."""
        entry = self.outbox.enqueue(kind, payload, case_id=case_id, draft_key=draft_key)
        if draft_key:
            self.drafts.forget(draft_key)
        return entry
