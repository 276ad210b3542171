"""Launch to case rows in a real terminal, beside a bare Textual app with a 50-row DataTable.

    python -m benchmarks.launch_bench [RUNS] [SCALE]

Each app is a new process on a pty (``benchmarks/pty_apps.py``); the clock starts before the
fork and stops when the first case id is in the bytes the app wrote to its terminal, so imports,
config, opening the store and the first frame all count.  The app opens a warm store (the large
dataset: 10,000 cases; SCALE ``xl``: 100,000) of a profile that points at a quiet simulator on loopback.  The two are
launched in turn, RUNS times each.  Target: median ≤ 1.3× the bare app.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.pty_apps import ROW_MARK, Workspace, launch, workspace
from expereo_tui.sim import SimConfig, Simulator, run_server

TARGET = 1.3
SIM_NOW = 1_795_000_000.0


@contextmanager
def warm_setup(root: Path, scale: str = "large") -> Iterator[Workspace]:
    """The dataset of ``scale`` in a store marked fully synced just now, and its simulator
    (frozen clock: a quiet API) on loopback."""
    from benchmarks.store_bench import build

    store, _, _ = build(root / "warm.sqlite3", scale)
    now = time.time()
    for key in ("cases_first_sync_done", "last_success", "inventory_synced_at"):
        store.meta.set_meta(key, "1" if key == "cases_first_sync_done" else str(now))
    store.close()
    sim = Simulator(
        SimConfig(
            seed=1,
            scale=scale,
            client_id="bench-client",
            client_secret="bench-secret-do-not-log",
            clock=lambda: SIM_NOW,
        )
    )
    with run_server(sim) as url, workspace(root / "ws", url, root / "warm.sqlite3") as ws:
        yield ws


def measure(ws: Workspace, runs: int) -> tuple[list[float], list[float]]:
    bare: list[float] = []
    app: list[float] = []
    for _ in range(runs):
        for argv, into in ((ws.bare(), bare), (ws.app(), app)):
            launched = launch(argv, ws.env)
            try:
                into.append(launched.wait_for(ROW_MARK))
            finally:
                launched.stop()
    return bare, app


def report(bare: list[float], app: list[float]) -> bool:
    b, a = statistics.median(bare), statistics.median(app)
    ratio = a / b
    ok = ratio <= TARGET
    print(f"{'':28} {'median':>8} {'min':>8} {'max':>8}")
    print(f"{'bare Textual, 50-row table':28} {b * 1000:7.0f}ms {min(bare) * 1000:7.0f}ms "
          f"{max(bare) * 1000:7.0f}ms")
    print(f"{'expereo-tui, warm store':28} {a * 1000:7.0f}ms {min(app) * 1000:7.0f}ms "
          f"{max(app) * 1000:7.0f}ms")
    print(f"launch ratio {ratio:.2f}× (target ≤ {TARGET}×)  {'PASS' if ok else 'FAIL'}")
    # Each turn launches the two one after the other: the median of their ratios moves less
    # with the machine than the ratio of the medians (the verdict above).  For reading only.
    paired = statistics.median(x / y for x, y in zip(app, bare, strict=True))
    print(f"paired: median of each turn's ratio {paired:.2f}× (for reading; the verdict is above)")
    return ok


def compiled() -> None:
    """Byte-compile the package first, as pip and pipx do when they install it: a checkout run
    with PYTHONDONTWRITEBYTECODE (set on some machines) would compile every module on every
    launch, ~200 ms no user pays."""
    import compileall

    import expereo_tui

    compileall.compile_dir(str(Path(expereo_tui.__file__).parent), quiet=1)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    scale = sys.argv[2] if len(sys.argv) > 2 else "large"
    compiled()
    with tempfile.TemporaryDirectory() as folder, warm_setup(Path(folder), scale) as ws:
        bare, app = measure(ws, runs)
    return 0 if report(bare, app) else 1


if __name__ == "__main__":
    raise SystemExit(main())
