"""The outbox, fault and poll-state tests that matter, run unchanged against the V1 backend (the ``engine``
fixture of this package is a sync engine on API V1): every write lands exactly once whatever
the network and the server do, lost responses are found instead of re-sent, rejections come
back to the draft, a queued reply survives a restart."""

from __future__ import annotations

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from tests.reliability_plugin import reliability_of
from tests.sim_fixtures import FakeClock
from tests.sync import test_faults, test_outbox, test_poll
from tests.sync.conftest import Recorder


async def test_fault_matrix_writes_land_exactly_once_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock, events: Recorder
) -> None:
    await test_faults.test_writes_land_exactly_once_under_every_fault(
        sim,
        engine,
        store,
        sim_clock,
        events,
        reliability=reliability_of(test_faults.test_writes_land_exactly_once_under_every_fault),
    )


async def test_reply_survives_lost_response_without_duplicate_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await test_outbox.test_reply_survives_lost_response_without_duplicate(
        sim,
        engine,
        store,
        sim_clock,
        reliability=reliability_of(test_outbox.test_reply_survives_lost_response_without_duplicate),
    )


async def test_create_case_survives_lost_response_without_duplicate_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await test_outbox.test_create_case_survives_lost_response_without_duplicate(
        sim, engine, store, sim_clock
    )


async def test_transient_failure_keeps_order_and_retries_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await test_outbox.test_transient_failure_keeps_order_and_retries(
        sim,
        engine,
        store,
        sim_clock,
        reliability=reliability_of(test_outbox.test_transient_failure_keeps_order_and_retries),
    )


async def test_rejected_write_returns_to_the_draft_with_field_errors_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await test_outbox.test_rejected_write_returns_to_the_draft_with_field_errors(
        sim,
        engine,
        store,
        events,
        reliability=reliability_of(
            test_outbox.test_rejected_write_returns_to_the_draft_with_field_errors
        ),
    )


async def test_queued_reply_survives_restart_on_v1(
    sim: Simulator, engine: SyncEngine, store: Store, sim_clock: FakeClock
) -> None:
    await test_outbox.test_queued_reply_survives_restart(
        sim,
        engine,
        store,
        sim_clock,
        reliability=reliability_of(test_outbox.test_queued_reply_survives_restart),
    )


async def test_offline_then_recovers_on_v1(
    sim: Simulator, engine: SyncEngine, sim_clock: FakeClock
) -> None:
    await test_poll.test_offline_then_recovers(sim, engine, sim_clock)


async def test_rate_limited_state_carries_retry_time_on_v1(
    sim: Simulator, engine: SyncEngine
) -> None:
    await test_poll.test_rate_limited_state_carries_retry_time(sim, engine, engine.client)


async def test_stale_after_three_intervals_on_v1(
    sim: Simulator, engine: SyncEngine, sim_clock: FakeClock
) -> None:
    await test_poll.test_stale_after_three_intervals(sim, engine, sim_clock)
