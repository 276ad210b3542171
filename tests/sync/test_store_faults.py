"""The sync engine over a store that cannot be written: a full disk pauses sync until writes
succeed again; a read-only store is never written (and the API is not polled for it)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.schema import MIGRATIONS
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import DISK_FULL_RETRY, SyncEngine
from expereo_tui.sync.events import SyncStatus
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
