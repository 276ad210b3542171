"""Before a reply or a new case goes out: what looks like a credential is shown masked and
must be confirmed; escape goes back to editing with nothing sent."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import TextArea

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.screens.send_check import SendCheckScreen
from tests.sim_fixtures import FakeClock

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
        assert store.outbox.outbox() == [] and app.focused.text == PASTED  # type: ignore[union-attr]
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


def _provider_writes(sim: Simulator, case_id: str, text: str) -> None:
    stamp = sim.stamp()
    sim.data.messages.setdefault(case_id, []).append(
        {"id": f"M-{stamp}", "caseId": case_id, "message": text, "type": "Expereo",
         "timestamp": stamp, "sentBy": "Kim (Expereo NOC)"}
    )  # fmt: skip
    sim.data.cases[case_id]["lastModifiedDate"] = stamp


async def test_provider_wrote_while_typing_reads_once_and_asks(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, sim_clock: FakeClock
) -> None:
    """The store is older than 10 s: one read of the thread at send time finds the provider's
    new message, shown above the question; escape keeps editing, enter sends."""
    app = make_app(online=True)
    target = _open_case(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_case(target, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await pilot.press(*"rebooted")
        await until(pilot, lambda: store.drafts.load_draft(f"reply:{target}") is not None)
        _provider_writes(sim, target, "Could you check the [b]power[/b] LED?")
        sim_clock.advance(60)  # the last poll is a minute old
        before = sim.api_requests()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.pause()
        assert sim.api_requests() - before == 1  # one read, the thread
        assert "Could you check the [b]power[/b] LED?" in screen_text(app)  # literal
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        assert sim.data.messages[target][-1]["message"] != "rebooted"
        await pilot.press("ctrl+s")  # the store is fresh now (just read): no read, same dialog
        await until(pilot, lambda: isinstance(app.screen, SendCheckScreen))
        await pilot.press("enter")
        await until(pilot, lambda: sim.data.messages[target][-1]["message"] == "rebooted")


async def test_no_change_and_a_fresh_store_sends_without_a_read(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    app = make_app(online=True)
    target = _open_case(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_open_case(target, reply=True)
        await until(pilot, lambda: isinstance(app.focused, TextArea))
        await until(
            pilot, lambda: app.engine is not None and app.engine.state.last_success is not None
        )
        await pilot.press(*"ok")
        before = sim.request_log.copy()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: sim.data.messages[target][-1]["message"] == "ok")
        new = list(sim.request_log)[len(before) :]
        sent = next(i for i, (m, path) in enumerate(new) if m == "POST" and "messages" in path)
        assert [r for r in new[:sent] if "/cases" in r[1]] == []  # no read before the send
        assert not isinstance(app.screen, SendCheckScreen)
