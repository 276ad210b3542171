"""The outbox's vocabulary, shared by the store, the sync engine and the UI."""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    """What a pending write does (a StrEnum: it compares equal to the stored text)."""

    REPLY = "reply"
    CREATE = "create"
    UPDATE = "update"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # permanent: validation error or refused; the draft is back for editing
    #: the outcome of an earlier attempt cannot be known from the reads the documents promise:
    #: nothing is sent until the user says "send again" or "discard"; later writes to the same
    #: case wait behind it, other cases' writes do not
    NEEDS_DECISION = "needs_decision"


PENDING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


class AlreadyQueued(Exception):
    """A draft already has a pending outbox entry: a draft becomes at most one write."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"outbox entry {entry_id} is already pending for this draft")
        self.entry_id = entry_id
