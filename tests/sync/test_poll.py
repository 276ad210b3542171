"""The poller: minimal first sync, one-request idle polls, change events, states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from expereo_tui.api.models import Scope
from expereo_tui.sim import Simulator
from expereo_tui.sim.seed import iso
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import CasesChanged, MessagesAdded, SyncStatus
from tests.sim_fixtures import BOTH_MODES, FIXED_NOW, FakeClock, make_client

from .conftest import Recorder

pytestmark = BOTH_MODES  # the suite holds under sim --unknowns too

SEED_NOW = iso(datetime.fromtimestamp(FIXED_NOW, UTC))


async def test_idle_poll_costs_one_request(sim: Simulator, engine: SyncEngine) -> None:
    await engine.poll_once()
    before = len(sim.request_log)
    await engine.poll_once()
    assert len(sim.request_log) == before + 1
    assert list(sim.request_log)[-1] == ("GET", "/v2/cases")


async def test_changes_fetch_only_changed_threads_and_announce(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    sim_clock.advance(60)
    sim.step_activity(6)
    changed = sorted(sim.data.cases.values(), key=lambda c: c["lastModifiedDate"])[-6:]
    before = len(sim.request_log)
    events.clear()
    await engine.poll_once()
    thread_paths = [p for _, p in list(sim.request_log)[before:] if p.endswith("case-messages")]
    changed_ids = {c["id"] for c in changed if c["lastModifiedDate"] > SEED_NOW}
    assert {p.split("/")[3] for p in thread_paths} == changed_ids
    [cases_changed] = events.of(CasesChanged)
    assert {c.case_id for c in cases_changed.changes} == changed_ids
    for change in cases_changed.changes:
        assert store.cases.is_unread(change.case_id)
    assert events.of(MessagesAdded)


async def test_restart_after_time_away_yields_the_right_unread_set(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    tmp_path: Path,
    events: Recorder,
) -> None:
    await engine.poll_once()
    assert store.cases.unread_count() == 0
    sim_clock.advance(8 * 3600)
    sim.step_activity(15)
    touched = {c["id"] for c in sim.data.cases.values() if c["lastModifiedDate"] > SEED_NOW}
    reopened = Store(store.path, clock=sim_clock)
    async with make_client(sim, sim_clock) as client:
        again = SyncEngine(reopened, client, on_event=events.append, clock=sim_clock)
        await again.poll_once()
    assert {r.id for r in reopened.cases.query_cases(CaseQuery(unread_only=True), limit=500)} == touched


async def test_offline_then_recovers(
    sim: Simulator, engine: SyncEngine, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    sim.faults.outage = True
    delay = await engine.poll_once()
    state = engine.state
    assert state.status == SyncStatus.OFFLINE
    assert state.next_attempt == sim_clock.now + delay
    assert "503" in state.message
    sim.faults.outage = False
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH


async def test_rate_limited_state_carries_retry_time(
    sim: Simulator, engine: SyncEngine, client: object
) -> None:
    await engine.poll_once()
    engine.client.settings.max_get_retries = 0
    sim.faults.storm_429 = 1
    sim.faults.storm_retry_after = 40
    delay = await engine.poll_once()
    assert engine.state.status == SyncStatus.RATE_LIMITED
    if sim.config.unknowns:  # a 429 without Retry-After: the client's own pause
        assert delay is not None and delay >= 1
    else:
        assert delay == 40


async def test_stale_after_three_intervals(
    sim: Simulator, engine: SyncEngine, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    sim_clock.advance(engine.settings.poll_interval * 3 + 1)
    assert engine.state.status == SyncStatus.STALE


async def test_missing_scope_is_forbidden_state(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    async with make_client(sim, sim_clock, scopes=[Scope.BASIC_READ.value]) as client:
        engine = SyncEngine(store, client, on_event=lambda e: None, clock=sim_clock)
        await engine.poll_once()
        assert engine.state.status == SyncStatus.FORBIDDEN
        assert engine.state.missing_scope == Scope.SUPPORT_READ.value


async def test_fetch_thread_stores_messages(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()
    case_id = next(iter(sim.data.cases))
    await engine.fetch_thread(case_id)
    assert store.cases.message_count(case_id) == len(sim.data.messages[case_id])
    assert events.of(MessagesAdded)[-1].case_id == case_id


async def test_poll_interval_adapts(engine: SyncEngine, sim_clock: FakeClock) -> None:
    await engine.poll_once()
    assert engine.interval() == engine.settings.poll_interval
    engine.set_active_case("CS-1")
    assert engine.interval() == engine.settings.active_poll_interval
    engine.set_active_case(None)
    sim_clock.advance(3600)
    assert engine.interval() == engine.settings.poll_interval * 2


async def test_an_idle_poll_keeps_the_inbox_index_warm(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    """An idle poll writes only its watermarks: the in-memory inbox (a rebuild costs ~100 ms
    on 10,000 cases) stays valid, so an idle app does no work between polls."""
    await engine.poll_once()
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    await engine.poll_once()  # nothing changed
    assert store.cases.inbox_is_warm()
    sim.step_activity(3)
    await engine.poll_once()  # news: the index is rebuilt from the new data
    assert not store.cases.inbox_is_warm()
