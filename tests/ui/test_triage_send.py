"""Before a reply or a new case goes out: what looks like a credential is shown masked and
must be confirmed; escape goes back to editing with nothing sent."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import TextArea

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.screens.send_check import SendCheckScreen

from .conftest import screen_text, until
from .test_case import _open_case

PASTED = "Config below:\nsnmp-server community N0cR34d RO 10\nthanks"


async def test_reply_with_a_community_string_asks_and_shows_it_masked(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    app = make_app(online=True)
    target = _open_case(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_case(target, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        app.focused.load_text(PASTED)  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "line 2: an SNMP community" in text and "snmp-server community N••••" in text
        assert "N0cR34d" not in text  # masked on screen
        await pilot.press("escape")  # back to editing: nothing queued, the text kept
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        assert store.outbox() == [] and app.focused.text == PASTED  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.press("y")  # send anyway
        await until(pilot, lambda: sim.data.messages[target][-1]["message"] == PASTED)


async def test_new_case_with_a_private_key_asks_first(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    from textual.widgets import Select

    from .test_forms import _new_case, _rfs

    service = _rfs(sim)
    before = set(sim.data.cases)
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _new_case(app, pilot, service)
        screen.query_one("#type", Select).value = "NonIncident"
        await pilot.pause()
        screen.query_one("#subject", Select).value = "ChangeRequest"
        key = "Use this:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
        screen.query_one("#message", TextArea).load_text(key)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.pause()
        assert "line 2: a private key block" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert set(sim.data.cases) == before  # nothing sent
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.press("y")
        await until(pilot, lambda: "Created" in screen_text(app))
    assert len(set(sim.data.cases) - before) == 1
