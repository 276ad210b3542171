"""Idle costs nothing: a poll that stores nothing reads nothing, the SLA alerts wait for the
instant a clock changes level (no periodic look at every case), the inbox draws a row's times
again only when their text changes, and the wall counts its tiles only after news."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.triage.sla import Clock
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.format import relative
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.retime import EPSILON, clock_next, relative_next, waited_next
from expereo_tui.ui.shift import alerts
from expereo_tui.ui.triage_text import sla_text, span
from tests.sim_fixtures import FakeClock

from .conftest import until
from .test_triage_inbox import MIN, T0, case, make, make_sla_pair

# what the screens read from the store when they count or list cases (the poller's own reads
# and writes are not these)
READS = (
    "inbox_summary",
    "inbox_page",
    "count_cases",
    "query_cases",
    "unread_count",
    "status_counts",
    "outbox",
)


def spy_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()

    def wrap(owner: Any, name: str) -> None:
        real = getattr(owner, name)

        def spy(*args: Any, **kw: Any) -> Any:
            calls[name] += 1
            return real(*args, **kw)

        monkeypatch.setattr(owner, name, spy)

    for name in READS:
        wrap(store.outbox if name == "outbox" else store.cases, name)
    wrap(store.activity, "activity")
    return calls


async def test_an_idle_poll_reads_nothing_and_reloads_nothing(
    make_app: Callable[..., ExpereoApp],
    store: Store,
    sim_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.meta.set_meta("cases_first_sync_done", "1")
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await until(pilot, lambda: app.engine is not None and app.first_frame_out)
        engine = app.engine
        assert engine is not None
        await until(pilot, lambda: engine.polls >= 1 and app.alerter.watch is not None)
        await pilot.pause()  # what waited for the first frame (the title's counts...) has run
        await until(pilot, lambda: len(app.workers) == 0)  # the start-up reads are done
        reloads: list[bool] = []
        real_reload = screen.reload
        monkeypatch.setattr(
            screen, "reload", lambda **kw: (reloads.append(True), real_reload(**kw))[1]
        )
        calls = spy_reads(store, monkeypatch)
        title = app.title
        sim_clock.advance(60)
        engine.refresh_now()
        await until(
            pilot,
            lambda: app.last_state is not None and app.last_state.last_success == sim_clock.now,
        )
        await pilot.pause()
        assert engine.polls >= 2
        assert reloads == []  # no reload, no title or summary recount
        assert calls == Counter()
        assert app.title == title


async def test_sla_alert_fires_at_the_computed_instant_without_a_full_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(T0 + 5 * MIN)
    store, app = make_sla_pair(tmp_path, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        alerter = app.alerter
        await until(pilot, lambda: alerter.watch is not None)  # read in a thread after mount
        # CS-1's first response (30 m target) is at risk once 80 % is used: at 24 m
        assert alerter.sla_due_at == pytest.approx(T0 + 24 * MIN, abs=0.01)
        assert alerter._sla_timer is not None  # one timer, for that instant
        full_looks: list[float] = []
        real_read = alerts.read_sla
        monkeypatch.setattr(
            alerts, "read_sla", lambda *a, **kw: (full_looks.append(1), real_read(*a, **kw))[1]
        )
        calls = spy_reads(store, monkeypatch)
        clock.now = T0 + 20 * MIN
        assert alerter.sla_due() == []  # early (a timer may be): nothing yet
        clock.now = alerter.sla_due_at
        assert alerter.sla_due() == ["P1 CS-1: first response SLA at risk (5m left)"]
        assert alerter.sla_due_at == pytest.approx(T0 + 30 * MIN, abs=0.01)  # then the breach
        clock.now = T0 + 31 * MIN
        assert alerter.sla_due() == ["P1 CS-1: first response SLA breached (1m over)"]
        assert full_looks == [] and calls == Counter()  # no store read for any of it
        await pilot.pause()
        assert any("SLA breached" in str(n.message) for n in app._notifications)
        # CS-1's resolution clock (4 h) is the next to move; CS-OLD's are breached for good
        assert alerter.sla_due_at == pytest.approx(T0 + 192 * MIN, abs=0.01)


async def test_a_stale_sla_wake_leaves_one_timer(tmp_path: Path) -> None:
    """The SLA timer fires as a new read arms it again (the call queued): one timer stays,
    not two (the stale call dropped the new timer's handle, which stayed pending)."""
    clock = FakeClock(T0 + 5 * MIN)
    _, app = make_sla_pair(tmp_path, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        alerter = app.alerter
        await until(pilot, lambda: alerter.watch is not None and alerter._sla_timer is not None)
        assert alerter.watch is not None
        alerter._adopt(alerter.watch)  # a new read arms the timer again...
        alerter.sla_due()  # ...while the first one's call was queued
        await pilot.pause()
        assert pending_timers(app, "sla-due") == [alerter._sla_timer]


def two_row_inbox(tmp_path: Path) -> tuple[FakeClock, ExpereoApp]:
    """The inbox 10m30s after CS-1 changed and 7m30s after CS-2 did."""
    clock = FakeClock(T0 + 10 * MIN + 30)
    store, app = make(tmp_path, clock)
    store.cases.upsert_cases([case("CS-1", 0), case("CS-2", 3)])
    return clock, app


def pending_timers(node: Any, name: str | None = None) -> list[Any]:
    """The node's timers still to fire (named ``name``; by default all but a screen's own
    refresh timer)."""
    return [
        t
        for t in node._timers
        if t._task is not None
        and not t._task.done()
        and (t.name == name if name else t.name != "screen_update")
    ]


async def test_inbox_draws_a_row_again_only_when_its_time_text_changes(tmp_path: Path) -> None:
    clock, app = two_row_inbox(tmp_path)
    async with app.run_test(size=(160, 20)) as pilot:
        table = app.screen.query_one(CaseTable)
        await pilot.pause()
        drawn: list[int] = []
        real_line = table._row_line
        table._row_line = lambda index, base: (drawn.append(index), real_line(index, base))[1]  # type: ignore[method-assign]
        # CS-1 changed 10m30s ago ("10m"), CS-2 7m30s ago ("7m"): both read anew in 30 s
        assert table.expires_at == pytest.approx(T0 + 11 * MIN, abs=0.01)
        clock.now = T0 + 10 * MIN + 45
        table.redraw_expired()  # early: nothing is drawn again
        await pilot.pause()
        assert drawn == []
        clock.now = T0 + 11 * MIN + 1
        table.redraw_expired()
        await pilot.pause()
        assert sorted(set(drawn)) == [0, 1]  # both rows' ages moved on the minute
        lines = [table.render_line(y).text for y in (1, 2)]
        assert "CS-2" in lines[0] and " 8m " in lines[0]  # changed 8 minutes ago
        assert "CS-1" in lines[1] and " 11m " in lines[1]


@pytest.mark.parametrize("stamp_offset", [0.0, 3.2, 59.5, 61.0, 3599.9, 7200.0, 86_399.0])
def test_relative_next_is_never_late(stamp_offset: float) -> None:
    stamp = 1_000_000.0
    now = stamp + stamp_offset
    for _ in range(40):
        nxt = relative_next(stamp, now)
        assert nxt is not None and nxt > now
        text = relative(stamp, now)
        for t in (now + (nxt - now) * k / 10 for k in range(10)):
            assert relative(stamp, t) == text  # the same text until the instant given
        now = nxt


@pytest.mark.parametrize(
    ("target", "used", "paused"),
    [(1800.0, 0.0, False), (1800.0, 1000.0, False), (14400.0, 11000.0, False),
     (600.0, 700.0, False), (200_000.0, 5.0, False), (1800.0, 1000.0, True)],
)  # fmt: skip
def test_clock_next_is_never_late(target: float, used: float, paused: bool) -> None:
    now = 5_000_000.0

    def at(t: float) -> Clock:
        return Clock("first_response", 0.0, target, used + (0 if paused else t - now), paused)

    if paused:
        assert clock_next(at(now), now) is None
        return
    t = now
    for _ in range(60):
        nxt = clock_next(at(t), t)
        assert nxt is not None and nxt > t
        text = sla_text(at(t)).plain
        for k in range(10):  # (a threshold crossed exactly at t reads anew EPSILON late)
            assert sla_text(at(t + (nxt - t - EPSILON) * k / 10)).plain == text
        t = nxt


def test_waited_next_is_never_late() -> None:
    since = 0.0
    now = 3.0
    for _ in range(200):
        nxt = waited_next(since, now)
        assert nxt > now
        for k in range(10):
            assert span(now + (nxt - now) * k / 10 - since) == span(now - since)
        now = nxt


async def test_wall_counts_its_tiles_only_after_news(
    sim: Simulator, store: Store, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import DataTable

    from expereo_tui.sync.events import (
        CaseChange,
        CasesChanged,
        MessagesAdded,
        SyncState,
        SyncStateChanged,
        SyncStatus,
    )
    from expereo_tui.triage.read_model import read_triage
    from expereo_tui.ui.wall import screen as wall
    from expereo_tui.ui.wall.big_number import BigNumber

    from .test_wall import _wall, make_wall

    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        await until(pilot, lambda: len(app.workers) == 0)
        reads: list[float] = []
        real_read = wall.read_wall_triage
        monkeypatch.setattr(
            wall, "read_wall_triage", lambda *a: (reads.append(1), real_read(*a))[1]
        )
        calls = spy_reads(store, monkeypatch)
        activity = screen.query_one("#activity-table", DataTable)
        first_age = str(activity.get_row_at(0)[0])
        for _ in range(3 * 12):  # three hours of a wall nobody touches, woken every 5 minutes
            sim_clock.advance(300)
            screen.tick(300)
        assert reads == [] and calls == Counter()  # no read of the store: nothing changed
        assert str(activity.get_row_at(0)[0]) != first_age  # the ages moved on all the same
        board = read_triage(store, app.options, sim_clock.now).board
        sla = screen.query_one("#digits-sla", BigNumber).value
        assert sla == f"{board.breached}/{board.at_risk}"  # the SLA tile too, with the clocks
        case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
        polled = sim_clock.now
        app.deliver_sync_event(SyncStateChanged(SyncState(SyncStatus.SYNCING, polled)))
        app.deliver_sync_event(CasesChanged((CaseChange(case_id, is_new=False),)))  # news
        app.deliver_sync_event(MessagesAdded(case_id, ("m-1",)))
        await pilot.pause()
        assert reads == []  # not on each event: once the poll is over
        app.deliver_sync_event(SyncStateChanged(SyncState(SyncStatus.FRESH, polled)))
        await until(pilot, lambda: reads == [1])
        await until(pilot, lambda: len(app.workers) == 0)


async def test_a_wall_view_shown_again_is_not_drawn_again(
    sim: Simulator, store: Store, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cycle shows each table in turn: its drawn lines are kept, DataTable's and
    Textual's styled ones (DataTable drew every cell again on each turn, 40 rows through
    Rich, three times a minute; then, shown itself, the table's styled lines were dropped
    by the switch and each line was asked for again)."""
    from textual.widgets import DataTable

    from .test_wall import _wall, make_wall

    drawn: list[str] = []
    real_line = DataTable.render_line
    monkeypatch.setattr(
        DataTable,
        "render_line",
        lambda self, y: (drawn.append(str(self.id)), real_line(self, y))[1],
    )
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await _wall(app, pilot)
        for _ in range(len(screen.cycle)):  # each view once: drawn
            screen.action_next_view()
            await pilot.pause()
        assert "incidents-table" in drawn
        drawn.clear()
        for _ in range(len(screen.cycle)):  # and again: nothing to draw
            screen.action_next_view()
            await pilot.pause()
        assert drawn == []


async def test_the_wall_wakes_only_when_something_is_due(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock
) -> None:
    """No one-second tick: the wall sleeps until its next view, its clock's minute, or at
    most RECHECK seconds (the data may turn STALE).  (No cases: no age to wait for.)"""
    from expereo_tui.ui.wall.screen import RECHECK

    from .test_wall import _wall, make_wall

    sim_clock.now = sim_clock.now - sim_clock.now % 60 + 50  # the clock's minute in 10 s
    empty = Store(tmp_path / "empty.sqlite3", clock=sim_clock)
    app = make_wall(sim, empty, sim_clock, wall_cycle_seconds=30)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        assert screen.wake_in == pytest.approx(10)  # the minute on the clock
        sim_clock.advance(10)
        screen.tick(screen.wake_in)
        assert screen.wake_in == pytest.approx(RECHECK)  # then a look at the sync state
        sim_clock.advance(RECHECK)
        screen.tick(screen.wake_in)
        assert screen.wake_in == pytest.approx(5)  # the next view, 30 s after the first
        view = screen.view_index
        sim_clock.advance(5)
        screen.tick(screen.wake_in)
        assert screen.view_index == view + 1


def empty_wall(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, list[float]]:
    """A wall on an empty store, its views turning every 20 s, and the monotonic clock its
    timer is set by, in a list the test moves on."""
    from expereo_tui.ui.wall import screen as wall_module

    from .test_wall import make_wall

    empty = Store(tmp_path / "empty.sqlite3", clock=sim_clock)
    real = [1000.0]
    monkeypatch.setattr(wall_module, "monotonic", lambda: real[0])
    return make_wall(sim, empty, sim_clock, wall_cycle_seconds=20), real


async def test_news_between_wakes_does_not_hold_back_the_next_view(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every poll sets the wall's timer again (its state changed): the seconds already waited
    still count, so the views turn every wall_cycle_seconds, not later (it was 30 s for 20)."""
    from .test_wall import _wall

    sim_clock.now = sim_clock.now - sim_clock.now % 60 + 1  # the clock's minute is 59 s away
    app, real = empty_wall(sim, tmp_path, sim_clock, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        screen._arm()  # from this instant on the fake monotonic clock
        view = screen.view_index
        for _ in range(3):  # a poll's state every 6 s: each sets the timer again
            real[0] += 6 * 3600.0  # wall_tick_seconds: 3600 s a tick in these tests
            sim_clock.advance(6)
            screen._arm()
        assert screen.since_cycle == pytest.approx(18)
        assert screen.wake_in == pytest.approx(2)  # the view turns 20 s after the last
        real[0] += 2 * 3600.0
        sim_clock.advance(2)
        screen._wake(screen.wake_in, screen.arms)
        assert screen.view_index == view + 1


async def test_a_stale_wake_neither_counts_twice_nor_leaves_a_timer_behind(
    sim: Simulator, tmp_path: Path, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wall's timer fires while a poll's state sets it again: the first timer's call is
    already queued.  That call must do nothing: acting on it dropped the new timer's handle (a
    timer never stopped, waking the wall for ever: 57 of them after a 72-hour soak) and
    credited the ticks twice (the views turned early)."""
    from .test_wall import _wall

    app, _ = empty_wall(sim, tmp_path, sim_clock, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        fired: list[Any] = []
        real_set_timer = screen.set_timer
        monkeypatch.setattr(
            screen,
            "set_timer",
            lambda delay, callback, **kw: (
                fired.append(callback),
                real_set_timer(delay, callback, **kw),
            )[1],
        )
        screen._arm()
        first = fired[-1]  # this timer fires: its call is queued...
        screen._arm()  # ...and a poll's state sets the timer again before it runs
        cycled = screen.since_cycle
        first()
        await pilot.pause()
        assert pending_timers(screen) == [screen._timer]
        assert screen.since_cycle == cycled


async def test_a_stale_row_time_wake_leaves_one_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows' time timer fires as it is set again (the call queued): one timer stays, not
    two (the stale call dropped the new timer's handle; it ran on, and another each time)."""
    _, app = two_row_inbox(tmp_path)
    async with app.run_test(size=(160, 20)) as pilot:
        table = app.screen.query_one(CaseTable)
        await pilot.pause()
        assert table.expires_at is not None
        table.expires_at = None  # something moved: the timer is set again...
        table._arm_expiry()
        table.redraw_expired()  # ...while the first one's call was queued
        await pilot.pause()
        assert pending_timers(table, "row-times") == [table._expiry_timer]
