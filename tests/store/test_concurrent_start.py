"""Several instances starting together on one database: migrations run once, under a lock,
and nothing is set aside.  Real processes, released together by a barrier."""

from __future__ import annotations

import multiprocessing
import sqlite3
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from expereo_tui.store.schema import MIGRATIONS, SCHEMA_VERSION
from expereo_tui.store.store import Store

PROCESSES = 4
ROUNDS = 20


def _older(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    for number, migration in enumerate(MIGRATIONS[:version]):
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute("INSERT INTO cases (id, raw) VALUES ('CS-OLD', ?)", ('{"id": "CS-OLD"}',))
    db.execute("""INSERT INTO drafts VALUES ('new', '{"subject": "kept"}', 1)""")
    db.commit()
    db.close()


def _start(folder: Path, barrier: Barrier, results: Any, rounds: int = ROUNDS) -> None:
    """One instance: each round, wait for the others, then open the store as the app does."""
    for n in range(rounds):
        barrier.wait()
        try:
            store = Store(folder / f"round-{n}.sqlite3")
            outcome = (
                "ok" if store.notice is None else f"notice {store.notice.code}",
                store.drafts.drafts().get("new"),
            )
            store.close()
        except Exception as exc:  # reported to the parent, which fails the test
            outcome = (f"{type(exc).__name__}: {exc}", None)
        results.put((n, outcome))
        barrier.wait()


def test_four_instances_start_together_twenty_times(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES + 1, timeout=60)
    results = ctx.Queue()
    workers = [ctx.Process(target=_start, args=(tmp_path, barrier, results)) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        for n in range(ROUNDS):
            path = tmp_path / f"round-{n}.sqlite3"
            older = n % 3  # 0: a new file; 1, 2: an older schema with data to keep
            if older:
                _older(path, older)
            barrier.wait()  # all four open at once
            barrier.wait()  # all four done
            outcomes = [results.get(timeout=60) for _ in range(PROCESSES)]
            expected = {"subject": "kept"} if older else None
            assert outcomes == [(n, ("ok", expected))] * PROCESSES, outcomes
            names = {p.name for p in tmp_path.iterdir() if p.name.startswith(f"round-{n}.")}
            assert names <= {path.name + s for s in ("", "-wal", "-shm", ".open-lock", ".checked")}, names
            db = sqlite3.connect(path)
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            ids = [r[0] for r in db.execute("SELECT id FROM cases")]
            assert ids == (["CS-OLD"] if older else [])
            db.close()
    finally:
        barrier.abort()  # a failed round must not leave the others waiting
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()


def test_four_instances_on_a_corrupt_file_set_it_aside_once(tmp_path: Path) -> None:
    """Each finds the file corrupt, but only the first to take the lock sets it aside (with its
    draft); the others find the fresh file it made, and the draft is there for all of them."""
    rounds = 5
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES + 1, timeout=60)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_start, args=(tmp_path, barrier, results, rounds)) for _ in range(4)
    ]
    for w in workers:
        w.start()
    try:
        for n in range(rounds):
            path = tmp_path / f"round-{n}.sqlite3"
            _older(path, len(MIGRATIONS))
            db = sqlite3.connect(path)
            for i in range(300):  # pages enough that one in the middle holds only cases
                db.execute("INSERT INTO cases (id, raw) VALUES (?, ?)", (f"CS-{i}", "x" * 500))
            db.commit()
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.close()
            with path.open("r+b") as f:
                f.seek(4096 * (pages // 2))
                f.write(b"\xa5" * 4096)
            barrier.wait()
            barrier.wait()
            outcomes = sorted(results.get(timeout=60)[1] for _ in range(PROCESSES))
            kept = {"subject": "kept"}
            assert outcomes == [("notice recovered", kept)] + [("ok", kept)] * 3, outcomes
            aside = [
                p for p in tmp_path.iterdir() if p.name.startswith(f"round-{n}.sqlite3.corrupt")
            ]
            assert len([p for p in aside if not p.name.endswith(("-wal", "-shm"))]) == 1
    finally:
        barrier.abort()
        for w in workers:
            w.join(timeout=10)
            if w.is_alive():
                w.kill()
