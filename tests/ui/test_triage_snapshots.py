"""How triage looks: the inbox with its SLA and Turn columns and a cluster line, and the wall
with its triage tiles, at 80×24 and 160×48 (fixed clock, seeded data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from expereo_tui.api.models import Case
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from tests.sim_fixtures import FakeClock

from .test_wall import make_wall


def _cluster(sim: Simulator, store: Store) -> None:
    """Three open incidents at one site, started within minutes: a cluster."""
    ids = [c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress"][:3]
    site = next(iter(sim.data.sites))
    for minutes, case_id in zip((0, 4, 9), ids, strict=True):
        start = f"2026-11-18T10:{10 + minutes:02d}:00Z"
        sim.data.cases[case_id].update(type="Incident", siteId=site, startOfIncident=start)
    store.cases.upsert_cases([Case.model_validate(sim.data.cases[i]) for i in ids])


def test_triage_inbox_160x48(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    _cluster(sim, store)
    assert snap_compare(make_app(inbox_open_only=True), terminal_size=(160, 48))


def test_triage_wall_80x24(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    _cluster(sim, store)
    assert snap_compare(make_wall(sim, store, sim_clock), terminal_size=(80, 24))


def test_triage_wall_160x48(
    snap_compare: Any, sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    _cluster(sim, store)
    assert snap_compare(make_wall(sim, store, sim_clock), terminal_size=(160, 48))
