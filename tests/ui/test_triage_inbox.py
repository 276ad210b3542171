"""The inbox's triage columns on a fixed clock: the SLA clock's glyphs as time passes, its pause
while Awaiting Customer, whose turn it is, and the views and sort built on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.triage.sla import Targets
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.options import AppOptions
from tests.sim_fixtures import FakeClock

from .conftest import screen_text

BASE = datetime(2026, 11, 18, 9, tzinfo=UTC)
T0 = BASE.timestamp()
MIN = 60.0
TARGETS = {"P1": Targets(first_response=30 * MIN, update_interval=3600, resolution=4 * 3600)}


def case(case_id: str, minutes: float, **over: object) -> Case:
    at = BASE + timedelta(minutes=minutes)
    data: dict[str, object] = {
        "id": case_id,
        "subject": "ServiceDown",
        "type": "Incident",
        "status": "New",
        "priority": "P1",
        "createdDate": BASE,
        "lastModifiedDate": at,
        "serviceId": "SVC-1",
    }
    data.update(over)
    return Case.model_validate(data)


def message(minutes: float, kind: str) -> CaseMessage:
    return CaseMessage.model_validate(
        {"message": kind, "type": kind, "timestamp": BASE + timedelta(minutes=minutes)}
    )


def make(tmp_path: Path, clock: FakeClock) -> tuple[Store, ExpereoApp]:
    store = Store(tmp_path / "t.sqlite3", clock=clock)
    options = AppOptions(
        clock=clock,
        bell=False,
        desktop_notifications=False,
        inbox_open_only=False,
        sla_targets=TARGETS,
    )
    return store, ExpereoApp(store=store, engine_factory=None, options=options)


def make_sla_pair(tmp_path: Path, clock: FakeClock) -> tuple[Store, ExpereoApp]:
    """The app on a store with two cases the customer wrote to at T0: CS-1, new, and CS-OLD,
    created a day before (its clocks late before anyone looked)."""
    store, app = make(tmp_path, clock)
    store.cases.upsert_cases(
        [case("CS-1", 0), case("CS-OLD", 0, createdDate=BASE - timedelta(days=1))]
    )
    for case_id in ("CS-1", "CS-OLD"):
        store.cases.upsert_messages(case_id, [message(0, "Customer")], whole_thread=True)
    return store, app


def row_text(app: ExpereoApp, case_id: str) -> str:
    return next(line for line in screen_text(app).splitlines() if case_id in line)


async def test_sla_clock_glyphs_and_the_pause_while_awaiting_customer(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 10 * MIN)
    store, app = make(tmp_path, clock)
    store.cases.upsert_cases([case("CS-1", 0)])
    store.cases.upsert_messages(
        "CS-1", [message(0, "Customer")], whole_thread=True
    )  # the case's opening message
    async with app.run_test(size=(160, 20)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert "◔ 20m" in row_text(app, "CS-1")  # a third used: the quarter glyph
        clock.now = T0 + 25 * MIN
        screen.reload()
        await pilot.pause()
        assert "▲ 5m at risk" in row_text(app, "CS-1")
        # the provider asks us something: the clock stops while the case waits on us
        store.cases.upsert_cases([case("CS-1", 25, status="Awaiting Customer")])
        clock.now = T0 + 3 * 60 * MIN
        screen.reload()
        await pilot.pause()
        assert "⏸ 5m at risk" in row_text(app, "CS-1")
        assert "you · 2h" in row_text(app, "CS-1")
        # we answer and it goes back to In Progress: the clock runs on from where it stopped
        store.cases.upsert_cases([case("CS-1", 180, status="In Progress")])
        store.cases.upsert_messages("CS-1", [message(180, "Customer")], whole_thread=True)
        clock.now = T0 + 3 * 60 * MIN + 17 * MIN
        screen.reload()
        await pilot.pause()
        assert "✖ −12m breached" in row_text(app, "CS-1")
        assert "provider · 17m" in row_text(app, "CS-1")


async def test_turn_views_and_time_to_breach_sort(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 60 * MIN)
    store, app = make(tmp_path, clock)
    store.cases.upsert_cases(
        [
            case("CS-OURS", 5, status="Awaiting Customer"),
            case("CS-LONG", 0),
            case("CS-SHORT", 0),
            case("CS-DONE", 0, status="Resolved"),
        ]
    )
    store.cases.upsert_messages("CS-OURS", [message(0, "Customer")], whole_thread=True)
    store.cases.upsert_messages("CS-LONG", [message(10, "Customer")], whole_thread=True)
    store.cases.upsert_messages(
        "CS-SHORT", [message(2, "Expereo"), message(40, "Customer")], whole_thread=True
    )
    async with app.run_test(size=(160, 20)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        table = screen.query_one(CaseTable)

        def shown() -> list[str]:
            return [row.key for i in range(table.row_count) if (row := table.row(i))]

        await pilot.press("w")
        assert shown() == ["CS-LONG", "CS-SHORT"]  # waiting on the provider, longest first
        assert "waiting on provider longest" in screen_text(app)
        await pilot.press("w")
        assert shown() == ["CS-OURS"]
        await pilot.press("w")
        assert len(shown()) == 4
        # time to breach: CS-LONG (first response 30m overdue), CS-SHORT (update due in 2m),
        # CS-OURS (first response paused with 25m left); the resolved case has no clock
        screen.set_query(CaseQuery(sort=(("sla", False),)))
        await pilot.pause()
        assert shown() == ["CS-LONG", "CS-SHORT", "CS-OURS", "CS-DONE"]
        assert "SLA↑" in screen_text(app)  # targets from the profile: no "(example)"


async def test_sla_alerts_fire_once_at_risk_and_once_at_breach(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 5 * MIN)
    store, app = make_sla_pair(tmp_path, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        # the first check: CS-OLD was late before we looked, so it is noted, not alerted
        assert app.alerter.check_sla() == [] and app.alerter.sla_levels
        await pilot.pause()
        assert not any(n.title == "SLA" for n in app._notifications)  # (whichever check ran)
        clock.now = T0 + 25 * MIN
        assert app.alerter.check_sla() == ["P1 CS-1: first response SLA at risk (5m left)"]
        assert app.alerter.check_sla() == []  # once
        clock.now = T0 + 31 * MIN
        assert app.alerter.check_sla() == ["P1 CS-1: first response SLA breached (1m over)"]
        clock.now = T0 + 60 * MIN
        assert app.alerter.check_sla() == []
        await pilot.pause()
        assert any("SLA breached" in str(n.message) for n in app._notifications)


async def test_a_case_whose_thread_the_store_lacks_has_no_reply_clock_and_no_turn(
    tmp_path: Path,
) -> None:
    """The first sync lists cases without their threads: for those, whether the provider has
    answered is not known, so no first-response clock (it would read "breached" on every old
    case) and no turn; and no clock that reads as on time either (#32): "⋯ no thread"."""
    clock = FakeClock(T0 + 3 * 60 * MIN)
    store, app = make(tmp_path, clock)
    store.cases.upsert_cases([case("CS-BARE", 0), case("CS-KNOWN", 0)])
    store.cases.upsert_messages("CS-KNOWN", [message(0, "Customer")], whole_thread=True)
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause()
        bare, known = row_text(app, "CS-BARE"), row_text(app, "CS-KNOWN")
        assert "breached" in known and "provider · 3h" in known  # first response 2h30m over
        assert "breached" not in bare and "provider" not in bare
        assert "◕ 1h" not in bare and "⋯ no thread" in bare  # resolution 3h of 4h: not "on time"


async def test_a_case_without_its_thread_never_reads_on_time(tmp_path: Path) -> None:
    """#32: after a first sync the threads come in the background; until a case's thread is in
    the store its first-response clock and whose turn cannot be told, and the row says so
    (a glyph and a word) instead of an on-time clock.  Once loaded, the real clock shows."""
    clock = FakeClock(T0 + 10 * MIN)
    store, app = make(tmp_path, clock)
    # CS-NEW: a resolution clock that is fine; CS-LATE: its resolution already breached
    store.cases.upsert_cases(
        [case("CS-NEW", 0), case("CS-LATE", 0, createdDate=BASE - timedelta(hours=5))]
    )
    store.cases.upsert_messages("CS-NEW", [message(0, "Customer")])  # ours alone: not the thread
    async with app.run_test(size=(160, 20)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        row = row_text(app, "CS-NEW")
        assert row.count("⋯ no thread") == 2  # SLA and Turn
        assert "◔" not in row and "○" not in row
        assert "breached" in row_text(app, "CS-LATE")  # what is already known still shows
        store.cases.upsert_messages("CS-NEW", [message(0, "Customer")], whole_thread=True)
        screen.reload()
        await pilot.pause()
        row = row_text(app, "CS-NEW")
        assert "no thread" not in row and "◔ 20m" in row and "provider · 10m" in row
