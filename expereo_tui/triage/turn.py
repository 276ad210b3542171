"""Whose turn it is on a case: the provider owes us an answer, or we owe them one.

The one rule (the inbox's Turn column and ``w`` views, the wall's "Waiting on us" tile and the
handover's "Waiting on us" all use it, through :func:`whose_turn` and :func:`waiting_on_us`):

- Resolved or Closed: nobody's.
- Awaiting Customer: ours, since the provider asked (the later of the status change and its
  latest message) -- unless we have written since, which hands the turn back to the provider.
- Any other status (New, In Progress, one the API adds later): whoever wrote last waits for the
  other. The provider wrote last ("please test"): ours, since that message. We wrote last, or
  nobody has written: the provider's, since our message (or the case's creation).
- No thread in the store (and not Awaiting Customer): not known.

A snoozed case is parked: it is left out of "waiting on us" everywhere (it has its own list).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from expereo_tui.store.activity import CaseActivity
from expereo_tui.store.cases import CaseRow

from .sla import AWAITING, CLOSED_STATUSES

PROVIDER: Literal["provider"] = "provider"
US: Literal["you"] = "you"
_NO_ACTIVITY = CaseActivity()


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
    if theirs is not None and (ours is None or theirs > ours):
        return Turn(US, theirs)  # the provider wrote last: they wait for us
    return Turn(PROVIDER, ours if ours is not None else created)


def waiting_on_us(
    rows: Iterable[CaseRow],
    activity: Mapping[str, CaseActivity],
    snoozed: Collection[str] = frozenset(),
) -> list[CaseRow]:
    """The cases of ``rows`` (the open ones) whose turn is ours, snoozed ones left out, in the
    order given."""
    return [
        r
        for r in rows
        if r.id not in snoozed
        and (t := whose_turn(r, activity.get(r.id, _NO_ACTIVITY))) is not None
        and t.who == US
    ]
