"""The writes that need your decision, all in one place (``O``, or the palette).

The outbox puts a write here when its outcome cannot be known (its answer was lost and the
look on the server could not tell, ``sync/sender.py``).  A reply can be decided on its case's
screen too; a new case or an update has no screen of its own, so without this list it would
wait for ever, only counted on the status bar.  ``S`` sends the selected one again (you checked:
it did not arrive), ``D`` discards it (it arrived, or is not wanted; its text goes back to its
draft).  Text from the API or typed by the user is shown as text, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from expereo_tui.store.outbox_types import OutboxStatus
from expereo_tui.ui.safe_text import literal

if TYPE_CHECKING:
    from expereo_tui.store.outbox import OutboxEntry


def _what(entry: OutboxEntry) -> str:
    body = entry.payload
    if entry.kind == "reply":
        return f"reply to {entry.case_id}: {body.get('message', '')}"
    if entry.kind == "create":
        return f"new case on {body.get('serviceId')}: {body.get('subject')}"
    changes = ", ".join(f"{k}={v}" for k, v in sorted(body.items()))
    return f"update of {entry.case_id}: {changes}"


def entry_text(entry: OutboxEntry) -> Text:
    """One line a write: what it is, its text cut to one line, and why it waits."""
    text = Text(f"#{entry.id}  ", style="bold")
    text.append_text(literal(_what(entry), one_line=True))
    if entry.last_error:
        text.append("\n    ")
        text.append_text(literal(entry.last_error, one_line=True))
    return text


class DecisionsScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("S", "send_again", "Send again"),
        Binding("D", "discard", "Discard"),
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, store: Any, engine: Any) -> None:
        super().__init__()
        self.store = store
        self.engine = engine

    def entries(self) -> list[OutboxEntry]:
        return list(self.store.outbox.outbox(statuses=(OutboxStatus.NEEDS_DECISION,)))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Writes that need your decision: the outbox cannot know whether they "
                "arrived.  S send again (you checked: it did not)  D discard (its text goes "
                "back to its draft)  escape close",
                id="decisions-help",
            )
            yield OptionList(id="decisions")

    def on_mount(self) -> None:
        self.refill()
        self.query_one(OptionList).focus()

    def refill(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        entries = self.entries()
        if not entries:
            options.add_option(Option(Text("Nothing needs your decision."), disabled=True))
            return
        options.add_options(Option(entry_text(e), id=str(e.id)) for e in entries)
        options.highlighted = 0

    def _selected(self) -> int | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None:
            return None
        option = options.get_option_at_index(index)
        return int(option.id) if option.id else None

    def _decide(self, send: bool) -> None:
        entry_id = self._selected()
        if entry_id is None:
            return
        reason = getattr(self.app, "read_only_reason", None)
        if reason:  # read-only: nothing is sent, so nothing is decided here either
            self.notify(f"Read-only ({reason}): decide from a writable instance.", markup=False)
            return
        if self.engine is None:
            self.notify("Not connected: nothing can be sent or discarded now.", markup=False)
            return
        done = self.engine.send_again(entry_id) if send else self.engine.discard(entry_id)
        if done:
            self.notify(
                f"#{entry_id}: {'sent again' if send else 'discarded, its text is a draft'}",
                markup=False,
                timeout=4,
            )
        self.refill()

    def action_send_again(self) -> None:
        self._decide(send=True)

    def action_discard(self) -> None:
        self._decide(send=False)

    def action_close(self) -> None:
        self.dismiss(None)
