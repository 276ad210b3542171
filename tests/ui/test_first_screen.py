"""The first screen of a new store: rows show as the first sync stores them, not when the
whole case listing is done, and the cursor stays on its case as more arrive."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.poller import META_FIRST_SYNC
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.options import AppOptions
from tests.sim_fixtures import TEST_SECRET, FakeClock

from .conftest import engine_factory, until


class HeldCasePages(httpx.AsyncBaseTransport):
    """The simulator, with every case listing page after the first held until released: the
    first sync is caught in the middle of its case listing for as long as the test needs."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.case_pages = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/cases":
            self.case_pages += 1
            if self.case_pages > 1:
                await self.release.wait()
        return await self.inner.handle_async_request(request)


async def test_rows_show_as_the_first_sync_stores_them(tmp_path: Path) -> None:
    clock = FakeClock()
    sim = Simulator(
        SimConfig(
            seed=2,
            scale="medium",
            client_id="test-client",
            client_secret=TEST_SECRET,
            clock=clock,
        )
    )
    total = len(sim.data.cases)
    assert total > 400  # several pages of 200
    store = Store(tmp_path / "new.sqlite3", clock=clock)
    held = HeldCasePages(sim.transport())
    options = AppOptions(
        clock=clock, bell=False, desktop_notifications=False, inbox_open_only=False
    )
    app = ExpereoApp(
        store=store, engine_factory=engine_factory(sim, store, clock, held), options=options
    )
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(CaseTable)
        await until(pilot, lambda: table.row_count > 0)
        # the case listing is not done (its second page is held), and the first page shows
        assert store.meta.get_meta(META_FIRST_SYNC) is None
        assert table.row_count == store.cases.case_count() == 200
        await pilot.press("j", "j", "j")
        kept = table.cursor_key
        assert kept is not None
        held.release.set()
        await until(pilot, lambda: table.row_count == total)
        assert table.cursor_key == kept  # the rows that landed did not move the cursor off it
