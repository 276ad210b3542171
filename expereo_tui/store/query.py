"""The inbox's question to the store: which cases, in what order (``CaseQuery``).  Its own
module, below ``cases.py`` and ``inbox_index.py``, which both read it."""

from __future__ import annotations

from dataclasses import dataclass


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
    hidden_ids: frozenset[str] = frozenset()  # cases left out (snoozed ones: store/shift.py)
    only_ids: frozenset[str] | None = None  # when set, these cases alone (the snoozed view)
    # (column, descending).  Default: unread first, then priority (P1 first), then newest change.
    sort: tuple[tuple[str, bool], ...] = (
        ("unread", True),
        ("priority", False),
        ("last_modified", True),
    )
