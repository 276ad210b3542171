"""New case, update case, and the inventory tree."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Select, TextArea, Tree

from expereo_tui.shift.timeparse import parse_when
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.forms.new_case import NewCaseScreen
from expereo_tui.ui.forms.update_case import UpdateCaseScreen
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.inventory.screen import InventoryScreen
from expereo_tui.ui.widgets.news_line import NewsLine

from .conftest import screen_text, until

NOW = datetime(2026, 11, 18, 11, 6, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("now", NOW),
        ("-30m", NOW - timedelta(minutes=30)),
        ("-2h", NOW - timedelta(hours=2)),
        ("-1d", NOW - timedelta(days=1)),
        ("09:15", NOW.replace(hour=9, minute=15, second=0)),
        ("yesterday 23:00", (NOW - timedelta(days=1)).replace(hour=23, minute=0, second=0)),
        ("2026-11-18T08:00:00Z", NOW.replace(hour=8, minute=0, second=0)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "soon", "25:00", "-3x"])
def test_parse_when_explains_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="now|time"):
        parse_when(text, NOW)


def _rfs(sim: Simulator) -> str:
    return next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")


async def _new_case(app: ExpereoApp, pilot: object, service_id: str | None) -> NewCaseScreen:
    app.action_new_case(service_id)
    await until(pilot, lambda: bool(app.screen.query("#message")))  # type: ignore[arg-type]
    assert isinstance(app.screen, NewCaseScreen)
    return app.screen


async def test_type_decides_priorities_and_subjects(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, _rfs(sim))
        priority = screen.query_one("#priority", Select)
        subject = screen.query_one("#subject", Select)
        assert [v for _, v in priority._options if v is not Select.BLANK] == [
            "P1",
            "P2",
            "P3",
            "P4",
            "P5",
        ]
        priority.value = "P1"
        await pilot.pause()
        assert not app._notifications
        screen.query_one("#type", Select).value = "NonIncident"
        await pilot.pause()
        assert [v for _, v in priority._options] == ["P3", "P4", "P5"]
        # P1 is not a General Request's: the form moves it to P3 and says so (on its news line)
        news = screen.query_one(NewsLine)
        await until(pilot, lambda: "Priority changed" in str(news.render()))
        note = str(news.render())
        assert "Priority changed from P1 to P3" in note and "General Request" in note
        assert "ChangeRequest" in [v for _, v in subject._options]
        assert not screen.query_one("#start", Input).parent.display  # type: ignore[union-attr]


async def test_incident_without_start_is_refused_inline(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, _rfs(sim))
        screen.query_one("#start", Input).value = ""
        screen.query_one("#message", TextArea).load_text("Site is down")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Not sent" in screen_text(app))
        assert "an Incident needs start of incident" in screen_text(app)
        screen.query_one("#start", Input).value = "soon"
        await until(pilot, lambda: "cannot read 'soon'" in screen_text(app))
        assert store.outbox.outbox() == []


async def test_valid_incident_is_created_with_open_end(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    service = _rfs(sim)
    before = set(sim.data.cases)
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#start", Input).value = "-45m"
        screen.query_one("#reference", Input).value = "INC0042"
        screen.query_one("#message", TextArea).load_text("Total outage since 10:20")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Created" in screen_text(app))
        [new] = set(sim.data.cases) - before
        case = sim.data.cases[new]
        assert case["serviceId"] == service and case["customerReference"] == "INC0042"
        assert case["endOfIncident"] == case["startOfIncident"]  # ongoing: end = start
        assert case["startOfIncident"].startswith("2026-11-18T10:21:40")
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "case_id", None) == new)
        await until(pilot, lambda: "→ ongoing" in screen_text(app))  # not "10:21 → 10:21"


async def test_server_rejection_is_shown_inline_and_form_kept(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    service = _rfs(sim)
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#message", TextArea).load_text("Please look")
        del sim.data.services[service]  # gone on the server since the last sync
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Rejected" in screen_text(app))
        assert f"service {service} does not exist" in screen_text(app)
        assert screen.query_one("#message", TextArea).text == "Please look"
        assert store.drafts.load_draft(f"new:{service}")["message"] == "Please look"  # type: ignore[index]


async def test_new_case_draft_is_restored(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    service = _rfs(sim)
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#message", TextArea).load_text("typed before a crash")
        await pilot.press("escape")
    again = make_app(store_=Store(store.path))
    async with again.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(again, pilot, service)
        assert screen.query_one("#message", TextArea).text == "typed before a crash"


async def test_update_sends_only_what_changed(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    import json

    from tests.sim_fixtures import RecordingTransport

    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    before = dict(sim.data.cases[case_id])
    wire = RecordingTransport(sim)
    app = make_app(online=True, transport=wire)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_update_case(case_id)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        screen = app.screen
        assert isinstance(screen, UpdateCaseScreen)
        screen.query_one("#reference", Input).value = "CHG-1234"
        assert screen.changes() == {"customerReference": "CHG-1234"}
        assert screen.query_one("#close").disabled  # only a Resolved case can be closed
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved:" in screen_text(app))
        after = sim.data.cases[case_id]
        assert after["customerReference"] == "CHG-1234"
        assert after["priority"] == before["priority"]
    writes = [r for r in wire.api() if r.method != "GET"]
    assert [(r.method, r.url.path) for r in writes] == [("PATCH", f"/v2/cases/{case_id}")]
    assert json.loads(writes[0].body) == {"customerReference": "CHG-1234"}  # nothing else


async def test_inventory_loads_lazily_and_jumps(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    import re

    from expereo_tui.ui.safe_text import safe

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        await until(
            pilot, lambda: isinstance(app.screen, InventoryScreen) and bool(app.screen.query(Tree))
        )
        tree = app.screen.query_one(Tree)
        accounts = tree.root.children
        assert len(accounts) == len(sim.data.accounts)
        assert all(not a.children for a in accounts)  # nothing loaded before it is opened
        accounts[0].expand()
        await until(pilot, lambda: bool(accounts[0].children))
        site_node = next(
            n for n in accounts[0].children if n.data and store.inventory.services(site_id=n.data.id)
        )
        site_node.expand()
        await until(pilot, lambda: bool(site_node.children))
        service_node = site_node.children[0]
        tree.move_cursor(service_node)
        await pilot.pause()
        sid = service_node.data.id  # type: ignore[union-attr]
        # the detail pane (not just the tree, whose labels hold the id too) shows the service
        svc, site = store.inventory.service(sid), store.inventory.site(site_node.data.id)  # type: ignore[union-attr]
        assert svc is not None and site is not None
        text = screen_text(app)
        assert re.search(rf"Service +{sid} *\n", text), text
        assert re.search(rf"Name +{re.escape(safe(svc.service_name))}", text)
        assert re.search(rf"Site +{re.escape(safe(site.name))}, {re.escape(site.city or '')}", text)
        assert re.search(r"Open cases +\d+ +\(c: show cases", text)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        assert app.screen.query_state.service_id == sid  # type: ignore[attr-defined]
        await pilot.press("escape")  # back to the inventory, on the same service
        await until(pilot, lambda: isinstance(app.screen, InventoryScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewCaseScreen))
        assert app.screen.service_id == sid  # type: ignore[attr-defined]


async def test_inventory_filter_shows_matches_with_ancestors(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    site = next(iter(sim.data.sites.values()))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: bool(app.screen.query("#inv-search")))
        await pilot.press("slash", *site["city"])
        tree = app.screen.query_one(Tree)
        await until(pilot, lambda: any(n.children for n in tree.root.children))
        labels = [str(c.label) for a in tree.root.children for c in a.children]
        assert any(site["city"] in label for label in labels)
        assert all(a.is_expanded for a in tree.root.children)


async def test_general_request_is_created_without_incident_times(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    service = _rfs(sim)
    before = set(sim.data.cases)
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#priority", Select).value = "P1"
        screen.query_one("#type", Select).value = "NonIncident"
        await pilot.pause()
        # P1 is not allowed for a General Request: the form moves it into the allowed range
        assert screen.query_one("#priority", Select).value == "P3"
        screen.query_one("#subject", Select).value = "ChangeRequest"
        screen.query_one("#message", TextArea).load_text("Please add a static route")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Created" in screen_text(app))
    [new] = set(sim.data.cases) - before
    case = sim.data.cases[new]
    assert (case["type"], case["priority"], case["subject"]) == (
        "NonIncident",
        "P3",
        "ChangeRequest",
    )
    assert case["startOfIncident"] is None and case["endOfIncident"] is None


async def test_restored_draft_with_a_disallowed_priority_is_corrected(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    service = _rfs(sim)
    store.drafts.save_draft(
        f"new:{service}",
        {"type": "NonIncident", "priority": "P1", "subject": "ServiceDown", "message": "x"},
    )
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        assert screen.query_one("#priority", Select).value == "P3"
        assert screen.query_one("#subject", Select).value == "ActivationSupport"
        body, errors = screen.body()
        assert errors == {} and body["priority"] == "P3"


# -- forms submit once (issue #10) -------------------------------------------------------------


async def test_new_case_form_submits_once_and_turns_read_only(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    service = _rfs(sim)
    before = set(sim.data.cases)
    sim.write_gate = gate = threading.Event()  # the first create stays in flight meanwhile
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#message", TextArea).load_text("Site dark since 10:20")
        try:
            await pilot.press("ctrl+s", "ctrl+s")  # one burst: a double tap
            await until(pilot, lambda: "already sending" in screen_text(app))
            assert screen.query_one("#message", TextArea).disabled  # locked while sending
            screen.flush()  # the autosave timer firing meanwhile must not re-save what is sent
            assert store.drafts.load_draft(f"new:{service}") is None
        finally:
            gate.set()
        await until(pilot, lambda: "Created" in screen_text(app))
        [new] = set(sim.data.cases) - before
        assert f"Created {new}: enter opens it" in screen_text(app)
        assert screen.query_one("#message", TextArea).disabled  # the form is read-only now
        await pilot.press("ctrl+s")
        await until(pilot, lambda: f"Created {new}" in screen_text(app))
        assert set(sim.data.cases) - before == {new}
        assert store.drafts.load_draft(f"new:{service}") is None
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "case_id", None) == new)
    assert len(store.outbox.outbox(statuses=("queued", "sending", "sent", "failed"))) == 1


async def test_update_form_submits_once(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    sim.write_gate = gate = threading.Event()
    app = make_app(online=True)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_update_case(case_id)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        screen = app.screen
        assert isinstance(screen, UpdateCaseScreen)
        screen.query_one("#reference", Input).value = "CHG-99"
        try:
            await pilot.press("ctrl+s", "ctrl+s")
            await until(pilot, lambda: "already sending" in screen_text(app))
        finally:
            gate.set()
        await until(pilot, lambda: "Saved:" in screen_text(app))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved:" in screen_text(app))
        assert screen.query_one("#reference", Input).disabled
    patches = [r for r in sim.request_records if r.method == "PATCH"]
    assert len(patches) == 1 and sim.data.cases[case_id]["customerReference"] == "CHG-99"
    assert len(store.outbox.outbox(statuses=("queued", "sending", "sent", "failed"))) == 1


async def test_form_errors_use_peoples_words_not_field_names(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    from textual.widgets import Static

    from expereo_tui.sync.events import OutboxStatus
    from expereo_tui.ui.case.compose import ComposePanel

    case_id = min(sim.data.messages, key=lambda c: len(sim.data.messages[c]))  # a short thread
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, _rfs(sim))
        screen.query_one("#type", Select).value = "Incident"
        screen.query_one("#start", Input).value = "2026-11-18T10:00:00Z"
        screen.query_one("#end", Input).value = "2026-11-18T09:00:00Z"  # before the start
        await pilot.pause()  # (a change clears the server's errors: they come after it)
        screen.server_errors = {"customerReference": ["customerReference is too long"]}
        screen.validate()
        await pilot.pause()
        errors = " ".join(str(w.content) for w in screen.query(".error"))
        assert "end of incident must not be before start of incident" in errors
        assert "customer reference is too long" in errors
        assert "Incident" not in errors.replace("an Incident", "")  # no wire names left
        app.pop_screen()
        app.action_update_case(case_id)
        await until(pilot, lambda: isinstance(app.screen, UpdateCaseScreen))
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        app.screen._show_errors({"priority": ["priority P1 is not a value of sentBy"]})  # type: ignore[attr-defined]
        await pilot.pause()
        errors = " ".join(str(w.content) for w in app.screen.query(".error, Static"))
        assert "priority P1 is not a value of sent by" in errors
        app.pop_screen()
        app.action_open_case(case_id)
        await until(pilot, lambda: bool(app.screen.query(ComposePanel)))
        panel = app.screen.query_one(ComposePanel)
        panel.outbox_status(
            7, OutboxStatus.FAILED, "invalid caseId", {"message": ["message is required"]}
        )
        await pilot.pause()
        text = " ".join(str(w.content) for w in panel.query(Static))
        assert "invalid case" in text and "caseId" not in text


async def test_a_burst_of_keys_saves_what_was_typed(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    """At 80×24 over a laggy link, ``ctrl+u CHG-77 ctrl+s`` in one burst saved an empty
    reference: the field's ctrl+u ran after the text was typed (ui/widgets/in_order.py)."""
    from textual import events

    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    app = make_app(online=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_update_case(case_id)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        screen = app.screen
        screen.query_one("#reference", Input).value = "OLD-1"
        await pilot.pause()
        keys = [("ctrl+u", "\x15"), *((c, c) for c in "CHG-77"), ("ctrl+s", "\x13")]
        for key, character in keys:  # posted at once, as the driver posts a burst
            app.post_message(events.Key(key, character))
        done = ("Saved:", "Nothing changed", "Not sent")
        await until(pilot, lambda: any(word in screen_text(app) for word in done))
        assert "Saved:" in screen_text(app)
        assert sim.data.cases[case_id]["customerReference"] == "CHG-77"
