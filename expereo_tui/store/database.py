"""The store's database: one SQLite connection (WAL), its lock, transactions, change stamp, and
the way it is opened.

Opening is where a shared file can go wrong, so it is careful:

- Several instances may start at once.  Checking, setting aside and migrating happen under an
  exclusive advisory lock on ``<db>.open-lock`` (and each migration in ``BEGIN EXCLUSIVE``), so
  a migration runs once and nothing is renamed because of a race.  Busy is never corruption.
- A database is set aside only when SQLite says it is corrupt (not a database, malformed, or
  ``PRAGMA quick_check`` fails).  The check runs at every open but one: a file exactly as the
  last process to use it left it after a clean close (``<db>.checked``, see :class:`_Checked`),
  checked within the last day.  On 100,000 cases it takes ~300 ms of a launch.  The drafts and queued writes that can still be read are copied
  into the fresh one first (see :mod:`.recovery`).
- A database written by a newer version raises :class:`NewerSchemaError`; it is moved only when
  asked (``reset=True``, the CLI's ``--reset-store``).
- A file or folder we may not write is opened read-only (:attr:`Database.read_only_notice`); nothing is
  renamed or created.
- A full disk does not stop the app: at start it runs from memory until the file can be opened,
  later a write raises :class:`StoreFullError` and :attr:`Database.full` says so until a write
  succeeds again.
- Files are private: the database, its WAL and SHM are 0600, the folder 0700.

Nothing here writes a sentence for people: problems are codes and paths (:class:`StoreNotice`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from expereo_tui.files import check_file, private_dir

from .errors import (
    SQLITE_BUSY,
    SQLITE_CANTOPEN,
    SQLITE_CORRUPT,
    SQLITE_LOCKED,
    SQLITE_READONLY,
    NewerSchemaError,
    StoreBusyError,
    StoreError,
    StoreFullError,
    StoreNotice,
    StoreReadOnlyError,
    error_code,
    is_corrupt,
    is_full,
)
from .recovery import Rescued, copy_rescued, rescue, set_aside
from .schema import SCHEMA_VERSION, FutureSchemaError, add_functions, migrate

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: SQLite's page cache per connection, in KiB: a fixed bound, because a store on a NOC wall runs
#: for days and the cache grows to this size as the file does (at 32 MB a large account's store,
#: 67 MB on disk, filled it within a day: the wall's RSS grew by as much).  512 KiB: the inbox
#: filters, sorts and counts from memory (store/inbox_index.py), so SQL reads a page of rows by
#: id, a thread, an inventory list, and a scan (the header's counts) outgrows any of these bounds
#: on a large store anyway.  Measured on the large and xl (100,000 cases) stores: with 8, 4 or
#: 2 MB each of those took the same time (a page by id 0.7-0.9 ms, a thread 0.4-0.6 ms; the open
#: inbox's first page before the index is warm 2.8 vs 4.6 ms on large), while 8 MB held 6-7 MB
#: more of the app after a large account's first sync.  2 MB → 512 KiB (issue 30):
#: ``store_bench``'s queries the same within noise (runs at 1 MB and 512 KiB interleaved: each
#: ratio to its baseline within ±0.8; a 100-message page of a 10,000-message thread 0.8 →
#: 0.9 ms), and ``memory_bench large`` ~1.5 MB lower.  The wall reads once per poll, in a
#: thread, and is Python's work (a 72-hour soak: 2 MB stays at 2.6 MB from the first hour).
CACHE_KIB = 512


def private_file(path: Path, mode: int = 0o600) -> None:
    """Take group/other bits off a file (never adds owner bits: a read-only file stays so)."""
    try:
        current = path.stat().st_mode & 0o777
        if current & ~mode:
            path.chmod(current & mode)
    except OSError:
        pass  # missing, or not ours: nothing we may do about it


def _companions(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


#: how long the close waits for another connection's read before it empties the WAL (ms)
CLOSE_WAIT_MS = 100
#: how long a clean close vouches for a file: after that, the next open checks it again
CHECK_EVERY = 24 * 3600.0
#: a file's time of change comes from the kernel's coarse clock (a tick, ~4 ms, behind), so a
#: write in the same tick as the close would leave it as it was: the record first sets the
#: file's time this far back (never forward), and any later write then changes it
_TICK_NS = 20_000_000


class _Checked:
    """``<db>.checked``: the file as a clean close left it (size, time of change, inode) and
    when it was last checked.  It vouches for the file only while nothing has touched it: any
    write since (ours go to the WAL, which the check also refuses; a checkpoint, a copy, a
    `dd`) changes its time.  Taken (read and removed) at open, so a process that dies leaves
    none, and written by the last connection to close."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".checked")
        self.db_path = db_path

    def _state(self) -> str | None:
        """The file as it is now, or None if it cannot be vouched for."""
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        try:
            if wal.exists() and wal.stat().st_size:  # writes not in the file yet
                return None
            info = self.db_path.stat()
        except OSError:
            return None
        if info.st_mtime_ns % 1_000_000_000 == 0:  # whole seconds: too coarse to tell
            return None
        return f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"

    def take(self, now: float) -> float | None:
        """When the file was last checked, if the record vouches for it as it is; removes it."""
        try:
            check_file(self.path, "store")
            text = self.path.read_text()
            self.path.unlink()
        except (OSError, UnicodeError):
            return None
        state, _, checked_at = text.strip().rpartition(" ")
        try:
            when = float(checked_at)
        except ValueError:
            return None
        if state != self._state() or not now - CHECK_EVERY < when <= now:
            return None
        return when

    def write(self, checked_at: float) -> None:
        """Vouch for the file as it is, checked at ``checked_at`` (after the last close)."""
        try:
            info = self.db_path.stat()
            back = min(info.st_mtime_ns, time.time_ns() - _TICK_NS)
            if back != info.st_mtime_ns:
                os.utime(self.db_path, ns=(info.st_atime_ns, back))
            state = self._state()
            if state is None:
                return
            check_file(self.path, "store")
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(f"{state} {checked_at!r}\n")
        except OSError as exc:
            log.debug("store %s: no check record (%s)", self.db_path, exc)


class _OpenLock:
    """An exclusive advisory lock held while the database is checked and migrated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> _OpenLock:
        if fcntl is not None:
            old = os.umask(0o077)
            try:
                self._file = open(self.path, "a+")  # noqa: SIM115 - held until __exit__
            finally:
                os.umask(old)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            assert fcntl is not None
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Database:
    """One connection guarded by a lock (``check_same_thread=False``) so the engine may write
    from a worker thread while the UI reads.  Rows are :class:`sqlite3.Row` (read by name)."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], float] | None = None,
        reset: bool = False,
        busy_timeout: float = 5.0,
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect,
    ) -> None:
        """``connect`` opens every connection (a test wraps it to inject faults)."""
        self.path = Path(path)
        self._sqlite_connect = connect
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.generation = 0  # bumped by every write through this connection
        self.busy_timeout = busy_timeout
        self.notice: StoreNotice | None = None  # what happened at open, for the user
        self.read_only_notice: StoreNotice | None = None  # set when the store cannot be written
        self.late_read_only = False  # opened writable, then refused a write (a remount, an ACL)
        self.full = False  # the last write failed for lack of space
        self._in_memory = False  # running from memory until the file can be opened
        self._listeners: list[Callable[[], None]] = []
        self._rescued: Rescued | None = None  # read from a file being set aside, to copy over
        self._reader_uri: str | None = None  # how reader() connects to a read-only file
        self._checked = _Checked(self.path)
        self.checked_at: float | None = None  # when the file was last checked (None: not ours)
        self.conn = self._open(reset)

    # -- opening ----------------------------------------------------------------------------
    def _connect(self, target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
        db = self._sqlite_connect(
            target,
            check_same_thread=False,
            timeout=self.busy_timeout,
            isolation_level=None,
            uri=uri,
        )
        db.row_factory = sqlite3.Row
        add_functions(db)  # fold(): the search text's lower() for every letter
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            db.execute("PRAGMA temp_store = MEMORY")
            db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            db.close()
            raise
        return db

    def _unwritable(self) -> str | None:
        """Why the database cannot be written, as a reason code, or None."""
        if self.path.exists() and not os.access(self.path, os.W_OK):
            return "file"
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            return "folder"
        return None

    def _open(self, reset: bool) -> sqlite3.Connection:
        private_dir(self.path.parent, "store")
        for extra in _companions(self.path):  # ours, no symbolic link, in a folder of ours
            check_file(extra, "store")
            private_file(extra)
        reason = self._unwritable()
        if reason is not None:
            return self._open_read_only(reason)
        try:
            now = self.clock()
            vouched = self._checked.take(now)  # (of the file set aside, with reset)
            # the long check runs outside the lock
            suspect = reset or (vouched is None and self._suspect())
            with _OpenLock(self.path.with_name(self.path.name + ".open-lock")):
                if reset and self.path.exists():
                    moved, drafts, writes = self._set_aside("reset")
                    self.notice = StoreNotice("reset", moved, drafts=drafts, writes=writes)
                conn = self._open_writable(full_check=suspect)
            self.checked_at = now if vouched is None else vouched
            return conn
        except sqlite3.Error as exc:
            code = error_code(exc)
            if code in (SQLITE_BUSY, SQLITE_LOCKED):
                raise StoreBusyError(self.path, str(exc)) from None
            if code in (SQLITE_READONLY, SQLITE_CANTOPEN):
                return self._open_read_only("sqlite")
            if is_full(exc):
                return self._open_in_memory()
            raise
        except FutureSchemaError as exc:  # a newer version migrated it while we waited
            raise NewerSchemaError(self.path, exc.version) from None
        except OSError as exc:
            if is_full(exc):
                return self._open_in_memory()
            raise

    def _suspect(self) -> bool:
        """Before taking the open lock (so that instances starting together check in
        parallel): False when the file is missing or passes :meth:`_check`; True when it must
        be checked again under the lock (corrupt, or the check could not finish)."""
        if not self.path.exists():
            return False
        try:
            db = self._sqlite_connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout
            )
        except sqlite3.Error:
            return True
        try:
            self._check(db)
        except sqlite3.Error:
            return True
        finally:
            db.close()
        return False

    def _open_writable(self, *, full_check: bool = True) -> sqlite3.Connection:
        """Under the open lock: check (``quick_check`` unless :meth:`_suspect` just passed
        it), set aside if corrupt, migrate."""
        old = os.umask(0o077)  # the database, WAL and SHM are created 0600
        try:
            db: sqlite3.Connection | None = None
            try:
                db = self._connect(self.path)
                self._check(db, quick=full_check)
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    db.close()
                if not is_corrupt(exc):
                    raise
                log.warning("database %s is corrupt (%s): setting it aside", self.path, exc)
                moved, drafts, writes = self._set_aside("corrupt")
                self.notice = StoreNotice("recovered", moved, drafts=drafts, writes=writes)
                db = self._connect(self.path)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                migrate(db)
                if self._rescued:
                    copy_rescued(db, self._rescued)
                    self._rescued = None
            except BaseException:
                db.close()
                raise
        finally:
            os.umask(old)
        for extra in _companions(self.path):
            private_file(extra)
        return db

    def _check(self, db: sqlite3.Connection, *, quick: bool = True) -> None:
        """Raise if the file is corrupt (sqlite3.DatabaseError) or newer than this version."""
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            db.close()
            raise NewerSchemaError(self.path, version)
        if not quick:
            return
        problems = [str(r[0]) for r in db.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            err = sqlite3.DatabaseError("; ".join(problems))
            err.sqlite_errorcode = SQLITE_CORRUPT
            raise err

    def _set_aside(self, why: str) -> tuple[Path, int, int]:
        """Rescue what can be read, then rename the file (and its WAL/SHM) out of the way.
        Moving from memory (:meth:`retry`), what memory holds is kept instead: the file's rows
        were copied into it at start, and the drafts and writes made since are only there."""
        if self._rescued is None:
            self._rescued = rescue(self.path)
        moved = set_aside(self.path, why, int(self.clock()))
        return moved, len(self._rescued.drafts), len(self._rescued.outbox)

    def _open_read_only(self, reason: str) -> sqlite3.Connection:
        """Open without writing anything; an older schema is migrated in a copy in memory."""
        self.read_only_notice = StoreNotice("read_only", self.path, reason=reason)
        log.warning("store %s is read-only (%s)", self.path, reason)
        if not self.path.exists():
            return self._memory_db()
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            db = self._connect(uri, uri=True)
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:  # no -shm and none can be made: read it as immutable
            if error_code(exc) != SQLITE_CANTOPEN:
                raise
            uri = f"{self.path.resolve().as_uri()}?immutable=1"
            db = self._connect(uri, uri=True)
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            db.close()
            raise NewerSchemaError(self.path, version)
        self._reader_uri = uri
        if version < SCHEMA_VERSION:
            memory = self._memory_db(migrated=False)
            db.backup(memory)
            db.close()
            migrate(memory)
            self._reader_uri = None
            return memory
        return db

    def _memory_db(self, *, migrated: bool = True) -> sqlite3.Connection:
        db = self._connect(":memory:")
        if migrated:
            migrate(db)
        self._reader_uri = None
        return db

    def _open_in_memory(self) -> sqlite3.Connection:
        """The disk is full at start: run from memory; :meth:`retry` moves to the file."""
        log.warning("disk full: cannot open %s; running from memory until it can", self.path)
        self.full = True
        self._in_memory = True
        self._rescued = None
        if self.path.exists():
            try:  # show what the file holds while it cannot be opened for writing
                src = self._sqlite_connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
                memory = self._memory_db(migrated=False)
                src.backup(memory)
                src.close()
                migrate(memory)
                return memory
            except sqlite3.Error:
                pass
        return self._memory_db()

    def reader(self) -> sqlite3.Connection | None:
        """A second, plain connection (tuples, no lock) for a worker thread's long read, or
        None when the data lives in this connection's memory only."""
        if self._in_memory or (self.read_only_notice and self._reader_uri is None):
            return None
        if self.read_only_notice:
            return sqlite3.connect(self._reader_uri or "", uri=True, timeout=self.busy_timeout)
        return sqlite3.connect(self.path, timeout=self.busy_timeout)

    # -- use --------------------------------------------------------------------------------
    def close(self) -> None:
        """Close; the last connection to a healthy file vouches for it (:class:`_Checked`)."""
        with self.lock:
            if self.checked_at is not None:  # opened writable, from the file (not read-only)
                with contextlib.suppress(sqlite3.Error):  # the WAL into the file, then emptied
                    # it waits for readers to move on: at most a moment (exit is not held up
                    # by another process's long read; then the WAL stays, and no record)
                    self.conn.execute(f"PRAGMA busy_timeout = {CLOSE_WAIT_MS}")
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
            if self.checked_at is not None:
                self._checked.write(self.checked_at)

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each successful write (the drafts kept in memory use it)."""
        self._listeners.append(listener)

    def set_cache_kib(self, kib: int) -> None:
        """Bound SQLite's page cache of this connection to ``kib`` KiB (see CACHE_KIB)."""
        with self.lock:
            self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")

    def data_version(self) -> int:
        """Changes when another connection (another process) commits: poll it to notice."""
        with self.lock:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def stamp(self) -> tuple[int, int]:
        """Changes with every write: ours (a counter) and other processes' (data_version)."""
        with self.lock:
            return self.generation, self.data_version()

    @contextmanager
    def tx(self, *, data: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading so read-modify-write is atomic.
        ``data=False``: bookkeeping no cached read depends on (sync watermarks in ``meta``):
        the generation stays, so an idle poll does not make the inbox rebuild its index."""
        if self.read_only_notice is not None:
            raise StoreReadOnlyError(self.path, self.read_only_notice.reason or "")
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    if self.conn.in_transaction:  # SQLITE_FULL may have rolled it back already
                        self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if is_full(exc):
                    self.full = True
                    raise StoreFullError(self.path, str(exc)) from exc
                if error_code(exc) in (SQLITE_BUSY, SQLITE_LOCKED):
                    raise StoreBusyError(self.path, str(exc)) from exc
                if error_code(exc) == SQLITE_READONLY:  # found out late (a mount, an ACL)
                    self.read_only_notice = StoreNotice("read_only", self.path, reason="sqlite")
                    self.late_read_only = True  # the connection may write again: retry() looks
                    raise StoreReadOnlyError(self.path, "sqlite") from exc
                raise
            if data:
                self.generation += 1
            was_full = self.full and not self._in_memory
            if was_full:
                self.full = False
        if was_full:
            log.info("store %s is writable again", self.path)
        for listener in self._listeners:
            listener()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            cur = self.conn.execute(sql, params)
            return list(cur.fetchall())

    def retry(self) -> bool:
        """After a full disk, or a store that refused a write after it was opened writable:
        True when a write succeeds again (the read-only notice then clears).  Running from
        memory, this first moves to the file, copying the drafts and queued writes made
        meanwhile.  A store opened read-only stays so until the next launch."""
        if self.read_only_notice is not None:
            if not self.late_read_only:
                return False
            notice, self.read_only_notice = self.read_only_notice, None
            try:
                with self.tx() as db:
                    db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('write_probe', ?)", (self.clock(),)
                    )
            except (StoreReadOnlyError, StoreFullError):
                self.read_only_notice = self.read_only_notice or notice
                return False
            self.late_read_only = False
            log.info("store %s takes writes again", self.path)
            return True
        if self._in_memory:
            try:
                with _OpenLock(self.path.with_name(self.path.name + ".open-lock")):
                    with self.lock:
                        self._rescued = rescue(None, self.conn)
                        db = self._open_writable()
            except (sqlite3.Error, OSError) as exc:
                if is_full(exc):
                    return False
                raise
            with self.lock:
                self.conn.close()
                self.conn = db
                self._in_memory = False
                self.generation += 1
        try:
            with self.tx() as db:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('write_probe', ?)", (self.clock(),))
        except StoreFullError:
            return False
        return True


class Table:
    """Base of the small stores: one concern's tables over the shared :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.db.tx()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.db.rows(sql, params)

    @property
    def clock(self) -> Callable[[], float]:
        return self.db.clock


__all__ = [
    "Database",
    "FutureSchemaError",
    "NewerSchemaError",
    "StoreBusyError",
    "StoreError",
    "StoreFullError",
    "StoreNotice",
    "StoreReadOnlyError",
    "Table",
]
