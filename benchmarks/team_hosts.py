"""Team-mode instances as separate hosts: each a process (``benchmarks/team_instance.py``) with
XDG homes of its own (config, data, state, cache), a config file whose one profile points at the
shared simulator and the team's PostgreSQL (``team_url``), the client secret and the team
password in its environment, never on its command line.  Used by ``benchmarks/team_bench.py``
and ``tests/team/test_hosts.py``."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "team"


class Host:
    """One instance: its process, the lines it wrote, its local store's file."""

    def __init__(self, name: str, proc: subprocess.Popen[str]) -> None:
        self.name = name
        self.proc = proc
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"host-{name}")
        self._reader.start()
        self._store: Path | None = None

    @property
    def store(self) -> Path:
        if self._store is None:
            line = self.wait_line(lambda s: s.startswith("store "), 60)
            self._store = Path(line.split(" ", 1)[1])
        return self._store

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, match: Callable[[str], bool], timeout: float, *, after: int = 0) -> str:
        """The first line (from index ``after``) that ``match``es, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[after:]:
                    if match(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = "\n  ".join(self.lines[-15:])
                    raise TimeoutError(
                        f"{self.name}: no such line in {timeout:g} s; last:\n  {tail}"
                    )
                self._cond.wait(min(left, 0.5))

    def states(self) -> list[str]:
        with self._cond:
            return [line for line in self.lines if line.startswith("state ")]

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def case_status(self, case_id: str) -> str | None:
        """The case's status in this instance's store, read read-only (None: not there)."""
        if not self.store.exists():
            return None
        try:
            db = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=5)
            try:
                row = db.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            return None
        return str(row[0]) if row else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self) -> None:
        """kill -9: no goodbye to PostgreSQL or anyone."""
        self.proc.kill()
        self.proc.wait(5)


def profile_text(api_url: str, client_id: str, team_url: str, poll_interval: float) -> str:
    return (
        f"[profiles.{PROFILE}]\n"
        f'base_url = "{api_url}"\n'
        f'token_url = "{api_url}/oauth2/token"\n'
        f'client_id = "{client_id}"\n'
        f"poll_interval = {poll_interval}\n"
        f'team_url = "{team_url}"\n'
    )


def start_host(
    base: Path,
    name: str,
    *,
    api_url: str,
    client_id: str,
    client_secret: str,
    team_url: str,
    team_password: str,
    poll_interval: float,
) -> Host:
    """A new host's homes under ``base/name`` and its instance started."""
    home = base / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXPEREO_", "XDG_"))}
    for kind in ("CONFIG", "DATA", "STATE", "CACHE"):
        folder = home / kind.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{kind}_HOME"] = str(folder)
    config = home / "config" / "expereo-tui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(profile_text(api_url, client_id, team_url, poll_interval))
    env["EXPEREO_CLIENT_SECRET_" + PROFILE.upper()] = client_secret
    env["EXPEREO_TEAM_PASSWORD"] = team_password
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.team_instance", PROFILE],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(home / "stderr.log", "w"),  # noqa: SIM115 - lives as long as the process
        text=True,
    )
    return Host(name, proc)


@contextlib.contextmanager
def hosts(base: Path, count: int, **kwargs: object) -> Iterator[list[Host]]:
    """``count`` hosts started at once (named h1..hN), all stopped on exit."""
    started: list[Host] = []
    try:
        for i in range(count):
            started.append(start_host(base, f"h{i + 1}", **kwargs))  # type: ignore[arg-type]
        yield started
    finally:
        for host in started:
            with contextlib.suppress(Exception):
                host.stop()


def role(host: Host) -> str | None:
    """The host's role as it last said (``leader``, ``follower``, ``offline``), None before."""
    with host._cond:
        for line in reversed(host.lines):
            if line.startswith("role "):
                return line.split()[1]
    return None
