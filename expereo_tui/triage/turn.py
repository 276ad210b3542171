"""Whose turn it is on a case: the provider owes us an answer, or we owe them one.

The rules, from the status and who wrote last:

- Resolved or Closed: nobody's.
- Awaiting Customer: ours, since the provider asked (the later of the status change and its
  latest message) -- unless we have written since, which hands the turn back to the provider.
- Any other status (New, In Progress, one the API adds later): the provider's, since the latest
  message either side wrote (or the case's creation when the thread is empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from expereo_tui.store.activity import CaseActivity
from expereo_tui.store.cases import CaseRow

from .sla import AWAITING, CLOSED_STATUSES

PROVIDER: Literal["provider"] = "provider"
US: Literal["you"] = "you"


@dataclass(frozen=True)
class Turn:
    """Who owes the next message, and since when (seconds since the epoch)."""

    who: Literal["provider", "you"]
    since: float


def _awaiting_since(row: CaseRow, activity: CaseActivity) -> float | None:
    """When the case last went to Awaiting Customer, as far as the poll saw it (else its last
    change, which a status change bumps)."""
    if activity.transitions and activity.transitions[-1][1] == AWAITING:
        return activity.transitions[-1][0]
    return row.last_modified_date.timestamp() if row.last_modified_date else None


def whose_turn(row: CaseRow, activity: CaseActivity) -> Turn | None:
    if row.status in CLOSED_STATUSES:
        return None
    ours, theirs = activity.last_customer_at, activity.last_provider_at
    created = row.created_date.timestamp() if row.created_date else 0.0
    if row.status == AWAITING:
        asked = max(x for x in (_awaiting_since(row, activity), theirs, created) if x is not None)
        if ours is not None and ours >= asked:
            return Turn(PROVIDER, ours)
        return Turn(US, asked)
    if not activity.thread_known:
        return None  # no thread in the store: who wrote last is not known
    latest = [x for x in (ours, theirs) if x is not None]
    return Turn(PROVIDER, max(latest) if latest else created)
