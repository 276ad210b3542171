"""The outbox: durable, ordered, exactly once, errors back to the draft."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from expereo_tui.api.models import CaseCreate, CaseUpdate
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.outbox_types import AlreadyQueued
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import CaseClosedError, ReadOnlyError, SyncEngine, SyncSettings
from expereo_tui.sync.events import OutboxChanged, OutboxStatus
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import BOTH_MODES, TEST_SECRET, FakeClock, normal_only

from .conftest import Recorder, wait_until

pytestmark = BOTH_MODES  # the suite holds under sim --unknowns too


def _open_case(sim: Simulator) -> str:
    return next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")


def _texts(sim: Simulator, case_id: str) -> list[str]:
    return [m["message"] for m in sim.data.messages[case_id]]


async def test_reply_is_sent_and_case_stays_read(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    store.drafts.save_draft(f"reply:{case_id}", {"text": "Power cycled, still down."})
    entry = engine.send_reply(case_id, "Power cycled, still down.", draft_key=f"reply:{case_id}")
    assert store.drafts.load_draft(f"reply:{case_id}") is None
    await engine.sender.send_due()
    assert _texts(sim, case_id)[-1] == "Power cycled, still down."
    statuses = [e.status for e in events.of(OutboxChanged) if e.entry_id == entry]
    assert statuses == [OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT]
    assert not store.cases.is_unread(case_id)
    assert store.cases.thread(case_id)[-1].message == "Power cycled, still down."


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
    assert store.outbox.outbox()[0].status == "queued"
    sim_clock.advance(600)
    await engine.sender.send_due()  # finds it in the thread instead of re-sending
    assert _texts(sim, case_id).count("Only once, please") == 1
    assert store.outbox.outbox_entry(entry).status == "sent"  # type: ignore[union-attr]
    done = store.outbox.outbox_entry(entry)
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
    assert [e.status for e in store.outbox.outbox()] == ["queued", "queued"]
    assert "HTTP 500" in (store.outbox.outbox()[0].last_error or "")
    reliability.check(store.outbox.outbox()[0].last_error or "")
    sim.faults.error_rate = 0.0
    await engine.sender.send_due()  # not due yet: back-off
    assert len(store.outbox.outbox()) == 2
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
    draft = store.drafts.load_draft("new")
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
    done = store.outbox.outbox_entry(entry)
    assert done and done.status == "sent" and done.result_id in sim.data.cases
    assert store.cases.case(done.result_id) is not None  # type: ignore[arg-type]


async def test_update_case(sim: Simulator, engine: SyncEngine, store: Store) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    engine.update_case(case_id, CaseUpdate(customer_reference="CHG-77"))
    await engine.sender.send_due()
    assert sim.data.cases[case_id]["customerReference"] == "CHG-77"
    assert store.cases.case(case_id).customer_reference == "CHG-77"  # type: ignore[union-attr]


async def test_read_only_refuses_writes(store: Store, engine: SyncEngine) -> None:
    ro = SyncEngine(
        store, engine.client, on_event=lambda e: None, settings=SyncSettings(read_only=True)
    )
    with pytest.raises(ReadOnlyError):
        ro.send_reply("CS-1", "x")
    with pytest.raises(ValueError):
        engine.send_reply("CS-1", "   ")
    assert store.outbox.outbox() == []


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
    reliability.check(f"queued: {len(reopened.outbox.outbox())}")
    again = SyncEngine(reopened, engine.client, on_event=lambda e: None, clock=sim_clock)
    await again.sender.send_due()
    assert _texts(sim, case_id)[-1] == "sent while offline"


# -- exactly once, seen from the user's seat (issue #10) ------------------------------------


def _reply_gets(sim: Simulator, case_id: str) -> list[float]:
    """Clock times of the thread reads of ``case_id`` (what the sender looks at)."""
    path = f"/v2/cases/{case_id}/case-messages"
    return [r.at for r in sim.request_records if r.method == "GET" and r.path == path]


def _posts(sim: Simulator, path: str) -> int:
    return sum(1 for r in sim.request_records if r.method == "POST" and r.path == path)


def _add_message(
    sim: Simulator, case_id: str, text: str, *, at: float, type_: str, sent_by: str
) -> None:
    sim.data.messages[case_id].append(
        {
            "id": sim.builder.new_message_id(),
            "caseId": case_id,
            "message": text,
            "type": type_,
            "timestamp": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
            "sentBy": sent_by,
        }
    )


def _record(engine: SyncEngine, sent_by: str) -> SyncEngine:
    """The same engine's store and client, with a profile's sent_by."""
    return SyncEngine(
        engine.store,
        engine.client,
        on_event=lambda e: None,
        clock=engine.clock,
        settings=SyncSettings(sent_by=sent_by),
    )


async def test_every_write_carries_its_idempotency_key(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    normal_only(sim, "it reads the simulator's Idempotency-Key records, which it ignores")
    await engine.poll_once()
    case_id = _open_case(sim)
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    ids = [
        engine.send_reply(case_id, "with a key"),
        engine.create_case(
            CaseCreate(subject="Other", type="NonIncident", service_id=svc, message="hi")
        ),
        engine.update_case(case_id, CaseUpdate(customer_reference="K-1")),
    ]
    assert await engine.sender.send_due() == 3
    keys = {key for _client, key in sim.idempotency}
    for entry_id in ids:
        entry = store.outbox.outbox_entry(entry_id)
        assert entry is not None and entry.status == "sent"
        assert entry.idempotency_key in keys


async def test_a_draft_becomes_at_most_one_outbox_entry(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    key = f"reply:{case_id}"
    first = engine.send_reply(case_id, "twice?", draft_key=key)
    with pytest.raises(AlreadyQueued) as info:
        engine.send_reply(case_id, "twice?", draft_key=key)
    assert info.value.entry_id == first
    assert len(store.outbox.outbox()) == 1
    await engine.sender.send_due()
    assert _texts(sim, case_id).count("twice?") == 1
    engine.send_reply(case_id, "a new draft once the first is sent", draft_key=key)
    assert len(store.outbox.outbox()) == 1


async def test_deliberate_repeat_is_sent_although_an_older_identical_reply_exists(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    """Window: an identical reply from an hour ago is not this entry's earlier attempt."""
    await engine.poll_once()
    case_id = _open_case(sim)
    me = _record(engine, "anna@noc")
    _add_message(
        sim, case_id, "any update?", at=sim_clock() - 3600, type_="Customer", sent_by="anna@noc"
    )
    sim.faults.drop_writes = 1  # the first attempt is lost before anything is committed
    entry = me.send_reply(case_id, "any update?")
    for _ in range(10):
        await me.sender.send_due()
        if store.outbox.outbox_entry(entry).status == "sent":  # type: ignore[union-attr]
            break
        sim_clock.advance(60)
    assert _texts(sim, case_id).count("any update?") == 2
    path = f"/v2/cases/{case_id}/case-messages"
    assert _posts(sim, path) == 2  # dropped, then sent again after looking


async def test_identical_message_from_the_provider_does_not_count_as_sent(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    """Author: the same words written by Expereo after our attempt are not our reply (even
    for an entry queued without a sender, where only the author type tells them apart)."""
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.drop_writes = 1
    entry = engine.send_reply(case_id, "Thanks, confirmed.")
    await engine.sender.send_due()  # dropped: outcome unknown
    _add_message(
        sim, case_id, "Thanks, confirmed.", at=sim_clock() + 1, type_="Expereo", sent_by="NOC"
    )
    for _ in range(10):
        sim_clock.advance(60)
        await engine.sender.send_due()
        if store.outbox.outbox_entry(entry).status == "sent":  # type: ignore[union-attr]
            break
    ours = [m for m in sim.data.messages[case_id] if m["message"] == "Thanks, confirmed."]
    assert [m["type"] for m in ours] == ["Expereo", "Customer"]


async def test_identical_message_from_another_engineer_does_not_count_as_sent(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    """Sender: a teammate on the same API key wrote the same words; ours still goes."""
    await engine.poll_once()
    case_id = _open_case(sim)
    me = _record(engine, "anna@noc")
    sim.faults.drop_writes = 1
    entry = me.send_reply(case_id, "Engineer dispatched.")
    await me.sender.send_due()
    _add_message(
        sim, case_id, "Engineer dispatched.", at=sim_clock() + 2, type_="Customer", sent_by="bob@x"
    )
    for _ in range(10):
        sim_clock.advance(60)
        await me.sender.send_due()
        if store.outbox.outbox_entry(entry).status == "sent":  # type: ignore[union-attr]
            break
    senders = [
        m["sentBy"] for m in sim.data.messages[case_id] if m["message"] == "Engineer dispatched."
    ]
    assert senders == ["bob@x", "anna@noc"]


async def test_unknown_outcome_is_looked_for_over_twice_the_timeout_before_resending(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    timeout = engine.client.settings.timeout
    sim.faults.drop_writes = 1
    entry = engine.send_reply(case_id, "looked for, then sent once")
    await engine.sender.send_due()
    failed_at = sim_clock()
    before = len(_reply_gets(sim, case_id))
    path = f"/v2/cases/{case_id}/case-messages"
    while _posts(sim, path) < 2:
        due = engine.sender.next_due()
        assert due is not None
        sim_clock.now = max(sim_clock.now, due)
        await engine.sender.send_due()
    lookups = [t - failed_at for t in _reply_gets(sim, case_id)[before:]]
    resent_at = max(r.at for r in sim.request_records if r.method == "POST") - failed_at
    assert len(lookups) >= 3
    gaps = [b - a for a, b in zip(lookups, lookups[1:], strict=False)]
    assert all(b > a for a, b in zip(gaps, gaps[1:], strict=False))  # backing off
    assert resent_at >= 2 * timeout  # never sent again within twice the client's timeout
    assert _texts(sim, case_id).count("looked for, then sent once") == 1
    assert store.outbox.outbox_entry(entry).status == "sent"  # type: ignore[union-attr]


async def test_commit_found_during_the_window_is_not_sent_again(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    """The server committed, the answer was lost: a lookup finds it; no second POST."""
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.lost_write_responses = 1
    entry = engine.send_reply(case_id, "committed, answer lost")
    await engine.sender.send_due()
    due = engine.sender.next_due()
    assert due is not None and due > sim_clock()  # not re-sent at once: it looks first
    sim_clock.now = due
    await engine.sender.send_due()
    assert store.outbox.outbox_entry(entry).status == "sent"  # type: ignore[union-attr]
    assert _posts(sim, f"/v2/cases/{case_id}/case-messages") == 1


async def test_read_only_sends_nothing_even_what_was_queued_earlier(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    entry = engine.send_reply(case_id, "queued by a writable instance")
    wall = SyncEngine(
        store,
        engine.client,
        on_event=lambda e: None,
        clock=sim_clock,
        settings=SyncSettings(read_only=True),
    )
    sim_clock.advance(600)
    writes = sum(1 for r in sim.request_records if r.method != "GET")
    assert await wall.sender.send_due() == 0
    assert await wall.sender.send(store.outbox.outbox()[0]) is False
    assert wall.sender.next_due() is None and not wall._sends()
    assert sum(1 for r in sim.request_records if r.method != "GET") == writes
    assert store.outbox.outbox_entry(entry).status == "queued"  # type: ignore[union-attr]
    await engine.sender.send_due()  # a writable instance sends it
    assert _texts(sim, case_id)[-1] == "queued by a writable instance"


async def test_reply_to_a_closed_case_is_refused_before_any_request(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    closed = store.cases.case(case_id)
    assert closed is not None
    store.cases.upsert_cases([closed.model_copy(update={"status": "Closed"})])
    store.drafts.save_draft(f"reply:{case_id}", {"text": "after closing"})
    requests = len(sim.request_records)
    with pytest.raises(CaseClosedError):
        engine.send_reply(case_id, "after closing", draft_key=f"reply:{case_id}")
    assert store.outbox.outbox() == [] and len(sim.request_records) == requests
    assert store.drafts.load_draft(f"reply:{case_id}") == {"text": "after closing"}


async def test_sent_by_goes_on_every_reply_and_new_case(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    me = _record(engine, "anna@jump-1")
    case_id = _open_case(sim)
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    me.send_reply(case_id, "from anna")
    created = me.create_case(
        CaseCreate(subject="Other", type="NonIncident", service_id=svc, message="new from anna")
    )
    await me.sender.send_due()
    assert sim.data.messages[case_id][-1]["sentBy"] == "anna@jump-1"
    new_id = store.outbox.outbox_entry(created).result_id  # type: ignore[union-attr]
    assert sim.data.messages[new_id][0]["sentBy"] == "anna@jump-1"
    assert store.cases.thread(case_id)[-1].sent_by == "anna@jump-1"


async def test_ongoing_incident_is_sent_with_end_equal_to_start(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    entry = engine.create_case(
        CaseCreate(
            subject="ServiceDown",
            type="Incident",
            service_id=svc,
            message="still down",
            start_of_incident=datetime(2026, 11, 18, 9, tzinfo=UTC),
        )
    )
    assert store.outbox.outbox()[0].payload["endOfIncident"] == "2026-11-18T09:00:00Z"
    await engine.sender.send_due()
    case = sim.data.cases[store.outbox.outbox_entry(entry).result_id]  # type: ignore[index, union-attr]
    assert case["endOfIncident"] == case["startOfIncident"]


@pytest.mark.parametrize("shape", ["data", "bare", "empty"])
async def test_write_answers_data_bare_and_empty_are_all_success(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock, shape: str
) -> None:
    await engine.poll_once()
    case_id = _open_case(sim)
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    sim.faults.write_response_shape = shape
    cases_before = len(sim.data.cases)
    reply = engine.send_reply(case_id, f"shape {shape}")
    update = engine.update_case(case_id, CaseUpdate(customer_reference=f"REF-{shape}"))
    create = engine.create_case(
        CaseCreate(subject="Other", type="NonIncident", service_id=svc, message=f"new {shape}")
    )
    assert await engine.sender.send_due() == 3  # none of them counts as a failure
    assert all(store.outbox.outbox_entry(i).status == "sent" for i in (reply, update, create))  # type: ignore[union-attr]
    assert _texts(sim, case_id).count(f"shape {shape}") == 1
    assert len(sim.data.cases) == cases_before + 1
    # after an empty answer the app re-reads: the store has what the server made
    assert store.cases.case(case_id).customer_reference == f"REF-{shape}"  # type: ignore[union-attr]
    assert store.cases.thread(case_id)[-1].message == f"shape {shape}"
    new_id = store.outbox.outbox_entry(create).result_id  # type: ignore[union-attr]
    assert new_id in sim.data.cases and store.cases.case(new_id) is not None  # type: ignore[arg-type]
    sim_clock.advance(3600)
    assert await engine.sender.send_due() == 0
    assert _texts(sim, case_id).count(f"shape {shape}") == 1


# -- late commits, over a real loopback socket ------------------------------------------------


def _loopback_engine(url: str, store: Store, clock: FakeClock, timeout: float) -> SyncEngine:
    async def fake_sleep(seconds: float) -> None:
        clock.advance(seconds)

    client = V2Client(
        ClientSettings(
            base_url=url,
            token_url=f"{url}/oauth2/token",
            client_id="test-client",
            client_secret=TEST_SECRET,
            timeout=timeout,
        ),
        clock=clock,
        sleep=fake_sleep,
    )
    return SyncEngine(store, client, on_event=lambda e: None, clock=clock)


async def test_write_committed_after_the_client_timed_out_is_found_not_sent_twice(
    sim: Simulator, store: Store, sim_clock: FakeClock, live_sim_url: str
) -> None:
    engine = _loopback_engine(live_sim_url, store, sim_clock, timeout=1.0)
    await engine.poll_once()
    case_id = _open_case(sim)
    text = "committed late"
    gate = threading.Event()
    sim.write_gate = gate  # the server holds the write until the test lets it commit
    try:
        entry = engine.send_reply(case_id, text)
        await engine.sender.send_due()  # the client times out: outcome unknown
        assert text not in _texts(sim, case_id)
        assert store.outbox.outbox_entry(entry).status == "queued"  # type: ignore[union-attr]
        due = engine.sender.next_due()
        assert due is not None
        sim_clock.now = due
        await engine.sender.send_due()  # first lookup: not committed yet, nothing re-sent
        assert store.outbox.outbox_entry(entry).status == "queued"  # type: ignore[union-attr]
        gate.set()  # the server commits now, long after the client gave up
        await wait_until(lambda: text in _texts(sim, case_id))
        due = engine.sender.next_due()
        assert due is not None
        sim_clock.now = due
        await engine.sender.send_due()  # a later lookup in the window finds it
    finally:
        gate.set()
        await engine.client.aclose()
    assert store.outbox.outbox_entry(entry).status == "sent"  # type: ignore[union-attr]
    assert _texts(sim, case_id).count(text) == 1
    assert _posts(sim, f"/v2/cases/{case_id}/case-messages") == 1


async def test_server_hanging_after_commit_gets_the_reply_once(
    sim: Simulator, store: Store, sim_clock: FakeClock, live_sim_url: str
) -> None:
    engine = _loopback_engine(live_sim_url, store, sim_clock, timeout=1.0)
    await engine.poll_once()
    case_id = _open_case(sim)
    sim.faults.lost_write_responses = 1
    sim.faults.hang_after_commit = 3.0  # commits, then hangs past the client's timeout
    try:
        entry = engine.send_reply(case_id, "hung after commit")
        await engine.sender.send_due()
        while store.outbox.outbox_entry(entry).status != "sent":  # type: ignore[union-attr]
            due = engine.sender.next_due()
            assert due is not None
            sim_clock.now = max(sim_clock.now, due)
            await engine.sender.send_due()
    finally:
        await engine.client.aclose()
    assert _texts(sim, case_id).count("hung after commit") == 1
    assert _posts(sim, f"/v2/cases/{case_id}/case-messages") == 1


async def test_a_read_only_poller_does_not_block_the_writable_sender(
    store: Store, engine: SyncEngine, tmp_path: Path, sim_clock: FakeClock
) -> None:
    """The outbox has its own lock: a wall started first holds the poll lock, yet one
    writable instance still sends (and only one)."""
    lock = tmp_path / "prod.lock"

    def instance(read_only: bool) -> SyncEngine:
        return SyncEngine(
            store,
            engine.client,
            on_event=lambda e: None,
            clock=sim_clock,
            lock_path=lock,
            settings=SyncSettings(read_only=read_only),
        )

    wall, first, second = instance(True), instance(False), instance(False)
    try:
        assert wall._lock is not None and wall._lock.try_acquire()  # the wall polls
        assert not wall._sends()
        assert first._sends() and not first.is_poller
        assert not second._sends()  # one sender per profile
    finally:
        for e in (wall, first, second):
            await e.stop()
