"""How the screens look: fixed clock, seeded data, fixed terminal sizes (80×24 is the floor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from expereo_tui.sim import Simulator
from expereo_tui.sim.text import HOSTILE_TEXTS
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp

from .conftest import until


def _unread(store: Store, n: int = 3) -> None:
    for row in store.query_cases(CaseQuery(statuses=frozenset({"In Progress"})), limit=n):
        store.mark_unread(row.id)


def test_inbox_80x24(snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store) -> None:
    _unread(store)
    assert snap_compare(make_app(profile_label="PROD", profile_color="red"), terminal_size=(80, 24))


def test_inbox_high_contrast(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    _unread(store)
    assert snap_compare(make_app(theme="expereo-high-contrast"), terminal_size=(100, 30))


def test_inbox_16_colours(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    _unread(store)
    assert snap_compare(make_app(theme="expereo-16"), terminal_size=(100, 30))


def test_case_with_hostile_text(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    hostile = next(
        c
        for c, msgs in sim.data.messages.items()
        if any(HOSTILE_TEXTS[0] in m["message"] for m in msgs)
    )
    app = make_app()

    async def open_case(pilot: Pilot[Any]) -> None:
        app.action_open_case(hostile)
        await until(pilot, lambda: bool(app.screen.query("MessageView")))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=open_case)


def test_new_case_form_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    service = next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")
    app = make_app()

    async def open_form(pilot: Pilot[Any]) -> None:
        app.action_new_case(service)
        await until(pilot, lambda: bool(app.screen.query("#message")))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form)
