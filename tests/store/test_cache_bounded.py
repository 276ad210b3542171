"""SQLite's page cache is a fixed size: a store on a NOC wall runs for days while its file grows,
and reading the whole of a file larger than the cache must not grow SQLite's heap past it."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from expereo_tui.store.database import CACHE_KIB
from expereo_tui.store.store import Store

MB = 1024 * 1024


def _sqlite_heap() -> int:
    """sqlite3_memory_used() of the library the sqlite3 module links (process-wide)."""
    try:
        import _sqlite3

        fn = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError, ImportError):
        pytest.skip("sqlite3_memory_used is not reachable here")
    fn.restype = ctypes.c_int64
    return int(fn())


def test_the_page_cache_is_bounded(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    assert int(store.database.rows("PRAGMA cache_size")[0][0]) == -CACHE_KIB
    size = CACHE_KIB * 1024 * 2  # a file twice the cache
    with store.database.tx() as db:
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            ((f"filler-{i}", "x" * 4000) for i in range(size // 4000)),
        )
    store.close()
    before = _sqlite_heap()
    store = Store(tmp_path / "a.sqlite3")
    for _ in range(2):  # every page of the file, twice
        total = store.database.rows("SELECT sum(length(value)) FROM meta")[0][0]
        assert total >= size - 4000
    grown = _sqlite_heap() - before
    store.close()
    # the cache (its pages carry ~10% of headers) plus the schema and statements
    assert grown < CACHE_KIB * 1024 * 1.15 + 2 * MB, f"SQLite's heap grew {grown / MB:.1f} MB"
