"""The expereo-tui Textual application: screens over the local store, kept fresh by the sync
engine.  It never waits on the network in an event handler: the engine does network work in
its own tasks and reports back through :class:`SyncEventMessage`."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Static

from expereo_tui.keymap import key_label
from expereo_tui.store.errors import StoreError
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.events import (
    CasesChanged,
    MessagesAdded,
    OutboxChanged,
    OutboxStatus,
    SyncEvent,
    SyncState,
    SyncStateChanged,
    SyncStatus,
)
from expereo_tui.ui import themes
from expereo_tui.ui.commands import CaseCommands
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.messages import SyncEventMessage
from expereo_tui.ui.news import NewsGate
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.shift.alerts import Alerter
from expereo_tui.ui.shift.dialogs import HandoverScreen
from expereo_tui.ui.store_notices import error_line, opened_line, problem_line
from expereo_tui.ui.team_view import PinMirror, status_words
from expereo_tui.ui.widgets.news_line import NewsLine
from expereo_tui.ui.widgets.status_bar import StatusBar, next_change

if TYPE_CHECKING:
    from textual.driver import Driver
    from textual.notifications import SeverityLevel

    from expereo_tui.sync.engine import SyncEngine
    from expereo_tui.team.awareness import Awareness

log = logging.getLogger(__name__)

EngineFactory = Callable[[Callable[[SyncEvent], None]], "SyncEngine"]
FIRST_FRAME_FALLBACK = 2.0  # seconds after Ready: start what waits on the first frame anyway
QUIET_POLL = 1.0  # seconds a routine poll runs before the status bar says "syncing…"
STATUS_RECHECK = 15.0  # seconds: the longest the status bar goes unchecked (turning STALE)


TMUX_HINTS = {
    "clipboard": "Copies reach your clipboard through tmux only with "
    "`set -g set-clipboard on` in ~/.tmux.conf.",
    "passthrough": "Desktop notifications pass through tmux only with "
    "`set -g allow-passthrough on` in ~/.tmux.conf.",
}


def _import_engine_modules() -> None:
    import importlib

    for name in ("expereo_tui.api.factory", "expereo_tui.sync.engine"):  # factory: both APIs
        importlib.import_module(name)


def freeze_start_up() -> None:
    """Once the first frame is out, move what start-up made (modules, styles, the first screen:
    ~100,000 objects) out of the garbage collector's way, or every full collection walks them
    all: a 50 ms pause that lands on whatever key was just typed.  Thawed at exit, so what
    start-up left behind is freed with the app.  Then the collector runs again: a launch holds
    it until now (``launch.hold_gc_until_first_frame``)."""
    gc.freeze()
    gc.enable()


def is_remote_session() -> bool:
    """An SSH login with no display to open a browser on."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return not has_display and bool(os.environ.get("SSH_TTY") or os.environ.get("SSH_CONNECTION"))


class ExpereoApp(App[None]):
    """Inbox by default; inventory, case, new/update case screens on top."""

    TITLE = "expereo"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CaseCommands}
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("i", "open_inventory", "Inventory", show=False, id="app.inventory"),
        Binding("ctrl+r", "refresh_now", "Refresh", show=False, id="app.refresh"),
        Binding("p", "toggle_pause", "Pause", show=False, id="app.pause"),
        Binding("H", "handover", "Handover", show=False, id="app.handover"),
        Binding("M", "toggle_mouse", "Mouse", show=False, id="app.mouse"),
        Binding("O", "decisions", "Decide", show=False, id="app.decisions"),
    ]

    def _fatal_error(self) -> None:
        """Textual's crash screen, without the locals of each frame (Textual renders them:
        ``Traceback(show_locals=True)``, and a local may be the client secret or a token).
        Textual has no option for it, so this is its ``_fatal_error`` with that one change."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def __init__(
        self,
        *,
        store: Store,
        engine_factory: EngineFactory | None,
        options: AppOptions | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.options = options or AppOptions()
        self.engine_factory = engine_factory
        self.engine: SyncEngine | None = None
        self.alerter = Alerter(self)
        self.tmux_hints_given: set[str] = set()
        self.last_state: Any = None
        self.sync_signal: Signal[SyncEvent] = Signal(self, "sync-event")
        """Every event of the sync engine, to each mounted screen (see screens/base.py)."""
        self.news_signal: Signal[None] = Signal(self, "news")
        """Published once a poll's data events are all in the store (see news.py)."""
        self.news = NewsGate(self, self._publish_news)
        self.flush_signal: Signal[None] = Signal(self, "flush-drafts")
        """Published before the app quits: screens save what was typed and not yet saved."""
        self.awareness: Awareness | None = None
        """Team mode: presence, claims and the team's pins (ui/team_view.py); None alone."""
        self.switch_to: str | None = None  # a profile chosen in the palette (cli/launch.run)
        self.team_signal: Signal[None] = Signal(self, "team")
        """Published when the team's presence, claims or pins changed (team mode only)."""
        self._pins = PinMirror()
        self.first_frame_out = False
        """Whether a frame with the first screen's content is on the terminal (see _display)."""
        self._after_first_frame: list[Callable[[], object]] = []
        self.mouse_off = False
        """Whether ``M`` (app.mouse) turned the terminal's mouse reporting off."""
        themes.register_themes(self)
        theme = self.saved_theme() or self.options.theme
        if theme:
            self.theme = theme

    def now(self) -> float:
        return self.options.clock()

    # -- theme -----------------------------------------------------------------------------------
    THEME_META_KEY = "ui.theme"

    def get_css_variables(self) -> dict[str, str]:
        """Textual's variables plus the domain colours (``$priority-p1``...), resolved from the
        current theme; they also become what ``themes.style()`` returns."""
        variables = super().get_css_variables()
        variables.update(themes.css_variables(variables))
        self.theme_variables = variables
        return variables

    def saved_theme(self) -> str | None:
        """The theme last chosen in the palette, unless the profile's ``theme`` changed since
        (then the config speaks again).  A theme that no longer exists is forgotten."""
        if self.options.wall:
            return None
        try:
            saved = json.loads(self.store.meta.get_meta(self.THEME_META_KEY) or "{}")
        except (StoreError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("config") != self.options.theme:
            return None
        theme = saved.get("theme")
        return theme if isinstance(theme, str) and theme in self.available_themes else None

    def _theme_changed(self, theme: Theme) -> None:
        self._save_theme(theme.name)

    def _save_theme(self, name: str) -> None:
        if self.options.wall:
            return
        value = json.dumps({"theme": name, "config": self.options.theme})
        try:
            self.store.meta.set_meta(self.THEME_META_KEY, value)
        except StoreError as exc:
            self.notify(
                f"The theme is not remembered ({error_line(exc)}).",
                severity="warning",
                markup=False,
            )

    # -- lifecycle -------------------------------------------------------------------------------
    async def on_mount(self) -> None:
        self._handle_hangup_and_terminate()
        if self.options.keymap:
            self.set_keymap(dict(self.options.keymap))
        for name, command in self.options.user_commands.items():  # the profile's [commands]
            self.bind(command.key, f"user_command({name!r})", description=name, show=False)
        self.theme_changed_signal.subscribe(self, self._theme_changed)  # the palette's choice
        self.app_resume_signal.subscribe(self, self._keep_mouse_off, immediate=True)
        if self.store.notice is not None:  # a database set aside at open: say where it went
            self.notify(
                opened_line(self.store.notice), severity="warning", timeout=30, markup=False
            )
        # the engine's imports (httpx, the API client) are not needed for the first frame, and
        # its first events must find the first screen mounted
        self.after_first_frame(self._start_engine_worker)
        self.refresh_status()
        # triage: SLA at risk / breached, read in a thread, then again only on news
        self.after_first_frame(self.alerter.sla_data_changed)
        self.after_first_frame(freeze_start_up)

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the first frame is on the terminal (soon, if it already is).

        ``call_after_refresh`` is not enough: it runs before the frame is written, so what it
        starts (the engine's imports, clusters) would delay the rows."""
        if self.first_frame_out:
            self.call_later(callback)
        else:
            self._after_first_frame.append(callback)

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Textual writes a frame to the terminal; the first one that shows the content of one
        of the app's own screens is the first frame (a frame rendered while Textual batches
        updates is not written)."""
        super()._display(screen, renderable)
        if (
            not self.first_frame_out
            and renderable is not None
            and not self._batch_count
            and isinstance(screen, AppScreen)
            and screen is self.screen
            and screen.content_painted
        ):
            self.first_frame_painted()

    def first_frame_painted(self) -> None:
        """The first frame of one of the app's screens is on the terminal."""
        if self.first_frame_out:
            return
        self.first_frame_out = True
        waiting, self._after_first_frame = self._after_first_frame, []
        for callback in waiting:
            self.call_later(callback)

    def on_ready(self) -> None:
        # A safety net only: should a Textual release stop calling _display as overridden
        # here, the engine must still start.
        self.set_timer(FIRST_FRAME_FALLBACK, self.first_frame_painted)

    def _start_engine_worker(self) -> None:
        """Start the engine in a worker (a task of its own): the app's messages, the keys among
        them, are not held while its modules import."""
        self.run_worker(self._start_engine, group="engine", exclusive=True)

    async def _start_engine(self) -> None:
        if self.engine_factory is None or self.engine is not None or not self.is_running:
            return
        # the engine's modules (httpx, ssl, the client, the models) are imported
        # in a thread: keys pressed just after the first frame do not wait for them
        await asyncio.to_thread(_import_engine_modules)
        if self.engine is None and self.is_running:
            self.engine = self.engine_factory(self.deliver_sync_event)
            await self.engine.start()
            await self._start_awareness()
            self.refresh_status()

    async def _start_awareness(self) -> None:
        """Team mode: start awareness over the engine's team (its runtime); alone, nothing."""
        team = getattr(self.engine, "team", None)
        if team is None or self.awareness is not None:
            return
        from expereo_tui.team.awareness import awareness_for

        awareness = awareness_for(team)
        if awareness is None:
            return
        awareness.on_change(self._team_changed)
        self.awareness = awareness
        await awareness.start()

    def _team_changed(self) -> None:
        """The team's state changed (in the awareness task): the screens and the status line
        read it again, in the app's message loop."""
        self.call_next(self._publish_team)

    def _publish_team(self) -> None:
        awareness = self.awareness
        if awareness is None or not self.is_running:
            return
        upload = self._pins.local_to_upload(self.store, awareness)
        if upload:
            self.run_worker(self._upload_pins(upload), group="team-pins", exit_on_error=False)
        else:
            try:
                self._pins.apply(self.store, awareness)
            except StoreError:
                pass  # a read-only or full store: the team's pins show after the next change
        self.team_signal.publish(None)
        self.paint_status()

    async def _upload_pins(self, pins: list[tuple[str, str]]) -> None:
        from expereo_tui.team.runtime import TeamOffline

        awareness = self.awareness
        if awareness is None:
            return
        try:
            for case_id, note in pins:
                await awareness.pin(case_id, note)
        except TeamOffline:
            self._pins.uploaded = False  # again when the team store is back
        self._publish_team()

    def team_pin(self, case_id: str, note: str) -> None:
        """A pin set here: the team's too, in team mode (in a worker: never waited for)."""
        awareness = self.awareness
        if awareness is None or not awareness.writes:
            return

        async def pin() -> None:
            from expereo_tui.team.runtime import TeamOffline

            try:
                await awareness.pin(case_id, note)
            except TeamOffline:
                self.notify("Pinned here only: the team store is away.", timeout=4)

        self.run_worker(pin(), group="team-pins", exit_on_error=False)

    def claim_case(self, case_id: str) -> None:
        """Take the case for me, or give it back (team mode; in a worker)."""
        awareness = self.awareness
        if awareness is None:
            self.notify("Claiming a case needs team mode (docs/team.md).", timeout=3)
            return
        if not awareness.writes:
            self.notify("Read-only: this instance cannot claim cases.", timeout=3)
            return

        async def claim() -> None:
            from expereo_tui.team.runtime import TeamOffline

            try:
                who = await awareness.claim(case_id)
            except TeamOffline:
                self.notify("Not claimed: the team store is away.", severity="warning")
                return
            if who == awareness.me:
                self.notify(f"{case_id} is yours now.", timeout=2, markup=False)
            elif who is None:
                self.notify(f"{case_id} given back.", timeout=2, markup=False)
            else:
                self.notify(f"{case_id} is taken by {who}.", timeout=3, markup=False)

        self.run_worker(claim(), group="team-claim", exit_on_error=False)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, but on Linux and macOS one whose input thread
        sleeps until a key comes (``ui/input_driver.py``): an idle app does not wake 10 times a
        second.  A driver named in ``TEXTUAL_DRIVER`` (the browser's) is left as it is."""
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver" and driver.__module__.startswith("textual."):
            try:
                from expereo_tui.ui.input_driver import QuietLinuxDriver
            except (ImportError, AttributeError) as error:  # Textual moved its private parts
                log.warning(
                    "quiet input driver unavailable with this Textual (%s: %s); "
                    "using Textual's own LinuxDriver",
                    type(error).__name__,
                    error,
                )
                return driver
            return QuietLinuxDriver
        return driver

    def get_default_screen(self) -> Screen[Any]:
        """The inbox is the app's first screen, the bottom of the stack (not pushed over a blank
        default screen: a screen pushed while Textual mounts the app is laid out in a frame
        that is never written, and its rows would wait for the next full repaint)."""

        return self.with_css(InboxScreen())

    def with_css(self, screen: Screen[Any]) -> Screen[Any]:
        """The screen with its CSS files loaded: Textual loads them when a screen is pushed,
        not for the default screen (Textual is pinned <9 for this private call)."""
        self._load_screen_css(screen)
        return screen

    async def on_unmount(self) -> None:
        gc.unfreeze()
        if self.awareness is not None:
            await self.awareness.stop()
        if self.engine is not None:
            await self.engine.stop()
            await self.engine.client.aclose()

    def _publish_news(self) -> None:
        """A poll's changes are all stored: the SLA clocks and the screens that read every
        open case read again, together (one read of the store between them)."""
        self.alerter.sla_data_changed()
        self.news_signal.publish(None)

    def deliver_sync_event(self, event: SyncEvent) -> None:
        """The engine's callback: hand the event to the UI as a message."""
        self.post_message(SyncEventMessage(event))

    @on(SyncEventMessage)
    def _on_sync_event(self, message: SyncEventMessage) -> None:
        event = message.event
        if isinstance(event, SyncStateChanged):
            routine = event.state.status == SyncStatus.SYNCING and event.state.progress is None
            was_fresh = getattr(self.last_state, "status", None) == SyncStatus.FRESH
            if not routine:
                self._poll_started = None
            elif was_fresh and self._poll_started is None:
                self._poll_started = time.monotonic()
            self.last_state = event.state
        self.alerter.handle(event)
        if isinstance(event, CasesChanged | MessagesAdded):  # an idle poll counts nothing
            self.alerter.update_title()
        self.sync_signal.publish(event)
        self.news.event(event)  # after the screens had the event: news comes after its parts
        if (
            isinstance(event, OutboxChanged)
            and event.status == OutboxStatus.FAILED
            and event.kind != "reply"
        ):
            self.notify(
                f"A {event.kind} was rejected: {event.error}",
                severity="error",
                markup=False,
                timeout=10,
            )
        if isinstance(event, OutboxChanged):  # the outbox is counted when it moved
            self.refresh_status()
        else:
            self.paint_status()

    def refresh_status(self) -> None:
        """Count the outbox and paint the status bar: on sync events and when a screen with a
        status bar mounts, never on a fixed tick."""
        outbox = self.store.outbox.outbox(
            statuses=("queued", "sending", "failed", OutboxStatus.NEEDS_DECISION)
        )
        self._outbox_counts = (
            sum(1 for e in outbox if e.status in ("queued", "sending")),
            sum(1 for e in outbox if e.status == "failed"),
            sum(1 for e in outbox if e.status == OutboxStatus.NEEDS_DECISION),
        )
        self.paint_status()

    _outbox_counts = (0, 0, 0)
    _status_timer: Timer | None = None
    _poll_started: float | None = None  # a routine poll from fresh data: when it began
    quiet_poll = QUIET_POLL
    _shown_state: SyncState | None = None

    def paint_status(self) -> None:
        """Paint the status bar from what is known (no query), and come back when its text
        is next due to change (the data age's next step, a retry countdown), or after
        STATUS_RECHECK seconds (the data may turn STALE); an unchanged line is not repainted."""
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        if not self.screen_stack or not self.is_running:  # the app is closing
            return
        bars = self.screen.query(StatusBar)
        if not bars:
            return
        engine = self.engine
        state = engine.state if engine is not None else None
        budget = engine.budget if engine is not None else None
        now = self.now()
        quiet_for = self._quiet_poll(state)
        if quiet_for is not None:  # a routine poll is not worth a flash of "syncing…"
            state = self._shown_state
        queued, failed, decide = self._outbox_counts
        bars.first().show(
            profile=self.options.profile_name,
            state=state,
            now=now,
            read_budget=(budget.read_available, budget.read_capacity) if budget else None,
            queued=queued,
            failed=failed,
            decide=decide,
            poller=engine.is_poller if engine is not None else True,
            store_problem=problem_line(problem) if (problem := self.store.problem) else None,
            team=status_words(self.awareness, getattr(engine, "team", None)),
        )
        self._shown_state = state
        if state is not None:
            due = min(next_change(state, now) or STATUS_RECHECK, STATUS_RECHECK, quiet_for or 1e9)
            self._status_timer = self.set_timer(max(due, 0.05), self.paint_status)

    def _quiet_poll(self, state: SyncState | None) -> float | None:
        """Seconds more to keep showing the fresh state while a routine poll runs (it is said
        only once it lasts QUIET_POLL seconds: most take a few hundred milliseconds, and each
        flash of "syncing…" repainted the screen twice a poll); None to show the state."""
        if (
            state is None
            or state.status != SyncStatus.SYNCING
            or self._poll_started is None
            or self._shown_state is None
        ):
            return None
        left = self.quiet_poll - (time.monotonic() - self._poll_started)
        return left if left > 0 else None

    def paint_banner(self, banner: Static) -> None:
        """The profile banner (e.g. a red PROD) so nobody acts on the wrong account."""
        label = self.options.profile_label
        store_read_only = self.store.read_only_notice
        if not label and store_read_only is None:
            banner.display = False
            return
        color = self.options.profile_color or "blue"
        text = Text(f" {label} ", style=f"bold white on {color}") if label else Text()
        if store_read_only is not None:
            text.append(f"  {problem_line(store_read_only)}", style="bold")
        elif self.read_only_reason:
            text.append(f"  read-only: {self.read_only_reason}", style="bold")
        banner.update(text)

    # -- navigation ------------------------------------------------------------------------------
    def action_open_inbox(self, query: CaseQuery | None = None) -> None:

        self.push_screen(InboxScreen(query))

    def action_open_case(self, case_id: str, reply: bool = False) -> None:
        from expereo_tui.ui.case.screen import CaseScreen

        self.alerter.opened.add(case_id)  # its news is loud from now on
        self.push_screen(CaseScreen(case_id, reply=reply))

    @property
    def read_only_reason(self) -> str | None:
        """Why nothing is sent from this session (None: writes are on)."""
        if not self.options.read_only:
            return None
        return self.options.read_only_reason or "no writes"

    def _refuse_write(self) -> bool:
        if self.options.read_only:
            self.notify(
                f"Read-only: {self.read_only_reason}.",
                severity="warning",
                markup=False,
            )
            return True
        return False

    def action_new_case(self, service_id: str | None = None) -> None:
        if self._refuse_write():
            return
        from expereo_tui.ui.forms.new_case import NewCaseScreen

        self.push_screen(NewCaseScreen(service_id))

    def action_update_case(self, case_id: str) -> None:
        if self._refuse_write():
            return
        from expereo_tui.ui.forms.update_case import UpdateCaseScreen

        self.push_screen(UpdateCaseScreen(case_id))

    def action_open_inventory(self) -> None:
        from expereo_tui.ui.inventory.screen import InventoryScreen

        if isinstance(self.screen, InventoryScreen):
            return
        stack = self.screen_stack
        below = [i for i, s in enumerate(stack) if isinstance(s, InventoryScreen)]
        if below and all(isinstance(s, InboxScreen) for s in stack[below[-1] + 1 :]):
            for _ in stack[below[-1] + 1 :]:  # an inbox opened from it (c): back to its place
                self.pop_screen()
            return
        self.push_screen(InventoryScreen())

    def action_goto_case(self, case_id: str | None = None) -> None:
        def go(value: str | None) -> None:
            if not value:
                return
            if self.store.cases.case(value) is None:
                matches = self.store.cases.query_cases(CaseQuery(text=value), limit=1)
                if not matches:
                    self.notify(
                        f"No case {value} in the local store.", severity="warning", markup=False
                    )
                    return
                value = matches[0].id
            self.action_open_case(value)

        if case_id:
            go(case_id)
        else:
            from expereo_tui.ui.screens.dialogs import GotoCaseScreen  # not for the first frame

            self.push_screen(GotoCaseScreen(), go)

    def action_decisions(self) -> None:
        """Every write that needs your decision, new cases and updates too (screens/decisions)."""
        from expereo_tui.ui.screens.decisions import DecisionsScreen

        self.push_screen(DecisionsScreen(self.store, self.engine))

    def action_handover(self) -> None:
        """The shift's handover report (expereo_tui/shift/handover.py) in a modal: copy or save it."""

        from expereo_tui.shift import handover

        now = self.now()
        report = handover.build(
            self.store,
            since=handover.parse_since(handover.DEFAULT_SINCE, now),
            now=now,
            profile=self.options.profile_name,
            options=self.options,
        )
        name = f"handover-{self.options.profile_name}.md"
        self.push_screen(HandoverScreen(handover.to_markdown(report), Path.cwd() / name))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast, except on a screen with a news line (the case forms): there the news is
        that line, so nothing ever lies over a field being typed in (issue 32 item 6)."""
        lines = self.screen.query(NewsLine)
        if lines:
            lines.first().tell(
                message, title=title, severity=severity, timeout=timeout, markup=markup,
                now=self.now(),
            )  # fmt: skip
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_help(self) -> None:
        from expereo_tui.ui.screens.dialogs import HelpScreen

        self.push_screen(
            HelpScreen(
                self.options.keymap,
                read_only=self.read_only_reason,
                commands=self.options.user_commands,
            )
        )

    def action_refresh_now(self) -> None:
        if self.engine is None:
            self.notify("Offline viewing: nothing to refresh from.")
            return
        self.engine.refresh_now()
        self.notify("Refreshing…", timeout=1.5)

    def action_toggle_pause(self) -> None:
        if self.engine is None:
            return
        if self.engine.paused:
            self.engine.resume()
            self.notify("Background refresh resumed.", timeout=2)
        else:
            self.engine.pause()
            self.notify("Background refresh PAUSED — press p to resume.", severity="warning")
        self.refresh_status()

    def action_toggle_mouse(self) -> None:
        """Turn the terminal's mouse reporting off (the terminal then selects and copies text
        itself, as k9s users ask) or back on.  Textual has no public switch: its drivers have
        ``_disable_mouse_support`` / ``_enable_mouse_support``, which write the DEC modes."""
        driver = self._driver
        switch = "_enable_mouse_support" if self.mouse_off else "_disable_mouse_support"
        write = getattr(driver, switch, None)
        if write is None:  # the browser's or a future driver: leave it as it is
            self.notify("This terminal driver cannot turn mouse capture off.", timeout=3)
            return
        write()
        self.mouse_off = not self.mouse_off
        key = key_label(self.options.keymap.get("app.mouse", "M"))
        if self.mouse_off:
            self.notify(
                f"Mouse capture OFF: select text with the mouse. {key} turns it back on.",
                timeout=4,
            )
        else:
            self.notify("Mouse capture on.", timeout=2)

    def _keep_mouse_off(self, _app: App[None]) -> None:
        """Back from a suspend (``$EDITOR``), Textual turns the mouse on again: not if off."""
        if self.mouse_off:
            getattr(self._driver, "_disable_mouse_support", lambda: None)()

    def copy_case_id(self, case_id: str) -> None:
        self.copy_to_clipboard(case_id)  # OSC 52: reaches the local clipboard over SSH
        self.notify(f"Copied {case_id}", timeout=2, markup=False)
        self.tmux_hint("clipboard")

    HINT_META_KEY = "ui.hint_shown.{}"  # a one-time hint shown on this profile's store

    def tmux_hint(self, kind: str) -> None:
        """Under tmux, say once what its defaults silently drop: once per profile, not once
        per run (the store remembers it; a store that cannot be written: once per run)."""
        if not os.environ.get("TMUX") or kind in self.tmux_hints_given:
            return
        self.tmux_hints_given.add(kind)
        key = self.HINT_META_KEY.format(kind)
        try:
            if self.store.meta.get_meta(key):
                return
            self.store.meta.set_meta(key, "1")
        except StoreError:
            pass
        self.notify(TMUX_HINTS[kind], title="tmux", severity="warning", timeout=20, markup=False)

    def selected_case_id(self) -> str | None:
        """The case the screen shows or its cursor is on (None: no case there)."""
        screen = self.screen
        current = getattr(screen, "current_case_id", None)
        if callable(current):
            return current()  # type: ignore[no-any-return]
        case_id = getattr(screen, "case_id", None)
        return case_id if isinstance(case_id, str) else None

    def action_user_command(self, name: str) -> None:
        """One of the profile's own commands, on the selected case (ui/user_commands.py)."""
        from expereo_tui.ui.user_commands import case_env, run_command

        command = self.options.user_commands.get(name)
        case_id = self.selected_case_id()
        if command is None:
            return
        if case_id is None:
            self.notify(f"{name}: select a case first.", timeout=4, markup=False)
            return
        env = case_env(self.store.cases.case(case_id), case_id, self.options.profile_name)
        said = run_command(self, list(command.argv), env)
        self.notify(f"{name} on {case_id}: {said}", timeout=6, markup=False)

    def open_in_portal(self, case_id: str) -> None:
        pattern = self.options.portal_url_pattern
        if not pattern:
            self.notify("No portal URL configured (portal_url in the profile).")
            return
        # the case id comes from the API: quoted, it cannot break the URL or the link markup
        url = quote(pattern.format(case_id=quote(case_id, safe="")), safe=":/?#@!$&()*+,;=%~")
        if self.is_web:  # textual-serve: the browser showing the app opens it
            self.open_url(url)
        elif is_remote_session():
            # over SSH webbrowser.open waits for a console browser: copy the URL instead (OSC 52
            # reaches the local clipboard) and show it as a link (OSC 8) to click
            self.copy_to_clipboard(url)
            self.notify(f'Copied the portal link: [link="{url}"]{url}[/link]', timeout=15)
            self.tmux_hint("clipboard")
        else:  # locally: the browser starts in a thread, never on the event loop
            import webbrowser  # here: its import is not for the first frame

            self.notify("Opening the portal in your browser…", timeout=3)
            self.run_worker(
                partial(webbrowser.open, url), thread=True, group="portal", exit_on_error=False
            )

    def _handle_hangup_and_terminate(self) -> None:
        """SIGHUP (the SSH session or the terminal went away) and SIGTERM: save what was typed,
        leave the outbox as it is (a queued write is sent by the next run), restore the
        terminal where it still exists, and exit with 128 + the signal (129, 143)."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._terminated, int(sig))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                return

    def _terminated(self, signum: int) -> None:
        try:
            self.flush_signal.publish(None)  # every screen saves its draft, now
            self.store.drafts.flush()
        finally:
            self.exit(return_code=128 + signum)

    def action_switch_profile(self, name: str) -> None:
        """Leave this profile for ``name`` (the palette): the app exits and the launch runs the
        other profile in this process.  Drafts are saved in this profile's store and come back
        with it; drafts the store could not take are asked about, as on quit."""
        self.flush_signal.publish(None)

        def go(yes: bool | None = True) -> None:
            if yes:
                self.switch_to = name
                self.exit()

        if not (waiting := self.store.drafts.waiting):
            go()
            return
        from expereo_tui.ui.screens.dialogs import ConfirmScreen

        self.clear_notifications()
        self.push_screen(
            ConfirmScreen(
                f"{waiting} draft(s) could not be saved; switching to {name} now loses them. "
                "Switch anyway?"
            ),
            go,
        )

    def action_request_quit(self) -> None:
        self.flush_signal.publish(None)
        drafts = self.store.drafts.drafts()
        if not drafts:
            self.exit()
            return
        names = ", ".join(k.split(":", 1)[-1] for k in list(drafts)[:3])
        question = (
            f"{len(drafts)} unsent draft(s) ({names}). They are saved and come back "
            "next time. Quit anyway?"
        )
        if waiting := self.store.drafts.waiting:  # the store could not take them
            problem = self.store.problem
            why = problem_line(problem) if problem else "the store cannot be written"
            question = (
                f"{waiting} draft(s) could not be saved ({why}); quitting now loses them. "
                "Quit anyway?"
            )

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        from expereo_tui.ui.screens.dialogs import ConfirmScreen

        self.clear_notifications()  # a toast must not lie over the question
        self.push_screen(ConfirmScreen(question), answer)
