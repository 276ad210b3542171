"""Sends the outbox: pending replies, new cases and case updates, oldest first, exactly once.

A POST can be committed by the server while its response is lost (timeout, reset).  So before
re-sending an entry that was attempted before, the sender looks for it: a reply in the case's
thread (same text, from the customer side, after the first attempt), a new case among the
service's recent cases (same subject, type and first message).  PATCH is idempotent and is
simply sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from expereo_tui.api.backend import Backend
from expereo_tui.api.errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)
from expereo_tui.api.models import CaseCreate, CaseUpdate, MessageCreate, MessageType
from expereo_tui.store.store import OutboxEntry, Store

from .backoff import Backoff
from .events import OutboxChanged, OutboxStatus, SyncEvent

SKEW = 120.0  # seconds of clock skew tolerated when matching a possibly-committed write


class OutboxSender:
    def __init__(
        self,
        store: Store,
        client: Backend,
        emit: Callable[[SyncEvent], None],
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.client = client
        self.emit = emit
        self.clock = clock
        self.backoff = Backoff(base=5.0, cap=300.0)

    def next_due(self) -> float | None:
        """Clock time when the earliest pending entry may be sent (None: nothing pending)."""
        pending = self.store.outbox()
        if not pending:
            return None
        return min(e.next_attempt_at or 0.0 for e in pending)

    async def send_due(self) -> int:
        """Send every entry that is due, in order; stop at the first transient failure so that
        order is kept.  Returns how many were sent."""
        sent = 0
        for entry in self.store.outbox():
            if (entry.next_attempt_at or 0.0) > self.clock():
                break
            if not await self.send(entry):
                break
            sent += 1
        return sent

    async def send(self, entry: OutboxEntry) -> bool:
        """One entry: True when it is done (sent or permanently failed)."""
        store = self.store
        retried = entry.attempts > 0
        store.outbox_attempt(entry.id, at=self.clock())
        self._announce(entry, OutboxStatus.SENDING)
        try:
            result_id = await self._deliver(entry, retried)
        except ValidationError as exc:
            self._fail(entry, exc.message, exc.field_errors)
            return True
        except (NotFoundError, ForbiddenError) as exc:
            self._fail(entry, exc.message, {})
            return True
        except (RateLimitedError, UnauthorizedError, ApiError) as exc:
            if isinstance(exc, RateLimitedError):
                delay = max(exc.retry_after, 1.0)
            else:
                delay = self.backoff.next()
            store.outbox_retry_later(
                entry.id, error=exc.message, next_attempt_at=self.clock() + delay
            )
            self._announce(entry, OutboxStatus.QUEUED, error=exc.message)
            return False
        self.backoff.reset()
        store.outbox_sent(entry.id, result_id=result_id)
        self._announce(entry, OutboxStatus.SENT, result_id=result_id)
        return True

    async def _deliver(self, entry: OutboxEntry, retried: bool) -> str | None:
        if entry.kind == "reply":
            assert entry.case_id is not None
            if retried:
                found = await self._find_reply(entry)
                if found:
                    return found
            body = MessageCreate.model_validate(entry.payload)
            was_read = not self.store.is_unread(entry.case_id)
            msg = await self.client.add_message(entry.case_id, body)
            self.store.upsert_messages(entry.case_id, [msg])
            await self._refresh_case(entry.case_id, keep_read=was_read)
            return msg.id
        if entry.kind == "create":
            if retried:
                found = await self._find_created(entry)
                if found:
                    return found
            case = await self.client.create_case(CaseCreate.model_validate(entry.payload))
            self.store.upsert_cases([case])
            self.store.mark_read(case.id)
            try:
                msgs = [m async for m in self.client.iter_case_messages(case.id)]
                self.store.upsert_messages(case.id, msgs)
            except ApiError:
                pass  # the thread arrives with the next poll
            return case.id
        if entry.kind == "update":
            assert entry.case_id is not None
            current = self.store.case(entry.case_id)
            was_read = not self.store.is_unread(entry.case_id)
            case = await self.client.update_case(
                entry.case_id,
                CaseUpdate.model_validate(entry.payload),
                case_type=current.type if current else None,
            )
            self.store.upsert_cases([case])
            if was_read:
                self.store.mark_read(case.id)
            return case.id
        raise ValidationError(f"unknown outbox entry kind {entry.kind!r}", status=None)

    async def _refresh_case(self, case_id: str, *, keep_read: bool) -> None:
        """Our own write moved the case's last-modified date: take it in without making the
        case unread (the user's own reply is not news to them)."""
        try:
            case = await self.client.get_case(case_id)
        except ApiError:
            return
        self.store.upsert_cases([case])
        if keep_read:
            self.store.mark_read(case_id)

    async def _find_reply(self, entry: OutboxEntry) -> str | None:
        assert entry.case_id is not None
        since = (entry.first_attempt_at or entry.created_at) - SKEW
        text = entry.payload.get("message")
        async for msg in self.client.iter_case_messages(entry.case_id):
            if (
                msg.message == text
                and msg.type in (MessageType.CUSTOMER, None)
                and (msg.timestamp is None or msg.timestamp.timestamp() >= since)
            ):
                self.store.upsert_messages(entry.case_id, [msg])
                return msg.id or "found"
        return None

    async def _find_created(self, entry: OutboxEntry) -> str | None:
        """A case created by an earlier attempt: same customer reference when there is one,
        else same subject, type and service, created since the first attempt; the first
        message must match too."""
        payload = entry.payload
        since = datetime.fromtimestamp((entry.first_attempt_at or entry.created_at) - SKEW, UTC)
        reference = payload.get("customerReference")
        filters = (
            {"CustomerReference": str(reference)}
            if reference
            else {"ServiceId": str(payload.get("serviceId"))}
        )
        async for case in self.client.iter_cases(
            sort="-CreatedDate", filters=filters, page_size=50
        ):
            if case.created_date is not None and case.created_date < since:
                break
            if (
                case.subject == payload.get("subject")
                and case.type == payload.get("type")
                and case.service_id == payload.get("serviceId")
            ):
                first = [m async for m in self.client.iter_case_messages(case.id, page_size=5)]
                if first and first[0].message == payload.get("message"):
                    self.store.upsert_cases([case])
                    self.store.upsert_messages(case.id, first)
                    return case.id
        return None

    def _fail(self, entry: OutboxEntry, error: str, field_errors: dict[str, list[str]]) -> None:
        self.store.outbox_failed(entry.id, error=error, restore_draft=True)
        self._announce(entry, OutboxStatus.FAILED, error=error, field_errors=field_errors)

    def _announce(
        self,
        entry: OutboxEntry,
        status: OutboxStatus,
        *,
        error: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        result_id: str | None = None,
    ) -> None:
        self.emit(
            OutboxChanged(
                entry_id=entry.id,
                kind=entry.kind,
                case_id=entry.case_id,
                status=status,
                error=error,
                field_errors=field_errors or {},
                result_id=result_id,
            )
        )
