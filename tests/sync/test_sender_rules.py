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
        self.reads = 0

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
        for msg in list(self.thread.get(case_id, [])):
            yield msg

    async def get_case(self, case_id: str) -> Case:
        return Case(id=case_id, status="In Progress")


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
    queued = reply(store)
    api.failures.append(NetworkError("the connection was reset"))
    before = len(api.posts)
    assert await sender.send_due() == 0
    assert len(api.posts) == before + 1
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
