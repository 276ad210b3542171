"""News: the cases or their threads changed.  A poll reports a change per case and a thread per
case it fetched (on a large account, dozens of events spread over the seconds the poll waits on
the rate limit); whoever reads every open case again on news (the SLA alerts, the wall's tiles)
does it once, when the poll is over, not once per event."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from expereo_tui.sync.events import (
    CasesChanged,
    MessagesAdded,
    SyncEvent,
    SyncStateChanged,
    SyncStatus,
)

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

NEWS_DELAY = 0.5  # seconds: news outside a poll (another instance's, a test's) comes together
NEWS_MAX_WAIT = 5.0  # seconds: a long poll (a first sync, a slow link) still tells what it has


class NewsGate:
    """Gathers the data events into news: published (``publish``) when the poll that brought
    them is over, whatever its end (fresh, an error, offline), or ``NEWS_DELAY`` after the first
    event outside a poll, and at most ``NEWS_MAX_WAIT`` after the first event of a long one.
    Between two publishes the store holds all the poll's writes: every reader of the news reads
    the same state (and so shares one read: ``triage_data.read_open``)."""

    def __init__(self, app: App[None], publish: Callable[[], None]) -> None:
        self.app = app
        self._publish = publish
        self.pending = False  # news not yet published
        self.polling = False  # a poll is running: its end publishes
        self._timer: Timer | None = None
        self.published = 0  # how many times (tests, benchmarks)

    def event(self, event: SyncEvent) -> None:
        if isinstance(event, SyncStateChanged):
            self.polling = event.state.status == SyncStatus.SYNCING
            if not self.polling:
                self.flush()
            return
        if not isinstance(event, CasesChanged | MessagesAdded):
            return
        self.pending = True
        if self._timer is None:
            delay = NEWS_MAX_WAIT if self.polling else NEWS_DELAY
            self._timer = self.app.set_timer(delay, self.flush, name="news")

    def flush(self) -> None:
        """Publish the news gathered, if any."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self.pending:
            return
        self.pending = False
        self.published += 1
        self._publish()
