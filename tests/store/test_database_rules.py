"""The database's small rules, in this process and in milliseconds: file modes (``private_file``,
the open lock's file, a new database's), the open lock given back at its exit, and the
connection's settings (the busy timeout in SQLite's milliseconds, the page cache)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.store import database
from expereo_tui.store.database import _companions, _OpenLock, private_file
from expereo_tui.store.store import Store

from .test_store import _case


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a new file is 0644: readable by everyone."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (0o777, 0o600),  # every group/other bit off, the owner's execute bit too
        (0o644, 0o600),
        (0o601, 0o600),  # another's execute bit alone
        (0o044, 0o000),  # readable by others only: still taken off
        (0o600, 0o600),
        (0o400, 0o400),  # a read-only file stays so: no owner bit is added
    ],
)
def test_private_file_takes_group_and_other_bits_off(
    tmp_path: Path, before: int, after: int
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"")
    path.chmod(before)
    private_file(path)
    assert _mode(path) == after


def test_private_file_leaves_a_missing_file_alone(tmp_path: Path) -> None:
    private_file(tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []


def test_the_open_lock_is_given_back_at_its_exit(tmp_path: Path) -> None:
    """Another instance can take the lock at once after the exit, though the lock object (and
    what it held) is still alive."""
    path = tmp_path / "s.sqlite3.open-lock"
    lock = _OpenLock(path)
    with lock:
        with path.open() as other:  # another open file: flock conflicts with it
            with pytest.raises(BlockingIOError):
                fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with path.open() as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
    with lock:  # and taken again by the same object
        pass


def test_without_an_advisory_lock_the_store_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there is no ``fcntl`` (Windows) the open lock does nothing, and makes no file."""
    monkeypatch.setattr(database, "fcntl", None)
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    store.cases.upsert_cases([_case("CS-1", 0)])
    store.close()
    assert Store(path).cases.case_count() == 1
    assert not path.with_name("s.sqlite3.open-lock").exists()


def test_the_open_lock_file_is_private_whatever_the_umask(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    assert _mode(path.with_name("s.sqlite3.open-lock")) == 0o600


def test_a_new_database_is_private_from_the_moment_it_is_made(
    tmp_path: Path, umask_022: None
) -> None:
    """Not made readable by others and then fixed: another user could open it meanwhile and
    keep reading what is written later (drafts copied from a file set aside, cases)."""
    path = tmp_path / "s.sqlite3"
    seen: dict[str, set[int]] = {}

    def look(_: str) -> None:
        for p in _companions(path):
            if p.exists():
                seen.setdefault(p.name, set()).add(_mode(p))

    def connect(target: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = sqlite3.connect(target, *args, **kwargs)
        db.set_trace_callback(look)
        return db

    store = Store(path, connect=connect)
    store.cases.upsert_cases([_case("CS-1", 0)])
    assert seen == {"s.sqlite3": {0o600}, "s.sqlite3-wal": {0o600}, "s.sqlite3-shm": {0o600}}
    store.close()


def test_the_busy_timeout_is_given_to_sqlite_in_milliseconds(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", busy_timeout=2.0)
    assert store.database.rows("PRAGMA busy_timeout")[0][0] == 2000
    store.close()


def test_the_page_cache_can_be_set_to_another_bound(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.set_cache_kib(512)
    assert store.database.rows("PRAGMA cache_size")[0][0] == -512  # KiB (negative: not pages)
    store.close()
