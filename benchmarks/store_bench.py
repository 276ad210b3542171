"""Store speed on the large dataset: inbox pages (≤ 20 ms) and a thread (≤ 10 ms).

    python -m benchmarks.store_bench

Every time is the median of repeated runs, printed in ms and as a ratio to a baseline measured in
the same run (sorting 20,000 floats in Python), so machines of different speed compare.  Beside
it, the first (cold) run of each query: what the first screen after opening the store waits for.
The targets apply to the median; the exit status is 1 when one is missed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from expereo_tui.api.models import CaseMessage
from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import CaseQuery, Store
from tests.store.test_store import fill

REPEAT = 25


def timed_ms(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """(the first run, the median of ``repeat`` runs) in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times)


def median_ms(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    return timed_ms(fn, repeat)[1]


def build(path: Path, scale: str = "large") -> tuple[Store, Simulator, float]:
    start = time.perf_counter()
    sim = Simulator(SimConfig(seed=1, scale=scale, clock=lambda: 1_795_000_000.0))
    store = Store(path)
    d = sim.data
    fill(store, sim)
    for case_id in list(d.cases)[::7]:
        store.mark_unread(case_id)
    return store, sim, time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        store, sim, took = build(Path(folder) / "bench.sqlite3")
        d = sim.data
        print(
            f"large dataset: {len(d.cases)} cases, "
            f"{sum(len(m) for m in d.messages.values())} messages, {len(d.services)} services, "
            f"{len(d.sites)} sites (built and stored in {took:.1f} s)"
        )
        import random

        numbers = [random.random() for _ in range(20_000)]
        baseline = median_ms(lambda: sorted(numbers))
        busiest = max(d.messages, key=lambda c: len(d.messages[c]))
        service = next(iter(d.cases.values()))["serviceId"]
        cases: list[tuple[str, Callable[[], object], float]] = [
            (
                "inbox default sort (unread, priority, changed)",
                lambda: store.cases.query_cases(CaseQuery(), limit=200),
                20,
            ),
            (
                "inbox status=In Progress|New, P1|P2",
                lambda: store.cases.query_cases(
                    CaseQuery(
                        statuses=frozenset({"In Progress", "New"}),
                        priorities=frozenset({"P1", "P2"}),
                    ),
                    limit=200,
                ),
                20,
            ),
            (
                "inbox free text 'amsterdam'",
                lambda: store.cases.query_cases(CaseQuery(text="amsterdam"), limit=200),
                20,
            ),
            (
                "inbox sort by site name",
                lambda: store.cases.query_cases(CaseQuery(sort=(("site", False),)), limit=200),
                20,
            ),
            (
                "inbox unread only",
                lambda: store.cases.query_cases(CaseQuery(unread_only=True), limit=200),
                20,
            ),
            ("inbox one service", lambda: store.cases.query_cases(CaseQuery(service_id=service)), 20),
            (
                "inbox page 40 (offset 8000)",
                lambda: store.cases.query_cases(CaseQuery(), offset=8000, limit=200),
                20,
            ),
            ("status counts header", lambda: store.cases.status_counts(), 20),
            (
                f"thread of the busiest case ({len(d.messages[busiest])} messages)",
                lambda: store.cases.thread(busiest),
                10,
            ),
        ]
        from datetime import UTC, datetime, timedelta

        long_case = next(iter(d.cases))
        base = datetime(2026, 1, 1, tzinfo=UTC)
        store.cases.upsert_messages(
            long_case,
            [
                CaseMessage(
                    id=f"LONG-{i:05d}",
                    case_id=long_case,
                    message=f"status update {i}",
                    type="Expereo",
                    timestamp=base + timedelta(minutes=i),
                )
                for i in range(10_000)
            ],
        )
        long_total = store.cases.message_count(long_case)
        cases.append(
            (
                f"newest 100 of a {long_total}-message thread (what the case view reads)",
                lambda: store.cases.thread(long_case, offset=long_total - 100, limit=100),
                10,
            )
        )
        print(f"baseline (sorting 20,000 floats in Python): {baseline:.3f} ms")
        store.close()
        store = Store(store.path)  # reopened: the first run of each query below is cold
        print(f"{'measurement':58} {'cold ms':>8} {'ms':>8} {'×base':>8}  target (median)")
        failed = 0
        for name, fn, target in cases:
            cold, ms = timed_ms(fn)
            ok = ms <= target
            failed += not ok
            print(
                f"{name:58} {cold:8.2f} {ms:8.2f} {ms / baseline:8.1f}  ≤{target} ms "
                f"{'PASS' if ok else 'FAIL'}"
            )
        store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
