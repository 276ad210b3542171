"""Request counts of the sync engine on the large dataset, beside the minimum possible and a
naive client (default page size 25, full re-fetch of cases and threads each poll).  Target: the
minimum, every time (first sync, idle poll, busy poll); the exit status is 1 when one misses it.

    python -m benchmarks.sync_bench
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path

from expereo_tui.sim import SimConfig, SimLimits, Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from tests.sim_fixtures import FakeClock, make_client


async def run() -> int:
    """Prints the table; returns how many measurements missed their target."""
    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=1,
            scale="large",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=clock,
            limits=SimLimits(enabled=False),
        )
    )
    d = sim.data
    n_cases = len(d.cases)
    collections = {
        "accounts": len(d.accounts),
        "sites": len(d.sites),
        "services": len(d.services),
        "invoices": len(d.invoices),
        "cases": n_cases,
    }
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "b.sqlite3", clock=clock)
        async with make_client(sim, clock) as client:
            engine = SyncEngine(store, client, on_event=lambda e: None, clock=clock)

            missed = 0

            async def measure(label: str, minimum: int, naive: int) -> None:
                nonlocal missed
                before = len(sim.request_log)
                await engine.poll_once()
                used = len(sim.request_log) - before
                ok = used <= minimum
                missed += not ok
                print(
                    f"{label:34} {used:8d} {minimum:8d} {naive:10d}   "
                    f"{used / max(minimum, 1):.2f}× min, {naive / max(used, 1):.0f}× fewer "
                    f"than naive  {'PASS' if ok else 'FAIL'}"
                )

            print(f"{'':34} {'requests':>8} {'minimum':>8} {'naive':>10}")
            first_min = sum(math.ceil(n / 200) for n in collections.values())
            naive_first = sum(math.ceil(n / 25) for n in collections.values()) + n_cases
            await measure("first sync (empty store)", first_min, naive_first)
            naive_poll = math.ceil(n_cases / 25) + n_cases  # every case and every thread
            await measure("idle poll", 1, naive_poll)
            clock.advance(60)
            changes = n_cases // 100
            sim.step_activity(changes)
            touched = [
                c["id"]
                for c in d.cases.values()
                if store.cases.case_last_modified(c["id"]) is None
                or c["lastModifiedDate"]
                > (store.cases.case_last_modified(c["id"]).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
            ]
            # the listing up to the first unchanged case, then each touched thread in full
            threads = sum(max(1, math.ceil(len(d.messages.get(c, [])) / 200)) for c in touched)
            busy_min = math.ceil((len(touched) + 1) / 200) + threads
            await measure(
                f"busy poll (1% = {changes} events, {len(touched)} cases)", busy_min, naive_poll
            )
    return missed


async def run_v1() -> None:
    """The same three polls on API V1 (GraphQL): a changed case brings its thread along."""
    from tests.v1.conftest import make_v1_client

    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=1,
            scale="large",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=clock,
            limits=SimLimits(enabled=False),
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "b1.sqlite3", clock=clock)
        client, _ = make_v1_client(sim, clock)
        async with client:
            engine = SyncEngine(store, client, on_event=lambda e: None, clock=clock)

            async def measure(label: str, minimum: int) -> None:
                before = len(sim.request_log)
                await engine.poll_once()
                used = len(sim.request_log) - before
                print(f"{label:34} {used:8d} {minimum:8d}")

            print(f"\nAPI V1 (GraphQL){'':18} {'requests':>8} {'minimum':>8}")
            await measure("first sync (empty store)", 3)  # sites, services, cases
            clock.advance(30)
            await measure("idle poll", 1)
            clock.advance(60)
            changes = len(sim.data.cases) // 100
            sim.step_activity(changes)
            await measure(f"busy poll (1% = {changes} events)", 1)


def main() -> int:
    missed = asyncio.run(run())
    asyncio.run(run_v1())
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
