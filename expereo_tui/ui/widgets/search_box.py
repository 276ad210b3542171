"""A one-line search box that reports each new value while the key is still being handled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .in_order import Input


class SearchBox(Input):
    """An Input that calls ``on_change(value)`` from its own value watcher.

    ``Input.Changed`` reaches the screen as a message after the screen has already been told to
    repaint the box, so the typed character is drawn in one frame and the rows it selects in the
    next (Textual draws at most 60 frames a second: that order alone costs up to 17 ms). Told
    here, the owner updates what the text selects before that repaint, and both are drawn
    together.  ``Changed`` is still posted as usual."""

    def __init__(self, on_change: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        self._on_change(value)
