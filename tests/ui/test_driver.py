"""The quiet driver (``ui/input_driver.py``) in a real pseudo-terminal: keys arrive, a lone ESC
becomes the Escape key after the parser's wait (nothing else typed), a paste arrives whole,
quitting does not hang, and while nobody types the input thread does not wake at all
(Textual's own wakes ten times a second)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import constants

from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.input_driver import WakingEvent, input_timeout

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX terminal driver")

CHILD = textwrap.dedent(
    """
    import sys
    from textual.app import App
    from textual.widgets import Static
    from expereo_tui.ui.input_driver import QuietLinuxDriver

    class KeyApp(App):
        keys = []
        def compose(self):
            yield Static("ready", id="s")
        def idle_done(self):
            self.idle_wakes = self._driver.input_wakes - self.start_wakes
            self.query_one(Static).update(f"idle-done {self.idle_wakes}")
        def on_ready(self):
            self.start_wakes = self._driver.input_wakes
            self.set_timer(0.3, self.idle_done)  # nobody types while this runs
        def on_key(self, event):
            self.keys.append(event.key)
            self.query_one(Static).update("keys:" + ",".join(self.keys))
            if event.key == "q":
                self.exit()
        def on_paste(self, event):
            self.query_one(Static).update("paste:" + event.text)

    app = KeyApp(driver_class=QuietLinuxDriver)
    app.run()
    print("IDLE-WAKES=%d KEYS=%s END" % (app.idle_wakes, "|".join(app.keys)))
    """
)


class Pty:
    def __init__(self, script: Path) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("TEXTUAL", None)
        env.pop("TEXTUAL_DRIVER", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def wait_for(self, mark: bytes, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while mark not in self.output:
            assert time.monotonic() < deadline, f"{mark!r} never came: {self.output[-300:]!r}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child is gone
                    assert mark in self.output, f"{mark!r} never came: {self.output[-300:]!r}"

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        os.close(self.master)


def test_keys_escape_paste_quit_and_no_idle_wakes(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    term = Pty(script)
    try:
        term.wait_for(b"idle-done")  # 0.3 s with no key: counted, and checked at the end
        term.send(b"ab")
        term.wait_for(b"keys:a,b")
        term.send(b"\x1b")  # a lone ESC: Escape once the parser's wait is over
        term.wait_for(b"keys:a,b,escape")
        term.send(b"\x1b[200~pasted text\x1b[201~")
        term.wait_for(b"paste:pasted text")
        term.send(b"q")
        term.wait_for(b" END")
        assert term.proc.wait(10) == 0
        summary = term.output.rsplit(b"IDLE-WAKES=", 1)[1]
        wakes, keys = summary.split(b" END")[0].split(b" KEYS=")
        assert int(wakes) == 0  # Textual's driver: ~3 in 0.3 s
        assert keys == b"a|b|escape|q"
    finally:
        term.close()


def test_input_timeout_sleeps_for_ever_unless_a_sequence_is_half_read() -> None:
    assert input_timeout(None, 100.0) is None
    assert input_timeout(100.25, 100.0) == pytest.approx(0.25)
    assert input_timeout(99.0, 100.0) == 0.0  # overdue: look at once


def test_the_exit_event_wakes_the_select_and_clear_rearms_it() -> None:
    event = WakingEvent()
    assert select.select([event.wake_read], [], [], 0)[0] == []
    event.set()
    assert event.is_set()
    assert select.select([event.wake_read], [], [], 0)[0] == [event.wake_read]
    event.clear()
    assert not event.is_set()
    assert select.select([event.wake_read], [], [], 0)[0] == []


def test_the_app_runs_on_the_quiet_driver_unless_another_is_named(
    make_app: Callable[..., ExpereoApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    from expereo_tui.ui.input_driver import QuietLinuxDriver

    assert make_app().driver_class is QuietLinuxDriver
    monkeypatch.setattr(constants, "DRIVER", "textual.drivers.headless_driver:HeadlessDriver")
    assert make_app().driver_class.__name__ == "HeadlessDriver"  # the browser's, say


def _forget_the_quiet_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next import of ``ui/input_driver.py`` runs the module again (then the real one is
    put back by monkeypatch)."""
    monkeypatch.delitem(sys.modules, "expereo_tui.ui.input_driver")


@pytest.mark.parametrize("move", ["module", "name", "parser attribute"])
async def test_textual_moving_its_private_parts_falls_back_to_its_own_driver(
    move: str,
    make_app: Callable[..., ExpereoApp],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Textual release that moves what the quiet loop copies (a private module, a name in it,
    or the parser's ``_timeout_time``) costs the idle saving, not the launch: the app logs one
    line and runs on Textual's LinuxDriver."""
    import textual._xterm_parser
    from textual.drivers.linux_driver import LinuxDriver

    _forget_the_quiet_driver(monkeypatch)
    if move == "module":  # ``import textual._parser`` raises ImportError
        monkeypatch.setitem(sys.modules, "textual._parser", None)
    elif move == "name":  # ``from textual._xterm_parser import XTermParser``: ImportError
        monkeypatch.delattr(textual._xterm_parser, "XTermParser")
    else:

        class MovedParser(textual._xterm_parser.XTermParser):
            def __init__(self, debug: bool = False) -> None:
                super().__init__(debug)
                del self._timeout_time  # renamed, say

        monkeypatch.setattr(textual._xterm_parser, "XTermParser", MovedParser)
    monkeypatch.setattr(constants, "DRIVER", None)
    with caplog.at_level("WARNING", logger="expereo_tui.ui.app"):
        app = make_app()
    assert app.driver_class is LinuxDriver
    lines = [r.getMessage() for r in caplog.records if r.name == "expereo_tui.ui.app"]
    assert len(lines) == 1 and "using Textual's own LinuxDriver" in lines[0], lines
    async with app.run_test() as pilot:  # and it still runs (headless)
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)
