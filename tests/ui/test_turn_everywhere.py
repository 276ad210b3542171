"""One rule for whose turn (issue 32): the inbox's ``w`` view, the wall's "Waiting on us" tile and
the handover's "Waiting on us" list the same cases of one store, against expectations written by
hand from the rule in docs/usage.md (not computed with triage/turn.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.shift.handover import build
from expereo_tui.store.store import Store
from expereo_tui.triage.read_model import read_wall_triage
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.wall.app import WallApp
from expereo_tui.ui.wall.big_number import BigNumber
from expereo_tui.ui.wall.screen import WallScreen
from tests.sim_fixtures import FakeClock

from .conftest import until

BASE = datetime(2026, 11, 18, 9, tzinfo=UTC)
NOW = (BASE + timedelta(hours=6)).timestamp()

# (id, status, messages as (minutes after BASE, who)); every case changed at BASE + 10 min
CASES: list[tuple[str, str, list[tuple[int, str]]]] = [
    ("CS-ASKED", "Awaiting Customer", [(0, "Customer"), (20, "Expereo")]),  # asked: ours
    ("CS-TEST", "In Progress", [(0, "Customer"), (30, "Expereo")]),  # "please test": ours
    ("CS-ONLYTHEM", "New", [(5, "Expereo")]),  # the provider opened the thread: ours
    ("CS-WROTE", "In Progress", [(0, "Expereo"), (40, "Customer")]),  # we wrote last: theirs
    ("CS-ANSWERED", "Awaiting Customer", [(20, "Expereo"), (50, "Customer")]),  # answered: theirs
    ("CS-PARKED", "Awaiting Customer", [(20, "Expereo")]),  # ours, but snoozed: left out
    ("CS-DONE", "Resolved", [(0, "Customer"), (30, "Expereo")]),  # closed: nobody's
    ("CS-NOTHREAD", "In Progress", []),  # no thread in the store: not known, not ours
]
OURS = {"CS-ASKED", "CS-TEST", "CS-ONLYTHEM"}


def fill(store: Store) -> None:
    store.cases.upsert_cases(
        [
            Case.model_validate(
                {
                    "id": case_id,
                    "subject": "ServiceDown",
                    "type": "Incident",
                    "status": status,
                    "priority": "P2",
                    "createdDate": BASE,
                    "lastModifiedDate": BASE + timedelta(minutes=10),
                    "serviceId": "SVC-1",
                }
            )
            for case_id, status, _ in CASES
        ]
    )
    for case_id, _, messages in CASES:
        if messages:
            store.cases.upsert_messages(
                case_id,
                [
                    CaseMessage.model_validate(
                        {
                            "id": f"{case_id}-{i}",
                            "message": who,
                            "type": who,
                            "timestamp": BASE + timedelta(minutes=minutes),
                        }
                    )
                    for i, (minutes, who) in enumerate(messages)
                ],
                whole_thread=True,
            )
    store.shift.snooze("CS-PARKED", until=NOW + 3600)


def options(clock: FakeClock) -> AppOptions:
    return AppOptions(clock=clock, bell=False, desktop_notifications=False, inbox_open_only=True)


async def test_inbox_wall_and_handover_agree_on_waiting_on_us(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    store = Store(tmp_path / "t.sqlite3", clock=clock)
    fill(store)

    report = build(store, since=NOW - 8 * 3600, now=NOW)
    assert {i["id"] for i in report.section("waiting_on_us").items} == OURS
    assert set(read_wall_triage(store, None, NOW).waiting_on_us) == OURS

    app = ExpereoApp(store=store, engine_factory=None, options=options(clock))
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        table = app.screen.query_one(CaseTable)
        await pilot.press("w", "w")  # waiting on provider longest -> waiting on us
        await pilot.pause()
        shown = {row.key for i in range(table.row_count) if (row := table.row(i))}
        assert shown == OURS

    wall = WallApp(store=store, engine_factory=None, options=options(clock))
    async with wall.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: (
                isinstance(wall.screen, WallScreen)
                and bool(wall.screen.query("#digits-waiting-us"))
                and wall.screen.query_one("#digits-waiting-us", BigNumber).value != ""
            ),
        )
        assert wall.screen.query_one("#digits-waiting-us", BigNumber).value == str(len(OURS))
