"""A key created without a scope the profile asks for: the token endpoint answers
``invalid_scope``, and the status line names the scope to remove."""

from __future__ import annotations

import random

import pytest

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import SyncState, SyncStatus
from expereo_tui.ui.widgets.status_bar import describe
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import Recorder


@pytest.mark.reliability(
    fault="the key lacks a scope the profile asks for (token endpoint: invalid_scope)",
    sees="UNAUTHORISED: remove scope <the scope> from profile",
    data="nothing is fetched; the local data stays; retried at the longest interval",
    shows="UNAUTHORISED: remove scope customerapi/financial.read from profile",
)
async def test_invalid_scope_names_the_scope_to_remove_on_the_status_line(
    sim: Simulator, store: Store, sim_clock: FakeClock, events: Recorder, reliability: Reliability
) -> None:
    sim.add_client("support-only", "s5", ("customerapi/basic.read", "customerapi/support.read"))
    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="support-only",
        client_secret="s5",
        scopes=["customerapi/basic.read", "customerapi/support.read", "customerapi/financial.read"],
    )

    async def fake_sleep(seconds: float) -> None:
        sim_clock.advance(seconds)

    async with V2Client(
        settings, transport=sim.transport(), clock=sim_clock, sleep=fake_sleep, rng=random.Random(0)
    ) as client:
        engine = SyncEngine(
            store, client, on_event=events.append, clock=sim_clock, settings=SyncSettings()
        )
        await engine.poll_once()
    state = engine.state
    assert state.status is SyncStatus.UNAUTHORISED
    assert state.missing_scope == "customerapi/financial.read"
    line = describe(state, sim_clock())
    assert "remove scope customerapi/financial.read" in line and len(line) <= 66
    reliability.check(line)


def test_several_refused_scopes_fit_the_status_line() -> None:
    state = SyncState(
        SyncStatus.UNAUTHORISED,
        missing_scope="customerapi/support.read-write customerapi/financial.read",
    )
    line = describe(state, 0.0)
    assert line == "UNAUTHORISED: remove scopes support.read-write, financial.read"
    assert len(" lab   " + line) <= 78  # the bar pads one cell each side
