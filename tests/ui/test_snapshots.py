"""How the screens look: fixed clock, seeded data, fixed terminal sizes (80×24 is the floor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from expereo_tui.sim import Simulator
from expereo_tui.sim.text import HOSTILE_TEXTS
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp

from .conftest import until


def _unread(store: Store, n: int = 3) -> None:
    for row in store.cases.query_cases(CaseQuery(statuses=frozenset({"In Progress"})), limit=n):
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


def test_inbox_16_colours_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """Every colour from the 16 ANSI ones (the terminal's palette), at the 80×24 floor."""
    _unread(store)
    assert snap_compare(make_app(theme="expereo-16"), terminal_size=(80, 24))


def test_inbox_textual_light_80x24(
    snap_compare: Any, make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """Textual's light theme: priorities and statuses stay readable (4.5:1) on a light ground."""
    _unread(store)
    assert snap_compare(make_app(theme="textual-light"), terminal_size=(80, 24))


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
        _steady_cursors(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form)


SCREENS = ("inbox", "case", "inventory", "new_case", "update_case", "help")


async def _goto(app: ExpereoApp, pilot: Pilot[Any], screen: str, sim: Simulator) -> None:
    busy = max(sim.data.messages, key=lambda c: len(sim.data.messages[c]))
    service = next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")
    if screen == "case":
        app.action_open_case(busy)
        await until(pilot, lambda: bool(app.screen.query("MessageView")))
    elif screen == "inventory":
        app.action_open_inventory()
        await until(pilot, lambda: bool(app.screen.query("Tree")))
        await pilot.press("down", "enter", "down", "down", "enter", "down")
    elif screen == "new_case":
        app.action_new_case(service)
        await until(pilot, lambda: bool(app.screen.query("#message")))
    elif screen == "update_case":
        app.action_update_case(busy)
        await until(pilot, lambda: bool(app.screen.query("#reference")))
    elif screen == "help":
        await pilot.press("question_mark")
    _steady_cursors(app)
    await pilot.pause()


def _steady_cursors(app: ExpereoApp) -> None:
    """A focused input's cursor blinks on a timer: under load the picture was taken in either
    phase, so the snapshot flickered between runs.  Hold every cursor visible."""
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


def _size_id(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=_size_id)
@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen(
    snap_compare: Any,
    make_app: Callable[..., ExpereoApp],
    store: Store,
    sim: Simulator,
    screen: str,
    size: tuple[int, int],
) -> None:
    _unread(store)
    app = make_app(profile_label="PROD", profile_color="red")

    async def before(pilot: Pilot[Any]) -> None:
        await _goto(app, pilot, screen, sim)

    assert snap_compare(app, terminal_size=size, run_before=before)
