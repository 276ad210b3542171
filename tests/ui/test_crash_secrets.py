"""A crash never shows a secret (issue #33 item 5): Textual's crash screen renders each frame's
locals, and a failure inside the token request has the client secret in one."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from rich.console import Console

from expereo_tui.ui.app import ExpereoApp

SECRET = "S3CRET-in-a-local-9f2c"


def _fetch_token(client_secret: str) -> None:
    form = {"grant_type": "client_credentials", "client_secret": client_secret}
    raise RuntimeError(f"token endpoint broke ({len(form)} fields)")


async def test_a_crash_with_a_secret_in_a_local_never_prints_it(
    make_app: Callable[..., ExpereoApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: ExpereoApp) -> None:
        _fetch_token(SECRET)

    monkeypatch.setattr(ExpereoApp, "action_help", crash)
    app = make_app()
    shown = io.StringIO()
    app.error_console = Console(file=shown, width=200, color_system=None)
    with pytest.raises(RuntimeError, match="token endpoint broke"):
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
    text = shown.getvalue()
    assert "token endpoint broke" in text and "_fetch_token" in text  # the crash is shown
    assert SECRET not in text
