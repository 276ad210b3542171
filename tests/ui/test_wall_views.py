"""The wall rotates through the views a profile names in wall_views, after its own."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, DataTable

from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from tests.sim_fixtures import FakeClock

from .conftest import screen_text
from .test_wall import _wall, make_wall


async def test_wall_cycles_through_the_chosen_views(
    sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    store.shift.save_view("Awaiting", CaseQuery(statuses=frozenset({"Awaiting Customer"})))
    app = make_wall(
        sim,
        store,
        sim_clock,
        views=(("P1 only", {"priorities": ["P1"]}),),
        wall_views=("P1 only", "no such view", "Awaiting"),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        assert len(screen.cycle) == 6  # its four, then the two views that exist
        for _ in range(4):
            screen.action_next_view()
        await pilot.pause()
        assert screen.query_one(ContentSwitcher).current == "view-0"
        screen.refresh_all()
        assert "P1 only" in screen_text(app) and "(5/6" in screen_text(app)
        p1 = store.cases.count_cases(CaseQuery(priorities=frozenset({"P1"})))
        assert screen.query_one("#view-0-table", DataTable).row_count == min(p1, 40)
        awaiting = store.cases.count_cases(CaseQuery(statuses=frozenset({"Awaiting Customer"})))
        assert screen.query_one("#view-1-table", DataTable).row_count == awaiting
        screen.action_next_view()
        screen.action_next_view()
        assert screen.query_one(ContentSwitcher).current == "overview"
