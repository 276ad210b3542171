"""The sync engine over a store that cannot be written: a full disk pauses sync until writes
succeed again; a read-only store is never written (and the API is not polled for it)."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.schema import MIGRATIONS
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import DISK_FULL_RETRY, SyncEngine
from expereo_tui.sync.events import SyncStatus
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock
from tests.store.test_opening import Disk

from .conftest import Recorder, wait_until


async def test_disk_full_pauses_sync_and_resumes_by_itself(
    tmp_path: Path, sim: Simulator, client: V2Client, sim_clock: FakeClock
) -> None:
    disk = Disk()
    store = Store(tmp_path / "full.sqlite3", clock=sim_clock, connect=disk.connect)
    engine = SyncEngine(store, client, on_event=lambda e: None, clock=sim_clock)
    disk.fill()
    delay = await engine.poll_once()  # the first sync cannot be stored: no traceback
    assert delay == DISK_FULL_RETRY
    state = engine.state
    assert state.status == SyncStatus.PAUSED and state.message == "disk_full"
    problem = store.problem
    assert problem is not None and problem.code == "disk_full" and problem.path == store.path
    store.drafts.save_draft("reply:CS-1", {"text": "typed while the disk was full" * 200})
    requests = len(sim.request_log)
    assert await engine.poll_once() == DISK_FULL_RETRY  # still full: paused, the API is spared
    assert len(sim.request_log) == requests

    disk.clean()
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH and store.problem is None
    assert store.cases.case_count() == len(sim.data.cases)
    raw = sqlite3.connect(store.path).execute("SELECT data FROM drafts").fetchall()
    assert len(raw) == 1 and "typed while the disk was full" in raw[0][0]


def _read_only_media(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
    """Every file opened read-only, as on a read-only mount."""
    if kwargs.pop("uri", False) or target == ":memory:":
        return sqlite3.connect(target, *args, uri=True, **kwargs)
    return sqlite3.connect(f"{Path(target).resolve().as_uri()}?mode=ro", *args, uri=True, **kwargs)


async def test_read_only_store_is_shown_but_never_written(
    tmp_path: Path, sim: Simulator, client: V2Client, sim_clock: FakeClock, events: Recorder
) -> None:
    path = tmp_path / "ro.sqlite3"
    db = sqlite3.connect(path)
    for number, migration in enumerate(MIGRATIONS[:2]):  # an older schema: cannot migrate
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute("INSERT INTO cases (id, raw) VALUES ('CS-1', ?)", ('{"id": "CS-1"}',))
    db.commit()
    db.close()
    before = path.read_bytes()

    store = Store(path, clock=sim_clock, connect=_read_only_media)
    assert store.read_only_notice is not None and store.read_only_notice.reason == "sqlite"
    assert store.cases.case("CS-1") is not None
    engine = SyncEngine(store, client, on_event=events.append, clock=sim_clock)
    await engine.start()
    try:
        await wait_until(lambda: engine.state.message == "store_read_only")
        assert engine.state.status == SyncStatus.PAUSED
    finally:
        await engine.stop()
    assert len(sim.request_log) == 0
    assert path.read_bytes() == before


def test_poll_lock_file_is_private(tmp_path: Path) -> None:
    from expereo_tui.sync.lock import PollLock

    old = os.umask(0o022)
    try:
        lock = PollLock(tmp_path / "d" / "p.lock")
        assert lock.try_acquire()
        assert stat.S_IMODE((tmp_path / "d" / "p.lock").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
        lock.release()
    finally:
        os.umask(old)


async def test_read_only_found_while_syncing_stops_the_writes(
    tmp_path: Path, sim: Simulator, client: V2Client, sim_clock: FakeClock, events: Recorder
) -> None:
    """A store that opened writable but refuses the first write (a mount gone read-only):
    no traceback, the store says read-only, the engine stops polling."""
    path = tmp_path / "late.sqlite3"
    Store(path).close()  # current schema, nothing to migrate: opens without writing
    store = Store(path, clock=sim_clock, connect=_read_only_media)
    assert store.read_only_notice is None
    engine = SyncEngine(store, client, on_event=events.append, clock=sim_clock)
    await engine.poll_once()
    assert store.read_only_notice is not None and store.read_only_notice.reason == "sqlite"
    await engine.start()
    try:
        await wait_until(lambda: engine.state.message == "store_read_only")
        requests = len(sim.request_log)
        engine.refresh_now()
        await wait_until(lambda: engine.state.message == "store_read_only")
        assert len(sim.request_log) == requests
    finally:
        await engine.stop()


class Mount:
    """Connections whose file turns read-only and back while the app runs (a remount, an ACL
    change): SQLite answers SQLITE_READONLY to every write in between."""

    def __init__(self) -> None:
        self.connections: list[sqlite3.Connection] = []

    def connect(self, target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = sqlite3.connect(target, *args, **kwargs)
        if str(target) != ":memory:":
            self.connections.append(db)
        return db

    def set_read_only(self, on: bool) -> None:
        for db in self.connections:
            try:
                db.execute(f"PRAGMA query_only = {int(on)}")
            except sqlite3.ProgrammingError:
                pass  # closed


@pytest.mark.reliability(
    fault="the store turns read-only while the app runs (a remount, an ACL change)",
    sees="sync paused (store read-only); it resumes by itself once writes work again",
    data="what was stored stays readable; nothing is written meanwhile",
    shows="store_read_only",
)
async def test_a_store_that_turns_read_only_while_running_clears_when_writable_again(
    tmp_path: Path,
    sim: Simulator,
    client: V2Client,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    """#28 item 6: every transient state clears when its cause does.  A store found read-only
    while running (not at launch) pauses sync, and sync resumes by itself once writes work."""
    mount = Mount()
    store = Store(tmp_path / "m.sqlite3", clock=sim_clock, connect=mount.connect)
    engine = SyncEngine(store, client, on_event=lambda e: None, clock=sim_clock)
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    mount.set_read_only(True)
    sim.step_activity(5)
    await engine.poll_once()
    assert engine.state.message == "store_read_only" and store.problem is not None
    reliability.check(engine.state.message or "")
    assert not store.retry_writes()  # still read-only: stays so
    mount.set_read_only(False)
    assert store.retry_writes()
    assert store.problem is None and store.read_only_notice is None
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH


@pytest.mark.reliability(
    fault="an API outage, then the token refused (the key rotated), then both fixed",
    sees="OFFLINE, then UNAUTHORISED; each clears at the next good poll",
    data="local data stays readable throughout",
    shows="offline unauthorised fresh",
)
async def test_offline_and_a_refused_token_clear_when_their_cause_does(
    tmp_path: Path,
    sim: Simulator,
    client: V2Client,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    store = Store(tmp_path / "o.sqlite3", clock=sim_clock)
    engine = SyncEngine(store, client, on_event=lambda e: None, clock=sim_clock)
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    seen: list[str] = []
    sim.faults.outage = True
    await engine.poll_once()
    assert engine.state.status == SyncStatus.OFFLINE
    seen.append(engine.state.status.value)
    sim.faults.outage = False
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    issuer = sim.world.issuer
    real = issuer.clients[sim.client_id]
    issuer.clients[sim.client_id] = dataclasses.replace(real, secret="rotated")  # key rotated
    issuer.expire_all()
    await engine.poll_once()
    assert engine.state.status == SyncStatus.UNAUTHORISED
    seen.append(engine.state.status.value)
    issuer.clients[sim.client_id] = real  # the operator put the key back
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    seen.append(engine.state.status.value)
    reliability.check(" ".join(seen))
