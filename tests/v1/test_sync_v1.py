"""The sync engine on API V1: incremental by lastModifiedMinutes, threads in the same answer,
an idle poll of one request, and the outbox's reply / create / reference over GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime

from expereo_tui.api.models import CaseCreate, CaseUpdate
from expereo_tui.api.v1 import minutes_since
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import CasesChanged, OutboxChanged, OutboxStatus, SyncStatus
from tests.sim_fixtures import FakeClock
from tests.sync.conftest import Recorder

from .conftest import RecordingTransport


def _ops(transport: RecordingTransport, since: int = 0) -> list[str]:
    """The operation of each GraphQL request after the first ``since`` ones."""
    out = []
    for body in transport.bodies[since:]:
        query = body["query"]
        head = query[query.index("query ") if "query " in query else query.index("mutation ") :]
        out.append(head.split("(")[0].split("{")[0].split()[1])
    return out


def _open_case(sim: Simulator) -> str:
    return next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")


async def test_first_sync_sends_zero_and_takes_three_requests(
    sim: Simulator, engine: SyncEngine, store: Store, v1: tuple[object, RecordingTransport]
) -> None:
    transport = v1[1]
    await engine.poll_once()
    assert _ops(transport) == ["Cases", "Sites", "Services"]  # cases first: the inbox shows them
    assert transport.bodies[0]["variables"] == {"lastModifiedMinutes": 0}
    assert len(sim.request_log) == 3
    assert store.cases.case_count() == len(sim.data.cases)
    assert store.cases.unread_count() == 0
    assert len(store.inventory.sites("viewer")) == len(sim.data.sites)  # under V1's one account
    assert len(store.inventory.services(account_id="viewer")) == len(sim.data.services)
    assert engine.state.status == SyncStatus.FRESH
    # opening a case after the first sync costs nothing: its thread came with it
    case_id = next(iter(sim.data.cases))
    await engine.fetch_thread(case_id)
    assert len(sim.request_log) == 3
    assert store.cases.message_count(case_id) == len(sim.data.messages[case_id])


async def test_idle_poll_costs_one_request_with_the_elapsed_window(
    sim: Simulator,
    engine: SyncEngine,
    sim_clock: FakeClock,
    v1: tuple[object, RecordingTransport],
) -> None:
    transport = v1[1]
    await engine.poll_once()
    before = len(sim.request_log)
    sim_clock.advance(30)
    changed = await engine.poller.poll_cases(since=engine._last_success, now=sim_clock())
    assert changed is None
    await engine.poll_once()
    assert len(sim.request_log) == before + 2
    assert list(sim.request_log)[-1] == ("POST", "/graphql")
    assert transport.bodies[-1]["variables"] == {"lastModifiedMinutes": 3}  # 30 s + 120 s


async def test_changed_case_arrives_with_its_thread_without_another_request(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    events: Recorder,
    sim_clock: FakeClock,
    v1: tuple[object, RecordingTransport],
) -> None:
    await engine.poll_once()
    seeded_now = max(c["lastModifiedDate"] for c in sim.data.cases.values())
    sim_clock.advance(60)
    sim.step_activity(4)
    changed_ids = {c["id"] for c in sim.data.cases.values() if c["lastModifiedDate"] > seeded_now}
    assert changed_ids
    before = len(sim.request_log)
    events.clear()
    await engine.poll_once()
    assert len(sim.request_log) == before + 1  # one query: cases and their threads
    [event] = events.of(CasesChanged)
    assert {c.case_id for c in event.changes} == changed_ids
    for case_id in changed_ids:
        assert store.cases.is_unread(case_id)
        assert store.cases.message_count(case_id) == len(sim.data.messages[case_id])


async def test_restart_after_hours_away_asks_for_the_whole_gap(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    v1: tuple[object, RecordingTransport],
) -> None:
    transport = v1[1]
    await engine.poll_once()
    seeded_now = max(c["lastModifiedDate"] for c in sim.data.cases.values())
    sim_clock.advance(3000)
    sim.step_activity(5)
    touched = {c["id"] for c in sim.data.cases.values() if c["lastModifiedDate"] > seeded_now}
    again = SyncEngine(
        Store(store.path, clock=sim_clock), engine.client, on_event=lambda e: None, clock=sim_clock
    )
    await again.poll_once()
    assert transport.bodies[-1]["variables"] == {"lastModifiedMinutes": 52}  # 3000 s + 120 s
    assert {c for c in touched if again.store.cases.is_unread(c)} == touched


async def test_reply_through_the_outbox_on_v1(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    events: Recorder,
    sim_clock: FakeClock,
    v1: tuple[object, RecordingTransport],
) -> None:
    transport = v1[1]
    await engine.poll_once()
    case_id = _open_case(sim)
    await engine.fetch_thread(case_id)
    sent = len(transport.bodies)
    entry = engine.send_reply(case_id, "Power cycled, still down.")
    await engine.sender.send_due()
    assert _ops(transport, sent) == ["ReplyToCase", "Cases"]  # one write, one read
    assert sim.data.messages[case_id][-1]["message"] == "Power cycled, still down."
    statuses = [e.status for e in events.of(OutboxChanged) if e.entry_id == entry]
    assert statuses == [OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT]
    assert not store.cases.is_unread(case_id)
    sim_clock.advance(30)
    await engine.poll_once()
    await engine.fetch_thread(case_id)  # the thread as the server has it: the reply once
    texts = [m.message for m in store.cases.thread(case_id)]
    assert texts.count("Power cycled, still down.") == 1
    assert len(texts) == len(sim.data.messages[case_id])


async def test_create_incident_through_the_outbox_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    service = next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")
    body = CaseCreate(
        subject="ServiceDown",
        type="Incident",
        service_id=service,
        message="Site dark since 09:00",
        start_of_incident=datetime(2026, 11, 18, 9, tzinfo=UTC),
    )
    engine.create_case(body)
    await engine.sender.send_due()
    [done] = [e for e in events.of(OutboxChanged) if e.status == OutboxStatus.SENT]
    assert done.result_id in sim.data.cases
    assert sim.data.cases[done.result_id]["type"] == "Incident"
    assert [m.message for m in store.cases.thread(done.result_id)] == ["Site dark since 09:00"]
    assert not store.cases.is_unread(done.result_id)


async def test_priority_on_create_fails_back_to_the_form_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    service = next(iter(sim.data.services))
    before = len(sim.data.cases)
    body = CaseCreate(
        subject="Other", type="NonIncident", service_id=service, message="x", priority="P4"
    )
    engine.create_case(body, draft_key="new-case")
    await engine.sender.send_due()
    [failed] = [e for e in events.of(OutboxChanged) if e.status == OutboxStatus.FAILED]
    assert "priority" in failed.field_errors
    assert len(sim.data.cases) == before


async def test_reference_through_the_outbox_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    engine.update_case(case_id, CaseUpdate(customer_reference="INC-0042"))
    await engine.sender.send_due()
    assert sim.data.cases[case_id]["customerReference"] == "INC-0042"
    assert store.cases.case(case_id).customer_reference == "INC-0042"  # type: ignore[union-attr]
    engine.update_case(case_id, CaseUpdate(status="Closed"))
    await engine.sender.send_due()
    failed = [e for e in events.of(OutboxChanged) if e.status == OutboxStatus.FAILED]
    assert failed and "status" in failed[-1].field_errors


async def test_outage_then_recovery_widens_the_window(
    sim: Simulator,
    engine: SyncEngine,
    sim_clock: FakeClock,
    v1: tuple[object, RecordingTransport],
) -> None:
    transport = v1[1]
    await engine.poll_once()
    sim.faults.outage = True
    sim_clock.advance(600)
    await engine.poll_once()
    assert engine.state.status == SyncStatus.OFFLINE
    sim.faults.outage = False
    sim_clock.advance(300)
    last_success, now = engine._last_success, sim_clock()
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    window = transport.bodies[-1]["variables"]["lastModifiedMinutes"]
    assert window == minutes_since(last_success, now) >= 17  # 900 s and more, + 120 s
