"""Sends the outbox: pending replies, new cases and case updates, oldest first, exactly once.

The rules (``docs/sync.md`` states them for people):

- Every write carries its entry's ``Idempotency-Key`` (fixed when it was queued).  A server that
  honours the key cannot commit it twice; the API does not document it, so the sender does not
  rely on it and also looks before it sends again.
- When a write's outcome is unknown (network error after sending, timeout, 5xx), the write may
  have been committed, possibly later than the client gave up.  Before sending it again the
  sender looks for it on the server several times over a window of twice the client's timeout,
  backing off (¼, ½, 1 and 2 timeouts after the failure).  Only when none of these finds it is
  it sent again.  PATCH is idempotent: it is sent again unless the case already holds every
  value it sets (one read), so each case of a bulk update is written once.
- A reply matches only a message that could be one of *this entry's* attempts: same text, same
  sender, written by the customer side, at or after the entry's first attempt (less a small
  clock-skew allowance) and not already claimed by another sent entry.  A deliberate repeat
  ("any update?" an hour later) is therefore sent, and a provider's message never counts.
- The lookups use only reads the documents promise: a case's messages, and the case list sorted
  by ``LastModifiedDate`` (filtered here, not by the server).  Our message is recognised by its
  text, ``sentBy`` and time, whatever its ``type`` is called (only a provider's type is ruled
  out, :func:`~expereo_tui.api.vocab.from_provider`).
- When the outcome cannot be known (the lookups themselves are refused, or keep failing for
  longer than ``RETRY_BOUND``), the entry goes to **needs your decision**: nothing more is sent
  for it until the user says send again or discard.  It holds back later writes to the same case
  (their order is kept) and nothing else: other cases' writes are sent.
- A write answered the same generic way again and again (5xx, an error without a code) stops
  after ``RETRY_BOUND`` seconds of tries: it fails with the server's own words and its text goes
  back into its draft, from where the user can send it again.
- A rejected write (400/422, 404, 403) fails for good and its text goes back into its draft,
  merged with anything typed since (:func:`restored_draft`).
- A read-only instance sends nothing, including entries queued by an earlier instance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from expereo_tui.api.backend import Backend
from expereo_tui.api.errors import (
    ApiError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
from expereo_tui.api.models import (
    CaseCreate,
    CaseUpdate,
    ErrorObject,
    ErrorSource,
    MessageCreate,
    from_provider,
    write_problems,
)
from expereo_tui.store.outbox_types import OutboxKind, OutboxStatus
from expereo_tui.store.store import OutboxEntry, Store

from .backoff import Backoff
from .events import OutboxChanged, SyncEvent

SKEW = 30.0  # seconds of clock skew between us and the server tolerated when matching a write
LOOKUPS = (0.25, 0.5, 1.0, 2.0)  # after an unknown outcome: look at these × client timeout
#: seconds of the same generic refusal (5xx, an error without a code) after which a write stops
#: being tried and goes back to its draft; also how long lookups may keep failing before the
#: entry needs the user's decision
RETRY_BOUND = 600.0
RETRY_TRIES = 5  # ... and at least this many attempts refused so

# OutboxChanged.code values (the UI words them)
CODE_CHECKING = "outcome_unknown"  # the last attempt's outcome is unknown: looking on the server
CODE_READ_ONLY = "waiting_for_writable"  # queued; this instance is read-only and sends nothing
CODE_DECIDE = "needs_decision"  # the outcome cannot be known: the user sends again or discards
CODE_GAVE_UP = "gave_up"  # refused the same way for RETRY_BOUND seconds: back in the draft


def restored_draft(
    entry: OutboxEntry, current: dict[str, Any] | None, error: str
) -> dict[str, Any]:
    """A rejected entry's text goes back into its draft, merged with anything typed since:
    a reply's text comes first, then what was typed meanwhile; a form's fields are its
    payload overlaid by the draft typed since, with the rejection noted."""
    existing = current or {}
    if entry.kind == OutboxKind.REPLY:
        text = str(entry.payload.get("message", ""))
        typed = str(existing.get("text", "") or "")
        return {**existing, "text": text + ("\n\n" + typed if typed and typed != text else "")}
    return {**entry.payload, **existing, "rejected": error}


@dataclass
class _Check:
    """An entry whose last attempt's outcome is unknown: when that became so, lookups done."""

    since: float
    lookups: int = 0


class OutboxSender:
    def __init__(
        self,
        store: Store,
        client: Backend,
        emit: Callable[[SyncEvent], None],
        clock: Callable[[], float],
        *,
        read_only: bool = False,
    ) -> None:
        self.store = store
        self.client = client
        self.emit = emit
        self.clock = clock
        self.read_only = read_only
        self.backoff = Backoff(base=5.0, cap=300.0)
        self._seen: set[int] = set()  # entries this process has attempted
        self._unknown: set[int] = set()  # entries with an attempt whose outcome is unknown
        self._checks: dict[int, _Check] = {}  # entries inside their look-before-resend window
        #: entries refused the generic way: since when, how many attempts
        self._refused_since: dict[int, tuple[float, int]] = {}
        self._lookups_failing: dict[int, float] = {}  # entries whose lookups fail: since when
        self._halt = False  # the last failure stops every entry (offline, 429, 401)

    @property
    def window(self) -> float:
        """How long after an unknown outcome the sender keeps looking before sending again."""
        return self.client.settings.timeout * LOOKUPS[-1]

    def next_due(self) -> float | None:
        """Clock time when the earliest pending entry may be sent (None: nothing pending;
        an entry held behind one that waits for the user's decision is not pending, and one
        behind an earlier entry of its case is not due before that one)."""
        if self.read_only:
            return None
        held = {_lane(e) for e in self.store.outbox.outbox(statuses=(OutboxStatus.NEEDS_DECISION,))}
        first: dict[str, OutboxEntry] = {}
        for e in self.store.outbox.outbox():  # oldest first: each case's first entry
            first.setdefault(_lane(e), e)
        pending = [e for lane, e in first.items() if lane not in held]
        if not pending:
            return None
        return min(e.next_attempt_at or 0.0 for e in pending)

    def send_again(self, entry_id: int) -> bool:
        """The user's decision: an entry that needed it is sent again now, without looking
        (they checked).  False when the entry was not waiting for a decision."""
        if not self.store.outbox.outbox_send_again(entry_id, at=self.clock()):
            return False
        self._seen.add(entry_id)
        self._unknown.discard(entry_id)
        self._checks.pop(entry_id, None)
        self._lookups_failing.pop(entry_id, None)
        self._refused_since.pop(entry_id, None)
        entry = self.store.outbox.outbox_entry(entry_id)
        if entry is not None:
            self._announce(entry, OutboxStatus.QUEUED)
        return True

    def attempted_elsewhere(self, entry_id: int) -> None:
        """Another sender (another instance of the team) attempted this entry since this one
        last did: its outcome is not known here, so the next send looks before re-sending."""
        self._seen.discard(entry_id)

    def discard(self, entry_id: int) -> bool:
        """The user's decision: an entry that needed it is not sent; its text goes back into
        its draft (merged with anything typed since), so nothing typed is lost."""
        entry = self.store.outbox.outbox_entry(entry_id)
        if entry is None or entry.status != OutboxStatus.NEEDS_DECISION:
            return False
        self._fail(entry, "discarded: not sent again", {})
        return True

    async def send_due(self) -> int:
        """Send every entry that is due, in order within each case: an entry not done holds
        back the later entries of its case (and an entry waiting for the user's decision holds
        back its case's), never another case's.  A failure that would stop every entry
        (offline, rate limit, credentials) ends the round.  Returns how many were sent.  A
        read-only instance sends nothing (:meth:`send` refuses)."""
        sent = 0
        held = {_lane(e) for e in self.store.outbox.outbox(statuses=(OutboxStatus.NEEDS_DECISION,))}
        for entry in self.store.outbox.outbox():
            lane = _lane(entry)
            if lane in held:
                continue
            if (entry.next_attempt_at or 0.0) > self.clock():
                held.add(lane)
                continue
            self._halt = False
            if not await self.send(entry):
                held.add(lane)
                if self._halt:
                    break
                continue
            sent += 1
        return sent

    async def send(self, entry: OutboxEntry) -> bool:
        """One entry: True when it is done (sent or permanently failed).  A read-only instance
        never sends: not even what a writable instance queued earlier."""
        if self.read_only:
            return False
        now = self.clock()
        if entry.attempts > 0 and entry.id not in self._seen:
            # attempted by an earlier run whose outcome we never learnt: look before re-sending.
            # That run scheduled its first lookup ¼ timeout after the failure (any other retry
            # later still), so the window is counted from no later than the real failure.
            self._unknown.add(entry.id)
            due = entry.next_attempt_at if entry.next_attempt_at is not None else now
            self._checks[entry.id] = _Check(since=min(now, due - self._offset(0)))
        self._seen.add(entry.id)
        if entry.kind != OutboxKind.UPDATE and entry.id in self._unknown:
            looked = await self._look_before_resend(entry, now)
            if looked is not None:
                return looked
            if self._gave_up(entry, now):  # not there, and refused for long enough
                return True
        if entry.kind == OutboxKind.UPDATE and entry.id in self._unknown:
            # idempotent, but a bulk update must still reach each case once: if the case already
            # holds every value, the earlier attempt was committed
            if await self._update_applied(entry):
                self._unknown.discard(entry.id)
                self._done(entry, entry.case_id)
                return True
        store = self.store
        store.outbox.outbox_attempt(entry.id, at=now)
        self._announce(entry, OutboxStatus.SENDING)
        try:
            result_id = await self._deliver(entry)
        except ValidationError as exc:
            self._fail(entry, exc.message, exc.field_errors)
            return True
        except (NotFoundError, ForbiddenError) as exc:
            self._fail(entry, exc.message, {})
            return True
        except (NetworkError, ServerError) as exc:
            # the request went out (or may have): it may be committed, now or later
            if isinstance(exc, ServerError):
                self._refused(entry.id, now)
            elif exc.unreachable:  # offline: the others would fail the same way
                self._halt = True
            if entry.kind == OutboxKind.UPDATE and self._gave_up(entry, self.clock(), exc.message):
                return True
            if entry.kind != OutboxKind.UPDATE:
                self._unknown.add(entry.id)
                check = self._checks[entry.id] = _Check(since=self.clock())
                self._later(entry, exc.message, check.since + self._offset(0), CODE_CHECKING)
            else:
                self._unknown.add(entry.id)
                self._later(entry, exc.message, self.clock() + self.backoff.next())
            return False
        except (RateLimitedError, UnauthorizedError, ApiError) as exc:
            # refused before it was processed: nothing committed by this attempt
            if isinstance(exc, RateLimitedError | UnauthorizedError):
                self._halt = True
            else:  # a generic refusal: tried again, for RETRY_BOUND seconds
                self._refused(entry.id, now)
                if self._gave_up(entry, self.clock(), exc.message):
                    return True
            if isinstance(exc, RateLimitedError):
                delay = max(exc.retry_after, 1.0)
            else:
                delay = self.backoff.next()
            self._later(entry, exc.message, self.clock() + delay)
            return False
        self._done(entry, result_id)
        return True

    # -- the look-before-resend window -------------------------------------------------------
    def _offset(self, lookup: int) -> float:
        return self.client.settings.timeout * LOOKUPS[min(lookup, len(LOOKUPS) - 1)]

    async def _look_before_resend(self, entry: OutboxEntry, now: float) -> bool | None:
        """Look for an earlier attempt on the server.  True: found (entry done); False: keep
        waiting (the next lookup is scheduled); None: not there and the window is over, so
        send it again."""
        check = self._checks.get(entry.id)
        try:
            found = await self._find(entry)
        except (ValidationError, ForbiddenError, NotFoundError) as exc:
            # the look itself is refused: the outcome cannot be known from here
            self._needs_decision(entry, exc.message)
            return False
        except ApiError as exc:
            # cannot look now: try again later, the window does not advance; for too long,
            # and the outcome cannot be known
            failing = self._lookups_failing.setdefault(entry.id, now)
            if now - failing >= RETRY_BOUND:
                self._needs_decision(entry, exc.message)
                return False
            if isinstance(exc, RateLimitedError | UnauthorizedError) or getattr(
                exc, "unreachable", False
            ):
                self._halt = True
            self._later(entry, exc.message, self.clock() + self.backoff.next(), CODE_CHECKING)
            return False
        self._lookups_failing.pop(entry.id, None)
        if found is not None:
            self._done(entry, found)
            return True
        if check is not None:
            check.lookups += 1
            elapsed = now - check.since
            if elapsed < self.window:
                offsets = [self._offset(i) for i in range(len(LOOKUPS))]
                nxt = next(o for o in offsets if o > elapsed)
                self._later(entry, entry.last_error or "", check.since + nxt, CODE_CHECKING)
                return False
            del self._checks[entry.id]
        return None  # not on the server after the whole window: send it again

    # -- delivery --------------------------------------------------------------------------------
    async def _deliver(self, entry: OutboxEntry) -> str | None:
        key = entry.idempotency_key
        if entry.kind == OutboxKind.REPLY:
            assert entry.case_id is not None
            body = MessageCreate.model_validate(entry.payload)
            was_read = not self.store.cases.is_unread(entry.case_id)
            msg = await self.client.add_message(entry.case_id, body, idempotency_key=key)
            if msg is None:  # 204: accepted, the thread tells which message it is
                found = await self._find(entry)
            else:
                self.store.cases.upsert_messages(entry.case_id, [msg])
                found = msg.id
            await self._refresh_case(entry.case_id, keep_read=was_read)
            return found
        if entry.kind == OutboxKind.CREATE:
            problems = write_problems(CaseCreate, entry.payload)
            if problems:
                raise _rejected(problems)
            create = CaseCreate.model_validate(entry.payload)
            case = await self.client.create_case(create, idempotency_key=key)
            if case is None:  # 204: accepted, find the case it made
                return await self._find(entry)
            self.store.cases.upsert_cases([case])
            self.store.mark_read(case.id)
            try:
                msgs = [m async for m in self.client.iter_case_messages(case.id)]
                self.store.cases.upsert_messages(case.id, msgs, whole_thread=True)
            except ApiError:
                pass  # the thread arrives with the next poll
            return case.id
        if entry.kind == OutboxKind.UPDATE:
            assert entry.case_id is not None
            current = self.store.cases.case(entry.case_id)
            was_read = not self.store.cases.is_unread(entry.case_id)
            updated = await self.client.update_case(
                entry.case_id,
                CaseUpdate.model_validate(entry.payload),
                case_type=current.type if current else None,
                idempotency_key=key,
            )
            self.store.cases.upsert_cases([updated])
            if was_read:
                self.store.mark_read(updated.id)
            return updated.id
        raise ValidationError(f"unknown outbox entry kind {entry.kind!r}", status=None)

    async def _refresh_case(self, case_id: str, *, keep_read: bool) -> None:
        """Our own write moved the case's last-modified date: take it in without making the
        case unread (the user's own reply is not news to them)."""
        try:
            case = await self.client.get_case(case_id)
        except ApiError:
            return
        self.store.cases.upsert_cases([case])
        if keep_read:
            self.store.mark_read(case_id)

    # -- finding an earlier attempt on the server ---------------------------------------------
    async def _update_applied(self, entry: OutboxEntry) -> bool:
        """The case on the server already has every value of this update (False when it
        cannot be read now: then the PATCH is sent, which is harmless)."""
        assert entry.case_id is not None
        try:
            case = await self.client.get_case(entry.case_id)
        except ApiError:
            return False
        update = CaseUpdate.model_validate(entry.payload)
        if not all(getattr(case, f) == getattr(update, f) for f in update.model_fields_set):
            return False
        was_read = not self.store.cases.is_unread(case.id)
        self.store.cases.upsert_cases([case])
        if was_read:
            self.store.mark_read(case.id)
        return True

    async def _find(self, entry: OutboxEntry) -> str | None:
        if entry.kind == OutboxKind.REPLY:
            return await self._find_reply(entry)
        if entry.kind == OutboxKind.CREATE:
            return await self._find_created(entry)
        return None

    def _claimed(self, kind: OutboxKind) -> set[str]:
        """Results other sent entries already own: one server object answers one entry."""
        return {
            e.result_id
            for e in self.store.outbox.outbox(statuses=(OutboxStatus.SENT,))
            if e.kind == kind and e.result_id
        }

    def _since(self, entry: OutboxEntry) -> float:
        return (entry.first_attempt_at or entry.created_at) - SKEW

    async def _find_reply(self, entry: OutboxEntry) -> str | None:
        """A message that could be this entry's own earlier attempt, else None."""
        assert entry.case_id is not None
        since = self._since(entry)
        text = entry.payload.get("message")
        sender = entry.payload.get("sentBy")
        claimed = self._claimed(OutboxKind.REPLY)
        async for msg in self.client.iter_case_messages(entry.case_id):
            if (
                msg.message == text
                and not from_provider(msg.type)  # "Customer", "CUSTOMER", "Customer Portal"...
                and (sender is None or msg.sent_by == sender)
                and msg.timestamp is not None
                and msg.timestamp.timestamp() >= since
                and (msg.id is None or msg.id not in claimed)
            ):
                self.store.cases.upsert_messages(entry.case_id, [msg])
                return msg.id or "found"
        return None

    async def _find_created(self, entry: OutboxEntry) -> str | None:
        """A case created by an earlier attempt: same customer reference when there is one,
        same service, subject and type, created since the first attempt, not claimed by
        another entry; its first message must match too (text and sender).  Read from the case
        list sorted by ``-LastModifiedDate`` only (the documents promise no other sort and no
        filter): a case created since the first attempt was last modified since then too, so
        the walk ends at the first case modified before it."""
        payload = entry.payload
        since = datetime.fromtimestamp(self._since(entry), UTC)
        reference = payload.get("customerReference")
        sender = payload.get("sentBy")
        claimed = self._claimed(OutboxKind.CREATE)
        async for case in self.client.iter_cases(sort="-LastModifiedDate", page_size=50):
            changed = case.last_modified_date or case.created_date
            if changed is not None and changed < since:
                break
            if case.created_date is None or case.created_date < since:
                continue
            if (
                case.id not in claimed
                and (not reference or case.customer_reference == reference)
                and case.subject == payload.get("subject")
                and case.type == payload.get("type")
                and case.service_id == payload.get("serviceId")
            ):
                first = [m async for m in self.client.iter_case_messages(case.id, page_size=5)]
                if (
                    first
                    and first[0].message == payload.get("message")
                    and (sender is None or first[0].sent_by == sender)
                ):
                    self.store.cases.upsert_cases([case])
                    self.store.mark_read(case.id)
                    self.store.cases.upsert_messages(case.id, first)
                    return case.id
        return None

    # -- bookkeeping ---------------------------------------------------------------------------
    def _refused(self, entry_id: int, now: float) -> None:
        since, tries = self._refused_since.get(entry_id, (now, 0))
        self._refused_since[entry_id] = (since, tries + 1)

    def _gave_up(self, entry: OutboxEntry, now: float, error: str | None = None) -> bool:
        """Refused the generic way RETRY_TRIES times over RETRY_BOUND seconds (and, for a reply
        or a new case, not found on the server by the last look): it fails with the server's
        words and its text goes back into its draft.  True when it gave up."""
        since, tries = self._refused_since.get(entry.id, (now, 0))
        if tries < RETRY_TRIES or now - since < RETRY_BOUND:
            return False
        words = (error or entry.last_error or "the API kept refusing it").replace(
            "; the app retries", ""
        )
        self._fail(entry, f"gave up after {int(now - since) // 60} min: {words}", {}, CODE_GAVE_UP)
        return True

    def _needs_decision(self, entry: OutboxEntry, error: str) -> None:
        self._checks.pop(entry.id, None)
        self._lookups_failing.pop(entry.id, None)
        self.store.outbox.outbox_needs_decision(entry.id, error=error)
        self._announce(entry, OutboxStatus.NEEDS_DECISION, error=error, code=CODE_DECIDE)

    def _done(self, entry: OutboxEntry, result_id: str | None) -> None:
        self.backoff.reset()
        self._refused_since.pop(entry.id, None)
        self._lookups_failing.pop(entry.id, None)
        self._checks.pop(entry.id, None)
        self._unknown.discard(entry.id)
        self.store.outbox.outbox_sent(entry.id, result_id=result_id)
        self._announce(entry, OutboxStatus.SENT, result_id=result_id)

    def _later(self, entry: OutboxEntry, error: str, at: float, code: str | None = None) -> None:
        self.store.outbox.outbox_retry_later(entry.id, error=error, next_attempt_at=at)
        self._announce(entry, OutboxStatus.QUEUED, error=error or None, code=code)

    def _fail(
        self,
        entry: OutboxEntry,
        error: str,
        field_errors: dict[str, list[str]],
        code: str | None = None,
    ) -> None:
        self._checks.pop(entry.id, None)
        self._unknown.discard(entry.id)
        self._refused_since.pop(entry.id, None)
        self._lookups_failing.pop(entry.id, None)
        self.store.outbox.outbox_failed(
            entry.id, error=error, restore=lambda e, draft: restored_draft(e, draft, error)
        )
        self._announce(
            entry, OutboxStatus.FAILED, error=error, field_errors=field_errors, code=code
        )

    def _announce(
        self,
        entry: OutboxEntry,
        status: OutboxStatus,
        *,
        error: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        result_id: str | None = None,
        code: str | None = None,
    ) -> None:
        self.emit(
            OutboxChanged.of(
                entry,
                status,
                error=error,
                field_errors=field_errors,
                result_id=result_id,
                code=code,
            )
        )


def _rejected(problems: list[Any]) -> ValidationError:
    """Field errors found before sending, shaped like the server's."""
    errors = [
        ErrorObject(
            status="422",
            code="client_validation",
            detail=p.message,
            source=ErrorSource(pointer=f"/{p.field}"),
        )
        for p in problems
    ]
    return ValidationError(
        "not sent: " + "; ".join(p.message for p in problems), errors=errors, status=None
    )


def _lane(entry: OutboxEntry) -> str:
    """What an entry keeps its order within: its case (a new case is a lane of its own)."""
    return f"case:{entry.case_id}" if entry.case_id else f"new:{entry.id}"
