"""Small modals: confirm, go to a case by id, and the help screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y``/enter confirm, ``n``/escape decline."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No")]

    def __init__(self, question: str, yes: str = "Quit", no: str = "Stay") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            # a Static wraps: the whole question reads at 80 columns (a Label was cut)
            yield Static(self.question, markup=False, id="question")
            with Horizontal():
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class GotoCaseScreen(ModalScreen[str | None]):
    """Type a case id (or part of it) and press enter."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Go to case")
            yield Input(placeholder="CS-1000042", id="case-id")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
Everywhere
  ?             this help
  ctrl+p        command palette: every action, go to a case, change theme
  i             inventory
  n             new case
  ctrl+r        refresh now
  p             pause / resume the background refresh
  escape        close / back
  q             quit (asks first if a draft is unsent; drafts are kept anyway)

Inbox
  j/k, ↑/↓      move
  enter         open the case
  u             open the next unread case
  r             reply to the selected case
  m             mark read / unread
  /             search: id, subject, reference, service, site (escape clears)
  f             filter: status, priority, type, unread
  x             clear every filter
  a             open cases only (the default) / every case, Resolved and Closed too
  s / S         cycle the sort column / reverse it
  g             go to a case by id
  y             copy the case id (OSC 52: works over SSH)
  o             open the case in the web portal (if configured)
  w             whose turn: waiting on provider longest / waiting on us / every case
  c             incident cluster: filter to it (again: the next one, then every case)
  L             link the cluster: one customer reference on each of its cases

Case
  r / tab       write a reply
  ctrl+s        send the reply (queued → sending → sent)
  ctrl+e        edit the reply in $EDITOR
  e             update the case (reference, priority, close)
  n             new case for this service
  y             copy the case id
  L             load earlier messages
  escape        back (the draft is kept)

Inventory
  enter/space   open a branch
  /             filter by site, city, country, service
  c             cases of this service
  n             new case for this service

A shift (docs/usage.md "A shift with expereo-tui")
  [ / ]         previous / next view tab          V / D  save / delete a view
  z / Z         snooze until a time or a reply / wake now
  P             pin a handover note on the case   H   handover report
  space         select; shift+↑/↓ extend; A all   escape  clear the selection
  m / z / R     on a selection: read/unread, snooze, set a customer reference
  E             export the view to .csv or .json
  t, ctrl+t     insert a reply template (case)

Triage in four keys: u (next unread) · r (reply) · type · ctrl+s (send).
Drafts are saved as you type: they survive quitting, crashes and restarts.
Keys can be rebound per profile in the config file ([profiles.<name>.keys]).
"""


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keys = dict(keys or {})  # the profile's rebound keys: shown in place of defaults

    def compose(self) -> ComposeResult:
        from expereo_tui.keymap import rebound_help

        with VerticalScroll():
            yield Static(rebound_help(HELP, self.keys), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
