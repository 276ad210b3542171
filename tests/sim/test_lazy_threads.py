"""``--scale xl``: threads are written when first read, and read the same as if written up
front: the same thread each time, its last message at the case's ``lastModifiedDate``, a
reply after the seeded messages, and every case counted."""

from __future__ import annotations

import pytest

from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.sim import seed as seed_module
from expereo_tui.sim.seed import LazyThreads
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client


@pytest.fixture
def lazy_sim(monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """xl's rules (lazy threads, a long history) at a size a test can afford."""
    sizes = {**seed_module.SCALES["xl"], "sites": 30, "services": 80, "cases": 200}
    sizes["messages"] = 1_000
    monkeypatch.setitem(seed_module.SCALES, "xl-test", sizes)
    return Simulator(
        SimConfig(
            seed=3, scale="xl-test", client_id="test-client", client_secret=TEST_SECRET,
            clock=FakeClock(),
        )
    )  # fmt: skip


def test_a_thread_is_written_once_when_first_read(lazy_sim: Simulator) -> None:
    threads = lazy_sim.data.messages
    assert isinstance(threads, LazyThreads)
    assert len(threads) == len(lazy_sim.data.cases) == 200
    assert len(threads.pending) == 200  # nothing written yet
    case = next(iter(lazy_sim.data.cases.values()))
    first = threads[case["id"]]
    assert first and threads[case["id"]] is first  # written once, then kept
    assert first[-1]["timestamp"] == case["lastModifiedDate"]
    assert first[0]["type"] == "Customer"  # a case is opened by the customer
    assert len({m["id"] for m in first}) == len(first)


def test_the_same_seed_writes_the_same_threads_in_any_order(lazy_sim: Simulator) -> None:
    again = Simulator(
        SimConfig(
            seed=3, scale="xl-test", client_id="test-client", client_secret=TEST_SECRET,
            clock=FakeClock(),
        )
    )  # fmt: skip
    ids = list(lazy_sim.data.cases)
    forwards = [lazy_sim.data.messages[i] for i in ids]
    backwards = [again.data.messages[i] for i in reversed(ids)][::-1]
    assert forwards == backwards


def test_most_of_a_long_history_is_closed(lazy_sim: Simulator) -> None:
    statuses = [c["status"] for c in lazy_sim.data.cases.values()]
    closed = sum(s in ("Resolved", "Closed") for s in statuses)
    assert closed > 0.8 * len(statuses)


async def test_the_api_serves_a_lazy_thread_and_a_reply_comes_after_it(
    lazy_sim: Simulator,
) -> None:
    from expereo_tui.api.models import MessageCreate

    case_id = next(c["id"] for c in lazy_sim.data.cases.values() if c["status"] == "In Progress")
    async with make_client(lazy_sim, lazy_sim.clock) as client:  # type: ignore[arg-type]
        seeded = [m async for m in client.iter_case_messages(case_id)]
        assert [m.id for m in seeded] == [m["id"] for m in lazy_sim.data.messages[case_id]]
        await client.add_message(case_id, MessageCreate(message="any update?"))
        after = [m async for m in client.iter_case_messages(case_id)]
    assert len(after) == len(seeded) + 1 and after[-1].message == "any update?"
