"""Textual messages that carry the sync layer's events into the UI."""

from __future__ import annotations

from textual.message import Message

from expereo_tui.sync.events import SyncEvent


class SyncEventMessage(Message):
    """The sync engine announced something (delivered to the app, then to every screen)."""

    def __init__(self, event: SyncEvent) -> None:
        super().__init__()
        self.event = event
