"""What the sync engine announces.  Plain frozen dataclasses: the UI wraps them in Textual
messages; a script can just print them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from expereo_tui.store.outbox_types import OutboxKind as OutboxKind
from expereo_tui.store.outbox_types import OutboxStatus as OutboxStatus


class SyncStatus(StrEnum):
    FRESH = "fresh"
    SYNCING = "syncing"
    STALE = "stale"
    OFFLINE = "offline"
    RATE_LIMITED = "rate-limited"
    UNAUTHORISED = "unauthorised"
    FORBIDDEN = "forbidden"
    PAUSED = "paused"
    ERROR = "error"  # the poll failed in a way we did not foresee; retried with back-off


@dataclass(frozen=True)
class SyncError:
    """Why a poll failed, as a code and fields; the UI words it (``ui/widgets/status_bar``).

    ``code``: ``internal`` (any unexpected exception: a bug, a store write, a listener...), or
    a list walk refused to follow ``links.next``: ``off-origin`` (to ``host``), ``repeated``
    (a page already read) or ``bad-link``."""

    code: str
    stage: str  # what the poll was doing: one of Poller.STAGES
    kind: str = ""  # internal: the exception's class name (its details go to the log only)
    path: str = ""  # link errors: the list being walked
    host: str = ""  # off-origin: where the link pointed


@dataclass(frozen=True)
class ListProgress:
    """One collection during the first sync: items stored (or read) so far, the API's total
    (None: not told), and list pages read of how many (None: not known yet)."""

    name: str  # "cases", "sites", "services", "accounts", "invoices"
    done: int = 0
    total: int | None = None
    pages: int = 0
    total_pages: int | None = None
    finished: bool = False


@dataclass(frozen=True)
class FirstSyncProgress:
    """How far the first sync of an empty store is: cases first, then the inventory."""

    lists: tuple[ListProgress, ...]

    def of(self, name: str) -> ListProgress | None:
        return next((p for p in self.lists if p.name == name), None)

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.lists)

    @property
    def total_pages(self) -> int | None:
        """Pages of the whole first sync; None while a list has not told its total."""
        counts = [p.pages if p.finished else p.total_pages for p in self.lists]
        return None if any(n is None for n in counts) else sum(n or 0 for n in counts)


@dataclass(frozen=True)
class SyncState:
    """How fresh the data is and why.  Times are clock seconds (the engine's clock)."""

    status: SyncStatus
    last_success: float | None = None  # when the last complete poll finished
    next_attempt: float | None = None  # offline/rate-limited: when the engine tries again
    missing_scope: str | None = None  # forbidden: the scope the credentials lack
    message: str = ""  # one line for a person
    error: SyncError | None = None  # error: what failed, for the UI to word
    skipped: int = 0  # list items the API sent that could not be read (see the log)
    progress: FirstSyncProgress | None = None  # syncing an empty store: how far it is


@dataclass(frozen=True)
class CaseChange:
    """One case that a poll found new or changed, and what changed."""

    case_id: str
    is_new: bool
    old_status: str | None = None
    new_status: str | None = None
    old_priority: str | None = None
    new_priority: str | None = None
    new_messages: int = 0  # messages added since the store last had this case
    new_provider_messages: int = 0  # of which written by the provider (type Expereo)

    @property
    def status_changed(self) -> bool:
        return not self.is_new and self.old_status != self.new_status

    @classmethod
    def of(
        cls, case: Any, old: Any, *, is_new: bool, added: tuple[list[str], int] = ([], 0)
    ) -> CaseChange:
        """The change from ``old`` (the stored case before, or None) to ``case``, with
        ``added``: (ids of messages new to the store, how many of them the provider wrote).
        A poll and a team follower's feed describe a change the same way."""
        new_ids, provider = added
        return cls(
            case_id=case.id,
            is_new=is_new,
            old_status=old.status if old else None,
            new_status=case.status,
            old_priority=old.priority if old else None,
            new_priority=case.priority,
            new_messages=len(new_ids),
            new_provider_messages=provider,
        )


@dataclass(frozen=True)
class CasesChanged:
    """A poll found new or changed cases (one event per poll, never one per case)."""

    changes: tuple[CaseChange, ...]


@dataclass(frozen=True)
class MessagesAdded:
    """Messages were stored for a case (a poll, or our own confirmed reply)."""

    case_id: str
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class ThreadsLoaded:
    """Threads of open cases were fetched in the background (``Poller.fetch_wanted_threads``):
    their clocks and turns can be told now.  Not news: what is new in a refreshed thread is
    announced as :class:`MessagesAdded` too."""

    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class InventoryChanged:
    """Accounts, sites or services were refreshed and something differs."""

    accounts: int = 0
    sites: int = 0
    services: int = 0


@dataclass(frozen=True)
class OutboxChanged:
    """A pending write moved on.  ``field_errors`` maps camelCase fields to server messages."""

    entry_id: int
    kind: OutboxKind
    case_id: str | None
    status: OutboxStatus
    error: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    result_id: str | None = None  # created case id / message id once sent
    code: str | None = None  # why it waits (sync/sender.py CODE_*); the UI words it

    @classmethod
    def of(
        cls,
        entry: Any,
        status: OutboxStatus,
        *,
        error: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        result_id: str | None = None,
        code: str | None = None,
    ) -> OutboxChanged:
        """Where the outbox entry ``entry`` is now: the sender alone and the team's outbox
        announce a write the same way."""
        return cls(
            entry_id=entry.id,
            kind=entry.kind,
            case_id=entry.case_id,
            status=status,
            error=error,
            field_errors=field_errors or {},
            result_id=result_id,
            code=code,
        )


@dataclass(frozen=True)
class SyncStateChanged:
    """The sync's state changed (status, last success, error)."""

    state: SyncState


SyncEvent = (
    CasesChanged
    | MessagesAdded
    | ThreadsLoaded
    | InventoryChanged
    | OutboxChanged
    | SyncStateChanged
)
