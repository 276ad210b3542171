"""A shift in the app: pins and the handover report, snooze and wake, view tabs, selection and
bulk actions (the bulk write's exactly-once under faults: tests/sync/test_bulk.py)."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable
from pathlib import Path

from expereo_tui.api.models import CaseMessage
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.events import MessagesAdded
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.inbox.view_tabs import ViewTabs
from expereo_tui.ui.shift.dialogs import HandoverScreen, PromptScreen
from tests.sim_fixtures import FakeClock

from .conftest import screen_text, until


def _inbox(app: ExpereoApp) -> InboxScreen:
    for screen in app.screen_stack:
        if isinstance(screen, InboxScreen):
            return screen
    raise AssertionError("no inbox")


def _notified(app: ExpereoApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def _type(pilot: object, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])  # type: ignore[attr-defined]


async def test_pin_shows_in_the_case_header_and_the_handover(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        case_id = _inbox(app).current_case_id()
        assert case_id is not None
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "[b]call site[/b] 09:00")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert "Pinned for handover: [b]call site[/b] 09:00" in screen_text(app)
        assert store.shift.pin_note(case_id) == "[b]call site[/b] 09:00"
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "2h or reply")
        await pilot.press("enter")
        await until(pilot, lambda: "Snoozed until" in screen_text(app))
        assert "or until Expereo writes" in screen_text(app)
        assert (
            store.outbox.outbox(statuses=("queued", "sending", "sent", "failed")) == []
        )  # local only
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HandoverScreen))
        text = screen_text(app)
        assert "Handover" in text and "Pinned notes (1)" in text and "call site" in text
        await pilot.press("c")
        assert app.clipboard.startswith("# Handover")


async def test_snoozed_case_leaves_the_inbox_and_wakes_with_an_alert(
    make_app: Callable[..., ExpereoApp], store: Store, sim_clock: FakeClock
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(app)
        total = inbox.total
        case_id = inbox.current_case_id()
        assert case_id is not None
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert f"Snooze {case_id} until" in screen_text(app)  # the dialog names its case
        await _type(pilot, "yesterday")  # not understood: says so, nothing snoozed
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen) and "cannot read" in screen_text(app)
        await pilot.press(*["backspace"] * 9)
        await _type(pilot, "in 30m")
        await pilot.press("enter")
        await until(pilot, lambda: inbox.total == total - 1)
        table = inbox.query_one(CaseTable)
        assert case_id not in {row.key for i in range(inbox.total) if (row := table.row(i))}
        assert "Snoozed 1" in screen_text(app)
        await pilot.press("left_square_bracket")  # the last tab: Snoozed
        await until(pilot, lambda: inbox.view.kind == "snoozed")
        assert inbox.total == 1 and inbox.current_case_id() == case_id
        assert "⏰ until" in screen_text(app)
        await pilot.press("right_square_bracket")
        sim_clock.advance(29 * 60)
        inbox.wake_snoozes()
        assert inbox.total == total - 1
        sim_clock.advance(60)
        inbox.wake_snoozes()
        assert inbox.total == total
        assert inbox.query_one(ViewTabs).tabs == [("Inbox", total), ("Snoozed", 0)]
        await until(pilot, lambda: _notified(app, f"{case_id} is back (snooze over)"))
        assert store.shift.snoozes() == []
        # "until Expereo writes": a sync event after their message wakes it
        store.shift.snooze(case_id, until=None, until_provider=True)
        inbox.reload()
        assert inbox.total == total - 1
        store.cases.upsert_messages(
            case_id, [CaseMessage(id="w1", message="on site", type="Expereo")], whole_thread=True
        )
        inbox.sync_event(MessagesAdded(case_id, ("w1",)))
        assert store.shift.snoozed_ids() == frozenset() and inbox.total == total
        await until(pilot, lambda: _notified(app, f"{case_id} is back (Expereo wrote)"))


async def test_view_tabs_from_config_and_saved_in_the_app_persist(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    urgent = {"priorities": ["P1", "P2"]}
    app = make_app(views=(("Urgent", urgent),))
    expected = store.cases.count_cases(CaseQuery(priorities=frozenset({"P1", "P2"})))
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(app)
        tabs = inbox.query_one(ViewTabs)
        assert [name for name, _ in tabs.tabs] == ["Inbox", "Urgent", "Snoozed"]
        assert tabs.tabs[1][1] == expected and f"Urgent {expected}" in screen_text(app)
        start = tabs._spans[1][0]
        await pilot.click(ViewTabs, offset=(start + 2, 0))  # + the widget's left padding
        await until(pilot, lambda: inbox.total == expected and inbox.view.name == "Urgent")
        await pilot.press("right_square_bracket", "right_square_bracket")  # around to Inbox
        await pilot.press("slash", *"ServiceDown", "enter")
        await until(pilot, lambda: inbox.query_state.text == "ServiceDown")
        await pilot.press("V")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "Down")
        await pilot.press("enter")
        await until(pilot, lambda: inbox.view.name == "Down")
    assert [v.name for v in store.shift.views()] == ["Down"]
    again = make_app(views=(("Urgent", urgent),))
    async with again.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(again)
        names = [name for name, _ in inbox.query_one(ViewTabs).tabs]
        assert names == ["Inbox", "Urgent", "Down", "Snoozed"]
        await pilot.press("right_square_bracket", "D")  # Urgent is the config's: not here
        await until(pilot, lambda: _notified(again, "Only views saved in the app"))
        await pilot.press("right_square_bracket", "D", "y")
        await until(
            pilot, lambda: [v.name for v in inbox.tabs.views] == ["Inbox", "Urgent", "Snoozed"]
        )
    assert store.shift.views() == []


async def test_select_with_space_shift_arrows_and_all_then_mark_read(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(app)
        await pilot.press("space", "shift+down", "shift+down")
        assert len(inbox.table.selected) == 3
        assert screen_text(app).count("✓") == 3
        await pilot.press("escape")
        assert inbox.table.selected == set()
        await pilot.press("A")
        assert len(inbox.table.selected) == inbox.total
        await pilot.press("A")
        assert inbox.table.selected == set()
        await pilot.press("space", "shift+down")
        chosen = set(inbox.table.selected)
        for case_id in chosen:
            store.mark_unread(case_id)
        await pilot.press("m")
        assert not any(store.cases.is_unread(c) for c in chosen) and inbox.table.selected == set()
        await pilot.press("space", "shift+down")
        chosen = set(inbox.table.selected)
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "tomorrow")
        await pilot.press("enter")
        await until(pilot, lambda: store.shift.snoozed_ids() == chosen)


async def test_bulk_reference_goes_through_the_outbox_once_per_case(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(online=True)
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(app)
        await until(pilot, lambda: app.engine is not None)
        await pilot.press("space", "shift+down", "shift+down")
        chosen = set(inbox.table.selected)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _type(pilot, "CHG-42")
        sim.write_gate = gate = threading.Event()  # the server holds the writes: progress shows
        try:
            await pilot.press("enter")
            tabs = inbox.query_one(ViewTabs)
            await until(pilot, lambda: tabs.progress == "reference 0/3 sent")
            assert tabs.display and "⇡ reference 0/3 sent" in screen_text(app)
        finally:
            gate.set()
        store = app.store
        await until(
            pilot,
            lambda: all(sim.data.cases[c].get("customerReference") == "CHG-42" for c in chosen),
        )
        updates = [e for e in store.outbox.outbox(statuses=("sent",)) if e.kind == "update"]
        assert sorted(e.case_id or "" for e in updates) == sorted(chosen)
        await until(pilot, lambda: _notified(app, "Bulk update done: reference 3/3 sent"))
        assert tabs.progress is None and not tabs.display


async def test_export_writes_the_current_view_to_csv_and_json(
    make_app: Callable[..., ExpereoApp], store: Store, tmp_path: Path
) -> None:
    from textual.widgets import Input

    from expereo_tui.shift.export import FIELDS

    app = make_app(views=(("Urgent", {"priorities": ["P1"]}),))
    expected = store.cases.count_cases(CaseQuery(priorities=frozenset({"P1"})))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("right_square_bracket", "E")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert app.screen.query_one(Input).value.endswith("expereo-urgent.csv")
        app.screen.query_one(Input).value = str(tmp_path / "cases.txt")
        await pilot.press("enter")
        assert "End the file name with .csv or .json" in screen_text(app)
        for name in ("urgent.csv", "urgent.json"):
            app.screen.query_one(Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await until(pilot, lambda: _notified(app, f"Exported {expected} cases"))
            if name.endswith(".csv"):
                await pilot.press("E")
                await until(pilot, lambda: isinstance(app.screen, PromptScreen))
    with (tmp_path / "urgent.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == FIELDS and len(rows) == expected + 1
    doc = json.loads((tmp_path / "urgent.json").read_text(encoding="utf-8"))
    assert {r["priority"] for r in doc} == {"P1"} and len(doc) == expected


async def test_m_on_a_selection_marks_all_read_if_any_is_unread_else_all_unread(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """docs/usage.md: on a selection, `m` marks all read (all unread if none was unread). One
    step either side: one unread among three, and none unread."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = _inbox(app)

        async def select_three() -> list[str]:
            await pilot.press("home", "space", "shift+down", "shift+down")
            assert len(inbox.table.selected) == 3
            return sorted(inbox.table.selected)

        chosen = await select_three()
        for case_id in chosen:
            store.mark_read(case_id)
        store.mark_unread(chosen[1])  # mixed: one unread, two read
        await pilot.press("m")
        await until(pilot, lambda: inbox.table.selected == set())
        assert [store.cases.is_unread(c) for c in chosen] == [False, False, False]

        again = await select_three()
        assert again == chosen
        for case_id in chosen[:2]:
            store.mark_unread(case_id)  # mixed the other way: two unread, one read
        await pilot.press("m")
        await until(pilot, lambda: inbox.table.selected == set())
        assert [store.cases.is_unread(c) for c in chosen] == [False, False, False]

        await select_three()  # none unread: all become unread
        await pilot.press("m")
        await until(pilot, lambda: inbox.table.selected == set())
        assert [store.cases.is_unread(c) for c in chosen] == [True, True, True]
