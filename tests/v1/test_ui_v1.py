"""The app on API V1: what V1 lacks is hidden with one line saying why, and the triage
(u, r, type, ctrl+s), a rejected reply, an outage, creating an Incident and setting the
reference go through the V1 backend (some tests of tests/ui run unchanged on it)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select, TextArea

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.forms.new_case import NewCaseScreen
from expereo_tui.ui.forms.update_case import UpdateCaseScreen
from expereo_tui.ui.options import AppOptions
from tests.reliability_plugin import reliability_of
from tests.sim_fixtures import FakeClock
from tests.store.test_store import fill
from tests.ui import test_case
from tests.ui.conftest import screen_text, until

from .conftest import make_v1_client


@pytest.fixture
def ui_store(tmp_path: Path, sim: Simulator, sim_clock: FakeClock) -> Store:
    store = Store(tmp_path / "ui-v1.sqlite3", clock=sim_clock)
    fill(store, sim)
    return store


@pytest.fixture
def v1_make_app(sim: Simulator, ui_store: Store, sim_clock: FakeClock) -> Callable[..., ExpereoApp]:
    """``make_app`` of tests/ui, with the engine on the V1 backend."""

    def make(*, online: bool = False, **options: Any) -> ExpereoApp:
        def factory(on_event: Callable[..., None]) -> SyncEngine:
            client, _ = make_v1_client(sim, sim_clock)
            return SyncEngine(
                ui_store,
                client,
                on_event=on_event,
                clock=sim_clock,
                settings=SyncSettings(),
                rng=random.Random(0),
            )

        options = {"bell": False, "desktop_notifications": False, **options}
        opts = AppOptions(clock=sim_clock, **options)
        return ExpereoApp(store=ui_store, engine_factory=factory if online else None, options=opts)

    return make


@pytest.fixture
def v1_app(v1_make_app: Callable[..., ExpereoApp]) -> Callable[[], ExpereoApp]:
    return lambda: v1_make_app(online=True)


def _rfs(sim: Simulator) -> str:
    return next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")


async def test_new_incident_on_v1_hides_priority_and_is_created(
    v1_app: Callable[[], ExpereoApp], sim: Simulator
) -> None:
    service = _rfs(sim)
    before = set(sim.data.cases)
    app = v1_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: app.engine is not None)
        app.action_new_case(service)
        await until(pilot, lambda: bool(app.screen.query("#message")))
        screen = app.screen
        assert isinstance(screen, NewCaseScreen)
        assert not screen.query_one("#priority", Select).display
        assert "API V1 takes no priority on a new case" in screen_text(app)
        screen.query_one("#start", Input).value = "-45m"
        screen.query_one("#message", TextArea).load_text("Total outage since 10:20")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Created" in screen_text(app))
    [new] = set(sim.data.cases) - before
    case: dict[str, Any] = sim.data.cases[new]
    # an ongoing incident is sent with its end equal to its start (the documented workaround)
    assert case["type"] == "Incident" and case["endOfIncident"] == case["startOfIncident"]


async def test_update_on_v1_offers_only_the_reference(
    v1_app: Callable[[], ExpereoApp], sim: Simulator
) -> None:
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "Resolved")
    app = v1_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.engine is not None)
        app.action_update_case(case_id)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
        screen = app.screen
        assert isinstance(screen, UpdateCaseScreen)
        assert "API V1 can set only the reference" in screen_text(app)
        assert not screen.query_one("#priority").display
        assert not screen.query_one("#close").display
        screen.query_one("#reference", Input).value = "CHG-9"
        assert screen.changes() == {"customerReference": "CHG-9"}
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved:" in screen_text(app))
    assert sim.data.cases[case_id]["customerReference"] == "CHG-9"


async def test_quick_triage_reply_in_three_keys_on_v1(
    v1_make_app: Callable[..., ExpereoApp], sim: Simulator, ui_store: Store
) -> None:
    await test_case.test_quick_triage_reply_in_three_keys(v1_make_app, sim, ui_store)


async def test_rejected_reply_comes_back_to_the_box_on_v1(
    v1_make_app: Callable[..., ExpereoApp], sim: Simulator, ui_store: Store
) -> None:
    await test_case.test_rejected_reply_comes_back_to_the_box(
        v1_make_app,
        sim,
        ui_store,
        reliability=reliability_of(test_case.test_rejected_reply_comes_back_to_the_box),
    )


async def test_status_bar_tells_offline_and_recovers_on_v1(
    v1_make_app: Callable[..., ExpereoApp], sim: Simulator, ui_store: Store
) -> None:
    await test_case.test_status_bar_tells_offline_and_recovers(
        v1_make_app,
        sim,
        ui_store,
        reliability=reliability_of(test_case.test_status_bar_tells_offline_and_recovers),
    )
