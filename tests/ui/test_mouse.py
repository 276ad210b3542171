"""``M`` (app.mouse) turns the terminal's mouse reporting off, so the terminal selects and copies
text itself (k9s #874), and on again; a suspend (``$EDITOR``) does not turn it back on behind
the user's back, and a driver without the switch (the browser's) is left alone."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.pty_apps import Launched
from expereo_tui.keymap import BY_ID
from expereo_tui.ui.app import ExpereoApp


class Recorder:
    """Stands in for the terminal driver's two private switches (headless has none)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def attach(self, app: ExpereoApp) -> None:
        app._driver._disable_mouse_support = lambda: self.calls.append("off")  # type: ignore[union-attr]
        app._driver._enable_mouse_support = lambda: self.calls.append("on")  # type: ignore[union-attr]


def toasts(app: ExpereoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_m_turns_mouse_capture_off_and_on(make_app: Callable[..., ExpereoApp]) -> None:
    assert BY_ID["app.mouse"].key == "M"  # rebindable, in the help and the docs' table
    app = make_app()
    recorder = Recorder()
    async with app.run_test() as pilot:
        recorder.attach(app)
        await pilot.press("M")
        assert recorder.calls == ["off"] and app.mouse_off
        assert any("Mouse capture OFF" in t and "M turns it back on" in t for t in toasts(app))
        app.app_resume_signal.publish(app)  # back from $EDITOR: Textual re-enabled the mouse
        assert recorder.calls == ["off", "off"]
        await pilot.press("M")
        assert recorder.calls == ["off", "off", "on"] and not app.mouse_off
        app.app_resume_signal.publish(app)
        assert recorder.calls == ["off", "off", "on"]  # on stays on: nothing written


async def test_a_rebound_key_is_the_one_named(make_app: Callable[..., ExpereoApp]) -> None:
    app = make_app(keymap={"app.mouse": "ctrl+o"})
    recorder = Recorder()
    async with app.run_test() as pilot:
        recorder.attach(app)
        await pilot.press("ctrl+o")
        assert recorder.calls == ["off"]
        assert any("ctrl+o turns it back on" in t for t in toasts(app))


async def test_a_driver_without_the_switch_is_left_alone(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test() as pilot:  # headless: no _disable_mouse_support
        await pilot.press("M")
        assert not app.mouse_off
        assert any("cannot turn mouse capture off" in t for t in toasts(app))


def _after(app: Launched, start: int, mark: bytes, limit: float = 30.0) -> bytes:
    """What the app wrote since ``start`` once ``mark`` is in it (select-driven reads)."""
    deadline = time.monotonic() + limit
    while mark not in app.output[start:]:
        assert time.monotonic() < deadline and app.proc.poll() is None, bytes(app.output[-300:])
        app.read(0.1)
    return bytes(app.output[start:])


def test_in_a_real_terminal_m_writes_the_modes_off_and_on(tmp_path: Path) -> None:
    """The demo in a pseudo-terminal, on the real (quiet) driver: ``M`` writes the DEC private
    modes that stop mouse reporting (1000, 1003, 1015, 1006), and ``M`` again sets them."""
    from benchmarks.pty_apps import ROW_MARK, launch

    env = {f"XDG_{d}_HOME": str(tmp_path / d) for d in ("CONFIG", "DATA", "STATE", "CACHE")}
    script = Path(sys.executable).with_name("expereo-tui")
    argv = [str(script)] if script.is_file() else [sys.executable, "-m", "expereo_tui"]
    app = launch([*argv, "demo", "--scale", "tiny"], env)
    try:
        app.wait_for(ROW_MARK)
        start = len(app.output)
        os.write(app.master, b"M")
        off = _after(app, start, b"\x1b[?1006l")
        assert all(f"\x1b[?{mode}l".encode() in off for mode in (1000, 1003, 1015, 1006))
        start = len(app.output)
        os.write(app.master, b"M")
        assert b"\x1b[?1000h" in _after(app, start, b"\x1b[?1006h")
    finally:
        app.stop()
