"""A bulk customer reference from the inbox: queued whole in one transaction, sent within the
write budget, and each case written exactly once through a crash mid-batch and a 429 storm."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from expereo_tui.api.models import CaseUpdate
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock, make_client


class Crash(BaseException):
    """The process dies here (not an Exception: nothing in the app may catch it)."""


class CrashAfterPatches(httpx.AsyncBaseTransport):
    """The simulator, except that the process dies right after the server committed the
    ``crash_at``-th PATCH: its response never arrives."""

    def __init__(self, sim: Simulator, crash_at: int) -> None:
        self.inner = sim.transport()
        self.crash_at = crash_at
        self.committed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "PATCH" and response.status_code < 300:
            self.committed += 1
            if self.committed == self.crash_at:
                raise Crash
        return response


def _engine(sim: Simulator, store: Store, clock: FakeClock, transport: object = None) -> SyncEngine:
    return SyncEngine(
        store,
        make_client(sim, clock, transport=transport),  # type: ignore[arg-type]
        on_event=lambda e: None,
        clock=clock,
        settings=SyncSettings(),
    )


def _patches(sim: Simulator) -> Counter[str]:
    """Committed PATCHes per case id."""
    return Counter(
        r.path.rsplit("/", 1)[-1]
        for r in sim.request_records
        if r.method == "PATCH" and 200 <= r.status < 300
    )


async def _drain(engine: SyncEngine, store: Store, clock: FakeClock) -> None:
    for _ in range(200):
        if not store.outbox.outbox():
            return
        await engine.sender.send_due()
        pending = store.outbox.outbox()
        due = pending[0].next_attempt_at if pending else None  # the head holds the rest
        if due is not None and due > clock():
            clock.advance(due - clock())
    raise AssertionError(f"still queued: {store.outbox.outbox()}")


def _open_cases(sim: Simulator, n: int) -> list[str]:
    ids = [c["id"] for c in sim.data.cases.values() if c["status"] not in ("Closed", "Resolved")]
    assert len(ids) >= n
    return ids[:n]


@pytest.mark.reliability(
    fault="the app dies in the middle of a bulk customer-reference update, right after the "
    "server committed one of its writes",
    sees="after a restart the rest of the batch goes out by itself",
    data="every selected case gets the reference exactly once; none is skipped or written twice",
    shows="failed: 0, queued: 0",
)
async def test_bulk_reference_survives_a_crash_mid_batch_exactly_once(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, reliability: Reliability
) -> None:
    path = tmp_path / "bulk.sqlite3"
    store = Store(path, clock=sim_clock)
    first = _engine(sim, store, sim_clock, CrashAfterPatches(sim, crash_at=4))
    await first.poll_once()
    cases = _open_cases(sim, 8)
    body = CaseUpdate(customer_reference="BULK-7")
    entries = first.update_cases([(c, body) for c in cases])
    assert len(store.outbox.outbox()) == len(entries) == 8
    with pytest.raises(Crash):
        await first.sender.send_due()
    assert _patches(sim) == Counter(cases[:4])  # the 4th committed, its answer lost
    store.close()  # the process is gone; a new one opens the same file

    again = Store(path, clock=sim_clock)
    second = _engine(sim, again, sim_clock)
    await _drain(second, again, sim_clock)
    assert _patches(sim) == Counter(cases)  # each case once: the 4th was not sent again
    assert all(sim.data.cases[c]["customerReference"] == "BULK-7" for c in cases)
    done = again.outbox.outbox(statuses=("sent", "failed", "queued", "sending"))
    assert sorted(e.case_id or "" for e in done) == sorted(cases)
    failed = [e for e in done if e.status == "failed"]
    reliability.check(f"failed: {len(failed)}, queued: {len(again.outbox.outbox())}")


@pytest.mark.reliability(
    fault="a storm of 429s while a bulk customer-reference update is being sent",
    sees="the batch waits out each Retry-After and finishes by itself",
    data="every selected case gets the reference exactly once",
    shows="failed: 0, queued: 0",
)
async def test_bulk_reference_rides_out_a_429_storm_within_the_write_budget(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, reliability: Reliability
) -> None:
    store = Store(tmp_path / "storm.sqlite3", clock=sim_clock)
    engine = _engine(sim, store, sim_clock)
    await engine.poll_once()
    cases = _open_cases(sim, 12)
    engine.update_cases([(c, CaseUpdate(customer_reference="STORM-1")) for c in cases])
    sim.faults.storm_429 = 6
    await engine.sender.send_due()
    assert store.outbox.outbox()  # the storm stopped it
    await _drain(engine, store, sim_clock)
    assert _patches(sim) == Counter(cases)
    assert all(sim.data.cases[c]["customerReference"] == "STORM-1" for c in cases)
    refused = [r for r in sim.request_records if r.status == 429]
    assert len(refused) == 6  # the storm only: the client never overran the write budget
    failed = store.outbox.outbox(statuses=("failed",))
    reliability.check(f"failed: {len(failed)}, queued: {len(store.outbox.outbox())}")


def test_a_bulk_action_is_queued_whole_or_not_at_all(tmp_path: Path) -> None:
    """One transaction: a failure inside it leaves nothing half-queued."""
    store = Store(tmp_path / "tx.sqlite3")
    good = ("CS-1", {"customerReference": "A"})
    with pytest.raises(TypeError):
        store.outbox.enqueue_many("update", [good, ("CS-2", {"customerReference": object()})])
    assert store.outbox.outbox() == []
    assert len(store.outbox.enqueue_many("update", [good, ("CS-2", {"customerReference": "A"})])) == 2
