"""The wall rotates through the views a profile names in wall_views, after its own."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, DataTable

from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.wall.views import view_rows
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


def test_a_snoozed_case_leaves_the_walls_saved_views(store: Store, sim_clock: FakeClock) -> None:
    """docs/usage.md: a snoozed case leaves every view but Snoozed; the wall's too. Waking it
    brings it back."""
    p1 = CaseQuery(priorities=frozenset({"P1"}), sort=(("id", False),))
    ids = [r.id for r in store.cases.query_cases(p1, limit=1000)]
    assert len(ids) >= 3

    def shown() -> list[str]:
        return [str(row[2]) for row in view_rows(store, p1, sim_clock(), limit=1000)]

    assert shown() == ids
    store.shift.snooze(ids[1], until=sim_clock() + 3600)
    store.shift.snooze(ids[2], until=None, until_provider=True)
    assert shown() == [ids[0], *ids[3:]]
    store.shift.unsnooze(ids[1])
    assert shown() == [ids[0], ids[1], *ids[3:]]
