"""The outbox: durable, ordered, exactly once, errors back to the draft."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from expereo_tui.api.models import CaseCreate, CaseUpdate
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import ReadOnlyError, SyncEngine, SyncSettings
from expereo_tui.sync.events import OutboxChanged, OutboxStatus
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import Recorder


def _open_case(sim: Simulator) -> str:
    return next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")


def _texts(sim: Simulator, case_id: str) -> list[str]:
    return [m["message"] for m in sim.data.messages[case_id]]


async def test_reply_is_sent_and_case_stays_read(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    store.save_draft(f"reply:{case_id}", {"text": "Power cycled, still down."})
    entry = engine.send_reply(case_id, "Power cycled, still down.", draft_key=f"reply:{case_id}")
    assert store.load_draft(f"reply:{case_id}") is None
    await engine.sender.send_due()
    assert _texts(sim, case_id)[-1] == "Power cycled, still down."
    statuses = [e.status for e in events.of(OutboxChanged) if e.entry_id == entry]
    assert statuses == [OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT]
    assert not store.is_unread(case_id)
    assert store.thread(case_id)[-1].message == "Power cycled, still down."


@pytest.mark.reliability(
    fault="a reply is committed but its response is lost (connection dropped)",
    sees="the reply stays queued, then shows as sent",
    data="found in the thread instead of re-sent: exactly one copy",
    shows="sent, 1 copy",
)
async def test_reply_survives_lost_response_without_duplicate(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.lost_write_responses = 1
    entry = engine.send_reply(case_id, "Only once, please")
    await engine.sender.send_due()  # committed on the server, response lost
    assert store.outbox()[0].status == "queued"
    sim_clock.advance(600)
    await engine.sender.send_due()  # finds it in the thread instead of re-sending
    assert _texts(sim, case_id).count("Only once, please") == 1
    assert store.outbox_entry(entry).status == "sent"  # type: ignore[union-attr]
    done = store.outbox_entry(entry)
    copies = _texts(sim, case_id).count("Only once, please")
    reliability.check(f"{done.status if done else 'gone'}, {copies} copy")


@pytest.mark.reliability(
    fault="the API answers 500 to writes",
    sees="the writes stay queued with the error (HTTP 500) and are retried with back-off",
    data="kept in order, sent in order once the API is back",
    shows="HTTP 500",
)
async def test_transient_failure_keeps_order_and_retries(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.error_rate = 1.0
    engine.send_reply(case_id, "first")
    engine.send_reply(case_id, "second")
    await engine.sender.send_due()
    assert [e.status for e in store.outbox()] == ["queued", "queued"]
    assert "HTTP 500" in (store.outbox()[0].last_error or "")
    reliability.check(store.outbox()[0].last_error or "")
    sim.faults.error_rate = 0.0
    await engine.sender.send_due()  # not due yet: back-off
    assert len(store.outbox()) == 2
    sim_clock.advance(600)
    await engine.sender.send_due()
    assert _texts(sim, case_id)[-2:] == ["first", "second"]


@pytest.mark.reliability(
    fault="the server rejects a new case (field errors)",
    sees="the form comes back with the server's error under the field (serviceId)",
    data="the draft is restored with everything typed",
    shows="serviceId",
)
async def test_rejected_write_returns_to_the_draft_with_field_errors(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder, reliability: Reliability
) -> None:
    await engine.poll_once()
    body = CaseCreate(
        subject="Other", type="NonIncident", service_id="SVC-NOPE", message="please help"
    )
    entry = engine.create_case(body, draft_key="new")
    await engine.sender.send_due()
    failed = [e for e in events.of(OutboxChanged) if e.entry_id == entry][-1]
    assert failed.status == OutboxStatus.FAILED
    assert "serviceId" in failed.field_errors
    reliability.check(" ".join(failed.field_errors))
    draft = store.load_draft("new")
    assert draft and draft["message"] == "please help" and draft["serviceId"] == "SVC-NOPE"


async def test_create_case_survives_lost_response_without_duplicate(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    before = len(sim.data.cases)
    sim.faults.lost_write_responses = 1
    entry = engine.create_case(
        CaseCreate(
            subject="ServiceDown",
            type="Incident",
            service_id=svc,
            message="Site dark",
            start_of_incident=datetime(2026, 11, 18, 10, tzinfo=UTC),
        )
    )
    await engine.sender.send_due()
    sim_clock.advance(600)
    await engine.sender.send_due()
    assert len(sim.data.cases) == before + 1
    done = store.outbox_entry(entry)
    assert done and done.status == "sent" and done.result_id in sim.data.cases
    assert store.case(done.result_id) is not None  # type: ignore[arg-type]


async def test_update_case(sim: Simulator, engine: SyncEngine, store: Store) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    engine.update_case(case_id, CaseUpdate(customer_reference="CHG-77"))
    await engine.sender.send_due()
    assert sim.data.cases[case_id]["customerReference"] == "CHG-77"
    assert store.case(case_id).customer_reference == "CHG-77"  # type: ignore[union-attr]


async def test_read_only_refuses_writes(store: Store, engine: SyncEngine) -> None:
    ro = SyncEngine(
        store, engine.client, on_event=lambda e: None, settings=SyncSettings(read_only=True)
    )
    with pytest.raises(ReadOnlyError):
        ro.send_reply("CS-1", "x")
    with pytest.raises(ValueError):
        engine.send_reply("CS-1", "   ")
    assert store.outbox() == []


@pytest.mark.reliability(
    fault="the API is down (503) when a reply is sent, and the app restarts",
    sees="the reply is still queued after the restart, then sent",
    data="nothing lost; sent once the API is back",
    shows="queued: 1",
)
async def test_queued_reply_survives_restart(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.outage = True
    engine.send_reply(case_id, "sent while offline")
    await engine.sender.send_due()
    store.close()
    sim.faults.outage = False
    sim_clock.advance(600)
    reopened = Store(store.path, clock=sim_clock)
    reliability.check(f"queued: {len(reopened.outbox())}")
    again = SyncEngine(reopened, engine.client, on_event=lambda e: None, clock=sim_clock)
    await again.sender.send_due()
    assert _texts(sim, case_id)[-1] == "sent while offline"
