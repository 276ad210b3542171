"""The demo keeps its store: drafts and read state survive a restart (each run seeds the same
world), ``--fresh`` starts clean, and a new demo store starts with a few unread cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from expereo_tui.cli.demo import FIRST_UNREAD, ids_after, open_demo_store, unread_after_first_sync
from expereo_tui.cli.parsers import demo_parser
from expereo_tui.sim import SimConfig, Simulator, activity
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client


async def run_demo_once(
    path: Path,
    clock: FakeClock,
    *,
    fresh: bool = False,
    seed: int = 3,
    live: Callable[[Simulator], object] = lambda sim: None,
) -> Store:
    """What ``expereo-tui demo`` does up to the first poll: open the kept store, seed the
    simulator as of the store's epoch, numbering new ids after the store's, sync once (after
    ``live`` made its events)."""
    store, epoch = open_demo_store(path, seed=seed, scale="tiny", fresh=fresh, clock=clock)
    sim = Simulator(
        SimConfig(
            seed=seed,
            scale="tiny",
            client_id="test-client",
            client_secret=TEST_SECRET,
            clock=clock,
            epoch=epoch,
            ids_after=ids_after(store),
        )
    )
    live(sim)
    async with make_client(sim, clock) as client:
        engine = SyncEngine(
            store, client, on_event=unread_after_first_sync(store, lambda e: None), clock=clock
        )
        await engine.poll_once()
    return store


def unread(store: Store) -> set[str]:
    return {r.id for r in store.cases.query_cases(CaseQuery(unread_only=True), limit=1000)}


async def test_a_restart_keeps_drafts_and_read_state(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "demo.sqlite3"
    store = await run_demo_once(path, clock)
    first = unread(store)
    assert len(first) == FIRST_UNREAD  # u has something to open
    opened, *still_unread = sorted(first)
    store.mark_read(opened)
    store.drafts.save_draft(f"reply:{still_unread[0]}", {"text": "half a reply"})
    store.close()

    clock.advance(86_400)  # the next day: the simulator seeds the same world again
    store = await run_demo_once(path, clock)
    assert store.drafts.load_draft(f"reply:{still_unread[0]}") == {"text": "half a reply"}
    assert unread(store) == set(still_unread)  # nothing else turned unread, nothing lost
    store.close()


async def test_a_restart_never_gives_an_earlier_run_s_ids_to_other_cases(tmp_path: Path) -> None:
    """A run's live cases and messages are in the kept store, not in the next run's seeded
    world: the next run numbers its new ones after them, so a stored case never turns into
    another (its dates, its thread mixed with a stranger's)."""
    clock = FakeClock()
    path = tmp_path / "demo.sqlite3"
    made: list[str] = []

    def new_case(sim: Simulator) -> None:
        service = min(sim.data.services)  # the seeded world's first: the same in every run
        line = activity.scripted(sim.world, {"new_case": {"service": service, "priority": "P1"}})
        made.append(line.split()[2])  # "new case CS-… (P1 …)"

    store = await run_demo_once(path, clock, live=new_case)
    first = made[0]
    first_case = store.cases.case(first)
    assert first_case is not None
    first_thread = [m.id for m in store.cases.thread(first)]
    store.close()

    clock.advance(3600)
    store = await run_demo_once(path, clock, live=new_case)
    assert int(made[1][3:]) == int(first[3:]) + 1  # the next number, not the same one
    assert store.cases.case(first) == first_case  # the earlier run's case is as it was
    assert [m.id for m in store.cases.thread(first)] == first_thread
    assert set(first_thread).isdisjoint(m.id for m in store.cases.thread(made[1]))
    store.close()


async def test_fresh_starts_a_clean_store(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "demo.sqlite3"
    store = await run_demo_once(path, clock)
    case_id = sorted(unread(store))[0]
    store.drafts.save_draft(f"reply:{case_id}", {"text": "gone with --fresh"})
    store.close()
    store = await run_demo_once(path, clock, fresh=True)
    assert store.drafts.drafts() == {}
    assert len(unread(store)) == FIRST_UNREAD
    store.close()
    store = await run_demo_once(path, clock, seed=4)  # another world: not mixed with the old
    assert store.drafts.drafts() == {} and len(unread(store)) == FIRST_UNREAD
    store.close()


def test_demo_flags() -> None:
    assert demo_parser().parse_args([]).fresh is False
    assert demo_parser().parse_args(["--fresh"]).fresh is True
    assert demo_parser().parse_args(["--keep-store"]).fresh is False  # serve still passes it
