"""The local store: one SQLite database (WAL) per profile.

Everything the UI shows is read from here (fast, indexed, works offline); the sync engine writes
what the API returns.  :class:`Store` is the one object the rest of the app holds: a facade over
the :class:`~.database.Database` (connection, lock, transactions, opening) and the small stores
of one concern each (:mod:`.inventory`, :mod:`.cases`, :mod:`.drafts`, :mod:`.outbox`,
:mod:`.meta`).  Several processes (several SSH sessions of one team) may open the same file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .outbox import OutboxEntry, OutboxStore, Restore
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

if TYPE_CHECKING:  # the models (pydantic) load when a row is first turned into one
    from expereo_tui.api.models import (
        Account,
        Case,
        CaseMessage,
        Invoice,
        InvoiceLineDetail,
        Service,
        Site,
    )


class Store:
    """Every store operation the app uses, each delegated to the small store that owns it."""

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
        self.invoice_store = InvoiceStore(self.database)
        self.cases = CaseStore(self.database)
        self.draft_store = DraftStore(self.database)
        self.outbox_store = OutboxStore(self.database)
        self.meta = MetaStore(self.database)
        self.activity = ActivityStore(self.database)  # triage: thread summary, status history
        self.shift = ShiftStore(self.database)  # pins, snoozes, saved views (never sent)

    @classmethod
    def for_profile(cls, profile: str, *, reset: bool = False) -> Store:
        """The database of a profile under the platformdirs data dir."""
        from expereo_tui.locations import store_path

        return cls(store_path(profile), reset=reset)

    # -- the database and its condition ------------------------------------------------------
    def set_cache_kib(self, kib: int) -> None:
        """Bound SQLite's page cache (the wall's is smaller: database.WALL_CACHE_KIB)."""
        self.database.set_cache_kib(kib)

    def stamp(self) -> tuple[int, int]:
        """Changes with every write: this process's and another's (a cached read is current
        while the stamp it was read at still is)."""
        return self.database.stamp()

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
    def read_only(self) -> StoreNotice | None:
        """Why the store cannot be written, when it cannot."""
        return self.database.read_only

    @property
    def problem(self) -> StoreNotice | None:
        """The store's condition now: read-only, or the disk full; None when writes work."""
        if self.database.read_only is not None:
            return self.database.read_only
        if self.database.full:
            return StoreNotice("disk_full", self.path)
        return None

    def retry_writes(self) -> bool:
        """After a full disk: True once a write succeeds again (drafts held meanwhile are
        written then)."""
        if not self.database.retry():
            return False
        self.draft_store.flush()  # a draft too big for the room there is keeps the disk "full"
        return not self.database.full

    def close(self) -> None:
        self.database.close()

    def data_version(self) -> int:
        """Changes when another connection (another process) commits: poll it to notice."""
        return self.database.data_version()

    # -- inventory ---------------------------------------------------------------------------
    def upsert_accounts(self, items: Iterable[Account]) -> int:
        return self.inventory.upsert_accounts(items)

    def upsert_sites(self, items: Iterable[Site]) -> int:
        return self.inventory.upsert_sites(items)

    def upsert_services(self, items: Iterable[Service]) -> int:
        return self.inventory.upsert_services(items)

    def upsert_invoices(self, items: Iterable[Invoice]) -> int:
        return self.inventory.upsert_invoices(items)

    def accounts(self) -> list[Account]:
        return self.inventory.accounts()

    def invoices(self) -> list[Invoice]:
        return self.inventory.invoices()

    def sites(self, account_id: str) -> list[Site]:
        return self.inventory.sites(account_id)

    def services(
        self,
        *,
        account_id: str | None = None,
        site_id: str | None = None,
        without_site: bool = False,
    ) -> list[Service]:
        return self.inventory.services(
            account_id=account_id, site_id=site_id, without_site=without_site
        )

    def site(self, site_id: str) -> Site | None:
        return self.inventory.site(site_id)

    def service(self, service_id: str) -> Service | None:
        return self.inventory.service(service_id)

    def search_services(self, text: str, limit: int = 50) -> list[Service]:
        return self.inventory.search_services(text, limit)

    def search_inventory(self, text: str, limit: int = 500) -> tuple[list[Site], list[Service]]:
        return self.inventory.search_inventory(text, limit)

    def service_status_counts(self, site_id: str) -> dict[str, int]:
        return self.inventory.service_status_counts(site_id)

    def inventory_counts(self, account_id: str) -> tuple[int, int]:
        return self.inventory.inventory_counts(account_id)

    # -- invoices and their lines ------------------------------------------------------------
    def account_invoices(
        self, account_id: str, *, sort: str = "date", descending: bool = True
    ) -> list[Invoice]:
        return self.invoice_store.account_invoices(account_id, sort=sort, descending=descending)

    def invoice_count(self, account_id: str) -> int:
        return self.invoice_store.invoice_count(account_id)

    def invoice(self, invoice_id: str) -> Invoice | None:
        return self.invoice_store.invoice(invoice_id)

    def store_invoice_lines(self, invoice_id: str, lines: Sequence[InvoiceLineDetail]) -> int:
        return self.invoice_store.store_invoice_lines(invoice_id, lines)

    def invoice_lines(self, invoice_id: str) -> list[InvoiceLineDetail] | None:
        return self.invoice_store.invoice_lines(invoice_id)

    def service_invoice_lines(self, service_id: str) -> list[tuple[Invoice, InvoiceLineDetail]]:
        return self.invoice_store.service_invoice_lines(service_id)

    def invoices_without_lines(
        self, limit: int = 100, *, account_id: str | None = None
    ) -> list[str]:
        return self.invoice_store.invoices_without_lines(limit, account_id=account_id)

    # -- cases and the inbox -----------------------------------------------------------------
    def upsert_cases(self, items: Sequence[Case], *, mark_read: bool = False) -> UpsertResult:
        return self.cases.upsert_cases(items, mark_read=mark_read)

    def case(self, case_id: str) -> Case | None:
        return self.cases.case(case_id)

    def case_last_modified(self, case_id: str) -> datetime | None:
        return self.cases.case_last_modified(case_id)

    def latest_case_modified(self) -> datetime | None:
        return self.cases.latest_case_modified()

    def query_cases(self, query: CaseQuery, *, offset: int = 0, limit: int = 50) -> list[CaseRow]:
        return self.cases.query_cases(query, offset=offset, limit=limit)

    def count_cases(self, query: CaseQuery) -> int:
        return self.cases.count_cases(query)

    def status_counts(self, query: CaseQuery | None = None) -> dict[str, int]:
        return self.cases.status_counts(query)

    def warm_inbox(self) -> None:
        self.cases.warm_inbox()

    def inbox_is_warm(self) -> bool:
        return self.cases.inbox_is_warm()

    def inbox_summary(self, query: CaseQuery) -> InboxSummary:
        return self.cases.inbox_summary(query)

    def inbox_page(self, query: CaseQuery, *, offset: int = 0, limit: int = 50) -> list[CaseRow]:
        return self.cases.inbox_page(query, offset=offset, limit=limit)

    def case_count(self) -> int:
        return self.cases.case_count()

    # -- messages ----------------------------------------------------------------------------
    def upsert_messages(self, case_id: str, items: Sequence[CaseMessage]) -> list[str]:
        return self.cases.upsert_messages(case_id, items)

    def thread(
        self, case_id: str, *, offset: int = 0, limit: int | None = None
    ) -> list[CaseMessage]:
        return self.cases.thread(case_id, offset=offset, limit=limit)

    def message_count(self, case_id: str) -> int:
        return self.cases.message_count(case_id)

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

    def is_unread(self, case_id: str) -> bool:
        return self.cases.is_unread(case_id)

    def unread_count(self, query: CaseQuery | None = None) -> int:
        return self.cases.unread_count(query)

    # -- drafts ------------------------------------------------------------------------------
    def save_draft(self, key: str, data: dict[str, Any]) -> None:
        self.draft_store.save_draft(key, data)

    def load_draft(self, key: str) -> dict[str, Any] | None:
        return self.draft_store.load_draft(key)

    def delete_draft(self, key: str) -> None:
        self.draft_store.delete_draft(key)

    def drafts(self) -> dict[str, dict[str, Any]]:
        return self.draft_store.drafts()

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
        entry = self.outbox_store.enqueue(kind, payload, case_id=case_id, draft_key=draft_key)
        if draft_key:
            self.draft_store.forget(draft_key)
        return entry

    def enqueue_many(
        self, kind: str, items: Iterable[tuple[str | None, dict[str, Any]]]
    ) -> list[OutboxEntry]:
        """Several pending writes in ONE transaction (a bulk action)."""
        return self.outbox_store.enqueue_many(kind, items)

    def outbox(self, *, statuses: Iterable[str] = ("queued", "sending")) -> list[OutboxEntry]:
        return self.outbox_store.outbox(statuses=statuses)

    def outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        return self.outbox_store.outbox_entry(entry_id)

    def outbox_attempt(self, entry_id: int, *, at: float) -> None:
        self.outbox_store.outbox_attempt(entry_id, at=at)

    def outbox_retry_later(self, entry_id: int, *, error: str, next_attempt_at: float) -> None:
        self.outbox_store.outbox_retry_later(entry_id, error=error, next_attempt_at=next_attempt_at)

    def outbox_sent(self, entry_id: int, *, result_id: str | None) -> None:
        self.outbox_store.outbox_sent(entry_id, result_id=result_id)

    def outbox_failed(self, entry_id: int, *, error: str, restore: Restore | None = None) -> None:
        self.outbox_store.outbox_failed(entry_id, error=error, restore=restore)

    # -- sync watermarks / key-value ---------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return self.meta.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self.meta.set_meta(key, value)
