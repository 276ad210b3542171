"""Soak the NOC wall: many simulated hours of live activity on an accelerated clock.

    python -m benchmarks.wall_soak [HOURS] [MINUTES_PER_POLL] [--warm-up HOURS]
                                   [--sim-in-process] [--diagnose] [--cache-kib N]

Each step advances the clock by MINUTES_PER_POLL minutes, lets the simulator produce that many
events, runs one real poll through the sync engine, and moves the wall's own clock on by as
many minutes (its views turn and its burn-in shifts as they would in that time).  Prints RSS,
widget counts at the start and the end and timer counts at the first measured hour and the end
(they must stay flat; the timers' names are printed when they differ), the RSS at the end of
the first measured hour against the end of the last one (target ratio ≤ 1.05; default 72
hours), and the time per simulated hour as a ratio to a baseline measured in the same run (one
store query).

The measured hours come after a **warm-up** of ``--warm-up`` simulated hours (default 24: a
wall's first day).  In its first day and a half a wall's RSS rises ~7% and then stays flat:
bounded caches of the libraries fill with new text (Rich's ``cached_cell_len``, 4,096 entries,
is full by hour 12; Textual's strips and colours), and pymalloc's arenas follow them (issue 13's
runs).  The ratio from the end of the run's very first hour is printed too, so that warm-up
stays in sight; ``--warm-up 0`` measures from the launch, as the soak did before.

A line per simulated hour is printed as it goes (RSS, SQLite's heap, pymalloc's arenas, the
store's cases and open cases), so a run cut short still tells how far it got; at the end, each
hour's layers (smaps, glibc's mallinfo2, pymalloc arenas) say where RSS went.

The simulator runs in a **subprocess** over loopback HTTP by default, on a clock shared with
this process, so the RSS measured here is the app's alone: the simulator's world grows with
every simulated hour (new cases, messages, its request log) and, run in-process, that growth
was counted as the app's.  ``--sim-in-process`` runs it in this process as before (faster, but
the RSS then includes the simulator's data; the sizes of its tables are printed beside it).

``--diagnose`` also prints, for hour 1 against the last hour, SQLite's own heap
(``sqlite3_memory_used``, mostly the page cache), the top Python allocations that grew by
traceback (tracemalloc, started after warm-up; slows the run about 2×) and the object types
whose counts grew.  ``--cache-kib N`` sets ``PRAGMA cache_size`` on the store's connection to
``-N`` after the app set its own (``CACHE_KIB``), to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import functools
import gc
import multiprocessing
import os
import random
import re
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.api.vocab import open_statuses
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.wall.app import WallApp
from expereo_tui.ui.wall.screen import WallScreen
from tests.sim_fixtures import FIXED_NOW

SOAK_TARGET = 1.05  # RSS of the last simulated hour against the first, after warm-up
WARM_UP_HOURS = 24.0  # a wall's first day: its libraries' bounded caches fill (docstring)
CLIENT_ID, SECRET = "test-client", "test-secret-do-not-log"
SIM_SEED, SIM_SCALE = 3, "medium"


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _sqlite_memory_used() -> Callable[[], float] | None:
    """SQLite's own heap in MB (page caches of every connection, statements, schema), read from
    the library the ``sqlite3`` module links; None where it cannot be reached."""
    try:
        import _sqlite3

        fn = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError, ImportError):
        return None
    fn.restype = ctypes.c_int64
    return lambda: fn() / 1e6


sqlite_mb = _sqlite_memory_used()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mallinfo2() -> Callable[[], _MallInfo2] | None:
    """glibc's ``mallinfo2``; None off glibc."""
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    return fn


mallinfo2 = _mallinfo2()


def smaps_mb() -> tuple[float, float, float]:
    """Resident MB of the process's mappings: (main heap ``[heap]``, other anonymous mappings:
    thread arenas, pymalloc arenas, mmapped blocks, thread stacks; file-backed)."""
    heap = anon = files = 0
    name = ""
    try:
        with open("/proc/self/smaps") as handle:
            for line in handle:
                if line[0] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                    parts = line.split()
                    name = parts[5] if len(parts) > 5 else ""
                elif line.startswith("Rss:"):
                    kib = int(line.split()[1])
                    if name == "[heap]":
                        heap += kib
                    elif not name or name.startswith("[anon"):
                        anon += kib
                    elif not name.startswith("["):
                        files += kib
    except OSError:
        return (float("nan"),) * 3
    return heap / 1e3, anon / 1e3, files / 1e3


def pymalloc_arenas() -> int:
    """pymalloc's arenas in use now (1 MiB each), parsed from ``sys._debugmallocstats()``
    (which writes to the C stderr)."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    found = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    return int(found.group(1).replace(",", "")) if found else -1


def malloc_mb() -> tuple[float, float]:
    """glibc's heap in MB: (in use, freed but kept by malloc).  The second is RSS that no live
    object holds: a peak's high-water mark, not a leak."""
    if mallinfo2 is None:
        return float("nan"), float("nan")
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 1e6, info.fordblks / 1e6


def hour_marks(hours: int) -> list[int]:
    """The hours (0-based) the summaries print: the first, every sixth, the last."""
    return sorted({0, *range(5, hours, 6), hours - 1})


def counts(app: WallApp) -> tuple[int, list[str]]:
    """Widgets, and each live timer as its node and callback, to say which ones a run left
    behind (a stopped timer stays in its node's weak set until the cyclic garbage collector
    frees it: collect first, or the count says when gc last ran)."""
    gc.collect()
    nodes = [app, *app.screen.walk_children(with_self=True)]
    timers = []
    for node in nodes:
        for timer in getattr(node, "_timers", ()):
            call = timer._callback
            while isinstance(call, functools.partial):  # call_next(partial(_wake, ...))
                call = call.args[0] if call.func.__name__ == "call_next" else call.func
            timers.append(f"{type(node).__name__}:{getattr(call, '__qualname__', repr(call))}")
    return len(nodes), sorted(timers)


class SharedClock:
    """Simulated time shared with the simulator's process (a double in shared memory)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> float:
        return float(self.value.value)

    def advance(self, seconds: float) -> None:
        self.value.value += seconds


def _serve_sim(now: Any, port: Any, ready: Any, stop: Any) -> None:
    """In the subprocess: the simulator on loopback, on the shared clock, until ``stop``."""
    sim = Simulator(
        SimConfig(
            seed=SIM_SEED,
            scale=SIM_SCALE,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            clock=SharedClock(now),
        )
    )
    with run_server(sim) as url:
        port.value = int(url.rsplit(":", 1)[1])
        ready.set()
        stop.wait()


class Sim:
    """Where the simulator runs: its URL or transport, and how to make it produce activity."""

    def __init__(self, clock: SharedClock, in_process: bool) -> None:
        self.clock = clock
        self.local: Simulator | None = None
        self.url = "http://sim"
        self._stop: Any = None
        self._proc: Any = None
        self._ctl: httpx.AsyncClient | None = None
        if in_process:
            self.local = Simulator(
                SimConfig(
                    seed=SIM_SEED,
                    scale=SIM_SCALE,
                    client_id=CLIENT_ID,
                    client_secret=SECRET,
                    clock=clock,
                )
            )

    @contextmanager
    def running(self, ctx: Any) -> Iterator[Sim]:
        if self.local is not None:
            yield self
            return
        port, ready, self._stop = ctx.Value("i", 0), ctx.Event(), ctx.Event()
        self._proc = ctx.Process(
            target=_serve_sim, args=(self.clock.value, port, ready, self._stop), daemon=True
        )
        self._proc.start()
        try:
            if not ready.wait(120):
                raise RuntimeError("the simulator subprocess did not start")
            self.url = f"http://127.0.0.1:{port.value}"
            # no keep-alive: uvicorn closes an idle connection after 5 s, and a step that takes
            # longer than that would race it (httpx.ReadError)
            self._ctl = httpx.AsyncClient(
                base_url=self.url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)
            )
            yield self
        finally:
            self._stop.set()
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()

    def client(self) -> V2Client:
        async def fake_sleep(seconds: float) -> None:
            self.clock.advance(seconds)

        settings = ClientSettings(
            base_url=self.url,
            token_url=f"{self.url}/oauth2/token",
            client_id=CLIENT_ID,
            client_secret=SECRET,
            scopes=[],
        )
        transport = self.local.transport() if self.local is not None else None
        return V2Client(
            settings,
            transport=transport,
            clock=self.clock,
            sleep=fake_sleep,
            rng=random.Random(0),
        )

    async def step(self, events: int) -> None:
        if self.local is not None:
            self.local.step_activity(events)
            return
        assert self._ctl is not None
        response = await self._ctl.post("/_sim/activity", json={"steps": events})
        response.raise_for_status()

    async def close(self) -> None:
        if self._ctl is not None:
            await self._ctl.aclose()

    def sizes(self) -> str:
        """How much the in-process simulator holds (its growth is not the app's)."""
        if self.local is None:
            return ""
        data = self.local.data
        messages = sum(len(m) for m in data.messages.values())
        return (
            f"sim: {len(data.cases)} cases, {messages} messages, "
            f"{len(data.services)} services, {len(self.local.request_log)} logged requests"
        )


class Probe:
    """What is measured at the end of each simulated hour."""

    def __init__(self, store: Store, diagnose: bool) -> None:
        self.store = store
        self.diagnose = diagnose
        self.rss: list[float] = []
        self.sqlite: list[float] = []
        self.malloc: list[tuple[float, float]] = []
        self.layers: list[dict[str, float]] = []
        self.snapshots: list[tracemalloc.Snapshot] = []
        self.types: list[Counter[str]] = []
        self.warm_hours = 0  # the first hours of ``rss`` (and the rest) are the warm-up's

    def start(self) -> None:
        if self.diagnose:
            tracemalloc.start(5)

    def hour(self, warming: bool = False) -> None:
        self.rss.append(rss_mb())
        self.sqlite.append(sqlite_mb() if sqlite_mb else float("nan"))
        self.malloc.append(malloc_mb())
        self.layers.append(self._layers())
        layer = self.layers[-1]
        open_cases = self.store.cases.count_cases(  # open as the wall counts it
            CaseQuery(statuses=open_statuses(self.store.cases.status_counts()))
        )
        print(  # as it goes: a long run cut short still says how far it got
            f"  {'warm-up ' if warming else ''}hour {len(self.rss)}: RSS {self.rss[-1]:.1f} MB, "
            f"SQLite {self.sqlite[-1]:.1f}, "
            f"pymalloc arenas {layer['pyarenas']:.0f}, traced {layer['traced']:.1f}, "
            f"{self.store.cases.case_count()} cases ({open_cases} open)",
            flush=True,
        )
        self.warm_hours += warming
        if self.diagnose and len(self.rss) == self.warm_hours + 1:
            self._mark()

    def _layers(self) -> dict[str, float]:
        heap, anon, files = smaps_mb()
        row = {"heap": heap, "anon": anon, "file": files}
        if mallinfo2 is not None:
            info = mallinfo2()
            row |= {
                "arena": info.arena / 1e6,
                "uord": info.uordblks / 1e6,
                "ford": info.fordblks / 1e6,
                "keep": info.keepcost / 1e6,
                "hblkhd": info.hblkhd / 1e6,
            }
        row["pyarenas"] = pymalloc_arenas()
        row["traced"] = tracemalloc.get_traced_memory()[0] / 1e6 if tracemalloc.is_tracing() else 0
        row["threads"] = threading.active_count()
        return row

    def finish(self) -> None:
        if self.diagnose:
            self._mark()
            tracemalloc.stop()

    def _mark(self) -> None:
        self.snapshots.append(tracemalloc.take_snapshot())
        self.types.append(Counter(type(o).__name__ for o in gc.get_objects()))

    def report_layers(self) -> None:
        if not self.layers:
            return
        print(
            "by hour, MB: smaps [heap] / other anon / files; mallinfo2 arena / in use / free /"
            " top (keepcost) / mmapped; pymalloc arenas; traced; threads"
        )
        for i in hour_marks(len(self.layers)):
            r = self.layers[i]
            print(
                f"  h{i + 1:<3} {r['heap']:6.1f} {r['anon']:6.1f} {r['file']:5.1f}  "
                f"{r.get('arena', 0):6.1f} {r.get('uord', 0):6.1f} {r.get('ford', 0):6.1f} "
                f"{r.get('keep', 0):5.1f} {r.get('hblkhd', 0):5.1f}  {r['pyarenas']:5.0f}  "
                f"{r['traced']:6.1f}  {r['threads']:.0f}"
            )

    def report(self, hours: int) -> None:
        if not self.diagnose or len(self.snapshots) < 2:
            return
        first, last = self.snapshots
        keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
        diff = last.filter_traces(keep).compare_to(first.filter_traces(keep), "traceback")
        traced = sum(d.size_diff for d in diff)
        print(f"\nPython heap traced since warm-up, hour 1 → hour {hours}: {traced / 1e6:+.2f} MB")
        for stat in diff[:12]:
            if stat.size_diff < 20_000:
                break
            frames = [f for f in stat.traceback if "expereo_tui" in f.filename] or list(
                stat.traceback
            )
            where = " ← ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-3:]))
            print(f"  {stat.size_diff / 1e6:+7.2f} MB {stat.count_diff:+8d} blocks  {where}")
        grown = self.types[1] - self.types[0]
        print("object types that grew: " + ", ".join(f"{n} +{c}" for n, c in grown.most_common(10)))
        row = self.store.database.rows(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM messages), "
            "(SELECT count(*) FROM status_history), (SELECT count(*) FROM sla_alerts)"
        )[0]
        pages = self.store.database.rows("PRAGMA page_count")[0][0]
        size = self.store.database.rows("PRAGMA page_size")[0][0]
        cache = self.store.database.rows("PRAGMA cache_size")[0][0]
        print(
            f"store: {row[0]} cases, {row[1]} messages, {row[2]} status_history, "
            f"{row[3]} sla_alerts; file {pages * size / 1e6:.1f} MB; cache_size {cache}"
        )


async def settle(app: WallApp, pilot: Any) -> None:
    """Until the app has handled the poll's events and its reads of them are done, as a real
    wall does in the 15 s or more between two polls (its reads take milliseconds).  The steps
    used to run back to back, the app catching up every tenth: its reads of one poll's news
    then ran while the next poll wrote, at a state of the store no other reader saw."""
    await pilot.pause()
    while app.news.pending or any(w.is_running for w in app.workers if w.group != "engine"):
        await pilot.pause()


async def soak(
    hours: float,
    step_minutes: int = 1,
    *,
    warm_up: float = WARM_UP_HOURS,
    in_process: bool = False,
    diagnose: bool = False,
    cache_kib: int | None = None,
) -> int:
    ctx = multiprocessing.get_context("spawn")
    clock = SharedClock(ctx.Value("d", FIXED_NOW, lock=False))
    with Sim(clock, in_process).running(ctx) as sim, tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "soak.sqlite3", clock=clock)
        engines: list[SyncEngine] = []

        def factory(on_event):  # type: ignore[no-untyped-def]
            engine = SyncEngine(
                store,
                sim.client(),
                on_event=on_event,
                clock=clock,
                settings=SyncSettings(read_only=True, poll_interval=1e9),
            )
            engines.append(engine)
            return engine

        app = WallApp(
            store=store,
            engine_factory=factory,
            options=AppOptions(
                clock=clock,
                bell=False,
                desktop_notifications=False,
                wall_tick_seconds=1e9,  # the wall's clock moves only as the soak ticks it
            ),
        )
        # The wall's clock runs with the simulated one: a tick is a second, and the soak ticks a
        # view's time at once (20 s), so every view is shown at every burn-in offset as on a
        # real wall.  It had one tick per simulated minute: the wall's own minute took a
        # simulated hour, and what a wall shows in its first 15 minutes (each view at each of
        # the four offsets, each drawn and kept by Textual) came in over the first simulated day,
        # counted as growth.
        tick = app.options.wall_cycle_seconds
        ticks_per_minute = max(1, round(60 / tick))
        if cache_kib is not None:  # after the app set its own (CACHE_KIB)
            store.set_cache_kib(cache_kib)
        probe = Probe(store, diagnose)
        async with app.run_test(size=(160, 50)) as pilot:
            while not (engines and engines[0].polls >= 1):
                await pilot.pause()
            engine = engines[0]
            screen = app.screen
            assert isinstance(screen, WallScreen)
            for _ in range(5):
                await pilot.pause()
            start_rss, (start_nodes, start_timers) = rss_mb(), counts(app)
            steady_timers = start_timers
            probe.start()
            started = time.perf_counter()
            steps = int((warm_up + hours) * 60 / step_minutes)
            warm_steps = int(warm_up * 60 / step_minutes)
            per_hour = max(1, 60 // step_minutes)
            for step in range(steps):
                clock.advance(60 * step_minutes)
                await sim.step(step_minutes)
                await engine.poll_once()
                for _ in range(step_minutes * ticks_per_minute):  # the wall's time, as much
                    screen.tick(tick)
                await settle(app, pilot)
                if step % per_hour == per_hour - 1:
                    probe.hour(warming=step < warm_steps)
                if step == warm_steps + per_hour - 1:  # the first measured hour: timers then
                    steady_timers = counts(app)[1]
            await pilot.pause()
            took = time.perf_counter() - started
            probe.finish()
            end_rss, (end_nodes, end_timers) = rss_mb(), counts(app)
            t0 = time.perf_counter()
            for _ in range(20):
                store.cases.query_cases(CaseQuery(), limit=200)
            baseline = (time.perf_counter() - t0) / 20
        await sim.close()
        where = "in this process" if in_process else "in a subprocess (RSS is the app's alone)"
        print(f"simulator {where}")
        print(
            f"simulated {warm_up:g} h of warm-up and {hours:g} h measured ({steps} polls, "
            f"{store.cases.case_count()} cases at the end) in {took:.1f} s"
        )
        per_hour_s = took / (warm_up + hours)
        print(
            f"per simulated hour: {per_hour_s * 1000:.0f} ms = {per_hour_s / baseline:.0f}× "
            f"baseline (one inbox query, {baseline * 1000:.2f} ms)"
        )
        print(f"RSS     {start_rss:8.1f} MB → {end_rss:8.1f} MB  ({end_rss / start_rss:.2f}×)")
        hourly = probe.rss
        first = min(probe.warm_hours, len(hourly) - 1)  # the first measured hour
        growth = hourly[-1] / hourly[first] if len(hourly) - first >= 2 else 1.0
        if len(hourly) - first >= 2:
            print(
                f"RSS end of measured hour 1 (hour {first + 1}, after {probe.warm_hours} h of "
                f"warm-up) {hourly[first]:.1f} MB, end of hour {len(hourly)} "
                f"{hourly[-1]:.1f} MB: {growth:.3f}× (target ≤ {SOAK_TARGET})"
            )
            print(
                f"RSS from the launch: end of hour 1 {hourly[0]:.1f} MB → end of hour "
                f"{len(hourly)}: {hourly[-1] / hourly[0]:.3f}× (the warm-up included)"
            )
            print(
                f"SQLite heap end of hour {first + 1} {probe.sqlite[first]:.1f} MB, end of hour "
                f"{len(hourly)} {probe.sqlite[-1]:.1f} MB"
            )
            marks = hour_marks(len(hourly))
            print("by hour: RSS / SQLite heap / malloc in use / malloc free-but-kept, MB")
            for row in range(0, len(marks), 4):
                print(
                    "  "
                    + "  ".join(
                        f"h{i + 1}: {hourly[i]:.1f}/{probe.sqlite[i]:.1f}/"
                        f"{probe.malloc[i][0]:.1f}/{probe.malloc[i][1]:.1f}"
                        for i in marks[row : row + 4]
                    )
                )
        if sim.sizes():
            print(sim.sizes())
        print(f"widgets {start_nodes:8d}    → {end_nodes:8d}")
        # The timers are compared from the first measured hour: at the start the first
        # frame's fallback may still wait and the SLA alerts' timer not be set yet.
        print(
            f"timers  {len(steady_timers):8d}    → {len(end_timers):8d}  "
            f"(at the start: {len(start_timers)})"
        )
        if end_timers != steady_timers:
            print(f"  timers, first measured hour: {', '.join(steady_timers)}")
            print(f"  timers at the end:           {', '.join(end_timers)}")
        probe.report_layers()
        probe.report(len(hourly))
        flat = (
            end_nodes == start_nodes
            and len(end_timers) == len(steady_timers)
            and end_rss < start_rss * 1.5 + 20
            and growth <= SOAK_TARGET
        )
        print("FLAT" if flat else "GROWING")
        store.close()
        return 0 if flat else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.wall_soak")
    parser.add_argument("hours", nargs="?", type=float, default=72.0)
    parser.add_argument("step_minutes", nargs="?", type=int, default=1)
    parser.add_argument("--warm-up", type=float, default=WARM_UP_HOURS, metavar="HOURS")
    parser.add_argument("--sim-in-process", action="store_true")
    parser.add_argument("--diagnose", action="store_true")
    parser.add_argument("--cache-kib", type=int)
    args = parser.parse_args(argv)
    return asyncio.run(
        soak(
            args.hours,
            args.step_minutes,
            warm_up=args.warm_up,
            in_process=args.sim_in_process,
            diagnose=args.diagnose,
            cache_kib=args.cache_kib,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
