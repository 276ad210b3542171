"""The poll never dies: a failure injected at every stage of a poll cycle is caught, logged with
its traceback, shown as a sync error with a retry time, and the engine recovers by itself once
the fault goes away.  Odd items from the API are skipped and counted, never fatal."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from expereo_tui.sim.faults import BAD_KINDS
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import CasesChanged, SyncStatus
from expereo_tui.ui.widgets.status_bar import describe
from tests.sim_fixtures import TEST_SECRET, FakeClock
from tests.sync.conftest import Recorder, wait_until

STORE_METHODS = {  # the writes a poll makes, by the small store that owns each
    "upsert_accounts": "inventory",
    "upsert_sites": "inventory",
    "upsert_services": "inventory",
    "upsert_invoices": "inventory",
    "upsert_cases": "cases",
    "upsert_messages": "cases",
    "set_meta": "meta",
}


class FaultyStore(Store):
    """The real store, with writes that fail on demand like a full disk."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.armed: set[str] = set()
        for name, owner in STORE_METHODS.items():
            part = getattr(self, owner)
            setattr(part, name, self._faulty(name, getattr(part, name)))

    def _faulty(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def method(*args: Any, **kw: Any) -> Any:
            if name in self.armed:
                raise sqlite3.OperationalError(f"database or disk is full (injected in {name})")
            return real(*args, **kw)

        return method


class FaultyTransport(httpx.AsyncBaseTransport):
    """The simulator in-process, with requests to chosen paths failing in a way the client does
    not expect (not an httpx error): the engine must survive anything."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.armed: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        for needle in self.armed:
            if path == needle or (needle.startswith("*") and path.endswith(needle[1:])):
                raise RuntimeError(f"injected failure on {needle}")
        return await self.inner.handle_async_request(request)


@pytest.fixture
def transport(sim: Simulator) -> FaultyTransport:
    return FaultyTransport(sim.transport())


@pytest.fixture
def faulty_store(tmp_path: Path, sim_clock: FakeClock) -> FaultyStore:
    return FaultyStore(tmp_path / "faulty.sqlite3", clock=sim_clock)


@pytest.fixture
async def api(transport: FaultyTransport, sim_clock: FakeClock) -> AsyncIterator[V2Client]:
    async def fake_sleep(seconds: float) -> None:
        sim_clock.advance(seconds)

    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="test-client",
        client_secret=TEST_SECRET,
        max_get_retries=0,
    )
    async with V2Client(
        settings,
        transport=transport,
        clock=sim_clock,
        wall_clock=sim_clock,
        sleep=fake_sleep,
        rng=random.Random(0),
    ) as client:
        yield client


@pytest.fixture
def engine(
    faulty_store: FaultyStore, api: V2Client, events: Recorder, sim_clock: FakeClock
) -> SyncEngine:
    return SyncEngine(
        faulty_store, api, on_event=events.append, clock=sim_clock, rng=random.Random(0)
    )


def _touch_a_case(sim: Simulator) -> str:
    """Change one case on the server (new lastModifiedDate) so the next poll fetches its
    thread."""
    case_id = next(cid for cid, msgs in sim.data.messages.items() if msgs)
    sim.data.cases[case_id]["lastModifiedDate"] = sim.stamp()
    sim.data.messages[case_id].append(
        {**sim.data.messages[case_id][-1], "id": "injected-msg", "timestamp": sim.stamp()}
    )
    return case_id


# (what is armed, where: "http" path / "store" method, the stage the error names)
STAGES = [
    ("/oauth2/token", "http", "token"),  # fetched by the first request of the cycle
    ("/v2/accounts", "http", "accounts"),
    ("/v2/sites", "http", "sites"),
    ("/v2/services", "http", "services"),
    ("/v2/invoices", "http", "invoices"),
    ("/v2/cases", "http", "cases"),
    ("*/case-messages", "http", "threads"),
    ("upsert_accounts", "store", "inventory-store"),
    ("upsert_services", "store", "inventory-store"),
    ("upsert_invoices", "store", "inventory-store"),
    ("upsert_cases", "store", "cases-store"),
    ("upsert_messages", "store", "threads-store"),
    ("set_meta", "store", "meta"),
]


@pytest.mark.parametrize(("target", "where", "stage"), STAGES, ids=[s[0] for s in STAGES])
async def test_a_failure_at_any_stage_is_shown_and_retried_and_the_engine_recovers(
    target: str,
    where: str,
    stage: str,
    sim: Simulator,
    engine: SyncEngine,
    faulty_store: FaultyStore,
    transport: FaultyTransport,
    sim_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await engine.poll_once()  # the first sync, clean
    assert engine.state.status == SyncStatus.FRESH
    sim_clock.advance(3601)  # inventory due, token expired: every stage is on the path
    case_id = _touch_a_case(sim)
    (transport.armed if where == "http" else faulty_store.armed).add(target)
    caplog.set_level(logging.ERROR, logger="expereo_tui.sync")
    await engine.start()
    try:
        await wait_until(lambda: engine.state.status == SyncStatus.ERROR)
        state = engine.state
        assert state.error is not None
        assert state.error.code == "internal"
        assert state.error.stage == stage
        assert state.next_attempt is not None and state.next_attempt > sim_clock.now
        assert all(not t.done() for t in engine._tasks)  # the poll task lives on
        crash = [r for r in caplog.records if r.exc_info]
        assert crash and "Traceback" in caplog.text  # the traceback went to the log
        assert TEST_SECRET not in caplog.text
        line = describe(state, sim_clock.now)
        assert line.startswith("sync error: ")
        assert "· retrying in " in line and "\n" not in line

        # the fault goes away: the next try succeeds, without anyone restarting anything
        transport.armed.clear()
        faulty_store.armed.clear()
        engine.refresh_now()
        await wait_until(lambda: engine.state.status == SyncStatus.FRESH)
        assert all(not t.done() for t in engine._tasks)
        assert faulty_store.cases.case_last_modified(case_id) is not None
        assert "injected-msg" in {m.id for m in faulty_store.cases.thread(case_id)}
    finally:
        await engine.stop()


async def test_failures_back_off_and_success_resets_it(
    sim: Simulator, engine: SyncEngine, transport: FaultyTransport, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    transport.armed.add("/v2/cases")
    delays = [await engine.poll_once() for _ in range(4)]
    assert delays[0] < delays[1] < delays[2] < delays[3]  # exponential, jitter ±25 %
    transport.armed.clear()
    assert await engine.poll_once() == engine.interval()
    transport.armed.add("/v2/cases")
    assert await engine.poll_once() <= delays[0] * 1.25 / 0.75


async def test_a_failing_listener_does_not_stop_the_poll(
    sim: Simulator, faulty_store: FaultyStore, api: V2Client, sim_clock: FakeClock
) -> None:
    """The event emit stage: a listener that raises is logged; the data is stored anyway."""
    got: list[object] = []

    def listener(event: object) -> None:
        got.append(event)
        raise RuntimeError("listener broke")

    engine = SyncEngine(faulty_store, api, on_event=listener, clock=sim_clock)
    await engine.poll_once()
    case_id = _touch_a_case(sim)
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    assert any(isinstance(e, CasesChanged) for e in got)
    assert "injected-msg" in {m.id for m in faulty_store.cases.thread(case_id)}


class FlakyLock:
    """A poll lock whose first look at the lock file fails (say, a permission error)."""

    held = True

    def __init__(self) -> None:
        self.calls = 0

    def try_acquire(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise PermissionError("injected: the lock file cannot be opened")
        return True

    def release(self) -> None:
        pass


async def test_the_loop_survives_a_failure_outside_the_poll(engine: SyncEngine) -> None:
    """Even what happens around the poll (the lock, scheduling) cannot end the task."""
    engine._lock = FlakyLock()  # type: ignore[assignment]
    await engine.start()
    try:
        await wait_until(lambda: engine.state.status == SyncStatus.ERROR)
        assert engine.state.error is not None
        assert (engine.state.error.kind, engine.state.error.stage) == ("PermissionError", "loop")
        engine.refresh_now()
        await wait_until(lambda: engine.state.status == SyncStatus.FRESH)
        assert all(not t.done() for t in engine._tasks)
    finally:
        await engine.stop()


async def test_bad_items_are_skipped_and_the_rest_is_stored(
    sim: Simulator, engine: SyncEngine, faulty_store: FaultyStore, sim_clock: FakeClock
) -> None:
    """One bad item (bad date, wrong type, missing id, lone surrogate, invalid UTF-8) no longer
    fails the page, nor kills the poll: the repairable ones are kept, the rest is stored, and
    the count of those skipped (no id) is shown."""
    sim.faults.bad_items = True
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    cases_pages = -(-len(sim.data.cases) // 200)
    kept_per_page = len(BAD_KINDS) - 1  # every kind but the missing id
    assert faulty_store.cases.case_count() == len(sim.data.cases) + cases_pages * kept_per_page
    assert len(faulty_store.inventory.services()) >= len(sim.data.services)
    skipped = engine.state.skipped
    # cases, accounts, sites, services, invoices: every page has one item without an id
    assert skipped >= 5
    assert skipped == engine.client.skipped_count
    for path in ("/v2/accounts", "/v2/sites", "/v2/services", "/v2/invoices", "/v2/cases"):
        assert engine.client.skipped[path], path
    # the next poll (incremental) still works and still counts; without the fault: zero
    sim_clock.advance(60)
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH and engine.state.skipped > 0
    sim.faults.bad_items = False
    sim_clock.advance(901)
    await engine.poll_once()
    assert engine.state.skipped == 0


async def test_naive_timestamps_poll_like_aware_ones(
    sim: Simulator, engine: SyncEngine, faulty_store: FaultyStore, sim_clock: FakeClock
) -> None:
    """With offsets missing the incremental poll still stops at the first known case (naive vs
    aware comparison used to raise) and costs one request when nothing changed."""
    await engine.poll_once()
    sim.faults.naive_timestamps = True
    sim_clock.advance(60)
    before = sim.api_requests()
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    assert sim.api_requests() - before == 1


async def test_the_sync_waits_for_a_retry_after_date(
    sim: Simulator, engine: SyncEngine, sim_clock: FakeClock
) -> None:
    """A 429 whose Retry-After is an HTTP date: the engine's next try is at that date."""
    await engine.poll_once()
    sim.faults.retry_after_http_date = True
    sim.faults.storm_429 = 1
    sim.faults.storm_retry_after = 40
    sim_clock.advance(60)
    delay = await engine.poll_once()
    assert engine.state.status == SyncStatus.RATE_LIMITED
    assert delay == 40.0
    assert engine.state.next_attempt == sim_clock.now + 40.0
