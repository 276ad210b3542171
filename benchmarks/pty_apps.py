"""Apps run as a person runs them: a new process in a real pseudo-terminal.

Used by ``launch_bench`` (time from process launch until the first case row is in the
terminal's byte stream) and ``idle_bench`` (CPU seconds the process uses while nothing
happens).  The expereo-tui app runs with its own XDG dirs, a profile pointing at a simulator on
loopback and a warm store; the bare baselines are plain Textual apps with a 50-row DataTable,
launched the same way, in the same run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

COLS, ROWS = 160, 50
ROW_MARK = b"CS-1"  # every case id of the seeded data starts so; the bare apps show the same

BARE_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Bare(App):
        def compose(self):
            yield Header()
            yield DataTable()
            yield Footer()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("Case", "Pri", "Status", "Subject", "Service", "Changed")
            for i in range(50):
                table.add_row(f"CS-{1000000 + i}", "P3", "In Progress", "Service down",
                              f"DIA 100 Mbps {i}", "3h")

    Bare().run()
    """
)


@dataclass
class Launched:
    proc: subprocess.Popen[bytes]
    master: int
    started: float
    output: bytearray

    def read(self, timeout: float) -> bytes:
        """What the app wrote within ``timeout`` seconds (drained, so it never blocks)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return b""
        self.output += data
        return data

    def wait_for(self, mark: bytes, limit: float = 60.0) -> float:
        """Seconds from launch until ``mark`` is in the output."""
        deadline = time.perf_counter() + limit
        while mark not in self.output:
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                tail = bytes(self.output[-400:])
                raise RuntimeError(f"{mark!r} never appeared; exit {self.proc.poll()}: {tail!r}")
            self.read(0.05)
        return time.perf_counter() - self.started

    def cpu_seconds(self) -> float:
        """User + system CPU of the process so far (from /proc)."""
        with open(f"/proc/{self.proc.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        """SIGTERM, as a closing terminal sends it, and read what the app writes as it exits
        (restoring the screen), as a terminal does: unread, a full pty blocks its exit, and
        the SIGKILL that follows skips its clean close (the store's WAL, its check record)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        deadline = time.perf_counter() + 5
        while self.proc.poll() is None and time.perf_counter() < deadline:
            self.read(0.05)
        try:
            self.proc.wait(0.1)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)


def launch(argv: list[str], env: dict[str, str]) -> Launched:
    """Start ``argv`` on a new pty of COLS x ROWS; the clock starts just before the fork."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    full_env = {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": str(COLS)}
    full_env.pop("TEXTUAL", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, start_new_session=True
    )
    os.close(slave)
    return Launched(proc, master, started, bytearray())


@dataclass
class Workspace:
    """Everything the real app needs to start as a user starts it."""

    root: Path
    env: dict[str, str]
    bare_script: Path

    def app(self, *extra: str) -> list[str]:
        """The app as a user starts it: the ``expereo-tui`` script pip installed beside this
        Python (``python -m`` adds runpy's imports, which that script does not pay)."""
        script = Path(sys.executable).with_name("expereo-tui")
        start = [str(script)] if script.is_file() else ["-m", "expereo_tui"]
        return [sys.executable, *start, "--profile", "bench", *extra]

    def bare(self) -> list[str]:
        return [sys.executable, str(self.bare_script)]


@contextlib.contextmanager
def workspace(root: Path, api_url: str, store_file: Path) -> Iterator[Workspace]:
    """XDG dirs under ``root``, a profile ``bench`` for the simulator at ``api_url`` and the
    warm store ``store_file`` copied in as that profile's database."""
    env = {
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "EXPEREO_CLIENT_SECRET": "bench-secret-do-not-log",
    }
    config = root / "config" / "expereo-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "[profiles.bench]\n"
        'client_id = "bench-client"\n'
        f'base_url = "{api_url}"\n'
        f'token_url = "{api_url}/oauth2/token"\n'
        "bell = false\n"
        "desktop_notifications = false\n"
    )
    env["EXPEREO_CONFIG"] = str(config)
    data = root / "data" / "expereo-tui"
    data.mkdir(parents=True)
    shutil.copy(store_file, data / "bench.sqlite3")
    bare = root / "bare_app.py"
    bare.write_text(BARE_APP)
    yield Workspace(root, env, bare)
