"""Waiting in a test for a condition to hold: polled against a deadline of the loop's clock,
never a fixed sleep.  (A Textual app under Pilot has its own: ``tests.ui.conftest.until``.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], within: float = 10.0, *, step: float = 0.02) -> None:
    """Yield to the loop, ``step`` seconds at a time, until ``condition`` holds; red after
    ``within`` seconds of real time (a deadline, not a count of rounds: a loaded machine gets
    through fewer)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached in {within:g} s")
        await asyncio.sleep(step)
