"""The Store facade.  INTERFACE STUB — implemented under issue #4 (store part).

One SQLite database (WAL) per profile.  Thread-safe: one connection guarded by a lock
(``check_same_thread=False``) so the sync engine may write from a worker thread while the UI
reads.  Every method is synchronous and fast (indexed); the UI may call the read methods
directly, the sync engine wraps writes in ``asyncio.to_thread`` when they are large.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from expereo_tui.api.models import Account, Case, CaseMessage, Invoice, Service, Site

# Columns the inbox can sort on (CaseQuery.sort uses these names).
SORT_COLUMNS = (
    "unread", "priority", "status", "type", "subject", "id", "service", "site",
    "customer_reference", "last_modified", "created",
)


@dataclass(frozen=True)
class CaseQuery:
    """Inbox filter + sort.  Empty sets mean 'any'; filters combine with AND."""

    statuses: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    service_id: str | None = None
    site_id: str | None = None
    account_id: str | None = None
    text: str = ""  # case-insensitive substring over id, subject, customer ref, service, site
    unread_only: bool = False
    # (column, descending).  Default: unread first, then priority (P1 first), then newest change.
    sort: tuple[tuple[str, bool], ...] = (("unread", True), ("priority", False),
                                          ("last_modified", True))


@dataclass(frozen=True)
class CaseRow:
    """One inbox row: the case plus joined names and its read state."""

    id: str
    subject: str | None
    type: str | None
    status: str | None
    priority: str | None
    service_id: str | None
    service_name: str | None
    site_id: str | None
    site_name: str | None
    customer_reference: str | None
    created_date: datetime | None
    last_modified_date: datetime | None
    start_of_incident: datetime | None
    unread: bool


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert of cases changed, compared with what the store had."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # last_modified_date moved
    # case id -> (old, new) for the fields the UI announces
    status_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    priority_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str  # "reply" | "create" | "update"
    case_id: str | None
    payload: dict[str, Any]  # camelCase wire body
    draft_key: str | None
    idempotency_key: str  # uuid4 hex, fixed at enqueue
    status: str  # queued | sending | sent | failed
    attempts: int
    first_attempt_at: float | None
    next_attempt_at: float | None
    last_error: str | None
    created_at: float
    result_id: str | None


class Store:
    def __init__(self, path: Path | str, *, clock: Callable[[], float] | None = None) -> None:
        """Open (creating/migrating) the database.  A corrupt or future-version file is moved
        aside (``<name>.corrupt-<timestamp>``) and a fresh one created; ``self.recovered_from``
        then holds the moved path so the UI can say so."""
        raise NotImplementedError

    @classmethod
    def for_profile(cls, profile: str) -> Store:
        """The database of a profile under the platformdirs data dir."""
        raise NotImplementedError

    def close(self) -> None: ...
    def data_version(self) -> int:
        """Changes when another connection (another process) commits: poll it to notice."""
        ...

    # -- inventory --------------------------------------------------------------------------
    def upsert_accounts(self, items: Iterable[Account]) -> int: ...
    def upsert_sites(self, items: Iterable[Site]) -> int: ...
    def upsert_services(self, items: Iterable[Service]) -> int: ...
    def upsert_invoices(self, items: Iterable[Invoice]) -> int: ...
    def accounts(self) -> list[Account]: ...
    def sites(self, account_id: str) -> list[Site]: ...
    def services(self, *, account_id: str | None = None, site_id: str | None = None,
                 without_site: bool = False) -> list[Service]: ...
    def site(self, site_id: str) -> Site | None: ...
    def service(self, service_id: str) -> Service | None: ...
    def search_services(self, text: str, limit: int = 50) -> list[Service]:
        """Services whose id, name, type or site (name/city/country) contains text."""
        ...
    def search_inventory(self, text: str) -> tuple[list[Site], list[Service]]:
        """Sites (name/city/country) and services (id/name) matching text, for the tree filter."""
        ...
    def service_status_counts(self, site_id: str) -> dict[str, int]: ...

    # -- cases --------------------------------------------------------------------------------
    def upsert_cases(self, items: Sequence[Case]) -> UpsertResult: ...
    def case(self, case_id: str) -> Case | None: ...
    def case_last_modified(self, case_id: str) -> datetime | None: ...
    def latest_case_modified(self) -> datetime | None:
        """The newest last_modified_date in the store: the incremental poll's watermark."""
        ...
    def query_cases(self, query: CaseQuery, *, offset: int = 0, limit: int = 50
                    ) -> list[CaseRow]: ...
    def count_cases(self, query: CaseQuery) -> int: ...
    def status_counts(self, query: CaseQuery | None = None) -> dict[str, int]: ...
    def case_count(self) -> int: ...

    # -- messages -----------------------------------------------------------------------------
    def upsert_messages(self, case_id: str, items: Sequence[CaseMessage]) -> list[str]:
        """Store a case's messages; returns the ids that were not stored before."""
        ...
    def thread(self, case_id: str, *, offset: int = 0, limit: int | None = None
               ) -> list[CaseMessage]:
        """Oldest → newest."""
        ...
    def message_count(self, case_id: str) -> int: ...

    # -- read state (per case: the last_modified_date the user has seen) ----------------------
    def mark_read(self, case_id: str) -> None: ...
    def mark_unread(self, case_id: str) -> None: ...
    def is_unread(self, case_id: str) -> bool: ...
    def unread_count(self, query: CaseQuery | None = None) -> int: ...

    # -- drafts (key: "reply:<caseId>", "new", "new:<serviceId>", "update:<caseId>") ----------
    def save_draft(self, key: str, data: dict[str, Any]) -> None: ...
    def load_draft(self, key: str) -> dict[str, Any] | None: ...
    def delete_draft(self, key: str) -> None: ...
    def drafts(self) -> dict[str, dict[str, Any]]: ...

    # -- outbox -------------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: dict[str, Any], *, case_id: str | None = None,
                draft_key: str | None = None) -> OutboxEntry:
        """Add a pending write and delete its draft in ONE transaction."""
        ...
    def outbox(self, *, statuses: Iterable[str] = ("queued", "sending")) -> list[OutboxEntry]:
        """Entries in send order (oldest first)."""
        ...
    def outbox_entry(self, entry_id: int) -> OutboxEntry | None: ...
    def outbox_attempt(self, entry_id: int, *, at: float) -> None:
        """Mark sending; attempts += 1; first_attempt_at set once."""
        ...
    def outbox_retry_later(self, entry_id: int, *, error: str, next_attempt_at: float) -> None: ...
    def outbox_sent(self, entry_id: int, *, result_id: str | None) -> None: ...
    def outbox_failed(self, entry_id: int, *, error: str, restore_draft: bool = True) -> None:
        """Permanent failure: status failed, and the payload goes back into its draft."""
        ...

    # -- sync watermarks / key-value ----------------------------------------------------------
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
