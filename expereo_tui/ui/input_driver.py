"""A terminal driver whose input thread sleeps while nobody types.

Textual's ``LinuxDriver`` reads keys in a thread that wakes ten times a second whether or not
a key came (``select(0.1)``): it must look, now and then, whether the app is quitting and
whether a lone ESC has waited long enough to be the Escape key rather than the start of a
sequence.  On a NOC wall that nobody touches for days, or beside other sessions on a shared
jump host, those wake-ups were more than half of what the idle app cost (0.09 of 0.16 CPU
seconds a minute, measured per thread from /proc).

``QuietLinuxDriver`` waits in ``select`` with no timeout unless the parser is waiting for the
rest of a sequence (then exactly until that wait is over, as Textual's ``tick`` would see it),
and is woken at once when the app quits by a pipe that the exit event writes to.  Everything
else (parsing, the terminal modes, resize, suspend) is Textual's own.

The loop is a copy of ``LinuxDriver.run_input_thread`` (Textual 8.2) with the timeout changed;
Textual is pinned ``<9`` in ``pyproject.toml``.  ``tests/ui/test_driver.py`` runs it in a real
pseudo-terminal: keys, a lone ESC, a paste, and quitting.

The loop leans on Textual's private modules (``textual._parser``, ``textual._xterm_parser``, …)
and on the parser's private ``_timeout_time``.  A Textual release that moves them must not
break every launch: importing this module raises ``ImportError`` (a module or name moved) or
``AttributeError`` (the parser changed; :func:`check_private_api`), and ``ExpereoApp`` then
logs one line and runs on Textual's own ``LinuxDriver``.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from threading import Event
from typing import Any

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


def check_private_api() -> None:
    """Raise ``AttributeError`` if Textual's parser no longer has what the loop uses."""
    parser = XTermParser(False)
    for name in ("feed", "tick", "_timeout_time"):
        if not hasattr(parser, name):
            raise AttributeError(f"textual's XTermParser has no {name!r}")
    for name in ("run_input_thread", "process_message"):
        if not hasattr(LinuxDriver, name):
            raise AttributeError(f"textual's LinuxDriver has no {name!r}")


check_private_api()


class WakingEvent(Event):
    """The input thread's exit event: setting it also makes the thread's ``select`` return."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)

    def set(self) -> None:
        super().set()
        try:
            os.write(self.wake_write, b"\0")
        except OSError:  # full (many sets, nobody reading): a wake is pending anyway
            pass

    def clear(self) -> None:
        super().clear()
        try:
            while os.read(self.wake_read, 512):
                pass
        except (BlockingIOError, OSError):
            pass


def input_timeout(timeout_time: float | None, now: float) -> float | None:
    """How long the input thread may sleep: for ever (``None``) when no escape sequence is
    half-read, else until the parser's wait is over (never negative)."""
    if timeout_time is None:
        return None
    return max(0.0, timeout_time - now)


class QuietLinuxDriver(LinuxDriver):
    """``LinuxDriver`` with an input thread that wakes only for input, a pending escape
    timeout, or the app quitting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = WakingEvent()
        self.input_wakes = 0  # times select returned (tests count them)

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's loop, with a timeout only while the
        parser waits for the rest of a sequence)."""
        exit_event = self.exit_event
        assert isinstance(exit_event, WakingEvent)
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(exit_event.wake_read, selectors.EVENT_READ)

        fileno = self.fileno
        wake = exit_event.wake_read
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        decode = getincrementaldecoder("utf-8")().decode
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            self.input_wakes += 1
            keys = [(key, mask) for key, mask in selector_events if key.fd != wake]
            for last, (_selector_key, mask) in loop_last(keys):
                if mask & EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        # This can occur if the stdin is piped
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        def timeout() -> float | None:
            return input_timeout(parser._timeout_time, get_time())

        try:
            while not exit_event.is_set():
                process_selector_events(selector.select(timeout()))
            selector.unregister(self.fileno)
            selector.unregister(wake)
            process_selector_events(selector.select(0.1), final=True)

        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
