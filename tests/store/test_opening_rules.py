"""The store's opening policy in this process (test_opening.py runs the read-only cases as another
user in a child process, where neither coverage nor mutmut sees them): SQLite refusing to
write opens the store read-only, an older schema is migrated in memory, a file that cannot
even get its -shm is read as immutable, and nothing on disk changes."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.files import UnsafePath
from expereo_tui.store import database
from expereo_tui.store.database import (
    NewerSchemaError,
    StoreFullError,
    StoreReadOnlyError,
    _Checked,
    _companions,
)
from expereo_tui.store.errors import SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_READONLY, StoreNotice
from expereo_tui.store.schema import SCHEMA_VERSION
from expereo_tui.store.store import CaseQuery, Store

from .test_opening import Disk, _files, _old_schema
from .test_store import _case


class Refusing:
    """Connections as a read-only mount gives them: opening the file to write fails with
    ``SQLITE_READONLY``; with ``no_shm``, a ``mode=ro`` open fails too (``SQLITE_CANTOPEN``:
    the -shm cannot be made) and only ``immutable=1`` opens."""

    def __init__(self, *, no_shm: bool = False) -> None:
        self.no_shm = no_shm
        self.targets: list[str] = []

    def connect(self, target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        self.targets.append(str(target))
        if str(target) != ":memory:" and "immutable=1" not in str(target):
            if not kwargs.get("uri") or (self.no_shm and "mode=ro" in str(target)):
                code = SQLITE_CANTOPEN if kwargs.get("uri") else SQLITE_READONLY
                err = sqlite3.OperationalError("attempt to write a readonly database")
                err.sqlite_errorcode = code
                raise err
        return sqlite3.connect(target, *args, **kwargs)


def _checks(path: Path, store: Store) -> None:
    """What a read-only store does: reads, an inbox, writes refused, drafts kept in memory."""
    assert store.read_only_notice == StoreNotice("read_only", path, reason="sqlite")
    assert store.problem is store.read_only_notice
    assert store.cases.case("CS-OLD") is not None
    assert store.drafts.load_draft("reply:CS-OLD") == {"text": "kept"}
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    assert store.cases.inbox_summary(CaseQuery()).total == 1
    with pytest.raises(StoreReadOnlyError):
        store.cases.upsert_cases([_case("CS-2", 0)])
    assert not store.retry_writes()  # opened read-only: it stays so until the next launch
    store.drafts.save_draft("reply:CS-OLD", {"text": "typed"})
    assert store.drafts.load_draft("reply:CS-OLD") == {"text": "typed"}


@pytest.mark.parametrize("version", [2, SCHEMA_VERSION])
def test_a_file_sqlite_will_not_write_opens_read_only(
    tmp_path: Path, version: int, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.sqlite3"
    _old_schema(path, version)
    before, data = _files(tmp_path), path.read_bytes()
    refusing = Refusing()
    with caplog.at_level(logging.WARNING, logger="expereo_tui.store.database"):
        store = Store(path, connect=refusing.connect)
    assert f"store {path} is read-only (sqlite)" in caplog.messages
    _checks(path, store)
    # an older schema is migrated in a copy in memory; the current one is read from the file
    reads_file = store.database.reader() is not None
    assert reads_file == (version == SCHEMA_VERSION)
    store.close()
    # nothing renamed or written (the open lock is made beside it: the folder takes writes)
    assert _files(tmp_path) - {"s.sqlite3.open-lock"} == before and path.read_bytes() == data


def test_a_file_that_cannot_get_its_shm_is_read_as_immutable(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)
    refusing = Refusing(no_shm=True)
    store = Store(path, connect=refusing.connect)
    _checks(path, store)
    assert refusing.targets[-1] == f"{path.resolve().as_uri()}?immutable=1"
    reader = store.database.reader()
    assert reader is not None
    assert reader.execute("SELECT id FROM cases").fetchall() == [("CS-OLD",)]
    reader.close()


def test_a_newer_file_that_cannot_be_written_still_stops(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(NewerSchemaError) as stopped:
        Store(path, connect=Refusing().connect)
    assert (stopped.value.path, stopped.value.version) == (path, SCHEMA_VERSION + 1)


def test_a_missing_file_in_a_place_sqlite_will_not_write_runs_from_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.sqlite3"
    store = Store(path, connect=Refusing().connect)
    assert store.read_only_notice is not None and store.read_only_notice.reason == "sqlite"
    assert store.cases.case_count() == 0 and store.database.reader() is None
    assert not path.exists()


class Refusable(sqlite3.Connection):
    """A connection whose writes a test can refuse, as a remount or a full disk does later."""

    refuse: int | None = None  # the SQLite error code to answer a write with

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if Refusable.refuse is not None and sql.startswith("BEGIN IMMEDIATE"):
            err = sqlite3.OperationalError(f"refused ({Refusable.refuse})")
            err.sqlite_errorcode = Refusable.refuse
            raise err
        return super().execute(sql, *args)


@pytest.fixture
def refusable(tmp_path: Path) -> Iterator[Store]:
    def connect(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        return sqlite3.connect(target, *args, factory=Refusable, **kwargs)

    Refusable.refuse = None
    yield Store(tmp_path / "late.sqlite3", clock=lambda: 1234.0, connect=connect)
    Refusable.refuse = None


def test_a_store_refusing_writes_later_takes_them_again_once_it_can(
    refusable: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store = refusable
    Refusable.refuse = SQLITE_READONLY
    with pytest.raises(StoreReadOnlyError):
        store.cases.upsert_cases([_case("CS-1", 0)])
    assert store.read_only_notice is not None and store.database.late_read_only
    assert not store.retry_writes()  # still refused: the notice stays
    assert store.read_only_notice is not None and store.read_only_notice.reason == "sqlite"
    Refusable.refuse = SQLITE_FULL  # now refused for lack of room: still not writable
    assert not store.retry_writes()
    assert store.read_only_notice is not None
    Refusable.refuse = None
    with caplog.at_level(logging.INFO, logger="expereo_tui.store.database"):
        assert store.retry_writes()
    assert store.read_only_notice is None and not store.database.late_read_only
    assert f"store {store.database.path} takes writes again" in caplog.messages
    store.cases.upsert_cases([_case("CS-1", 0)])
    assert store.cases.case_count() == 1


def test_a_full_disk_later_clears_once_a_write_succeeds(refusable: Store) -> None:
    store = refusable
    Refusable.refuse = SQLITE_FULL
    with pytest.raises(StoreFullError):
        store.cases.upsert_cases([_case("CS-1", 0)])
    assert store.database.full
    assert not store.retry_writes()
    Refusable.refuse = None
    assert store.retry_writes() and not store.database.full


def test_from_memory_to_the_file_once_there_is_room(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk at start: memory, said in the log; while still full the retry fails; then
    the file is opened under the same open lock as at start, and the inbox reads the file."""
    path = tmp_path / "full.sqlite3"
    disk = Disk()
    disk.limit = 1
    with caplog.at_level(logging.WARNING, logger="expereo_tui.store.database"):
        store = Store(path, connect=disk.connect)
    assert f"disk full: cannot open {path}; running from memory until it can" in caplog.messages
    store.cases.upsert_cases([_case("CS-MEM", 0)])
    store.cases.warm_inbox()
    assert store.cases.inbox_summary(CaseQuery()).total == 1
    assert not store.retry_writes()
    disk.clean()
    before = store.database.generation
    assert store.retry_writes() and store.problem is None
    # the move counts as a write of every row (then the probe writes): no stamp taken in
    # memory, an inbox index's among them, can be taken for the file's
    assert store.database.generation >= before + 2
    assert _files(tmp_path) == {p.name for p in _companions(path)} | {"full.sqlite3.open-lock"}
    assert store.cases.inbox_summary(CaseQuery()).total == 0  # the file's cases, not memory's


def test_a_newer_file_in_a_folder_we_may_not_write_still_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only path checks the version too (the check before it needs a writable place:
    here the folder is reported unwritable, as it is to a user other than root)."""
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path)
    with pytest.raises(NewerSchemaError) as stopped:
        Store(path)
    assert (stopped.value.path, stopped.value.version) == (path, SCHEMA_VERSION + 1)


# -- the open check, and the record that spares it (store/database.py's _Checked) ----------------
class Checks:
    """Connections that count the integrity checks run on them."""

    def __init__(self) -> None:
        self.count = 0

    def connect(self, target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = sqlite3.connect(target, *args, **kwargs)
        db.set_trace_callback(self._statement)
        return db

    def _statement(self, sql: str) -> None:
        self.count += "quick_check" in sql.lower()


def _opened(path: Path, clock: float | None = None) -> int:
    """Open the store as the app does, close it; how many checks ran."""
    checks = Checks()
    store = Store(path, connect=checks.connect, clock=None if clock is None else lambda: clock)
    store.cases.case_count()
    store.close()
    return checks.count


def _used(path: Path) -> None:
    store = Store(path)
    store.cases.upsert_cases([_case("CS-1", 0)])
    store.close()


def test_a_file_left_as_a_clean_close_left_it_is_not_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    record = path.with_name("s.sqlite3.checked")
    assert record.exists() and record.stat().st_mode & 0o777 == 0o600
    assert _opened(path) == 0
    assert _opened(path) == 0  # and again: each clean close vouches for the next open


def test_a_file_changed_after_the_close_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    other = sqlite3.connect(path)  # another program's write (or a restored copy, a dd)
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("UPDATE cases SET subject = 'changed'")
    other.commit()
    other.close()
    assert _opened(path) == 1


def test_a_file_of_another_size_is_checked_even_with_the_same_time(tmp_path: Path) -> None:
    """An older copy put back with its times kept (cp -p, rsync -t, tar)."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    info = path.stat()
    with path.open("ab") as f:
        f.write(b"\0" * 4096)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert _opened(path) == 1


def test_a_write_by_another_process_after_the_close_is_checked(tmp_path: Path) -> None:
    """The close empties the WAL into the file and vouches for it; a process still holding the
    file that writes afterwards (its frames in the WAL) and dies: the next open checks."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    first = Store(path)  # takes the record: it vouches for one open only
    assert _opened(path) == 1
    other = sqlite3.connect(path)
    other.execute("SELECT count(*) FROM cases")
    first.cases.upsert_cases([_case("CS-2", 1)])
    first.close()
    assert path.with_name("s.sqlite3.checked").exists()
    other.execute("UPDATE cases SET subject = 'after the close'")
    other.commit()  # in the WAL; then the process dies (never closes)
    assert _opened(path) == 1
    other.close()


def test_a_process_that_dies_leaves_no_record(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    Store(path)  # never closed (killed)
    assert not path.with_name("s.sqlite3.checked").exists()
    assert _opened(path) == 1


def test_a_record_vouches_for_a_day_then_the_file_is_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    assert _opened(path, clock=1_000_000.0) == 0  # a new file: nothing to check
    assert _opened(path, clock=1_000_000.0 + 23 * 3600) == 0
    assert _opened(path, clock=1_000_000.0 + 24 * 3600) == 1  # the last check: a day ago
    assert _opened(path, clock=1_000_000.0 + 25 * 3600) == 0
    assert _opened(path, clock=1_000_000.0) == 1  # a record from the future: not believed


def test_a_record_written_this_very_instant_vouches_for_the_file(tmp_path: Path) -> None:
    """A clock that has not moved since the last close (a coarse one): checked "now" is
    within the last day."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    assert _opened(path, clock=1_000_000.0) == 1  # the record is of the real clock: not believed
    assert _opened(path, clock=1_000_000.0) == 0


def test_a_damaged_or_foreign_record_is_not_believed(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    record = path.with_name("s.sqlite3.checked")
    _used(path)
    record.write_text("garbage\n")
    assert _opened(path) == 1
    text = record.read_text()
    size, mtime, inode, when = text.split()
    record.write_text(f"{int(size) + 1} {mtime} {inode} {when}\n")
    assert _opened(path) == 1
    record.unlink()
    target = tmp_path / "elsewhere"
    target.write_text(text)
    record.symlink_to(target)  # never followed, never written through
    assert _opened(path) == 1
    assert target.read_text() == text and record.is_symlink()


def test_a_write_in_the_same_tick_as_the_close_is_still_seen(tmp_path: Path) -> None:
    """The file's time of change moves a tick back at the close: a write right after it (in
    the same tick of the kernel's clock) still changes it."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    before = path.stat().st_mtime_ns
    assert before <= time.time_ns() - 20_000_000  # a tick or more back
    with path.open("r+b") as f:  # at once, as `dd` would
        f.seek(200)
        f.write(b"\0")
    assert path.stat().st_mtime_ns != before
    assert _opened(path) == 1


def test_a_file_whose_time_is_in_whole_seconds_is_never_vouched_for(tmp_path: Path) -> None:
    """A file system that keeps whole seconds (FAT, some network mounts) cannot show a write in
    the same second: such a file is checked at every open."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    path.with_name("s.sqlite3.checked").unlink()
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    _Checked(path).write(time.time())
    assert not path.with_name("s.sqlite3.checked").exists()
    assert _opened(path) == 1


def test_a_store_closed_while_another_still_has_the_file_vouches_for_it(tmp_path: Path) -> None:
    """The close moves its writes from the WAL into the file and empties the WAL, though another
    instance still has the file open (idle): the file as it stands is vouched for."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    other = Store(path)  # (it takes the record: a record vouches for one open)
    first = Store(path)
    first.cases.upsert_cases([_case("CS-2", 1)])
    first.close()
    assert path.with_name("s.sqlite3-wal").stat().st_size == 0
    assert _opened(path) == 0
    other.close()


def test_the_last_store_to_close_leaves_its_record_alone(tmp_path: Path) -> None:
    """Two instances close in turn: the second's record replaces the first's, whatever their
    lengths (the first's time is written longer here)."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    record = path.with_name("s.sqlite3.checked")
    record.unlink()
    first = Store(path, clock=lambda: 1_000_000.125)
    second = Store(path, clock=lambda: 1_000_100.5)
    first.close()
    assert record.read_text().endswith(" 1000000.125\n")
    second.close()
    assert record.read_text().endswith(" 1000100.5\n")
    assert len(record.read_text().splitlines()) == 1
    assert _opened(path, clock=1_000_200.0) == 0


def test_the_record_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    record = path.with_name("s.sqlite3.checked")
    record.unlink()
    old = os.umask(0)
    try:
        _Checked(path).write(time.time())
    finally:
        os.umask(old)
    assert record.stat().st_mode & 0o777 == 0o600


def test_a_record_that_cannot_be_written_is_said_in_the_debug_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    record = path.with_name("s.sqlite3.checked")
    record.unlink()
    record.symlink_to(tmp_path / "elsewhere")
    with caplog.at_level(logging.DEBUG, logger="expereo_tui.store.database"):
        _Checked(path).write(time.time())
    assert [r.getMessage() for r in caplog.records] == [
        f"store {path}: no check record (refusing the store {record}: it is a symbolic link; "
        f"remove it (rm {record}))"
    ]
    assert not (tmp_path / "elsewhere").exists()


def test_a_close_whose_checkpoint_fails_still_closes(tmp_path: Path) -> None:
    """A checkpoint that fails (here: refused) never stops the close."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    store = Store(path)
    store.cases.upsert_cases([_case("CS-2", 1)])

    def no_checkpoint(action: int, arg1: str | None, *_: object) -> int:
        refused = action == sqlite3.SQLITE_PRAGMA and arg1 == "wal_checkpoint"
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

    store.database.conn.set_authorizer(no_checkpoint)
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):  # closed
        store.database.conn.execute("SELECT 1")


def test_a_store_folder_others_can_write_in_is_refused_as_the_stores(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(UnsafePath, match=f"^refusing the store folder {folder}: others can write"):
        Store(folder / "s.sqlite3")
    assert list(folder.iterdir()) == []


def test_a_close_waits_a_moment_at_most_for_another_process_reading(tmp_path: Path) -> None:
    """Emptying the WAL waits for readers: a reader that stays (another process's long read)
    holds the close up for a moment only; the WAL then stays, and nothing is vouched for."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    said: list[str] = []

    def connect(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = sqlite3.connect(target, *args, **kwargs)
        db.set_trace_callback(said.append)
        return db

    store = Store(path, connect=connect)
    store.cases.upsert_cases([_case("CS-2", 1)])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchone()  # a snapshot held
    store.cases.upsert_cases([_case("CS-3", 2)])  # after the reader's snapshot
    said.clear()
    store.close()
    # the busy timeout (5 s) is set down to a moment before the checkpoint waits on the reader
    assert said == ["PRAGMA busy_timeout = 100", "PRAGMA wal_checkpoint(TRUNCATE)"]
    assert not path.with_name("s.sqlite3.checked").exists()
    reader.execute("COMMIT")
    reader.close()
    assert _opened(path) == 1


# -- what the opening tells the user, and the checks it must not skip ---------------------------
def _freelist_miscounted(path: Path) -> None:
    """A damage SQLite still reads but ``quick_check`` finds: the header counts five free pages
    where there are none."""
    with path.open("r+b") as f:
        f.seek(36)  # the header's count of free pages
        f.write((5).to_bytes(4, "big"))


def test_a_store_opens_with_no_problem(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    assert store.problem is None and store.notice is None
    store.close()
    store = Store(path)
    assert store.problem is None and store.notice is None
    store.close()


@pytest.mark.parametrize("refused", ["file", "folder"])
def test_a_file_or_folder_we_may_not_write_is_opened_read_only_and_says_which(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    refused: str,
) -> None:
    """As test_opening.py's read-only tests, in this process: the access asked is refused
    (root may write anything) for writing the file, or for writing in and entering the folder."""
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)
    before = _files(tmp_path)
    refused_path = path if refused == "file" else tmp_path
    real_access = os.access

    def access(p: Any, mode: int) -> bool:
        if Path(p) == refused_path and mode & os.W_OK:
            return False
        return real_access(p, mode)

    monkeypatch.setattr(os, "access", access)
    with caplog.at_level(logging.WARNING, logger="expereo_tui.store.database"):
        store = Store(path)
    assert store.read_only_notice == StoreNotice("read_only", path, reason=refused)
    assert f"store {path} is read-only ({refused})" in caplog.messages
    assert store.cases.case("CS-OLD") is not None
    store.close()
    assert _files(tmp_path) == before  # no open lock, no WAL, no record


def test_a_folder_we_may_write_in_but_not_enter_is_opened_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)
    real_access = os.access

    def access(p: Any, mode: int) -> bool:
        return not (Path(p) == tmp_path and mode & os.X_OK) and real_access(p, mode)

    monkeypatch.setattr(os, "access", access)
    store = Store(path)
    assert store.read_only_notice == StoreNotice("read_only", path, reason="folder")
    store.close()


def test_a_symbolic_link_beside_the_store_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    wal = tmp_path / "s.sqlite3-wal"
    wal.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePath) as refused:
        Store(path)
    assert str(refused.value) == (
        f"refusing the store {wal}: it is a symbolic link; remove it (rm {wal})"
    )


def test_a_reset_says_how_many_drafts_and_queued_writes_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    store.drafts.save_draft("reply:CS-1", {"text": "half a reply"})
    store.drafts.save_draft("new", {"subject": "a new case"})
    store.enqueue("reply", {"message": "sent later"}, case_id="CS-2")
    store.close()
    store = Store(path, clock=lambda: 9.0, reset=True)
    assert store.notice == StoreNotice("reset", tmp_path / "s.sqlite3.reset-9", drafts=2, writes=1)
    store.close()


class MigratedMeanwhile(sqlite3.Connection):
    """The store's connection, while another program (one that takes no open lock) migrates
    the file to a newer schema between the store's check and its migration."""

    path: Path | None = None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if "journal_mode" in sql.lower() and MigratedMeanwhile.path is not None:
            other = sqlite3.connect(MigratedMeanwhile.path)
            other.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
            other.close()
            MigratedMeanwhile.path = None
        return super().execute(sql, *args)


def test_a_file_migrated_by_a_newer_version_while_opening_stops_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    _old_schema(path, 2)

    def connect(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        return sqlite3.connect(target, *args, factory=MigratedMeanwhile, **kwargs)

    MigratedMeanwhile.path = path
    with pytest.raises(NewerSchemaError) as stopped:
        Store(path, connect=connect)
    assert (stopped.value.path, stopped.value.version) == (path, SCHEMA_VERSION + 1)
    assert MigratedMeanwhile.path is None  # (the other program did run)


def test_no_room_for_the_open_lock_runs_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk can refuse the open lock's file first (an OSError, not SQLite's): that is a
    full disk too, not a crash."""
    path = tmp_path / "s.sqlite3"
    _old_schema(path, SCHEMA_VERSION)

    def no_room(name: Any, *args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device", str(name))

    monkeypatch.setattr(database, "open", no_room, raising=False)
    store = Store(path)
    assert store.problem == StoreNotice("disk_full", path)
    assert store.cases.case("CS-OLD") is not None  # what the file holds, from memory


def test_a_corrupt_file_is_said_in_the_log_with_what_sqlite_found(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "s.sqlite3"
    _used(path)
    _freelist_miscounted(path)
    with caplog.at_level(logging.WARNING, logger="expereo_tui.store.database"):
        store = Store(path, clock=lambda: 7.0)
    assert store.recovered_from == tmp_path / "s.sqlite3.corrupt-7"
    [said] = [m for m in caplog.messages if "corrupt" in m]
    assert said.startswith(f"database {path} is corrupt (")
    assert said.endswith("Main freelist: size is 0 but should be 5): setting it aside")


def test_a_file_the_early_check_cannot_open_is_checked_under_the_lock(tmp_path: Path) -> None:
    """The check before the open lock reads the file through a read-only connection; when that
    cannot be had, the file is checked in full under the lock, not taken as sound."""
    path = tmp_path / "s.sqlite3"
    _used(path)
    path.with_name("s.sqlite3.checked").unlink()
    _freelist_miscounted(path)

    def connect(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if "mode=ro" in str(target):
            err = sqlite3.OperationalError("unable to open database file")
            err.sqlite_errorcode = SQLITE_CANTOPEN
            raise err
        return sqlite3.connect(target, *args, **kwargs)

    store = Store(path, clock=lambda: 8.0, connect=connect)
    assert store.recovered_from == tmp_path / "s.sqlite3.corrupt-8"
    store.close()


def test_moving_from_memory_to_the_file_checks_the_file(tmp_path: Path) -> None:
    """The file may have been damaged while the app ran from memory: the move checks it in full
    and sets it aside if it must, keeping the drafts typed meanwhile (they were lost: the rows
    rescued from memory were replaced by the damaged file's)."""
    path = tmp_path / "s.sqlite3"
    _old_schema(path)
    disk = Disk()
    disk.limit = 1
    store = Store(path, clock=lambda: 6.0, connect=disk.connect)
    assert store.problem == StoreNotice("disk_full", path)
    store.drafts.save_draft("new", {"subject": "typed while full"})
    _freelist_miscounted(path)
    disk.clean()
    assert store.retry_writes() and store.problem is None
    assert store.notice == StoreNotice(
        "recovered", tmp_path / "s.sqlite3.corrupt-6", drafts=2, writes=0
    )
    assert store.drafts.drafts() == {
        "reply:CS-OLD": {"text": "kept"},  # the file's, copied into memory at start
        "new": {"subject": "typed while full"},
    }
    store.close()


def test_a_store_refusing_writes_later_still_builds_its_inbox(refusable: Store) -> None:
    """Refused a write after it was opened writable, the store still reads the file: the
    inbox's index is built from it."""
    store = refusable
    store.cases.upsert_cases([_case("CS-1", 0)])
    Refusable.refuse = SQLITE_READONLY
    with pytest.raises(StoreReadOnlyError):
        store.cases.upsert_cases([_case("CS-2", 1)])
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    assert store.cases.inbox_summary(CaseQuery()).total == 1
