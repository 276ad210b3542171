"""The inbox header counts what every filter shows (the whose-turn view and the cluster too), `x`
clears them all, and the export suggests a safe file name and writes what is shown (issue 32)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from expereo_tui.api.models import Case
from expereo_tui.shift.export import export_name
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.screen import InboxScreen
from tests.sim_fixtures import FakeClock

from .conftest import until
from .test_turn_everywhere import BASE, NOW, OURS, fill, options


def header(app: ExpereoApp) -> str:
    return str(app.screen.query_one("#counts", Static).render())


async def test_header_counts_follow_the_turn_view_and_the_cluster_and_x_clears_them(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    store = Store(tmp_path / "t.sqlite3", clock=clock)
    fill(store)  # 6 open cases shown (a 7th is snoozed), all one cluster on SVC-1
    other = {
        "id": "CS-ELSEWHERE",
        "subject": "ServiceDown",
        "type": "Incident",
        "status": "New",
        "priority": "P3",
        "createdDate": BASE - timedelta(days=3),
        "lastModifiedDate": BASE - timedelta(days=3),
        "serviceId": "SVC-2",
    }
    store.cases.upsert_cases([Case.model_validate(other)])  # not in the cluster
    app = ExpereoApp(store=store, engine_factory=None, options=options(clock))
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert header(app).startswith(" 7 cases")
        await pilot.press("w", "w")  # waiting on us
        await until(pilot, lambda: header(app).startswith(f" {len(OURS)} cases"))
        assert sorted(r.id for r in screen.export_rows()) == sorted(OURS)  # E writes what shows
        await pilot.press("w")  # every case again
        await until(pilot, lambda: bool(screen.clusters))
        await pilot.press("c")  # the cluster on SVC-1: every shown case but CS-ELSEWHERE
        await until(pilot, lambda: header(app).startswith(" 6 cases"))
        await pilot.press("w", "w")
        await until(pilot, lambda: header(app).startswith(f" {len(OURS)} cases"))
        await pilot.press("x")  # every filter off: the cluster and the whose-turn view too
        await pilot.pause()
        assert screen.cluster is None and screen.turn_view is None
        assert header(app).startswith(" 8 cases")  # no status filter either: CS-DONE shows


def test_export_names_are_safe_file_names() -> None:
    assert export_name("P1/P2") == "expereo-p1-p2.csv"
    assert export_name("Urgent") == "expereo-urgent.csv"
    assert export_name("../../etc") == "expereo-etc.csv"
    assert export_name("Tokyo: waiting on us") == "expereo-tokyo-waiting-on-us.csv"
    assert export_name("///") == "expereo-cases.csv"
