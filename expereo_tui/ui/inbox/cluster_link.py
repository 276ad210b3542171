"""Linking an incident cluster: one customer reference on every case in it, through the outbox
(one update a case, exactly once: a case that already carries the reference is skipped, and a
case with a link pending is not queued twice)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from expereo_tui.triage.clusters import Cluster
from expereo_tui.ui.safe_text import literal
from expereo_tui.ui.widgets.in_order import Input

KIND_WORD = {"site": "at", "service": "on", "city": "in"}


def cluster_line(cluster: Cluster) -> Text:
    """``3 open incidents at Tokyo Office 14 since 09:12`` (the name shown literally)."""
    since = datetime.fromtimestamp(cluster.since).strftime("%H:%M")
    text = Text(f"{len(cluster.case_ids)} open incidents {KIND_WORD.get(cluster.kind, 'at')} ")
    text.append_text(literal(cluster.label, one_line=True))
    text.append(f" since {since}")
    return text


def link_key(case_id: str) -> str:
    """The outbox draft key of a case's cluster link: one pending link a case at most."""
    return f"cluster-link:{case_id}"


class ReferenceScreen(ModalScreen[str | None]):
    """Ask for the customer reference to put on every case of a cluster."""

    CSS_PATH = "../screens/dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster

    def compose(self) -> ComposeResult:
        with Vertical(id="reference"):
            question = Text("Link ")
            question.append_text(cluster_line(self.cluster))
            question.append(
                ": the customer reference for all of them (enter saves, escape cancels)"
            )
            yield Static(question, markup=False)
            yield Input(placeholder="e.g. INC0012345", id="reference-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
