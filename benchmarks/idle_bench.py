"""CPU of the inbox and of the wall while nothing happens, beside an idle bare Textual app.

    python -m benchmarks.idle_bench [SECONDS] [RUNS] [SETTLE]

The three run at once, each a process on its own pty (``benchmarks/pty_apps.py``); the inbox
and the wall each on its own warm store (so each is its profile's poller), against a quiet
simulator on loopback (frozen clock: every poll finds nothing new).  Once each shows its first
rows and has settled (SETTLE seconds, default 85), the CPU time (user + system, from /proc) each
uses over SECONDS (default 60) is compared.  Target: ≤ 1.5× the bare app, for the inbox and for
the wall.

The wall cycles its views every 20 s and draws each table the first time it shows it (~0.1 s
each, once in its life); the default SETTLE of 85 s starts the window once every view has been
shown, the steady state of a wall that runs for days.  ``SETTLE 5`` includes those first draws.
/proc counts CPU in 10 ms ticks: a run's ratio is ±0.15 or so, hence several runs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.launch_bench import compiled, warm_setup
from benchmarks.pty_apps import ROW_MARK, Launched, launch, workspace

TARGET = 1.5
SETTLE = 85.0  # seconds after the first rows before the window opens: every view shown once


def run_once(ws_inbox, ws_wall, seconds: float, settle: float = SETTLE) -> dict[str, float]:  # type: ignore[no-untyped-def]
    apps: dict[str, Launched] = {}
    try:
        apps["bare"] = launch(ws_inbox.bare(), ws_inbox.env)
        apps["inbox"] = launch(ws_inbox.app(), ws_inbox.env)
        apps["wall"] = launch(ws_wall.app("--wall"), ws_wall.env)
        marks = {"bare": ROW_MARK, "inbox": ROW_MARK, "wall": b"P1 open"}
        for name, app in apps.items():
            app.wait_for(marks[name])
        drain(apps, settle)
        before = {name: app.cpu_seconds() for name, app in apps.items()}
        drain(apps, seconds)
        return {name: app.cpu_seconds() - before[name] for name, app in apps.items()}
    finally:
        for app in apps.values():
            app.stop()


def drain(apps: dict[str, Launched], seconds: float) -> None:
    """Read what the apps write (a terminal would) for ``seconds``."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for app in apps.values():
            app.read(0.01)


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    settle = float(sys.argv[3]) if len(sys.argv) > 3 else SETTLE
    missed = 0
    compiled()
    with tempfile.TemporaryDirectory() as folder, warm_setup(Path(folder)) as ws:
        wall_store = Path(folder) / "wall.sqlite3"
        shutil.copy(ws.root / "data" / "expereo-tui" / "bench.sqlite3", wall_store)
        config = Path(ws.env["EXPEREO_CONFIG"]).read_text()
        api_url = config.split('base_url = "', 1)[1].split('"', 1)[0]
        with workspace(Path(folder) / "ws-wall", api_url, wall_store) as ws_wall:
            print(f"CPU seconds over {seconds:g} s idle, from {settle:g} s after the first rows")
            print(f"{'run':>4} {'bare':>7} {'inbox':>7} {'wall':>7} {'inbox×':>7} {'wall×':>7}")
            for run in range(runs):
                cpu = run_once(ws, ws_wall, seconds, settle)
                base = max(cpu["bare"], 0.01)  # the clock tick: 10 ms
                inbox, wall = cpu["inbox"] / base, cpu["wall"] / base
                missed += inbox > TARGET or wall > TARGET
                print(
                    f"{run + 1:4d} {cpu['bare']:7.2f} {cpu['inbox']:7.2f} {cpu['wall']:7.2f} "
                    f"{inbox:6.2f}× {wall:6.2f}×  "
                    f"{'PASS' if inbox <= TARGET and wall <= TARGET else 'FAIL'}"
                )
    print(f"target ≤ {TARGET}× the bare app for the inbox and the wall")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
