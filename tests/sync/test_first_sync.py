"""The first sync of an empty store: cases first (the inbox fills after one request), the
inventory after, each page reported as progress, and the same requests as before."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import FirstSyncProgress, SyncEvent, SyncStateChanged, SyncStatus
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client


async def test_first_sync_uses_the_fewest_requests_cases_first_page_by_page(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=2,
            scale="medium",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=clock,
        )
    )
    d = sim.data
    pages = {
        "/v2/cases": math.ceil(len(d.cases) / 200),
        "/v2/sites": math.ceil(len(d.sites) / 200),
        "/v2/services": math.ceil(len(d.services) / 200),
    }
    assert pages["/v2/cases"] > 2  # the test needs several pages of each
    store = Store(tmp_path / "first.sqlite3", clock=clock)
    seen: list[tuple[FirstSyncProgress, int, int, int]] = []  # progress, requests, cases, services

    def on_event(event: SyncEvent) -> None:
        if isinstance(event, SyncStateChanged) and event.state.progress is not None:
            seen.append(
                (
                    event.state.progress,
                    len(sim.request_log),
                    store.cases.case_count(),
                    len(store.inventory.services()),
                )
            )

    async with make_client(sim, clock) as client:
        engine = SyncEngine(store, client, on_event=on_event, clock=clock)
        await engine.poll_once()

    # the order: one page of cases, one of each inventory list (their totals), then the other
    # case pages with the rest of the inventory beside them; nothing more than listing each
    # collection in full
    paths = [path for _, path in sim.request_log]
    head = ["/v2/cases", "/v2/sites", "/v2/services", "/v2/accounts", "/v2/invoices"]
    assert paths[: len(head)] == head
    expected = head + ["/v2/cases"] * (pages["/v2/cases"] - 1)
    expected += ["/v2/sites"] * (pages["/v2/sites"] - 1)
    expected += ["/v2/services"] * (pages["/v2/services"] - 1)
    assert sorted(paths) == sorted(expected)

    # the inbox has rows after the first request; the inventory is stored a page at a time as
    # it comes (never a whole list held, then compared with the whole table: #30's memory)
    first_rows = next(s for s in seen if s[2] > 0)
    assert first_rows[1] == 1 and first_rows[2] == 200
    services_seen = {s[3] for s in seen}
    assert len(d.services) > 400
    assert any(0 < n < len(d.services) for n in services_seen)  # some stored, more to come
    assert len(store.inventory.services()) == len(d.services)
    assert (
        store.cases.unread_count() == 0
    )  # stored page by page, yet a first sync leaves none unread

    # progress: counts never go back, totals are known from the first page on
    after_first = seen[2][0]  # 0: nothing yet, 1: the first page of cases, 2: the probes
    cases = after_first.of("cases")
    sites = after_first.of("sites")
    assert cases is not None and sites is not None
    assert (cases.done, cases.total) == (200, len(d.cases))
    assert sites.total == len(d.sites)
    assert after_first.total_pages == len(expected)
    for (before, *_), (after, *_) in zip(seen, seen[1:], strict=False):
        for a, b in zip(before.lists, after.lists, strict=True):
            assert b.done >= a.done and b.pages >= a.pages
    last = seen[-1][0]
    assert last.pages == last.total_pages == len(expected)
    assert all(p.done == p.total for p in last.lists)
    assert engine.state.status == SyncStatus.FRESH and engine.state.progress is None


async def test_a_first_sync_gives_its_memory_back_and_a_quiet_poll_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the pages of a first sync (or an inventory refresh) are stored, the heap they
    used goes back to the system (heap.give_back: glibc keeps it otherwise, 71 MB on xl); a
    poll that found little does not bother."""
    from expereo_tui import heap

    calls: list[int] = []
    monkeypatch.setattr(heap, "give_back", lambda: calls.append(1) or True)
    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=2, scale="tiny", client_id="test-client", client_secret=TEST_SECRET, clock=clock
        )
    )
    store = Store(tmp_path / "trim.sqlite3", clock=clock)
    async with make_client(sim, clock) as client:
        engine = SyncEngine(store, client, on_event=lambda e: None, clock=clock)
        await engine.poll_once()
        assert calls == [1]
        clock.advance(30)
        await engine.poll_once()
        assert calls == [1]
    store.close()


def test_give_back_runs_on_glibc() -> None:
    from expereo_tui import heap

    assert heap.give_back() is _on_glibc()


_MAPPED_PROBE = """
import ctypes, sys
from expereo_tui import heap

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
if sys.argv[1] == "settle":
    assert heap.settle()
libc.free(libc.malloc(8 << 20))  # a large block freed: glibc would raise its threshold to it
before = libc.mallinfo2().hblks
block = libc.malloc(512 << 10)
print(libc.mallinfo2().hblks - before)
"""


def _on_glibc() -> bool:
    import ctypes.util
    import sys

    return sys.platform.startswith("linux") and ctypes.util.find_library("c") is not None


def _probe(script: str, how: str) -> str:
    """What ``script`` prints, run in a new Python (``how``: "settle" or not); heap.settle
    changes a process for good, so each case gets its own."""
    import subprocess
    import sys

    run = [sys.executable, "-c", script, how]
    return subprocess.run(run, capture_output=True, text=True, check=True).stdout


_ARENAS_PROBE = """
import ctypes, os, sys, threading
from expereo_tui import heap

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
if sys.argv[1] == "settle":
    assert heap.settle()
kept = []
def work():
    kept.append(libc.malloc(4096))
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
os.dup2(1, 2)  # malloc_stats writes to standard error: one "Arena N:" line a heap
libc.malloc_stats()
"""


def test_settle_has_every_thread_allocate_from_one_heap() -> None:
    """heap.settle() (at launch, before the app's threads): four threads that allocate share
    the one heap; without it glibc gives each new thread a heap of its own, each keeping its own
    free blocks."""
    if not _on_glibc():
        return  # settle() says False there (test_settle_keeps_a_large_block_mapped_...)

    def heaps(how: str) -> int:
        return sum(line.startswith("Arena ") for line in _probe(_ARENAS_PROBE, how).splitlines())

    assert heaps("settle") == 1
    assert heaps("no") > 1


def test_settle_keeps_a_large_block_mapped_on_its_own_after_a_larger_one_was_freed() -> None:
    """heap.settle() (at launch): a 512 KiB block is mapped on its own, and so given back whole
    when it is dropped, even after an 8 MiB block was freed; without it glibc puts it in the
    heap (its threshold moved up to 8 MiB), whose holes stay in the process."""
    from expereo_tui import heap

    if not _on_glibc():
        assert heap.settle() is False
        return
    assert _probe(_MAPPED_PROBE, "settle").strip() == "1"
    assert _probe(_MAPPED_PROBE, "no").strip() == "0"
