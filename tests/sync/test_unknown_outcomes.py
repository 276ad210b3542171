"""When the outbox cannot know, it says so, and nothing else waits: an entry whose outcome cannot
be learnt from the documented reads needs the user's decision (send again or discard) and holds
back only its own case; a write refused the same generic way again and again stops after the
bound with the server's words and its text back in the draft.  Run under both simulator modes
(``sim --unknowns``: no idempotency, undocumented look-ups refused, message types spelt
otherwise)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from expereo_tui.api.models import CaseCreate
from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import OutboxChanged, OutboxStatus
from expereo_tui.sync.sender import RETRY_BOUND, RETRY_TRIES
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import BOTH_MODES, FakeClock, make_client

from .conftest import Recorder

pytestmark = BOTH_MODES

GENERIC = {"errors": [{"message": "An error has occurred"}]}  # no code, as V1 documents


class Interceptor(httpx.AsyncBaseTransport):
    """The simulator's transport, except requests ``answer`` gives a response for."""

    def __init__(self, sim: Simulator) -> None:
        self.inner = sim.transport()
        self.answer: Callable[[httpx.Request], httpx.Response | None] = lambda r: None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        canned = self.answer(request)
        if canned is not None:
            return canned
        return await self.inner.handle_async_request(request)


@pytest.fixture
def interceptor(sim: Simulator) -> Interceptor:
    return Interceptor(sim)


@pytest.fixture
async def client(
    sim: Simulator, sim_clock: FakeClock, interceptor: Interceptor
) -> AsyncIterator[V2Client]:
    async with make_client(sim, sim_clock, transport=interceptor) as c:
        yield c


@pytest.fixture
def engine(store: Store, client: V2Client, events: Recorder, sim_clock: FakeClock) -> SyncEngine:
    return SyncEngine(
        store,
        client,
        on_event=events.append,
        clock=sim_clock,
        settings=SyncSettings(sent_by="anna@noc"),
    )


@pytest.fixture
def store(tmp_path: Path, sim_clock: FakeClock) -> Store:
    return Store(tmp_path / "unknown.sqlite3", clock=sim_clock)


def _open_cases(sim: Simulator, n: int) -> list[str]:
    return [c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress"][:n]


def _copies(sim: Simulator, case_id: str, text: str) -> int:
    return sum(1 for m in sim.data.messages[case_id] if m["message"] == text)


def _status(store: Store, entry_id: int) -> str:
    entry = store.outbox.outbox_entry(entry_id)
    assert entry is not None
    return str(entry.status)


async def _run_for(engine: SyncEngine, clock: FakeClock, seconds: float, step: float = 30) -> None:
    """The outbox's loop on the fake clock: send what is due, every ``step`` seconds."""
    end = clock.now + seconds
    while clock.now < end:
        await engine.sender.send_due()
        clock.advance(step)


@pytest.mark.reliability(
    fault="a reply's answer is lost, and its case's thread cannot be read afterwards",
    sees="needs your decision: send again or discard; other cases' writes are sent",
    data="at most one copy on the server; the text is kept until the user decides; "
    "later writes to that case wait, in order",
    shows="needs_decision",
)
async def test_unknowable_outcome_needs_a_decision_and_holds_only_its_case(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    interceptor: Interceptor,
    events: Recorder,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    a, b = _open_cases(sim, 2)
    sim.faults.lost_write_responses = 1  # A's first reply commits, its answer never arrives
    first = engine.send_reply(a, "first to A")
    second = engine.send_reply(a, "second to A")
    other = engine.send_reply(b, "to B")
    thread_a = f"/v2/cases/{a}/case-messages"
    interceptor.answer = lambda r: (
        httpx.Response(500, json=GENERIC) if r.method == "GET" and r.url.path == thread_a else None
    )
    await engine.sender.send_due()  # A's answer is lost: its case waits, B's reply goes now
    assert _status(store, other) == OutboxStatus.SENT
    assert _status(store, second) == OutboxStatus.QUEUED
    await _run_for(engine, sim_clock, 2 * RETRY_BOUND + 600)
    assert _status(store, first) == OutboxStatus.NEEDS_DECISION
    assert _status(store, second) == OutboxStatus.QUEUED  # waits behind it, in order
    assert _status(store, other) == OutboxStatus.SENT  # never held by another case
    assert _copies(sim, a, "first to A") == 1 and _copies(sim, a, "second to A") == 0
    assert _copies(sim, b, "to B") == 1
    assert engine.sender.next_due() is None  # nothing is due while A waits for the user
    decided = [e for e in events.of(OutboxChanged) if e.entry_id == first][-1]
    reliability.check(f"{decided.status} {decided.code}")
    # the user checked the portal: it arrived, so discard; the text goes back to the draft,
    # and the case's next write goes
    interceptor.answer = lambda r: None
    assert engine.sender.discard(first)
    assert _status(store, first) == OutboxStatus.FAILED
    await engine.sender.send_due()
    assert _status(store, second) == OutboxStatus.SENT
    assert _copies(sim, a, "first to A") == 1 and _copies(sim, a, "second to A") == 1


async def test_send_again_is_the_users_decision_and_sends_once(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock, interceptor: Interceptor
) -> None:
    await engine.poll_once()
    (a,) = _open_cases(sim, 1)
    sim.faults.drop_writes = 1  # nothing committed, but the client cannot know
    entry = engine.send_reply(a, "did it go?")
    thread_a = f"/v2/cases/{a}/case-messages"
    interceptor.answer = lambda r: (
        httpx.Response(403, json={"errors": [{"status": "403", "detail": "no"}]})
        if r.method == "GET" and r.url.path == thread_a
        else None
    )
    await _run_for(engine, sim_clock, 120)
    assert _status(store, entry) == OutboxStatus.NEEDS_DECISION  # the look itself refused
    assert not engine.sender.send_again(entry + 1000)  # only an entry waiting for a decision
    assert engine.sender.send_again(entry)
    await engine.sender.send_due()
    assert _status(store, entry) == OutboxStatus.SENT
    assert _copies(sim, a, "did it go?") == 1


@pytest.mark.reliability(
    fault="every attempt of a write is answered 500 'An error has occurred' (no code)",
    sees="gave up after 10 min: the server's own words; the text is back in the draft",
    data="not sent again after the bound; the text is kept as a draft, to send again",
    shows="An error has occurred",
)
async def test_a_write_refused_the_same_way_stops_after_the_bound_and_keeps_its_text(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    interceptor: Interceptor,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    a, b = _open_cases(sim, 2)
    interceptor.answer = lambda r: (
        httpx.Response(500, json=GENERIC)
        if r.method == "POST" and r.url.path == f"/v2/cases/{a}/case-messages"
        else None
    )
    entry = engine.send_reply(a, "please call me", draft_key=f"reply:{a}")
    other = engine.send_reply(b, "fine here")
    await _run_for(engine, sim_clock, 3 * RETRY_BOUND)
    done = store.outbox.outbox_entry(entry)
    assert done is not None and done.status == OutboxStatus.FAILED
    assert RETRY_TRIES <= done.attempts <= 40  # bounded: not every 40 s for as long as it runs
    assert "An error has occurred" in (done.last_error or "")
    assert "please call me" in json.dumps(store.drafts.load_draft(f"reply:{a}"))
    assert _status(store, other) == OutboxStatus.SENT
    reliability.check(done.last_error or "")
    # the user tries again once the server works
    interceptor.answer = lambda r: None
    again = engine.send_reply(a, "please call me")
    await engine.sender.send_due()
    assert _status(store, again) == OutboxStatus.SENT
    assert _copies(sim, a, "please call me") == 1


@pytest.mark.reliability(
    fault="a new case's answer is lost (--unknowns: no idempotency, look-up sort and filters refused)",
    sees="the new case is found by the documented listing, not created twice",
    data="exactly one case; another case's reply is delivered meanwhile",
    shows="sent",
)
async def test_lost_create_ends_in_one_case_with_other_writes_delivered(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    (a,) = _open_cases(sim, 1)
    service = sim.data.cases[a]["serviceId"]
    before = len(sim.data.cases)
    sim.faults.lost_write_responses = 1
    created = engine.create_case(
        CaseCreate(
            subject="InformationRequest",
            type="NonIncident",
            service_id=service,
            message="new case, answer lost",
        )
    )
    reply = engine.send_reply(a, "meanwhile on A")
    await _run_for(engine, sim_clock, RETRY_BOUND)
    assert _status(store, reply) == OutboxStatus.SENT
    outcome = _status(store, created)
    made = [c for c in sim.data.cases.values() if c["subject"] == "InformationRequest"
            and sim.data.messages[c["id"]][0]["message"] == "new case, answer lost"]
    assert len(sim.data.cases) == before + 1 and len(made) == 1
    assert outcome in (OutboxStatus.SENT, OutboxStatus.NEEDS_DECISION)
    reliability.check(outcome)
