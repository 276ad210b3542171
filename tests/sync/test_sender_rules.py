"""The outbox sender's exactly-once rules (docs/reliability.md, sync/sender.py's docstring)
against a fake backend: which message on the server counts as this entry's earlier attempt,
when the sender looks, when it gives up, and where a rejected text goes.  Milliseconds each;
tests/sync/test_outbox.py and test_unknown_outcomes.py hold the same rules against the
simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from expereo_tui.api.errors import NetworkError, ServerError
from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.store.outbox_types import OutboxKind, OutboxStatus
from expereo_tui.store.store import OutboxEntry, Store
from expereo_tui.sync.events import OutboxChanged, SyncEvent
from expereo_tui.sync.sender import OutboxSender, restored_draft
from tests.sim_fixtures import FakeClock

T0 = 1_750_000_000.0  # the fake clock's start: the entry's first attempt


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class FakeApi:
    """Just what the sender calls; ``failures`` are raised by the next writes, in order."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.settings = SimpleNamespace(timeout=20.0)
        self.thread: dict[str, list[CaseMessage]] = {}
        self.posts: list[tuple[str, str, str | None]] = []  # case, text, idempotency key
        self.failures: list[Exception] = []
        self.lookup_failures: list[Exception] = []  # raised by the next thread reads
        self.get_failures: list[Exception] = []  # raised by the next get_case
        self.reads = 0
        self.on_server: dict[str, Case] = {}  # what get_case answers
        self.listed: list[Case] = []  # the case list, newest change first
        self.walked: list[str] = []
        self.creates: list[Any] = []
        self.updates: list[tuple[str, dict[str, Any], str | None]] = []

    async def add_message(
        self, case_id: str, body: Any, *, idempotency_key: str | None = None
    ) -> CaseMessage:
        self.posts.append((case_id, body.message, idempotency_key))
        if self.failures:
            raise self.failures.pop(0)
        msg = CaseMessage(
            id=f"M{len(self.posts)}",
            case_id=case_id,
            message=body.message,
            type="Customer",
            sent_by=body.sent_by,
            timestamp=at(self.clock()),
        )
        self.thread.setdefault(case_id, []).append(msg)
        return msg

    async def iter_case_messages(
        self, case_id: str, *, page_size: int = 200
    ) -> AsyncIterator[CaseMessage]:
        self.reads += 1
        if self.lookup_failures:
            raise self.lookup_failures.pop(0)
        for msg in list(self.thread.get(case_id, [])):
            yield msg

    async def get_case(self, case_id: str) -> Case:
        if self.get_failures:
            raise self.get_failures.pop(0)
        return self.on_server.get(case_id) or Case(id=case_id, status="In Progress")

    async def iter_cases(
        self, *, sort: str | None = None, page_size: int = 200
    ) -> AsyncIterator[Case]:
        assert sort == "-LastModifiedDate"
        self.reads += 1
        for case in self.listed:  # newest change first
            self.walked.append(case.id)
            yield case

    async def create_case(self, body: Any, *, idempotency_key: str | None = None) -> Case:
        self.creates.append(body)
        if self.failures:
            raise self.failures.pop(0)
        case = Case(
            id=f"CS-NEW{len(self.creates)}",
            subject=body.subject,
            type=body.type,
            service_id=body.service_id,
            created_date=at(self.clock()),
            last_modified_date=at(self.clock()),
        )
        self.thread[case.id] = [
            CaseMessage(id="M-FIRST", message=body.message, type="Customer", timestamp=at(0))
        ]
        return case

    async def update_case(
        self, case_id: str, body: Any, *, case_type: str | None, idempotency_key: str | None
    ) -> Case:
        self.updates.append((case_id, body.to_wire(), case_type))
        if self.failures:
            raise self.failures.pop(0)
        return Case(id=case_id, status="In Progress", **body.model_dump(exclude_unset=True))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store(tmp_path / "outbox.sqlite3", clock=clock)


@pytest.fixture
def api(clock: FakeClock) -> FakeApi:
    return FakeApi(clock)


@pytest.fixture
def events() -> list[SyncEvent]:
    return []


@pytest.fixture
def sender(store: Store, api: FakeApi, events: list[SyncEvent], clock: FakeClock) -> OutboxSender:
    return OutboxSender(store, api, events.append, clock)  # type: ignore[arg-type]


def reply(store: Store, text: str = "rebooted the CPE", case_id: str = "CS-1") -> OutboxEntry:
    return store.outbox.enqueue(
        "reply",
        {"message": text, "sentBy": "noc@example.com"},
        case_id=case_id,
        draft_key=f"reply:{case_id}",
    )


def entry(store: Store, entry_id: int) -> OutboxEntry:
    found = store.outbox.outbox_entry(entry_id)
    assert found is not None
    return found


def server_message(
    api: FakeApi,
    when: float,
    *,
    text: str = "rebooted the CPE",
    sent_by: str | None = "noc@example.com",
    type: str | None = "Customer",
    id: str = "M-SERVER",
    case_id: str = "CS-1",
) -> None:
    api.thread.setdefault(case_id, []).append(
        CaseMessage(
            id=id,
            case_id=case_id,
            message=text,
            type=type,
            sent_by=sent_by,
            timestamp=None if when is None else at(when),
        )
    )


async def lost_first_attempt(sender: OutboxSender, store: Store, api: FakeApi) -> OutboxEntry:
    """The entry's first attempt: sent, and the answer lost (its outcome is unknown)."""
    return await lost(sender, store, api, reply(store), api.posts)


async def lost(
    sender: OutboxSender, store: Store, api: FakeApi, queued: OutboxEntry, writes: list[Any]
) -> OutboxEntry:
    """``queued``'s attempt is made (one more of ``writes``) and its answer lost."""
    api.failures.append(NetworkError("the connection was reset"))
    before = len(writes)
    assert await sender.send_due() == 0
    assert len(writes) == before + 1
    return entry(store, queued.id)


async def test_after_a_lost_answer_the_first_look_is_a_quarter_timeout_later(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    assert queued.status == OutboxStatus.QUEUED
    assert queued.next_attempt_at == T0 + 5.0  # ¼ of the 20 s timeout
    assert sender.next_due() == T0 + 5.0
    assert sender.window == 40.0  # twice the timeout
    clock.advance(4.9)
    assert await sender.send_due() == 0  # not due yet: nothing read, nothing sent
    assert api.reads == 0 and len(api.posts) == 1


async def test_the_looks_come_at_a_quarter_half_one_and_two_timeouts_then_it_is_sent_again(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread.clear()  # the lost attempt was not committed
    due = []
    for _ in range(3):
        clock.now = entry(store, queued.id).next_attempt_at or 0.0
        assert await sender.send_due() == 0
        due.append(entry(store, queued.id).next_attempt_at)
        assert len(api.posts) == 1  # looked, not sent
    assert due == [T0 + 10.0, T0 + 20.0, T0 + 40.0]
    assert api.reads == 3
    clock.now = T0 + 40.0
    assert await sender.send_due() == 1  # not there after the whole window: sent again
    assert len(api.posts) == 2 and api.posts[0][2] == api.posts[1][2]  # the same key
    assert entry(store, queued.id).status == OutboxStatus.SENT


async def test_a_commit_found_by_a_look_is_the_entry_and_nothing_is_sent_again(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread.clear()
    server_message(api, T0 + 1.0, id="M-LATE")  # committed late, after the client gave up
    clock.now = T0 + 5.0
    assert await sender.send_due() == 1
    done = entry(store, queued.id)
    assert (done.status, done.result_id) == (OutboxStatus.SENT, "M-LATE")
    assert len(api.posts) == 1
    last = [e for e in events if isinstance(e, OutboxChanged)][-1]
    assert (last.status, last.result_id) == (OutboxStatus.SENT, "M-LATE")


@pytest.mark.parametrize(
    ("when", "found"),
    [
        (T0 - 30.0, True),  # the clock-skew allowance: 30 s before the first attempt
        (T0 - 30.5, False),  # before that: an older message with the same text
        (T0 + 3.0, True),
    ],
)
async def test_a_message_counts_from_30_s_before_the_first_attempt(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, when: float, found: bool
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread.clear()
    server_message(api, when)
    clock.now = T0 + 5.0
    await sender.send_due()
    assert (entry(store, queued.id).result_id == "M-SERVER") is found
    assert len(api.posts) == 1  # either way, not sent again inside the window


@pytest.mark.parametrize(
    "other",
    [
        {"type": "Expereo"},  # the provider's words
        {"type": "EXPEREO Support"},
        {"sent_by": "someone-else@example.com"},  # another engineer's identical message
        {"text": "rebooted the CPE again"},
        {"when": None},  # no time: cannot be this attempt
    ],
)
async def test_only_our_own_message_counts_as_the_earlier_attempt(
    sender: OutboxSender,
    store: Store,
    api: FakeApi,
    clock: FakeClock,
    other: dict[str, Any],
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread.clear()
    server_message(api, **{"when": T0 + 1.0, **other})
    clock.now = T0 + 5.0
    await sender.send_due()
    assert entry(store, queued.id).status == OutboxStatus.QUEUED  # still looking
    assert entry(store, queued.id).result_id is None


async def test_a_message_already_claimed_by_another_sent_entry_is_not_this_one(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    """Two identical replies: the first one's message answers the first entry only."""
    first = reply(store)
    assert await sender.send_due() == 1
    assert entry(store, first.id).result_id == "M1"
    clock.advance(10.0)  # within the skew allowance of the second entry's first attempt
    second = await lost_first_attempt(sender, store, api)
    # the lost attempt was not committed; only the first entry's message is there
    api.thread["CS-1"] = [m for m in api.thread["CS-1"] if m.id == "M1"]
    clock.now = second.next_attempt_at or 0.0
    await sender.send_due()
    assert entry(store, second.id).status == OutboxStatus.QUEUED
    assert entry(store, second.id).result_id is None


async def test_a_reply_without_a_sender_matches_whoever_sent_it(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = store.outbox.enqueue("reply", {"message": "hello"}, case_id="CS-1")
    api.failures.append(NetworkError("reset"))
    await sender.send_due()
    api.thread.clear()
    server_message(api, T0, text="hello", sent_by="whoever")
    clock.now = T0 + 5.0
    assert await sender.send_due() == 1
    assert entry(store, queued.id).result_id == "M-SERVER"


async def test_a_write_refused_the_generic_way_gives_up_after_5_tries_and_10_minutes(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    """RETRY_TRIES (5) refusals and RETRY_BOUND (600 s) since the first: both must hold. Each
    refusal is a 5xx whose outcome is unknown, so the sender looks (nothing there) first."""
    queued = reply(store)
    api.failures.extend(ServerError("The API failed (500); the app retries.") for _ in range(20))
    tries = []
    while entry(store, queued.id).status == OutboxStatus.QUEUED and clock() < T0 + 2000:
        clock.now = max(clock(), entry(store, queued.id).next_attempt_at or 0.0)
        before = len(api.posts)
        await sender.send_due()
        if len(api.posts) > before:
            tries.append(clock() - T0)
        else:
            clock.advance(1.0)
    failed = entry(store, queued.id)
    assert failed.status == OutboxStatus.FAILED
    assert len(tries) >= 5 and tries[-1] < 600.0 <= clock() - T0
    assert failed.last_error == "gave up after 10 min: The API failed (500)."
    last = [e for e in events if isinstance(e, OutboxChanged)][-1]
    assert (last.status, last.code) == (OutboxStatus.FAILED, "gave_up")
    assert store.drafts.load_draft("reply:CS-1") == {"text": "rebooted the CPE"}


def _entry(kind: OutboxKind, payload: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=1,
        kind=kind,
        case_id="CS-1" if kind != OutboxKind.CREATE else None,
        payload=payload,
        draft_key=None,
        idempotency_key="k",
        status=OutboxStatus.FAILED,
        attempts=1,
        first_attempt_at=T0,
        next_attempt_at=None,
        last_error=None,
        created_at=T0,
        result_id=None,
    )


def test_a_rejected_reply_goes_back_before_what_was_typed_since() -> None:
    rejected = _entry(OutboxKind.REPLY, {"message": "first words"})
    assert restored_draft(rejected, None, "refused") == {"text": "first words"}
    assert restored_draft(rejected, {"text": ""}, "refused") == {"text": "first words"}
    assert restored_draft(rejected, {"text": "first words"}, "x") == {"text": "first words"}
    assert restored_draft(rejected, {"text": "more", "cursor": 3}, "x") == {
        "text": "first words\n\nmore",
        "cursor": 3,
    }


def test_a_rejected_form_keeps_its_fields_under_what_was_typed_since() -> None:
    rejected = _entry(OutboxKind.CREATE, {"subject": "Other", "message": "down"})
    assert restored_draft(rejected, None, "serviceId: unknown") == {
        "subject": "Other",
        "message": "down",
        "rejected": "serviceId: unknown",
    }
    assert restored_draft(rejected, {"message": "down since 9:00"}, "no") == {
        "subject": "Other",
        "message": "down since 9:00",
        "rejected": "no",
    }


async def test_an_entry_not_done_holds_back_its_case_and_no_other(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    first = reply(store, "one", "CS-1")
    second = store.outbox.enqueue("reply", {"message": "two"}, case_id="CS-1")
    other = store.outbox.enqueue("reply", {"message": "three"}, case_id="CS-2")
    api.failures.append(NetworkError("reset"))
    assert await sender.send_due() == 1  # CS-2's reply; CS-1's second waits for its first
    assert [p[1] for p in api.posts] == ["one", "three"]
    assert entry(store, second.id).status == OutboxStatus.QUEUED
    assert entry(store, other.id).status == OutboxStatus.SENT
    assert sender.next_due() == T0 + 5.0  # the first one's look; the second is not due before
    assert entry(store, first.id).attempts == 1


async def test_an_unreachable_api_ends_the_round(
    sender: OutboxSender, store: Store, api: FakeApi
) -> None:
    reply(store, "one", "CS-1")
    reply(store, "two", "CS-2")
    down = NetworkError("connection refused")
    down.unreachable = True
    api.failures.append(down)
    assert await sender.send_due() == 0
    assert [p[1] for p in api.posts] == ["one"]  # the other would fail the same way


async def test_an_entry_waiting_for_a_decision_holds_back_only_its_case(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    held = reply(store, "one", "CS-1")
    behind = store.outbox.enqueue("reply", {"message": "two"}, case_id="CS-1")
    store.outbox.outbox_needs_decision(held.id, error="cannot tell")
    assert sender.next_due() is None  # the entry behind it is not due at all
    other = reply(store, "three", "CS-2")
    due = sender.next_due()
    assert due is not None and due <= clock()  # due now
    assert await sender.send_due() == 1
    assert entry(store, other.id).status == OutboxStatus.SENT
    assert [p[1] for p in api.posts] == ["three"]
    assert sender.send_again(held.id) is True
    assert sender.send_again(held.id) is False  # no longer waiting for a decision
    assert await sender.send_due() == 2
    assert [p[1] for p in api.posts] == ["three", "one", "two"]  # in order, without looking
    assert api.reads == 0 and entry(store, behind.id).status == OutboxStatus.SENT


async def test_a_read_only_sender_sends_nothing_and_has_nothing_due(
    store: Store, api: FakeApi, events: list[SyncEvent], clock: FakeClock
) -> None:
    reply(store)
    sender = OutboxSender(store, api, events.append, clock, read_only=True)  # type: ignore[arg-type]
    assert sender.next_due() is None
    assert await sender.send_due() == 0 and api.posts == []


def changes(events: list[SyncEvent]) -> list[tuple[Any, ...]]:
    return [
        (e.status, e.error, e.code)
        for e in events
        if isinstance(e, OutboxChanged) and e.status != OutboxStatus.SENDING
    ]


async def test_the_user_decides_send_again_or_discard(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    """After a decision to send again it is sent at once without looking (they checked); a
    discarded one fails and its text goes back into its draft."""
    queued = await lost_first_attempt(sender, store, api)
    store.outbox.outbox_needs_decision(queued.id, error="cannot tell")
    assert sender.discard(999) is False and sender.send_again(999) is False
    events.clear()
    clock.advance(3.0)
    assert sender.send_again(queued.id) is True
    assert changes(events) == [(OutboxStatus.QUEUED, None, None)]
    assert entry(store, queued.id).next_attempt_at == T0 + 3.0
    assert await sender.send_due() == 1
    assert api.reads == 0 and len(api.posts) == 2  # not looked for: sent again
    other = await lost_first_attempt(sender, store, api)
    assert sender.discard(other.id) is False  # not waiting for a decision
    store.outbox.outbox_needs_decision(other.id, error="cannot tell")
    events.clear()
    assert sender.discard(other.id) is True
    assert entry(store, other.id).status == OutboxStatus.FAILED
    assert entry(store, other.id).last_error == "discarded: not sent again"
    assert changes(events) == [(OutboxStatus.FAILED, "discarded: not sent again", None)]
    assert [e.field_errors for e in events if isinstance(e, OutboxChanged)] == [{}]
    assert store.drafts.load_draft("reply:CS-1") == {"text": "rebooted the CPE"}


async def test_a_look_refused_needs_the_users_decision(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    from expereo_tui.api.errors import ForbiddenError

    queued = await lost_first_attempt(sender, store, api)
    api.lookup_failures.append(ForbiddenError("no read scope"))
    events.clear()
    clock.now = T0 + 5.0
    assert await sender.send_due() == 0
    assert entry(store, queued.id).status == OutboxStatus.NEEDS_DECISION
    assert entry(store, queued.id).last_error == "no read scope"
    assert changes(events) == [(OutboxStatus.NEEDS_DECISION, "no read scope", "needs_decision")]
    assert sender.next_due() is None and len(api.posts) == 1


async def test_looks_failing_for_10_minutes_need_the_users_decision(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    """A look that fails the generic way is tried again after a back-off (the window does not
    advance); failing for RETRY_BOUND (600 s), the outcome cannot be known."""
    queued = await lost_first_attempt(sender, store, api)
    clock.now = T0 + 5.0
    api.lookup_failures.append(ServerError("The API failed (502)."))
    events.clear()
    assert await sender.send_due() == 0
    again = entry(store, queued.id)
    assert again.status == OutboxStatus.QUEUED and again.last_error == "The API failed (502)."
    assert again.next_attempt_at is not None and again.next_attempt_at > T0 + 5.0
    assert changes(events) == [(OutboxStatus.QUEUED, "The API failed (502).", "outcome_unknown")]
    for when in (T0 + 300.0, T0 + 604.9):  # still failing, not yet for 600 s
        clock.now = when
        api.lookup_failures.append(ServerError("The API failed (502)."))
        await sender.send(entry(store, queued.id))
        assert entry(store, queued.id).status == OutboxStatus.QUEUED
    clock.now = T0 + 605.0  # 600 s since the first failing look
    api.lookup_failures.append(ServerError("The API failed (503)."))
    events.clear()
    await sender.send(entry(store, queued.id))
    assert entry(store, queued.id).status == OutboxStatus.NEEDS_DECISION
    assert changes(events) == [
        (OutboxStatus.NEEDS_DECISION, "The API failed (503).", "needs_decision")
    ]
    assert len(api.posts) == 1  # never sent a second time


async def test_a_look_that_works_again_starts_the_failing_time_afresh(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread.clear()
    clock.now = T0 + 5.0
    api.lookup_failures.append(ServerError("The API failed (502)."))
    await sender.send(entry(store, queued.id))
    clock.now = T0 + 10.0
    await sender.send(entry(store, queued.id))  # a look that works: not there, window goes on
    clock.now = T0 + 620.0
    api.lookup_failures.append(ServerError("The API failed (502)."))
    await sender.send(entry(store, queued.id))
    assert entry(store, queued.id).status == OutboxStatus.QUEUED  # failing since 620 s only
    assert len(api.posts) == 1


async def test_a_look_failing_offline_ends_the_round(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    await lost_first_attempt(sender, store, api)
    other = reply(store, "other case", "CS-2")
    down = NetworkError("connection refused")
    down.unreachable = True
    api.lookup_failures.append(down)
    clock.now = T0 + 5.0
    assert await sender.send_due() == 0
    assert entry(store, other.id).attempts == 0  # not tried: it would fail the same way
    clock.now = max(e.next_attempt_at or 0.0 for e in store.outbox.outbox())
    api.lookup_failures.append(ServerError("The API failed (502)."))
    assert await sender.send_due() == 1  # a generic failure of the look holds only its case
    assert api.lookup_failures == []  # the look was made (and failed)
    assert entry(store, other.id).status == OutboxStatus.SENT


async def test_a_write_refused_five_times_over_ten_minutes_gives_up(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    """A generic refusal (an error without a code) is tried again; the fifth one at least
    600 s after the first gives up, with the server's words, back into the draft."""
    from expereo_tui.api.errors import ApiError

    queued = reply(store)
    for when in (0.0, 100.0, 200.0, 300.0):
        clock.now = T0 + when
        api.failures.append(ApiError("An error has occurred; the app retries"))
        await sender.send(entry(store, queued.id))
    assert entry(store, queued.id).status == OutboxStatus.QUEUED  # 4 tries: not yet
    clock.now = T0 + 600.0  # the fifth, 600 s after the first
    api.failures.append(ApiError("An error has occurred; the app retries"))
    events.clear()
    assert await sender.send(entry(store, queued.id)) is True
    failed = entry(store, queued.id)
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "gave up after 10 min: An error has occurred"
    assert changes(events) == [
        (OutboxStatus.FAILED, "gave up after 10 min: An error has occurred", "gave_up")
    ]
    assert store.drafts.load_draft("reply:CS-1") == {"text": "rebooted the CPE"}


async def test_a_new_case_that_breaks_the_rules_is_refused_before_sending(
    sender: OutboxSender, store: Store, api: FakeApi, events: list[SyncEvent]
) -> None:
    queued = store.outbox.enqueue(
        "create",
        {"type": "NonIncident", "subject": "Other", "message": "", "serviceId": "S1"},
        draft_key="new-case",
    )
    assert await sender.send_due() == 1
    assert api.creates == []
    failed = entry(store, queued.id)
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "not sent: message is required"
    [event] = [e for e in events if isinstance(e, OutboxChanged) and e.status == "failed"]
    assert event.field_errors == {"message": ["message is required"]}
    draft = store.drafts.load_draft("new-case")
    assert draft is not None and draft["rejected"] == "not sent: message is required"
    two = store.outbox.enqueue("create", {"type": "Incident", "subject": "Other", "message": "x",
                                          "serviceId": "S1"})  # fmt: skip
    await sender.send_due()
    assert entry(store, two.id).last_error == (
        "not sent: subject Other is not allowed for Incident; allowed: RfoRequest, "
        "ServiceDegradation, ServiceIntermittent, ServiceDown; an Incident needs startOfIncident"
    )


NEW = {
    "type": "NonIncident",
    "subject": "UtilizationReport",
    "serviceId": "SVC-1",
    "message": "please send the report",
    "sentBy": "noc@example.com",
}


def created(
    case_id: str,
    minutes: float,
    *,
    changed: float | None = None,
    reference: str | None = None,
    **fields: Any,
) -> Case:
    return Case(
        id=case_id,
        type=fields.get("type", NEW["type"]),
        subject=fields.get("subject", NEW["subject"]),
        service_id=fields.get("service_id", NEW["serviceId"]),
        customer_reference=reference,
        created_date=at(T0 + minutes * 60),
        last_modified_date=at(T0 + (minutes if changed is None else changed) * 60),
    )


def first_message(
    api: FakeApi, case_id: str, text: str = NEW["message"], by: str = NEW["sentBy"]
) -> None:
    api.thread[case_id] = [
        CaseMessage(id=f"{case_id}-1", message=text, type="Customer", sent_by=by, timestamp=at(T0))
    ]


async def lost_create(
    sender: OutboxSender, store: Store, api: FakeApi, payload: dict[str, Any] = NEW
) -> OutboxEntry:
    return await lost(sender, store, api, store.outbox.enqueue("create", payload), api.creates)


async def test_a_new_case_committed_by_a_lost_attempt_is_found_in_the_case_list(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_create(sender, store, api)
    api.listed = [
        created("CS-OTHER", 2, subject="Other"),  # another case, changed since
        created("CS-MINE", 0.5),
        created("CS-OLD", -60),  # changed before the first attempt: the walk ends here
        created("CS-NEVER", -61),
    ]
    first_message(api, "CS-MINE")
    first_message(api, "CS-OTHER")
    clock.now = T0 + 5.0
    assert await sender.send_due() == 1
    done = entry(store, queued.id)
    assert (done.status, done.result_id) == (OutboxStatus.SENT, "CS-MINE")
    assert api.walked == ["CS-OTHER", "CS-MINE"]
    assert len(api.creates) == 1
    assert store.cases.case("CS-MINE") is not None and not store.cases.is_unread("CS-MINE")
    assert [m.id for m in store.cases.thread("CS-MINE")] == ["CS-MINE-1"]


@pytest.mark.parametrize(
    "case",
    [
        created("CS-X", 0.5, subject="Other"),
        created("CS-X", 0.5, type="Incident"),
        created("CS-X", 0.5, service_id="SVC-2"),
        created("CS-X", -0.6),  # created 36 s before the first attempt: beyond the skew
        created("CS-X", -0.6, changed=1),
    ],
)
async def test_only_a_case_like_ours_created_since_the_first_attempt_counts(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, case: Case
) -> None:
    queued = await lost_create(sender, store, api)
    api.listed = [case]
    first_message(api, "CS-X")
    clock.now = T0 + 5.0
    assert await sender.send_due() == 0
    assert entry(store, queued.id).result_id is None
    assert len(api.creates) == 1


@pytest.mark.parametrize(
    ("text", "by", "found"),
    [
        (NEW["message"], NEW["sentBy"], True),
        ("another text", NEW["sentBy"], False),
        (NEW["message"], "someone@else", False),
    ],
)
async def test_a_created_case_counts_only_with_our_first_message(
    sender: OutboxSender,
    store: Store,
    api: FakeApi,
    clock: FakeClock,
    text: str,
    by: str,
    found: bool,
) -> None:
    queued = await lost_create(sender, store, api)
    api.listed = [created("CS-X", 0.5)]
    first_message(api, "CS-X", text, by)
    clock.now = T0 + 5.0
    await sender.send_due()
    assert (entry(store, queued.id).result_id == "CS-X") is found


async def test_a_created_case_at_the_skew_bound_counts_and_a_customer_reference_must_match(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_create(sender, store, api, {**NEW, "customerReference": "CHG-1"})
    api.listed = [
        created("CS-REF", 1, reference="CHG-2"),
        created("CS-NOREF", 1),
        created("CS-EDGE", -0.5, reference="CHG-1"),  # exactly 30 s before: still ours
    ]
    for c in api.listed:
        first_message(api, c.id)
    clock.now = T0 + 5.0
    await sender.send_due()
    assert entry(store, queued.id).result_id == "CS-EDGE"


async def test_a_created_case_already_claimed_by_another_entry_is_not_this_ones(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    first = await lost_create(sender, store, api)
    api.listed = [created("CS-A", 0.5)]
    first_message(api, "CS-A")
    clock.now = T0 + 5.0
    await sender.send_due()
    assert entry(store, first.id).result_id == "CS-A"
    second = await lost_create(sender, store, api)  # the same case, asked for again
    clock.now = second.next_attempt_at or 0.0
    await sender.send_due()
    assert entry(store, second.id).result_id is None
    assert entry(store, second.id).status == OutboxStatus.QUEUED


def stored_case(store: Store, case_id: str, *, unread: bool, **fields: Any) -> None:
    store.cases.upsert_cases([Case(id=case_id, status="In Progress", type="Incident", **fields)])
    if unread:
        store.mark_unread(case_id)
    else:
        store.mark_read(case_id)


async def lost_update(sender: OutboxSender, store: Store, api: FakeApi) -> OutboxEntry:
    queued = store.outbox.enqueue(
        "update", {"customerReference": "CHG-42", "priority": "P2"}, case_id="CS-1"
    )
    api.failures.append(NetworkError("the connection was reset"))
    assert await sender.send_due() == 0
    return entry(store, queued.id)


@pytest.mark.parametrize("unread", [False, True])
async def test_an_update_the_case_already_holds_is_not_sent_again(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, unread: bool
) -> None:
    """A bulk update reaches each case once: after a lost answer, a case that holds every value
    already was updated; it is stored as the server has it, read stays read."""
    stored_case(store, "CS-1", unread=unread)
    queued = await lost_update(sender, store, api)
    assert len(api.updates) == 1
    api.on_server["CS-1"] = Case(
        id="CS-1", status="In Progress", customer_reference="CHG-42", priority="P2"
    )
    clock.now = entry(store, queued.id).next_attempt_at or 0.0
    assert await sender.send_due() == 1
    done = entry(store, queued.id)
    assert (done.status, done.result_id) == (OutboxStatus.SENT, "CS-1")
    assert len(api.updates) == 1
    held = store.cases.case("CS-1")
    assert held is not None and held.customer_reference == "CHG-42"
    assert store.cases.is_unread("CS-1") is unread


@pytest.mark.parametrize(
    "on_server",
    [
        Case(id="CS-1", status="In Progress", customer_reference="CHG-42"),  # one value of two
        Case(id="CS-1", status="In Progress", customer_reference="CHG-41", priority="P2"),
        None,  # cannot be read now: the PATCH is sent, which is harmless
    ],
)
async def test_an_update_not_yet_on_the_case_is_sent_again(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, on_server: Case | None
) -> None:
    stored_case(store, "CS-1", unread=False)
    queued = await lost_update(sender, store, api)
    if on_server is None:
        api.get_failures.append(ServerError("The API failed (502)."))
    else:
        api.on_server["CS-1"] = on_server
    clock.now = entry(store, queued.id).next_attempt_at or 0.0
    assert await sender.send_due() == 1
    assert len(api.updates) == 2
    assert api.updates[1] == ("CS-1", {"customerReference": "CHG-42", "priority": "P2"}, "Incident")


@pytest.mark.parametrize("unread", [False, True])
async def test_an_update_sends_the_cases_type_and_keeps_it_read(
    sender: OutboxSender, store: Store, api: FakeApi, unread: bool
) -> None:
    stored_case(store, "CS-1", unread=unread)
    queued = store.outbox.enqueue("update", {"customerReference": "CHG-7"}, case_id="CS-1")
    assert await sender.send_due() == 1
    assert api.updates == [("CS-1", {"customerReference": "CHG-7"}, "Incident")]
    assert entry(store, queued.id).result_id == "CS-1"
    held = store.cases.case("CS-1")
    assert held is not None and held.customer_reference == "CHG-7"
    assert store.cases.is_unread("CS-1") is unread


@pytest.mark.parametrize("unread", [False, True])
async def test_our_own_reply_does_not_make_the_case_unread(
    sender: OutboxSender, store: Store, api: FakeApi, unread: bool
) -> None:
    stored_case(store, "CS-1", unread=unread)
    queued = reply(store)
    assert await sender.send_due() == 1
    assert entry(store, queued.id).result_id == "M1"
    assert [m.id for m in store.cases.thread("CS-1")] == ["M1"]
    assert store.cases.is_unread("CS-1") is unread


async def test_a_new_case_is_stored_read_with_its_whole_thread(
    sender: OutboxSender, store: Store, api: FakeApi
) -> None:
    stored_case(store, "CS-0", unread=False)  # not the store's first cases (those are read)
    queued = store.outbox.enqueue("create", NEW)
    assert await sender.send_due() == 1
    assert entry(store, queued.id).result_id == "CS-NEW1"
    assert store.cases.case("CS-NEW1") is not None
    assert store.cases.is_unread("CS-NEW1") is False
    assert [m.id for m in store.cases.thread("CS-NEW1")] == ["M-FIRST"]


@pytest.mark.parametrize("times", [(0, 100, 200, 300, 599), (0, 100, 200, 900)])
async def test_fewer_than_5_tries_or_10_minutes_do_not_give_up(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, times: tuple[int, ...]
) -> None:
    from expereo_tui.api.errors import ApiError

    queued = reply(store)
    for when in times:
        clock.now = T0 + when
        api.failures.append(ApiError("An error has occurred"))
        assert await sender.send(entry(store, queued.id)) is False
    assert entry(store, queued.id).status == OutboxStatus.QUEUED


async def test_a_rejected_reply_goes_back_before_what_was_typed_meanwhile(
    sender: OutboxSender, store: Store, api: FakeApi
) -> None:
    from expereo_tui.api.errors import ValidationError

    reply(store)
    store.drafts.save_draft("reply:CS-1", {"text": "and the router"})
    api.failures.append(ValidationError("message: too long"))
    assert await sender.send_due() == 1
    assert store.drafts.load_draft("reply:CS-1") == {"text": "rebooted the CPE\n\nand the router"}


async def test_an_entry_another_instance_attempted_is_looked_for_first(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    from expereo_tui.api.errors import ApiError

    queued = reply(store)
    api.failures.append(ApiError("An error has occurred"))  # refused: nothing committed
    await sender.send_due()
    store.outbox.outbox_attempt(queued.id, at=T0 + 1.0)  # then a peer tried it
    sender.attempted_elsewhere(queued.id)
    clock.now = entry(store, queued.id).next_attempt_at or 0.0
    api.thread.clear()
    assert await sender.send_due() == 0
    assert api.reads == 1 and len(api.posts) == 1  # looked, not sent blind


async def test_a_decision_to_send_again_after_a_restart_sends_without_looking(
    store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    first = OutboxSender(store, api, events.append, clock)  # type: ignore[arg-type]
    queued = await lost_first_attempt(first, store, api)
    store.outbox.outbox_needs_decision(queued.id, error="cannot tell")
    restarted = OutboxSender(store, api, events.append, clock)  # type: ignore[arg-type]
    assert restarted.send_again(queued.id) is True
    assert await restarted.send_due() == 1
    assert api.reads == 0 and len(api.posts) == 2


async def test_a_look_that_finds_nothing_says_it_is_still_checking(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    await lost_first_attempt(sender, store, api)
    api.thread.clear()
    clock.now = T0 + 5.0
    events.clear()
    await sender.send_due()
    assert changes(events) == [(OutboxStatus.QUEUED, "the connection was reset", "outcome_unknown")]


async def test_our_message_without_an_id_still_confirms_the_entry(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    queued = await lost_first_attempt(sender, store, api)
    api.thread["CS-1"] = [
        CaseMessage(message="rebooted the CPE", type="Customer", sent_by="noc@example.com",
                    timestamp=at(T0))
    ]  # fmt: skip
    clock.now = T0 + 5.0
    assert await sender.send_due() == 1
    assert entry(store, queued.id).result_id == "found"


async def test_each_new_case_is_a_lane_of_its_own(
    sender: OutboxSender, store: Store, api: FakeApi
) -> None:
    lost = store.outbox.enqueue("create", NEW)
    other = store.outbox.enqueue("create", {**NEW, "subject": "Other"})
    api.failures.append(NetworkError("reset"))
    assert await sender.send_due() == 1
    assert entry(store, lost.id).status == OutboxStatus.QUEUED
    assert entry(store, other.id).status == OutboxStatus.SENT


async def test_the_look_for_a_lost_new_case_stops_at_the_first_older_case(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock
) -> None:
    stored_case(store, "CS-0", unread=False)
    queued = await lost_create(sender, store, api)
    api.listed = [created("CS-A", 1, subject="Other"), created("CS-B", -2), created("CS-C", 1)]
    clock.now = T0 + 5.0
    await sender.send_due()
    assert api.walked == ["CS-A", "CS-B"]  # CS-B changed before the first attempt
    assert entry(store, queued.id).result_id is None
    api.listed = [created("CS-D", 0.5)]
    first_message(api, "CS-D")
    clock.now = entry(store, queued.id).next_attempt_at or 0.0
    assert await sender.send_due() == 1
    assert entry(store, queued.id).result_id == "CS-D"
    assert store.cases.is_unread("CS-D") is False


async def test_a_write_to_a_case_that_is_gone_fails_back_into_its_draft(
    sender: OutboxSender, store: Store, api: FakeApi, events: list[SyncEvent]
) -> None:
    from expereo_tui.api.errors import NotFoundError

    queued = reply(store)
    api.failures.append(NotFoundError("Case CS-1 was not found."))
    assert await sender.send_due() == 1
    assert entry(store, queued.id).status == OutboxStatus.FAILED
    assert entry(store, queued.id).last_error == "Case CS-1 was not found."
    failed = [e for e in events if isinstance(e, OutboxChanged) and e.status == "failed"]
    assert [(e.error, e.field_errors) for e in failed] == [("Case CS-1 was not found.", {})]
    assert store.drafts.load_draft("reply:CS-1") == {"text": "rebooted the CPE"}


async def test_a_lost_answer_says_the_outcome_is_being_checked(
    sender: OutboxSender, store: Store, api: FakeApi, events: list[SyncEvent]
) -> None:
    await lost_first_attempt(sender, store, api)
    assert changes(events) == [(OutboxStatus.QUEUED, "the connection was reset", "outcome_unknown")]


async def test_after_a_restart_an_attempted_entry_is_looked_for_from_its_failure(
    store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    """The earlier run scheduled its first look ¼ timeout after the failure: the window is
    counted from then, not from the restart."""
    first = OutboxSender(store, api, events.append, clock)  # type: ignore[arg-type]
    queued = await lost_first_attempt(first, store, api)  # failed at T0, first look at T0 + 5
    api.thread.clear()
    restarted = OutboxSender(store, api, events.append, clock)  # type: ignore[arg-type]
    clock.now = T0 + 12.0
    assert await restarted.send_due() == 0
    assert api.reads == 1 and len(api.posts) == 1  # looked, not sent blind
    assert entry(store, queued.id).next_attempt_at == T0 + 20.0  # 1 timeout after T0
    clock.now = T0 + 40.0
    assert await restarted.send_due() == 1  # the window (2 timeouts) is over: sent again
    assert len(api.posts) == 2


async def test_an_update_refused_for_ten_minutes_gives_up(
    sender: OutboxSender, store: Store, api: FakeApi, clock: FakeClock, events: list[SyncEvent]
) -> None:
    stored_case(store, "CS-1", unread=False)
    queued = store.outbox.enqueue("update", {"customerReference": "CHG-9"}, case_id="CS-1")
    api.on_server["CS-1"] = Case(id="CS-1", status="In Progress")  # not applied
    for when in (0.0, 100.0, 200.0, 300.0):
        clock.now = T0 + when
        api.failures.append(ServerError("The API failed (500); the app retries"))
        assert await sender.send(entry(store, queued.id)) is False
        assert entry(store, queued.id).last_error == "The API failed (500); the app retries"
    clock.now = T0 + 600.0
    api.failures.append(ServerError("The API failed (500); the app retries"))
    assert await sender.send(entry(store, queued.id)) is True
    failed = entry(store, queued.id)
    assert (failed.status, failed.last_error) == (
        OutboxStatus.FAILED,
        "gave up after 10 min: The API failed (500)",
    )
    assert len(api.updates) == 5
