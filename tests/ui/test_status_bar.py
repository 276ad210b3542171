"""The status bar says what the sync could not do, in one line a NOC engineer reads at 80x24:
items it skipped, and a sync error with its retry time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.sim.faults import UNKNOWN_STATUS
from expereo_tui.store.store import Store
from expereo_tui.sync.events import SyncError, SyncState, SyncStatus
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.widgets.status_bar import StatusBar, describe, sync_error_line
from tests.sim_fixtures import FakeClock
from tests.ui.conftest import engine_of, screen_text, until


def _status_line(app: ExpereoApp) -> str:
    lines = [ln for ln in screen_text(app).splitlines() if ln.strip()]
    return next((ln for ln in reversed(lines) if "budget" in ln or "sync error" in ln), "")


async def test_skipped_items_are_counted_on_the_status_bar(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    sim.faults.bad_items = True
    app = make_app(online=True)
    async with app.run_test(size=(80, 24)) as pilot:
        engine = await engine_of(pilot, app)
        assert engine is not None
        # an event in mid-poll (new invoices) may show the count while still syncing: wait for
        # the poll to end, which it must, bad items and all
        await until(
            pilot,
            lambda: engine.state.status == SyncStatus.FRESH and "items skipped" in screen_text(app),
        )
        assert f"{engine.state.skipped} items skipped" in screen_text(app)
        assert "sim-bad" not in screen_text(app)  # no bad item reached the inbox
        assert engine.state.status == SyncStatus.FRESH


async def test_a_sync_error_is_one_line_with_the_retry_time(
    make_app: Callable[..., ExpereoApp], sim: Simulator, sim_clock: FakeClock
) -> None:
    sim.faults.next_link = "self"
    app = make_app(online=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "sync error" in screen_text(app))
        line = _status_line(app)
        assert "sync error: /v2/" in line and "repeats a page · retrying in " in line
        sim.faults.next_link = ""
        assert app.engine is not None
        app.engine.refresh_now()
        await until(pilot, lambda: "sync error" not in screen_text(app))


async def test_unknown_status_is_shown_as_it_came(
    make_app: Callable[..., ExpereoApp], sim: Simulator, tmp_path: Path, sim_clock: FakeClock
) -> None:
    """An unknown status from the API is kept, and the inbox header counts it."""
    sim.faults.unknown_enums = True
    empty = Store(tmp_path / "fresh.sqlite3", clock=sim_clock)
    app = make_app(online=True, store_=empty)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: empty.cases.case_count() == len(sim.data.cases))
        n = empty.cases.status_counts()[UNKNOWN_STATUS]
        await until(pilot, lambda: f"{UNKNOWN_STATUS} {n}" in screen_text(app))
        assert app.engine is not None
        await app.engine.stop()  # no sync event may race the teardown (see the report)


def test_sync_error_lines() -> None:
    now = 1000.0
    state = SyncState(
        SyncStatus.ERROR,
        900.0,
        now + 12,
        error=SyncError(code="internal", stage="cases-store", kind="OperationalError"),
    )
    assert describe(state, now) == (
        "sync error: OperationalError while saving cases · retrying in 12s"
    )
    off = SyncError(code="off-origin", stage="cases", path="/v2/cases", host="evil\x1b]52;c;x\x07")
    assert sync_error_line(off) == "/v2/cases links to evil"
    assert sync_error_line(None) == "unexpected failure"


def test_an_unknown_status_is_shown_without_its_escapes() -> None:
    from expereo_tui.ui.format import status_text

    shown = status_text("Pending\x1b]52;c;aGk=\x07 Vendor\u202e").plain
    assert shown == "Pending Vendor"
    from expereo_tui.ui.format import priority_text, type_label

    assert type_label("Maint\x1b[31menance\n") == "Maintenance"
    assert priority_text("P0\x1b]8;;http://x\x07").plain == "P0"


def test_first_sync_progress_is_one_line() -> None:
    from expereo_tui.sync.events import FirstSyncProgress, ListProgress

    progress = FirstSyncProgress(
        (
            ListProgress("cases", 2_400, 10_000, 12, 50),
            ListProgress("sites", 0, 5_000, 0, 25),
            ListProgress("services", 0, 20_000, 0, 100),
            ListProgress("accounts", 0, None, 0, None),
        )
    )
    state = SyncState(SyncStatus.SYNCING, None, progress=progress)
    assert describe(state, 0.0) == (
        "first sync: cases 2,400 / 10,000 · sites 0 / 5,000 · services 0 / 20,000"
    )
    untold = FirstSyncProgress((ListProgress("cases", 200, None, 1, None),))
    assert describe(SyncState(SyncStatus.SYNCING, progress=untold), 0.0) == "first sync: cases 200"


def _our_fast_timers(app: ExpereoApp) -> list[object]:
    """The app's own repeating timers of a second or less (Textual's are not ours to judge)."""
    nodes = [app, *app.screen.walk_children(with_self=True)]
    return [
        t
        for node in nodes
        for t in list(node._timers)
        if t._repeat is None
        and t._interval <= 1.0
        and t._task is not None
        and not t._task.done()
        and getattr(t._callback, "__module__", "").startswith("expereo_tui")
    ]


async def test_status_is_not_polled_by_a_timer_and_repaints_only_when_its_text_changes(
    make_app: Callable[..., ExpereoApp], sim_clock: FakeClock
) -> None:
    """No repeating timer queries the outbox; the data age is painted again only when the
    text it shows changes (the next minute), not every second."""
    app = make_app(online=True)
    async with app.run_test(size=(120, 24)) as pilot:
        engine = await engine_of(pilot, app)
        assert engine is not None
        await until(pilot, lambda: engine.polls >= 1 and "updated just now" in _status_line(app))
        assert _our_fast_timers(app) == []
        calls = 0
        outbox = app.store.outbox.outbox

        def counting(**kw: object) -> object:
            nonlocal calls
            calls += 1
            return outbox(**kw)  # type: ignore[arg-type]

        app.store.outbox.outbox = counting  # type: ignore[method-assign]
        bar = app.screen.query_one(StatusBar)
        sim_clock.advance(10)  # the read budget is full again, the data "<1m" old
        app.paint_status()
        await until(pilot, lambda: "updated <1m ago" in _status_line(app))
        painted = bar.painted
        for _ in range(20):  # what the due timer would do, each second of the next 20
            sim_clock.advance(1)
            app.paint_status()
        assert calls == 0  # the outbox is counted on sync events, not on a clock
        assert bar.painted == painted  # the same text: not painted again
        assert app._status_timer is not None  # next due when the text changes: at 60 s
        assert app._status_timer._interval == pytest.approx(min(60 - 30, 15.0), abs=0.01)
        sim_clock.advance(30)
        app.paint_status()
        await until(pilot, lambda: "updated 1m ago" in _status_line(app))
        assert bar.painted == painted + 1


async def test_first_sync_progress_fits_80_columns_with_the_budget(
    make_app: Callable[..., ExpereoApp], sim_clock: FakeClock
) -> None:
    """At 80 columns the first sync's counts read as percentages, and the budget stays in view;
    wide, the counts themselves."""
    from expereo_tui.sync.events import FirstSyncProgress, ListProgress, SyncState, SyncStatus
    from expereo_tui.ui.widgets.status_bar import first_sync_line

    progress = FirstSyncProgress(
        (
            ListProgress("cases", 2_400, 10_000, 12, 50),
            ListProgress("sites", 0, 5_000, 0, 25),
            ListProgress("services", 0, 20_000, 0, 100),
        )
    )
    assert first_sync_line(progress) == (
        "first sync: cases 2,400 / 10,000 · sites 0 / 5,000 · services 0 / 20,000"
    )
    assert first_sync_line(progress, compact=True) == (
        "first sync: cases 24% · sites 0% · services 0%"
    )
    state = SyncState(SyncStatus.SYNCING, None, message="first sync", progress=progress)
    for width, shown in ((80, "cases 24%"), (140, "cases 2,400 / 10,000")):
        app = make_app()
        async with app.run_test(size=(width, 24)) as pilot:
            bar = app.screen.query_one(StatusBar)
            await until(pilot, lambda b=bar: b.size.width > 0)  # type: ignore[misc]
            bar.show(profile="lab", state=state, now=sim_clock.now, read_budget=(50, 50),
                     queued=0, failed=0)  # fmt: skip
            line = str(bar.content)
            assert shown in line and "budget 50/50" in line, line
            assert len(line) <= bar.size.width, line


@pytest.mark.parametrize("quiet", [30.0, 0.0])
async def test_a_quick_routine_poll_does_not_flash_syncing(
    make_app: Callable[..., ExpereoApp], sim: Simulator, quiet: float
) -> None:
    """A poll from fresh data is said ("syncing…") only once it has run QUIET_POLL seconds:
    each flash repainted the screen twice a poll on an idle app.  (quiet = 0: said at once.)"""
    app = make_app(online=True)
    app.quiet_poll = quiet
    async with app.run_test(size=(120, 24)) as pilot:
        engine = await engine_of(pilot, app)
        await until(pilot, lambda: engine.polls >= 1 and "updated" in _status_line(app))
        bar = app.screen.query_one(StatusBar)
        shown: list[str] = []
        update = bar.update

        def spy(content: Any = "", **kw: Any) -> None:
            shown.append(str(content))
            update(content, **kw)

        bar.update = spy  # type: ignore[method-assign]
        sim.faults.latency = 0.3  # a poll long enough for the UI to see it running
        polls = engine.polls
        engine.refresh_now()
        await until(pilot, lambda: engine.polls > polls and "updated" in str(bar.content))
        flashed = any("syncing" in line for line in shown)
        assert flashed is (quiet == 0.0), shown
