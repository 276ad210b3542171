"""The first sync of a large account (simulator ``--scale large``) into a new store, over real
loopback HTTP on the real clock, with the documented rate limits on both sides.

    python -m benchmarks.first_sync_bench [RUNS]

Reported beside what the budget allows (the floor: ``(reads - 50) / 3`` s, a burst of 50 then
3 reads/s): the time to the first case rows (the first page of cases stored: the inbox shows
it), the time to done, and the 429s the simulator sent.  Targets: first rows ≤ 5 s, done ≤ 1.1×
the floor, no 429.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import SyncEvent, SyncStateChanged

FIRST_ROWS = 5.0
FLOOR_RATIO = 1.1


async def one_run(sim: Simulator, url: str, folder: Path) -> tuple[float, float, int, int]:
    """Seconds to the first rows, seconds to done, reads, 429s."""
    store = Store(folder / "first.sqlite3")
    first_rows: list[float] = []
    started = time.perf_counter()

    def on_event(event: SyncEvent) -> None:
        if isinstance(event, SyncStateChanged) and not first_rows:
            progress = event.state.progress
            cases = progress.of("cases") if progress else None
            if cases is not None and cases.done > 0:
                first_rows.append(time.perf_counter() - started)

    settings = ClientSettings(
        base_url=url,
        token_url=f"{url}/oauth2/token",
        client_id=sim.client_id,
        client_secret=sim.client_secret,
        scopes=[],
    )
    before, rejected = len(sim.request_log), sim.limiter.rejected
    async with V2Client(settings) as client:
        engine = SyncEngine(store, client, on_event=on_event)
        await engine.poll_once()
        assert engine.state.status == "fresh", engine.state
    done = time.perf_counter() - started
    store.close()
    reads = len(sim.request_log) - before
    return first_rows[0] if first_rows else done, done, reads, sim.limiter.rejected - rejected


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    missed = 0
    print(f"{'run':>4} {'first rows':>10} {'done':>8} {'floor':>8} {'ratio':>6} {'reads':>6} "
          f"{'429s':>5}")
    for run in range(runs):
        sim = Simulator(SimConfig(seed=1, scale="large"))  # real clock, documented limits
        with tempfile.TemporaryDirectory() as folder, run_server(sim) as url:
            first, done, reads, too_many = asyncio.run(one_run(sim, url, Path(folder)))
        floor = (reads - 50) / 3
        ratio = done / floor
        ok = first <= FIRST_ROWS and ratio <= FLOOR_RATIO and too_many == 0
        missed += not ok
        print(f"{run + 1:4d} {first:9.2f}s {done:7.1f}s {floor:7.1f}s {ratio:5.2f}× {reads:6d} "
              f"{too_many:5d}  {'PASS' if ok else 'FAIL'}")
    print(f"targets: first rows ≤ {FIRST_ROWS:g} s, done ≤ {FLOOR_RATIO}× floor, 0 × 429")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
