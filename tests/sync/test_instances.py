"""Several instances of one profile on a host: one polls, the others follow the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import CasesChanged
from tests.sim_fixtures import FakeClock, make_client

from .conftest import Recorder, wait_until


async def test_one_instance_polls_the_other_follows_and_takes_over(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, client: V2Client
) -> None:
    lock = tmp_path / "p.lock"
    settings = SyncSettings(poll_interval=0.05, active_poll_interval=0.05, watch_interval=0.01)
    a_events, b_events = Recorder(), Recorder()
    a = SyncEngine(
        Store(tmp_path / "p.sqlite3", clock=sim_clock),
        client,
        on_event=a_events.append,
        settings=settings,
        lock_path=lock,
        clock=sim_clock,
    )
    async with make_client(sim, sim_clock) as client_b:
        b = SyncEngine(
            Store(tmp_path / "p.sqlite3", clock=sim_clock),
            client_b,
            on_event=b_events.append,
            settings=settings,
            lock_path=lock,
            clock=sim_clock,
        )
        await a.start()
        await wait_until(lambda: a.polls >= 1)
        await b.start()
        await wait_until(lambda: b._watcher is not None)
        assert a.is_poller and not b.is_poller
        sim.step_activity(5)
        await wait_until(lambda: bool(b_events.of(CasesChanged)))
        assert b.polls == 0
        await a.stop()  # the holder goes away: b takes over
        await wait_until(lambda: b.is_poller and b.polls >= 1)
        await b.stop()


class Instance:
    """A child process running ``instance_main.py``: one command in, one JSON line out."""

    def __init__(self, url: str, folder: Path) -> None:
        script = Path(__file__).with_name("instance_main.py")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), url, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.last: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until the child answers (or exits)
        assert line, f"instance exited: {self.proc.wait()} {self.proc.stderr.read()}"  # type: ignore[union-attr]
        self.last = json.loads(line)
        return self.last

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def finish(self) -> tuple[int, str]:
        """Stopped: its exit code and everything it wrote to stderr."""
        _, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, err


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_processes_share_one_budget(tmp_path: Path) -> None:
    """Three processes, one profile, one live simulator: exactly one syncs and polls, the
    others follow the store without a request of their own; when it stops, exactly one other
    takes over with a single incremental poll.  No 429, every child exits cleanly.  Driven by
    commands and answers (no timer decides anything)."""
    sim = Simulator(SimConfig(seed=5, scale="small", client_id="c", client_secret="s"))
    with run_server(sim) as url:
        # the first syncs; the others start once it has (a follower's baseline is the store
        # it finds: one started mid-sync would take the next change for part of the sync)
        team = [Instance(url, tmp_path)]
        try:
            assert team[0].read()["ready"] and team[0].last["poller"]
            team += [Instance(url, tmp_path) for _ in range(2)]
            assert all(i.read()["ready"] for i in team[1:])
            [leader] = [i for i in team if i.last["poller"]]
            followers = [i for i in team if i is not leader]
            assert leader.last["polls"] == 1  # the first sync
            assert all(f.last["polls"] == 0 and f.last["requests"] == 0 for f in followers)

            for round_ in range(3):
                changed = {sim.data.cases[c]["id"] for c in _changed_by(sim, round_ + 2)}
                assert leader.ask("poll")["polls"] == round_ + 2
                for f in followers:  # they announce what the leader fetched
                    answer = f.ask("seen " + " ".join(sorted(changed)))
                    assert answer["requests"] == 0 and answer["polls"] == 0
            led = leader.ask("stop")
            assert led["stopped"] and led["polls"] == 4
            assert leader.finish() == (0, "")

            stopped_at = led["last_success"]  # (an heir may have polled already)
            assert stopped_at is not None
            answers = [f.ask(f"takeover {stopped_at}") for f in followers]
            [heir] = [f for f, a in zip(followers, answers, strict=True) if a["poller"]]
            [other] = [f for f in followers if f is not heir]
            # the heir shares the store: one incremental poll, one request, no first sync
            assert heir.last["polls"] == 1 and heir.last["requests"] == 1
            assert other.ask("stop")["requests"] == 0  # the one left never asked the API
            assert heir.ask("stop")["requests"] == 1
            assert other.finish() == (0, "") and heir.finish() == (0, "")
        finally:
            for i in team:
                if i.proc.poll() is None:
                    i.proc.kill()
                    i.proc.wait()
    assert sim.limiter.rejected == 0
    assert len(sim.request_log) == led["requests"] + 1  # the team made what one instance makes


def _changed_by(sim: Simulator, n: int) -> list[str]:
    """n live-activity events that change existing cases; returns those cases' ids."""
    ids: list[str] = []
    while len(ids) < n:
        before = {c: case["lastModifiedDate"] for c, case in sim.data.cases.items()}
        sim.step_activity(1)
        ids += [
            c
            for c, case in sim.data.cases.items()
            if c in before and case["lastModifiedDate"] != before[c] and c not in ids
        ]
    return ids
