"""What the app shows about its local store: disk full in the status bar, a read-only banner,
where a corrupt database went.  Sentences from the codes and paths the store returns."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store, StoreFullError
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.widgets.status_bar import StatusBar
from tests.sim_fixtures import FakeClock
from tests.store.test_opening import Disk
from tests.store.test_store import fill
from tests.sync.test_store_faults import _read_only_media

from .conftest import engine_factory, screen_text, until


def _more_than_free(store: Store) -> int:
    """Bytes that do not fit in the pages the store's file has free (a full disk still lets
    SQLite reuse those): the file's free pages, and 30,000 more."""
    db = store.database.conn
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return free * db.execute("PRAGMA page_size").fetchone()[0] + 30_000


def _status(app: ExpereoApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_disk_full_shows_in_the_status_bar_and_clears(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, make_app: Callable[..., ExpereoApp]
) -> None:
    disk = Disk()
    store = Store(tmp_path / "full.sqlite3", clock=sim_clock, connect=disk.connect)
    fill(store, sim)
    app = make_app(store_=store)
    async with app.run_test(size=(120, 24)) as pilot:
        disk.fill()
        store.drafts.save_draft("new", {"subject": "x" * 30_000})
        app.refresh_status()
        await until(pilot, lambda: f"disk full: {store.path}" in _status(app))
        assert "disk full:" in screen_text(app)
        disk.clean()
        assert store.retry_writes()
        app.refresh_status()
        await until(pilot, lambda: "disk full" not in _status(app))


async def test_read_only_store_shows_a_banner(
    tmp_path: Path, sim_clock: FakeClock, make_app: Callable[..., ExpereoApp]
) -> None:
    path = tmp_path / "ro.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    store = Store(path, clock=sim_clock, connect=_read_only_media)
    app = make_app(store_=store, profile_label="LAB")
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        await until(pilot, lambda: "store is read-only: SQLite cannot write" in screen_text(app))


async def test_a_set_aside_database_is_told_in_one_line(
    tmp_path: Path, sim_clock: FakeClock, make_app: Callable[..., ExpereoApp]
) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"not a database at all" * 200)
    store = Store(path, clock=lambda: 77.0)
    app = make_app(store_=store)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(
            f"set aside as {tmp_path / 'bad.sqlite3.corrupt-77'}" in m and "\n" not in m
            for m in messages
        ), messages


async def test_reply_sent_on_a_full_disk_is_kept_and_written_later(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock
) -> None:
    """Send on a full disk: one line says why it was not queued, no traceback; the reply stays
    in the box and in memory, and lands in the file once there is room."""
    from textual.widgets import TextArea

    from expereo_tui.ui.options import AppOptions

    disk = Disk()
    store = Store(tmp_path / "full.sqlite3", clock=sim_clock, connect=disk.connect)
    fill(store, sim)
    # an open case: a reply to a Closed one is refused before it is queued (issue #10)
    case_id = next(c for c, v in sim.data.cases.items() if v["status"] != "Closed")
    app = ExpereoApp(
        store=store,
        engine_factory=engine_factory(sim, store, sim_clock),
        options=AppOptions(clock=sim_clock, bell=False, desktop_notifications=False),
    )
    text = "still down after the reboot " * 400
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.engine is not None and app.engine.polls >= 1)
        disk.fill()
        # the file may still have free pages (the first sync rewrote rows): use them up
        size, n = 1 << 22, 0
        while size >= 256:
            try:
                store.meta.set_meta(f"filler-{n}", "x" * size)
                n += 1
            except StoreFullError:
                size //= 2
        assert store.problem is not None
        app.action_open_case(case_id, reply=True)
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        app.screen.query_one(TextArea).load_text(text)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Not queued (disk full:" in screen_text(app))
        assert app.screen.query_one(TextArea).text == text
        assert store.drafts.load_draft(f"reply:{case_id}") == {"text": text}
        assert store.outbox.outbox() == []
        disk.clean()
        assert store.retry_writes()
    raw = sqlite3.connect(store.path).execute("SELECT data FROM drafts").fetchall()
    assert raw == [(f'{{"text": "{text}"}}',)]


async def test_disk_full_clears_by_itself_once_space_is_freed(
    tmp_path: Path, sim: Simulator, sim_clock: FakeClock, make_app: Callable[..., ExpereoApp]
) -> None:
    """Status that tells the truth: "disk full · sync paused" goes when its cause does, with no
    one asking (the engine's next poll tries a write, finds room, and the bar repaints)."""
    disk = Disk()
    store = Store(tmp_path / "full.sqlite3", clock=sim_clock, connect=disk.connect)
    fill(store, sim)
    app = make_app(online=True, store_=store)
    async with app.run_test(size=(120, 24)) as pilot:
        await until(pilot, lambda: app.engine is not None and app.engine.polls >= 1)
        assert app.engine is not None
        disk.fill()
        big = "x" * _more_than_free(store)  # (the first poll may have left pages free)
        store.drafts.save_draft("new", {"subject": big})  # held in memory
        await app.engine.poll_once()  # paused: cannot write
        await until(pilot, lambda: "disk full" in _status(app))
        disk.clean()
        await app.engine.poll_once()  # the next scheduled poll finds room again
        await until(pilot, lambda: "disk full" not in _status(app))
        assert store.problem is None
        assert store.drafts.load_draft("new") == {"subject": big}
