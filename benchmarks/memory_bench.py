"""RSS of the app after its first sync, beside a bare Textual app measured in the same run.

    python -m benchmarks.memory_bench [SCALES] [--diagnose]

SCALES is a comma-separated list (default ``small,large``; ``xl`` is slow to sync on 2 cores).
For each scale the simulator runs alone (``expereo-tui sim --scale S``, its own process on
loopback), and the installed ``expereo-tui`` script is started as a user starts it, in a tmux
pane of its own tmux server with its own XDG dirs and a new store.  Once the pane shows case rows
and the status bar says the first sync is done ("updated", no "first sync"), the app is left to
settle and its RSS is read from ``/proc/PID/status`` (``VmRSS``; the pane's process is the app:
the pane ``exec``s it).  The baseline, in the same run and the same way: a bare Textual app
drawing a DataTable of 50 rows (``pty_apps.BARE_APP``), its RSS once it shows its rows.

Printed: scale, cases, RSS, ratio to the bare app, bytes per case ((RSS - bare) / cases).
Targets (issue 30): ≤ 1.5× / 2× / 3× the bare app for small / large / xl.  Printed beside
the bare app, as context and never as a verdict: the import floor, the bare app once it has
imported what the app imports (httpx and the models, the store, the sync, the UI),
and the working floor, the import floor that also holds what a working app holds before its
first case: its API client (httpx, with its TLS context) and its models' readers.

``--diagnose`` runs the app through a wrapper that, once synced, is sent SIGUSR1 and writes its
RSS by layer (glibc's heap in use and freed-but-kept, SQLite's heap, pymalloc's arenas), the same
after ``malloc_trim(0)``, and the most numerous object types.  ``--trace`` adds tracemalloc (the
top allocation sites; it slows and fattens the app: never the verdict).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.pty_apps import BARE_APP
from expereo_tui.sim.seed import SCALES

TARGETS = {"tiny": 1.5, "small": 1.5, "medium": 2.0, "large": 2.0, "xl": 3.0}
COLS, ROWS = 160, 48
SESSION = "run"
TMUX = ["tmux", "-L", "expereo-memory-bench"]  # its own server, kept up by a "keeper"
ROW = re.compile(r"CS-1\d{6}")
SETTLE = 5.0  # seconds after the first sync is on screen before RSS is read
CLIENT_ID, SECRET = "bench-client", "bench-secret-do-not-log"

PROBE = Path(__file__).with_name("memory_probe.py")


def _pane() -> str:
    return subprocess.run(
        [*TMUX, "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True
    ).stdout


def _start(command: str, env: dict[str, str]) -> int:
    """Start ``command`` in a new pane; its process id (the pane ``exec``s the command)."""
    subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", SESSION, "-x", str(COLS), "-y", str(ROWS),
         f"exec env {exports} TERM=xterm-256color {command}"],
        check=True,
    )  # fmt: skip
    shown = subprocess.run(
        [*TMUX, "display-message", "-p", "-t", SESSION, "#{pane_pid}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(shown.stdout.strip())


def _wait(done: re.Pattern[str] | None, limit: float) -> str:
    """Poll the pane until case rows show (and, with ``done``, the first sync is over)."""
    deadline = time.perf_counter() + limit
    text = ""
    while time.perf_counter() < deadline:
        text = _pane()
        if ROW.search(text) and (done is None or done.search(text) and "first sync" not in text):
            return text
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {limit:.0f} s; the pane shows:\n{text}")


def rss(pid: int) -> int:
    """The process's resident set in bytes (VmRSS)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _settled_rss(pid: int) -> int:
    time.sleep(SETTLE)
    return rss(pid)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def simulator(script: str, scale: str) -> Iterator[str]:
    """``expereo-tui sim --scale SCALE`` in its own process; yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [script, "sim", "--scale", scale, "--port", str(port), "--client-id", CLIENT_ID,
         "--client-secret", SECRET],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.perf_counter() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"the simulator did not listen on {port}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _homes(folder: Path, api_url: str) -> dict[str, str]:
    env = {
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "EXPEREO_CLIENT_SECRET": SECRET,
    }
    config = folder / "config" / "expereo-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "[profiles.bench]\n"
        f'client_id = "{CLIENT_ID}"\n'
        f'base_url = "{api_url}"\n'
        f'token_url = "{api_url}/oauth2/token"\n'
        "bell = false\n"
        "desktop_notifications = false\n"
    )
    env["EXPEREO_CONFIG"] = str(config)
    return env


def bare_rss(folder: Path) -> int:
    bare = folder / "bare_app.py"
    bare.write_text(BARE_APP)
    pid = _start(f"{sys.executable} {bare}", {})
    _wait(None, 60)
    return _settled_rss(pid)


# What the app imports by the time its first sync is over, entry points that pull in the rest:
# the bare app importing these ("the import floor") says how much of the gap is code, not data
FLOOR_IMPORTS = (
    "expereo_tui.cli.main", "expereo_tui.cli.launch", "expereo_tui.ui.app",
    "expereo_tui.ui.inbox.screen", "expereo_tui.ui.shift.alerts", "expereo_tui.sync.engine",
    "expereo_tui.api.factory", "expereo_tui.triage.read_model", "expereo_tui.store.store",
)  # fmt: skip


# What any working app holds before its first case, beside its imports: its one API client (an
# httpx client, with the TLS context of its trusted CAs) and the models' fields and readers,
# worked out when a model is first used
WORKING = textwrap.dedent(
    """
    from expereo_tui import heap
    from expereo_tui.api import models
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.api.v2 import V2Client

    heap.settle()
    _client = V2Client(ClientSettings(
        base_url="https://api.invalid", token_url="https://api.invalid/token",
        client_id="floor", client_secret="floor"))
    for _name in dir(models):
        _model = getattr(models, _name)
        if isinstance(_model, type) and issubclass(_model, models.Model) and (
            _model.__module__ == models.__name__ and _model is not models.Page
        ):
            _model.model_fields
    for _item in (models.Account, models.Site, models.Service, models.Case, models.CaseMessage):
        models.Page[_item].model_fields
    """
)


def floor_rss(folder: Path, working: bool = False) -> int:
    """RSS of the bare app that first imports what the app imports (``FLOOR_IMPORTS``) and,
    ``working``, also holds what a working app holds before its first case (``WORKING``)."""
    floor = folder / f"floor_app{'_working' if working else ''}.py"
    imports = "".join(f"import {name}\n" for name in FLOOR_IMPORTS)
    floor.write_text(imports + (WORKING if working else "") + BARE_APP)
    pid = _start(f"{sys.executable} {floor}", {})
    _wait(None, 60)
    return _settled_rss(pid)


def app_rss(
    script: str, scale: str, folder: Path, diagnose: bool, trace: bool = False
) -> tuple[int, float, str]:
    """(RSS, seconds to the end of the first sync, diagnosis) of the app on a new store."""
    with simulator(script, scale) as url:
        env = _homes(folder, url)
        command = f"{script} --profile bench"
        if diagnose:
            env["MEMORY_BENCH_DUMP"] = str(folder / "dump.txt")
            if trace:
                env["MEMORY_BENCH_TRACE"] = "1"
            command = f"{sys.executable} {PROBE} --profile bench"
        started = time.perf_counter()
        pid = _start(command, env)
        _wait(re.compile(r"updated"), 1800)
        synced = time.perf_counter() - started
        size = _settled_rss(pid)
        report = ""
        if diagnose:
            os.kill(pid, 10)  # SIGUSR1
            dump = folder / "dump.txt"
            deadline = time.perf_counter() + 120
            while not dump.exists() and time.perf_counter() < deadline:
                time.sleep(0.5)
            time.sleep(1)
            report = dump.read_text() if dump.exists() else "(no dump)"
        subprocess.run([*TMUX, "kill-session", "-t", SESSION], capture_output=True)
        return size, synced, report


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    trace = "--trace" in sys.argv
    diagnose = trace or "--diagnose" in sys.argv
    scales = (args[0] if args else "small,large").split(",")
    if shutil.which("tmux") is None:
        print("memory_bench needs tmux (apt-get install tmux)")
        return 1
    script = str(Path(sys.executable).with_name("expereo-tui"))
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keeper", "sleep 86400"], check=True)
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="expereo-memory-") as tmp:
            bare = bare_rss(Path(tmp))
            print(f"bare Textual app (DataTable, 50 rows): RSS {bare / 1e6:.1f} MB")
            floor = floor_rss(Path(tmp))
            print(
                f"the import floor (the bare app importing what the app imports, no data, no "
                f"sync): RSS {floor / 1e6:.1f} MB, {floor / bare:.2f}× bare (context, not a verdict)"
            )
            working = floor_rss(Path(tmp), working=True)
            print(
                f"the working floor (the import floor, its API client and its models' "
                f"readers made, still no data): RSS {working / 1e6:.1f} MB, "
                f"{working / bare:.2f}× bare (context, not a verdict)"
            )
            print(
                f"{'scale':>6} {'cases':>8} {'RSS MB':>8} {'× bare':>7} {'B/case':>8} "
                f"{'sync s':>7}  verdict"
            )
            for scale in scales:
                folder = Path(tmp) / scale
                folder.mkdir()
                size, synced, report = app_rss(script, scale, folder, diagnose, trace)
                cases = SCALES[scale]["cases"]
                ratio = size / bare
                ok = ratio <= TARGETS[scale]
                failed |= not ok
                print(
                    f"{scale:>6} {cases:>8,} {size / 1e6:8.1f} {ratio:6.2f}× "
                    f"{(size - bare) / cases:8,.0f} {synced:7.1f}  "
                    f"≤ {TARGETS[scale]}× {'PASS' if ok else 'FAIL'}",
                    flush=True,
                )
                if report:
                    print(textwrap.indent(report, "    "))
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    if diagnose:
        print("(--diagnose: the app ran under a wrapper, after its dump; not the verdict)")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.pop("TMUX", None)
    raise SystemExit(main())
