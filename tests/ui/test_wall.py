"""The NOC wall: counts, cycling, unmissable freshness, burn-in care, flat over time."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import ContentSwitcher, Static

from expereo_tui.api.models import OPEN_STATUSES
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.wall.app import WallApp
from expereo_tui.ui.wall.big_number import BigNumber
from expereo_tui.ui.wall.screen import WallScreen
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import engine_factory, engine_of, screen_text, until


def make_wall(
    sim: Simulator, store: Store, clock: FakeClock, *, online: bool = False, **options: Any
) -> WallApp:
    options.setdefault("wall_tick_seconds", 3600.0)  # the tests tick the wall by hand
    opts = AppOptions(clock=clock, bell=False, desktop_notifications=False, **options)
    factory = engine_factory(sim, store, clock, read_only=True) if online else None
    return WallApp(store=store, engine_factory=factory, options=opts)


async def _wall(app: WallApp, pilot: Any) -> WallScreen:
    await until(
        pilot, lambda: isinstance(app.screen, WallScreen) and bool(app.screen.query(BigNumber))
    )
    assert isinstance(app.screen, WallScreen)
    return app.screen


async def test_headline_counts_match_the_store(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        p1 = store.cases.count_cases(
            CaseQuery(statuses=frozenset(OPEN_STATUSES), priorities=frozenset({"P1"}))
        )
        assert screen.query_one("#digits-p1", BigNumber).value == str(p1)
        assert app.options.read_only
        assert app.focused is None  # no focus cursor on a wall


async def test_views_cycle_and_space_pauses(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock, wall_cycle_seconds=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        switcher = screen.query_one(ContentSwitcher)
        seen = [switcher.current]
        for _ in range(9):
            screen.tick()
            if switcher.current != seen[-1]:
                seen.append(switcher.current)
        assert seen == ["overview", "incidents", "activity", "services"]
        await pilot.press("space")
        before = switcher.current
        for _ in range(10):
            screen.tick()
        assert switcher.current == before
        await until(pilot, lambda: "paused" in screen_text(app))


@pytest.mark.reliability(
    fault="no successful poll for three intervals, then an API outage (wall)",
    sees="a red banner 'STALE — data from …', then OFFLINE; it clears itself when the API is back",
    data="the wall keeps showing the last good data",
    shows="STALE — data from",
)
async def test_stale_offline_and_recovery_fill_the_screen(
    sim: Simulator, store: Store, sim_clock: FakeClock, reliability: Reliability
) -> None:
    store.meta.set_meta("cases_first_sync_done", "1")
    app = make_wall(sim, store, sim_clock, online=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        engine = await engine_of(pilot, app)
        assert engine is not None
        await until(pilot, lambda: engine.polls >= 1)
        screen.tick()
        assert not screen.has_class("alarm")
        sim_clock.advance(engine.settings.poll_interval * 3 + 5)
        screen.tick()
        assert screen.has_class("alarm")
        await until(pilot, lambda: "STALE — data from" in screen_text(app))
        reliability.check(screen_text(app))
        sim.faults.outage = True
        engine.refresh_now()
        await until(pilot, lambda: engine.state.status == "offline")
        screen.tick()
        await until(pilot, lambda: "OFFLINE" in screen_text(app))
        sim.faults.outage = False
        engine.refresh_now()
        await until(pilot, lambda: engine.state.status == "fresh")
        screen.tick()
        assert not screen.has_class("alarm")


async def test_burn_in_shift_and_night_dim(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    hour = __import__("datetime").datetime.fromtimestamp(sim_clock.now).hour
    app = make_wall(
        sim, store, sim_clock, burn_in_shift_seconds=2, night_dim=(hour, (hour + 1) % 24)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        wall = screen.query_one("#wall")
        offsets = set()
        for _ in range(8):
            screen.tick()
            offsets.add((wall.styles.offset.x.value, wall.styles.offset.y.value))
        assert len(offsets) == 4
        assert screen.has_class("night")


async def test_wall_stays_flat_over_many_refreshes(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        await pilot.pause()
        widgets = len(list(app.screen.walk_children()))
        for _ in range(60):
            sim_clock.advance(60)
            screen.tick()
        await pilot.pause()
        assert len(list(app.screen.walk_children())) == widgets


def test_wall_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock, profile_label="NOC"), terminal_size=(120, 36)
    )


def test_wall_incidents_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    app = make_wall(sim, store, sim_clock)

    async def next_view(pilot: Any) -> None:
        await pilot.press("right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=next_view)


def _wall_view(view: int) -> Any:
    async def before(pilot: Any) -> None:
        for _ in range(view):
            await pilot.press("right")
        await pilot.pause()

    return before


def test_wall_activity_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock), terminal_size=(120, 36), run_before=_wall_view(2)
    )


def test_wall_services_view_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    assert snap_compare(
        make_wall(sim, store, sim_clock), terminal_size=(120, 36), run_before=_wall_view(3)
    )


def test_wall_offline_snapshot(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    store.meta.set_meta("last_success", str(sim_clock.now - 1800))
    sim.faults.outage = True
    app = make_wall(sim, store, sim_clock, online=True)

    async def before(pilot: Any) -> None:
        await until(pilot, lambda: app.engine is not None and app.engine.state.status == "offline")
        app.screen.tick()  # type: ignore[attr-defined]
        await until(pilot, lambda: "OFFLINE" in screen_text(app))

    assert snap_compare(app, terminal_size=(120, 36), run_before=before)


def test_waiting_line_counts_pages() -> None:
    from expereo_tui.sync.events import FirstSyncProgress, ListProgress
    from expereo_tui.ui.wall.screen import waiting_line

    progress = FirstSyncProgress(
        (ListProgress("cases", 2_400, 10_000, 12, 50), ListProgress("sites", 200, 5_000, 1, 25))
    )
    assert waiting_line(progress) == "waiting for first sync · 13 of 75 pages"
    untold = FirstSyncProgress((ListProgress("cases", 200, None, 1, None),))
    assert waiting_line(untold) == "waiting for first sync · 1 pages"
    assert waiting_line(None) == "waiting for first sync"


async def test_wall_shows_no_counts_before_the_first_sync(
    sim: Simulator, tmp_path: Any, sim_clock: FakeClock
) -> None:
    """An empty store and an API that is down: no zero tiles (they would read as all clear),
    "waiting for first sync"; once the first sync is in, the counts."""
    from expereo_tui.sync.events import FirstSyncProgress, ListProgress, SyncState, SyncStatus

    empty = Store(tmp_path / "empty.sqlite3", clock=sim_clock)
    sim.faults.outage = True
    app = make_wall(sim, empty, sim_clock, online=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _wall(app, pilot)

        def shown(widget_id: str) -> str:  # cheaper than a screenshot per round
            return str(screen.query_one(f"#{widget_id}", Static).content)

        engine = await engine_of(pilot, app)
        assert engine is not None
        await until(pilot, lambda: engine.state.status == SyncStatus.OFFLINE)
        screen.tick()
        await until(pilot, lambda: "waiting for first sync" in shown("waiting"))
        assert screen.has_class("waiting")
        await until(pilot, lambda: "P1 open" not in screen_text(app))  # no tile at all
        assert "OFFLINE" in shown("alarm")  # and why it waits
        progress = FirstSyncProgress(
            (
                ListProgress("cases", 400, 1_000, 2, 5),
                ListProgress("sites", 200, 600, 1, 3),
                ListProgress("services", 0, 2_400, 0, 12),
            )
        )
        engine._set_state(SyncState(SyncStatus.SYNCING, progress=progress))
        await until(pilot, lambda: "waiting for first sync · 3 of 20 pages" in shown("waiting"))
        assert "cases 400 / 1,000" in screen_text(app)  # what a person sees, once
        sim.faults.outage = False
        engine.refresh_now()
        await until(pilot, lambda: engine.polls >= 1)
        screen.tick()
        await until(pilot, lambda: not screen.has_class("waiting"))
        assert "P1 open" in screen_text(app)


async def test_open_incidents_most_urgent_first_p1s_never_cut(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """Every open P1 incident shows, before the rest (the order itself: test_wall_order.py);
    what does not fit is one line counted per priority (issue 32)."""
    from textual.widgets import DataTable

    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 16)) as pilot:
        screen = await _wall(app, pilot)
        await pilot.press("right")
        await pilot.pause()
        table = screen.query_one("#incidents-table", DataTable)
        every = CaseQuery(statuses=frozenset(OPEN_STATUSES), types=frozenset({"Incident"}))
        open_incidents = store.cases.count_cases(every)
        p1 = {r.id for r in store.cases.query_cases(
            replace(every, priorities=frozenset({"P1"})), limit=1000)}  # fmt: skip
        height = screen.query_one("#views").size.height
        assert open_incidents > height and 0 < len(p1) < height - 2  # a cut, and P1s that fit
        await until(pilot, lambda: table.row_count == height - 1)
        cells = [str(c) for c in table.get_row_at(table.row_count - 1)]
        hidden = open_incidents - (height - 2)
        assert cells[2] == f"+{hidden} more" and "P1" not in cells[3]
        parts = dict(p.rsplit(" ", 1) for p in cells[3].split(" · "))
        assert sum(int(n) for n in parts.values()) == hidden  # the line adds up
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count - 1)]
        assert set(ids[: len(p1)]) == p1  # every P1 first, none behind "+N more"


async def test_tile_digits_grow_with_the_tile(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """At 160x48 a count is 10+ rows tall (readable across a room); at 80x24 a tile has no
    room for 5-row digits and shows the number in plain bold instead of cut glyphs."""
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _wall(app, pilot)
        await pilot.pause()
        big = screen.query_one("#digits-incidents", BigNumber)
        assert big.scale >= 2
        assert len(big.render().plain.strip("\n").splitlines()) >= 10
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        lines = [ln for ln in big.render().plain.splitlines() if ln.strip()]
        assert big.size.height < 5  # 4 rows inside the border
        assert lines == [big.value.center(big.size.width)]  # whole, not the top of glyphs
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert big.size.height >= 5
        lines = [ln for ln in big.render().plain.splitlines() if ln.strip()]
        assert len(lines) == 5 and all(len(ln) <= big.size.width for ln in lines)


def test_the_data_age_after_a_poll_keeps_the_clock_as_wide() -> None:
    """A poll makes the data "now", then "<1m": same width, so no new layout each time."""
    from expereo_tui.ui.wall.screen import data_words

    assert len(data_words("now")) == len(data_words("<1m"))
    assert data_words("4m") == "  data 4m old"


def test_the_wall_keeps_a_small_page_cache(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """A read per poll, in a thread: the wall's store caches 512 KiB of pages (with 8 MB its RSS
    grew over days as the cache filled with the growing file)."""
    make_wall(sim, store, sim_clock)
    assert int(store.database.rows("PRAGMA cache_size")[0][0]) == -512


async def test_at_80_columns_the_title_keeps_the_view_and_its_place(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """Over SSH at 80×24 the longest view's title ("Services with open incidents") and where
    it is in the cycle fit beside the clock: the brand goes first; wide, it stays."""
    app = make_wall(sim, store, sim_clock, profile_label="DEMO · simulator")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _wall(app, pilot)
        for _ in range(3):
            await pilot.press("right")
        title = screen.query_one("#wall-title", Static)
        await until(pilot, lambda: "(4/4)" in str(title.render()))
        shown = str(title.render())
        assert shown.endswith("Services with open incidents  (4/4)"), shown
        assert len(shown) <= title.content_region.width
        assert "Services with open incidents" in screen_text(app)
        await pilot.press("space")  # paused: that is never what is cut
        await until(pilot, lambda: "(4/4, paused) Services" in str(title.render()))
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: "expereo NOC · Services" in str(title.render()))


async def test_question_mark_on_the_wall_shows_the_walls_keys(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """`?` on the wall lists the wall's keys and the app's that work there, not the inbox's,
    the case's or the forms' (issue 32 item 9)."""
    from expereo_tui.ui.screens.dialogs import HelpScreen

    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _wall(app, pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one(Static).content)
        assert "next wall view" in text and "pause the wall's cycling" in text
        assert "quit" in text
        for elsewhere in ("open the selected case", "write a reply", "create the case", "Inbox"):
            assert elsewhere not in text


async def test_after_the_first_sync_the_incidents_fit_the_views_at_80x24(
    sim: Simulator, tmp_path: Any, sim_clock: FakeClock
) -> None:
    """A fresh store: the views are hidden while the first sync runs, so the read made when it
    ends cannot know their height.  Seen at 80×24: 33 open incidents, 21 rows and no "+N more"
    until the next news.  The rows are read again for the height the views get, no news
    needed (issue 32 item 9)."""
    from textual.widgets import DataTable

    from expereo_tui.sync.events import SyncStatus

    empty = Store(tmp_path / "fresh.sqlite3", clock=sim_clock)
    sim.faults.outage = True
    app = make_wall(sim, empty, sim_clock, online=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _wall(app, pilot)
        engine = await engine_of(pilot, app)
        await until(pilot, lambda: engine.state.status == SyncStatus.OFFLINE)
        screen.tick()
        await until(pilot, lambda: screen.has_class("waiting"))
        sim.faults.outage = False
        engine.refresh_now()
        await until(pilot, lambda: engine.polls >= 1)
        screen.tick()
        await until(pilot, lambda: not screen.has_class("waiting"))
        await pilot.press("right")
        every = CaseQuery(statuses=frozenset(OPEN_STATUSES), types=frozenset({"Incident"}))
        open_incidents = empty.cases.count_cases(every)
        table = screen.query_one("#incidents-table", DataTable)
        await until(pilot, lambda: table.size.height > 1)
        fit = table.size.height - 1  # less the header
        assert open_incidents > fit, (open_incidents, fit)  # a cut at 80×24
        polls = engine.polls
        await until(pilot, lambda: table.row_count == fit)
        last = [str(c) for c in table.get_row_at(fit - 1)]
        assert last[2] == f"+{open_incidents - (fit - 1)} more", last
        assert engine.polls == polls  # no news was needed
        assert f"+{open_incidents - (fit - 1)}" in screen_text(app)


async def test_at_80x24_every_tile_title_is_whole(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """A tile's title is never cut ("SLA breached/at r…" was, at 80 columns)."""
    from expereo_tui.ui.wall.screen import TILES

    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _wall(app, pilot)
        await pilot.pause()
        text = screen_text(app)
        for tile in TILES:
            assert f" {tile.label} " in text, tile.label
        assert "…" not in text


async def test_news_on_the_wall_is_its_footer_line_never_a_toast(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """A wall is unattended: no toast over its tables; the news (a new P1, an SLA alert) is
    the footer's line, with the time, until the next; API text in it is never markup."""
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _wall(app, pilot)
        footer = screen.query_one("#wall-footer", Static)
        app.notify("New P1 case CS-1: [b]Service down[/b]", title="expereo",
                   severity="warning", markup=False)  # fmt: skip
        await until(pilot, lambda: "New P1 case CS-1" in str(footer.render()))
        assert "[b]Service down[/b]" in str(footer.render())  # data, not markup
        assert "expereo:" in str(footer.render())
        await pilot.pause()
        assert not app._notifications  # no toast at all
        assert "New P1 case CS-1" in screen_text(app)
        app.notify("3 SLA clocks at risk or breached:\nP1 CS-2: first response", title="SLA")
        await until(pilot, lambda: "3 SLA clocks" in str(footer.render()))
        assert "New P1 case CS-1" not in str(footer.render())  # the latest news only
        assert not app._notifications
