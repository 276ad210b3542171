"""Opening the store when things are wrong: corrupt pages, a newer version, busy, a full disk,
a read-only file or folder, and file modes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.store.database import (
    NewerSchemaError,
    StoreBusyError,
    StoreFullError,
    StoreReadOnlyError,
)
from expereo_tui.store.schema import MIGRATIONS, SCHEMA_VERSION
from expereo_tui.store.store import CaseQuery, Store

from .test_store import _case, fill


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _with_drafts_and_writes(path: Path, sim: Simulator) -> tuple[list[str], Store]:
    """A filled store with two drafts and two queued writes; returns the writes' keys."""
    store = Store(path, clock=lambda: 100.0)
    fill(store, sim)
    store.drafts.save_draft("reply:CS-1", {"text": "half a reply"})
    store.drafts.save_draft("new", {"subject": "a new case"})
    keys = [
        store.enqueue("reply", {"message": "sent later"}, case_id="CS-2").idempotency_key,
        store.enqueue("update", {"priority": "P1"}, case_id="CS-3").idempotency_key,
    ]
    done = store.enqueue("reply", {"message": "already sent"}, case_id="CS-4")
    store.outbox.outbox_sent(done.id, result_id="M-1")
    return keys, store


def _corrupt_middle_page(path: Path) -> None:
    """What `dd` over the middle of the file does: one page of garbage, header intact."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    assert pages > 20, "the test needs a database of some size"
    with path.open("r+b") as f:
        f.seek(page_size * (pages // 2))
        f.write(b"\xa5" * page_size)


def test_corrupt_page_sets_aside_and_keeps_drafts_and_queued_writes(
    tmp_path: Path, sim: Simulator
) -> None:
    """A page of garbage in the middle is found at open (not later as a traceback): the file
    is set aside, and its drafts and unsent writes (same idempotency keys) are in the new one."""
    path = tmp_path / "p.sqlite3"
    keys, store = _with_drafts_and_writes(path, sim)
    store.close()
    _corrupt_middle_page(path)

    store = Store(path, clock=lambda: 500.0)
    notice = store.notice
    assert notice is not None and notice.code == "recovered"
    assert notice.path == tmp_path / "p.sqlite3.corrupt-500" and notice.path.exists()
    assert store.recovered_from == notice.path
    assert (notice.drafts, notice.writes) == (2, 2)
    assert store.drafts.drafts() == {
        "reply:CS-1": {"text": "half a reply"},
        "new": {"subject": "a new case"},
    }
    assert [e.idempotency_key for e in store.outbox.outbox()] == keys
    assert store.cases.query_cases(CaseQuery(), limit=5) == []  # cases come back with the next sync
    store.cases.upsert_cases([_case("CS-1", 0)])
    assert store.cases.case_count() == 1


def test_garbage_header_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = Store(path, clock=lambda: 42.0)
    assert store.recovered_from == tmp_path / "bad.sqlite3.corrupt-42"
    assert store.recovered_from.read_bytes().startswith(b"this is not")


def test_healthy_database_is_never_set_aside(tmp_path: Path, sim: Simulator) -> None:
    path = tmp_path / "ok.sqlite3"
    _, store = _with_drafts_and_writes(path, sim)
    cases = store.cases.case_count()
    store.close()
    store = Store(path)
    assert store.notice is None and store.cases.case_count() == cases
    assert not [n for n in _files(tmp_path) if ".corrupt-" in n]


def test_newer_version_stops_and_stays_put(tmp_path: Path) -> None:
    """A file from a newer version is not moved (nor changed) unless --reset-store asks."""
    path = tmp_path / "new.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE drafts (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL)")
    db.execute("""INSERT INTO drafts VALUES ('new', '{"subject": "x"}', 1)""")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError) as caught:
        Store(path)
    assert caught.value.version == SCHEMA_VERSION + 5 and caught.value.path == path
    assert path.read_bytes() == before
    assert _files(tmp_path) == {"new.sqlite3"}  # nothing created beside it either

    store = Store(path, clock=lambda: 9.0, reset=True)
    assert store.notice is not None and store.notice.code == "reset"
    assert store.notice.path == tmp_path / "new.sqlite3.reset-9"
    assert store.notice.path.read_bytes() == before
    assert store.drafts.drafts() == {"new": {"subject": "x"}}


def _old_schema(path: Path, version: int = 2) -> None:
    db = sqlite3.connect(path)
    for number, migration in enumerate(MIGRATIONS[:version]):
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute(
        "INSERT INTO cases (id, last_modified, raw) VALUES ('CS-OLD', '2026', ?)",
        ('{"id": "CS-OLD"}',),
    )
    db.execute("""INSERT INTO drafts VALUES ('reply:CS-OLD', '{"text": "kept"}', 1)""")
    db.commit()
    db.close()


def test_busy_is_never_corruption(tmp_path: Path) -> None:
    """Another process holding the file longer than the timeout: a busy error, no rename."""
    path = tmp_path / "busy.sqlite3"
    _old_schema(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusyError) as busy:
            Store(path, busy_timeout=0.1)
        # the user is told which file (its path); the error keeps SQLite's words
        assert (busy.value.path, busy.value.detail) == (path, "database is locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not [n for n in _files(tmp_path) if ".corrupt-" in n]
    store = Store(path)
    assert store.notice is None and store.drafts.load_draft("reply:CS-OLD") == {"text": "kept"}


# -- a full disk: SQLITE_FULL from a page limit on every connection ----------------------------
class Disk:
    """Connections to files with a page limit that the test lowers and raises, as a disk
    fills up and is cleaned; in-memory connections are not limited."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.connections: list[sqlite3.Connection] = []

    def connect(self, target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = sqlite3.connect(target, *args, **kwargs)
        if str(target) != ":memory:":
            self.connections.append(db)
            if self.limit is not None:
                db.execute(f"PRAGMA max_page_count = {self.limit}")
        return db

    def fill(self) -> None:
        """No more room than the files already take."""
        self.limit = 1
        for db in self.connections:
            try:
                db.execute("PRAGMA max_page_count = 1")  # clamps to the current size
            except sqlite3.ProgrammingError:
                pass  # closed

    def clean(self) -> None:
        self.limit = None
        for db in self.connections:
            try:
                db.execute("PRAGMA max_page_count = 1073741823")
            except sqlite3.ProgrammingError:
                pass


def test_disk_full_during_writes_keeps_drafts_and_recovers(tmp_path: Path) -> None:
    disk = Disk()
    path = tmp_path / "f.sqlite3"
    store = Store(path, connect=disk.connect)
    store.cases.upsert_cases([_case("CS-1", 0)])
    disk.fill()
    big = "x" * 20_000  # needs new pages
    store.drafts.save_draft("reply:CS-1", {"text": big})
    assert store.problem is not None and store.problem.code == "disk_full"
    assert store.problem.path == path
    assert store.drafts.load_draft("reply:CS-1") == {"text": big}  # kept in memory
    assert store.drafts.drafts() == {"reply:CS-1": {"text": big}}
    with pytest.raises(StoreFullError):
        store.cases.upsert_cases([_case(f"CS-{i}", i, subject=big) for i in range(2, 20)])
    assert store.cases.case_count() == 1  # the failed write left nothing half-done
    assert not store.retry_writes()

    disk.clean()
    assert store.retry_writes()
    assert store.problem is None and store.drafts.waiting == 0
    other = sqlite3.connect(path)
    assert other.execute("SELECT data FROM drafts").fetchall() == [(f'{{"text": "{big}"}}',)]


def test_disk_full_at_start_runs_from_memory_then_moves_to_the_file(tmp_path: Path) -> None:
    """A new (or older-schema) database that cannot be created: the app runs from memory,
    says "disk full", and once there is room the drafts typed meanwhile land in the file."""
    path = tmp_path / "start.sqlite3"
    _old_schema(path)
    disk = Disk()
    disk.limit = 1
    store = Store(path, connect=disk.connect)
    assert store.problem is not None and store.problem.code == "disk_full"
    assert store.cases.case("CS-OLD") is not None  # what the file holds is shown meanwhile
    store.drafts.save_draft("new", {"subject": "typed while full"})
    assert not store.retry_writes()
    disk.clean()
    assert store.retry_writes() and store.problem is None
    store.close()
    store = Store(path)
    assert store.drafts.drafts() == {
        "reply:CS-OLD": {"text": "kept"},
        "new": {"subject": "typed while full"},
    }


# -- read-only: run as an unprivileged user, since root may write anything ----------------------
@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder the other user can reach: not under pytest's own temporary folder, whose
    ``pytest-of-root`` each xdist worker sets back to 0700 when it starts (the other user's
    child then failed at random, with "permission denied", while the other worker started)."""
    folder = Path(tempfile.mkdtemp(prefix="expereo-ro-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        for p in (folder, *folder.rglob("*")):
            if p.is_dir():
                p.chmod(0o700)  # (a read-only folder cannot be emptied)
        shutil.rmtree(folder)


def _as_other_user(folder: Path, body: Callable[[], None]) -> None:
    """Run ``body`` in a child process; as root, it runs as ``nobody`` owning ``folder``."""
    if os.geteuid() != 0:
        body()
        return
    nobody = 65534
    os.chown(folder, nobody, nobody)
    for p in folder.rglob("*"):
        os.chown(p, nobody, nobody)
    for parent in folder.parents:  # the test's tmp dirs are 0700 root: let nobody through
        if parent.stat().st_uid == 0 and not parent.stat().st_mode & stat.S_IXOTH:
            parent.chmod(parent.stat().st_mode | stat.S_IXOTH)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            os.setgid(nobody)
            os.setuid(nobody)
            body()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the check failed in the child (see stderr)"


def _read_only_checks(folder: Path, path: Path, reason: str) -> None:
    before = _files(folder)
    store = Store(path)
    assert store.read_only_notice is not None and store.read_only_notice.reason == reason
    assert store.problem is store.read_only_notice
    assert store.cases.case("CS-OLD") is not None and store.drafts.load_draft("reply:CS-OLD") == {"text": "kept"}
    store.cases.warm_inbox()
    assert store.cases.inbox_summary(CaseQuery()).total == 1
    with pytest.raises(StoreReadOnlyError):
        store.cases.upsert_cases([_case("CS-2", 0)])
    store.mark_read("CS-OLD")  # dropped, not a crash
    store.drafts.save_draft("reply:CS-OLD", {"text": "typed"})  # kept in memory
    assert store.drafts.load_draft("reply:CS-OLD") == {"text": "typed"}
    store.close()
    assert _files(folder) == before  # nothing renamed, nothing created


@pytest.mark.parametrize("version", [2, SCHEMA_VERSION])
def test_read_only_folder_opens_read_only(open_tmp: Path, version: int) -> None:
    folder = open_tmp / "ro"
    folder.mkdir()
    path = folder / "s.sqlite3"
    _old_schema(path, version)

    def body() -> None:
        folder.chmod(0o500)
        _read_only_checks(folder, path, "folder")

    _as_other_user(folder, body)


def test_read_only_file_opens_read_only(open_tmp: Path) -> None:
    folder = open_tmp / "rof"
    folder.mkdir()
    path = folder / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)

    def body() -> None:
        path.chmod(0o400)
        _read_only_checks(folder, path, "file")

    _as_other_user(folder, body)


def test_files_are_private(tmp_path: Path) -> None:
    """The database, its WAL and SHM are 0600 in a 0700 folder; looser modes are fixed."""
    folder = tmp_path / "data" / "expereo-tui"
    old = os.umask(0o022)
    try:
        store = Store(folder / "p.sqlite3")
        store.drafts.save_draft("new", {"subject": "x"})
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert modes["p.sqlite3"] == modes["p.sqlite3-wal"] == modes["p.sqlite3-shm"] == 0o600
        store.close()
        folder.chmod(0o755)
        (folder / "p.sqlite3").chmod(0o644)
        Store(folder / "p.sqlite3").close()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "p.sqlite3").stat().st_mode) == 0o600
    finally:
        os.umask(old)
