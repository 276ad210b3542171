"""The base of the app's full screens: ``self.xapp`` typed once, and sync events and draft
flushes delivered through the app's Signals (a screen subscribes while it is mounted; an
unmounted screen is never called)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual import events, on
from textual.screen import Screen

from expereo_tui.keymap import BY_ID, WRITES
from expereo_tui.sync.events import SyncEvent

if TYPE_CHECKING:
    from expereo_tui.ui.host import AppHost

ResultType = TypeVar("ResultType")


class AppScreen(Screen[ResultType], Generic[ResultType]):
    """A screen of the app (``ExpereoApp``, through :class:`~expereo_tui.ui.host.AppHost`).

    Override :meth:`sync_event` to react to what the sync engine reports (it arrives even while
    another screen is on top), and :meth:`flush` to save unsaved input before the app quits.
    """

    @property
    def xapp(self) -> AppHost:
        """The running app, typed (``ui/host.py``)."""
        return cast("AppHost", self.app)

    def _on_mount(self, event: events.Mount) -> None:
        # beside the subclass's own on_mount (Textual calls the handler of each class in the MRO);
        # the subscriptions end with the screen: Textual drops them once it is unmounted
        self.xapp.sync_signal.subscribe(self, self.sync_event)
        self.xapp.news_signal.subscribe(self, self._news_signalled)
        self.xapp.flush_signal.subscribe(self, self._flush_signalled, immediate=True)
        self.xapp.team_signal.subscribe(self, self._team_signalled)

    def writes_off(self, action: str) -> bool:
        """Whether ``action`` (one of this screen's bindings) writes, and writes are off: then
        its key is gone from the footer and the help (check_action says False)."""
        if not self.xapp.options.read_only:
            return False
        return any(
            getattr(b, "action", None) == action and getattr(b, "id", None) in WRITES
            for b in self.BINDINGS
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.writes_off(action)

    @on(events.Key)
    def _say_writes_are_off(self, event: events.Key) -> None:
        """A write key pressed in read-only mode (its binding is off, so the key comes here):
        one calm line says why nothing happens."""
        if not self.xapp.options.read_only:
            return
        for _node, bindings in self._modal_binding_chain:  # the profile's keys applied
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if binding.id in WRITES:
                    event.stop()
                    event.prevent_default()
                    self.notify(
                        f"Read-only ({self.xapp.read_only_reason}): "
                        f"{BY_ID[binding.id].does} is off.",
                        timeout=4,
                        markup=False,
                    )
                    return

    @property
    def content_painted(self) -> bool:
        """Whether the screen's content is in the frames written so far: the app's first frame
        is the first one for which this holds (a screen whose content comes in a later frame,
        like the inbox's table, says so)."""
        return True

    def _flush_signalled(self, _: None) -> None:
        self.flush()

    def _news_signalled(self, _: None) -> None:
        self.news()

    def _team_signalled(self, _: None) -> None:
        self.team_changed()

    def sync_event(self, event: SyncEvent) -> None:
        """Called, in this screen's message loop, for every event of the sync engine."""

    def news(self) -> None:
        """Called once the changes of a poll are all stored (after their events): read what
        is read from every open case again here, not on each event."""

    def team_changed(self) -> None:
        """Team mode: the team's presence, claims or pins changed (``xapp.awareness``)."""

    def flush(self) -> None:
        """Save what the person typed and has not saved yet (the app is about to quit)."""
