"""Read-only mode: the keys that write (reply, update, new case, bulk) are gone from the footer
and the help, and pressing one says why, in one line; the other keys work as ever."""

from __future__ import annotations

from collections.abc import Callable

from expereo_tui.keymap import BY_ID, WRITES, help_text
from expereo_tui.sim import Simulator
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.inbox.screen import InboxScreen

from .conftest import screen_text, until


def _last_line(app: ExpereoApp) -> str:
    return [line for line in screen_text(app).splitlines() if line.strip()][-1]


def _notes(app: ExpereoApp) -> list[str]:
    return [n.message for n in app._notifications]


def test_the_help_leaves_out_the_keys_that_write_and_says_why() -> None:
    full, off = help_text(), help_text(read_only="--read-only")
    for action_id in WRITES:
        assert BY_ID[action_id].does in full
    assert "reply to the selected case" in full and "update the case" in full
    assert "reply to the selected case" not in off and "update the case" not in off
    assert "new case for the selected service" not in off
    assert off.startswith("Read-only (--read-only)")
    assert "open the selected case" in off  # reading keys stay


async def test_read_only_footer_has_no_write_keys_and_a_write_key_says_why(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    app = make_app(read_only=True, read_only_reason="--read-only")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        footer = _last_line(app)
        assert "Open" in footer and "Reply" not in footer
        await pilot.press("r")
        await until(pilot, lambda: any("reply" in n for n in _notes(app)))
        note = _notes(app)[-1]
        assert note == "Read-only (--read-only): reply to the selected case is off."
        assert "\n" not in note and isinstance(app.screen, InboxScreen)
        await pilot.press("enter")  # reading works
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        footer = _last_line(app)
        assert "Back" in footer and "Reply" not in footer and "Update" not in footer
        await pilot.press("e")
        await until(pilot, lambda: any("update the case is off" in n for n in _notes(app)))
        await pilot.press("question_mark")
        await until(pilot, lambda: "Read-only (--read-only)" in screen_text(app))
        assert "write a reply" not in screen_text(app)


async def test_writable_footer_keeps_reply(make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        assert "Reply" in _last_line(app)
