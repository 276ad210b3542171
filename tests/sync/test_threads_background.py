"""#32 item 1: the threads of open cases come in the background, most urgent first, within the
read budget; a thread is known only when it came whole from the API, and stale once its case
changed since (by our own write too)."""

from __future__ import annotations

from expereo_tui.api.vocab import DONE_STATUSES
from expereo_tui.sim import Simulator
from expereo_tui.sim.activity import scripted
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import THREADS_PER_POLL, SyncEngine
from expereo_tui.sync.events import MessagesAdded, ThreadsLoaded
from tests.sim_fixtures import FakeClock

from .conftest import Recorder

PRIORITY_ORDER = {"P1": 0, "P2": 1, "P3": 2, "P4": 3, "P5": 4}


def _open(sim: Simulator) -> list[dict]:  # type: ignore[type-arg]
    return [c for c in sim.data.cases.values() if c["status"] not in DONE_STATUSES]


async def test_open_threads_load_most_urgent_first_and_are_not_news(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder
) -> None:
    await engine.poll_once()  # the first sync: cases without threads
    open_cases = _open(sim)
    wanted = store.cases.threads_wanted(10_000)
    assert set(wanted) == {c["id"] for c in open_cases}
    ranks = [PRIORITY_ORDER.get(store.cases.case(i).priority or "", 9) for i in wanted]
    assert ranks == sorted(ranks)  # P1 first
    assert not any(store.activity.activity(wanted)[i].thread_known for i in wanted)

    events.clear()
    assert await engine.thread_filler.fetch_wanted_threads(5) == 5
    loaded = set(wanted[:5])
    assert all(store.cases.thread_known(i) for i in loaded)
    assert all(store.activity.activity([i])[i].thread_known for i in loaded)
    [event] = events.of(ThreadsLoaded)
    assert set(event.case_ids) == loaded
    assert not events.of(MessagesAdded)  # a first load is not news (no bell, no toast)
    assert set(store.cases.threads_wanted(10_000)) == {c["id"] for c in open_cases} - loaded


async def test_a_thread_goes_stale_when_its_case_changes_by_our_own_write(
    sim: Simulator, engine: SyncEngine, store: Store, events: Recorder, sim_clock: FakeClock
) -> None:
    await engine.poll_once()
    for _ in range(5):  # bounded: a store that never records a thread must fail, not hang
        if not await engine.thread_filler.fetch_wanted_threads(500):
            break
    assert store.cases.threads_wanted(10) == []
    case_id = next(c["id"] for c in _open(sim) if c["status"] != "Awaiting Customer")
    # the provider writes while our reply is on its way: our write's refresh stores the case as
    # of after both, so the next poll sees it unchanged and fetches no thread
    sim_clock.advance(5)
    scripted(sim.world, {"case": case_id, "message": "please test now", "by": "provider"})
    engine.send_reply(case_id, "we are on it")
    await engine.sender.send_due()
    await engine.poll_once()
    assert "please test now" not in [m.message for m in store.cases.thread(case_id)]
    assert case_id in store.cases.threads_wanted(10)  # stale: the case changed since
    events.clear()
    await engine.thread_filler.fetch_wanted_threads(10)
    added = [e for e in events.of(MessagesAdded) if e.case_id == case_id]
    assert added  # the provider's message, found by the background refresh, is news
    texts = [m.message for m in store.cases.thread(case_id)]
    assert "please test now" in texts and "we are on it" in texts


async def test_our_own_reply_alone_is_not_the_thread(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    case_id = _open(sim)[0]["id"]
    engine.send_reply(case_id, "first words from us")
    await engine.sender.send_due()
    assert [m.message for m in store.cases.thread(case_id)][-1] == "first words from us"
    assert not store.cases.thread_known(case_id)  # one message of ours is not the thread
    assert not store.activity.activity([case_id])[case_id].thread_known


async def test_the_background_keeps_half_the_burst_for_the_user(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    budget = engine.client.budget
    spare = engine._spare_reads()
    assert 0 <= spare <= THREADS_PER_POLL
    assert spare <= max(0, int(budget.read_available - budget.read_capacity / 2))
