"""The send-time conflict check: has the provider written, or the status changed, since the
reply's draft was started?  The draft keeps what the case looked like then (its message count
and status); the check compares the store's copy now with it.  In team mode (``me`` given)
a reply from someone else on our side counts too: a colleague answered meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from expereo_tui.api.models import CaseMessage
from expereo_tui.api.vocab import from_customer

FRESH_SECONDS = 10.0  # a store polled this recently needs no read at send time


@dataclass(frozen=True)
class Conflict:
    """What changed under a draft."""

    new_messages: tuple[CaseMessage, ...]  # the provider's (and in a team others'), oldest first
    status_change: tuple[str | None, str | None] | None  # (then, now)


def conflict(
    thread: Sequence[CaseMessage],
    seen_messages: int,
    seen_status: str | None,
    status: str | None,
    *,
    me: str | None = None,
) -> Conflict | None:
    """The provider's messages after the first ``seen_messages`` of ``thread``, and the status
    change since ``seen_status``; None when neither.  ``me`` (team mode: this user's sentBy):
    our side's messages sent by anyone else count as well."""
    new = tuple(m for m in thread[seen_messages:] if not from_customer(m.type) or by_other(m, me))
    moved = (seen_status, status) if seen_status != status else None
    if not new and moved is None:
        return None
    return Conflict(new, moved)


def by_other(message: CaseMessage, me: str | None) -> bool:
    """In a team (``me`` given): a message of our side that someone else sent."""
    return me is not None and from_customer(message.type) and message.sent_by != me


def is_fresh(last_success: float | None, now: float) -> bool:
    """Whether the store's copy is fresh enough to check against without a read."""
    return last_success is not None and 0 <= now - last_success < FRESH_SECONDS
