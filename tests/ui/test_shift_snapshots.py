"""How the shift workflow looks: the view tabs above the inbox, and the template picker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp

from .conftest import until


def test_view_tabs_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """Inbox, a view from the config, one saved in the app and Snoozed, each with its count."""
    store.shift.save_view("Waiting on us", CaseQuery(statuses=frozenset({"Awaiting Customer"})))
    first = store.cases.query_cases(CaseQuery(sort=(("id", False),)), limit=1)[0].id
    store.shift.snooze(first, until=None, until_provider=True)
    app = make_app(views=(("P1/P2", {"priorities": ["P1", "P2"]}),))
    assert snap_compare(app, terminal_size=(80, 24))


def test_template_picker_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    templates = {
        "acknowledge": "Thanks, we are looking at {case_id} ({priority}).",
        "site access": "Access to {site_name}, {site_address} is arranged. — {sent_by}",
        "closing": "Service restored on {service_id}; please close {case_id}.",
    }
    app = make_app(templates=templates, sent_by="anna@noc")

    async def pick(pilot: Pilot[Any]) -> None:
        app.action_open_case(case_id)
        await until(pilot, lambda: bool(app.screen.query("MessageView")))
        await pilot.press("t")
        await until(pilot, lambda: bool(app.screen.query("#templates")))
        await pilot.press("s")
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=pick)
