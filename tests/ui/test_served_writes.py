"""In the browser view (``serve``) the app writes no file on the server (issue #33 item 3):
``H`` → ``w`` and ``E`` say so instead of asking for a path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.shift.dialogs import BROWSER_NO_FILES, HandoverScreen, PromptScreen

from .conftest import until


def _notified(app: ExpereoApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


@pytest.fixture
def in_a_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExpereoApp, "is_web", property(lambda self: True))


async def test_no_file_is_written_from_the_browser(
    make_app: Callable[..., ExpereoApp], in_a_browser: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"  # where an export would go by default
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("E")
        await until(pilot, lambda: _notified(app, BROWSER_NO_FILES))
        assert not isinstance(app.screen, PromptScreen)
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HandoverScreen))
        app._notifications.clear()
        await pilot.press("w")
        await until(pilot, lambda: _notified(app, "Press c to copy"))
        assert isinstance(app.screen, HandoverScreen)  # no path prompt on top
    assert list(cwd.iterdir()) == []


async def test_in_a_terminal_the_prompt_still_comes(make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HandoverScreen))
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
