"""What the screens show of the team, and the app's side of team awareness (team mode,
docs/team.md; ``expereo_tui.team.awareness`` does the work).  Alone, ``app.awareness`` is None
and nothing here shows.

Names and notes come from other members: every one is drawn with :func:`literal`, never as
markup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from expereo_tui.ui import themes
from expereo_tui.ui.safe_text import literal

if TYPE_CHECKING:
    from expereo_tui.store.store import Store
    from expereo_tui.team.awareness import Awareness


def claim_text(awareness: Awareness | None, case_id: str, *, short: bool = False) -> Text | None:
    """ "⚑ mine" / "⚑ taken by bob" ("⚑ bob" when ``short``: an inbox row at 80 columns has
    about 20 cells for the subject), or None (nobody took it, or no team)."""
    if awareness is None:
        return None
    label = awareness.claim_label(case_id)
    if label is None:
        return None
    mine = label == "mine"
    if short and not mine:
        label = awareness.claims.get(case_id) or label
    text = Text("⚑ ", style=themes.style("attention") if not mine else "bold")
    text.append_text(literal(label, one_line=True))
    return text


def presence_text(awareness: Awareness | None, case_id: str) -> Text | None:
    """ "👥 alice is replying · bob is viewing", or None."""
    if awareness is None:
        return None
    line = awareness.presence_line(case_id)
    if line is None:
        return None
    replying = any(p.activity == "replying" for p in awareness.others_on(case_id))
    text = Text("👥 ", style=themes.style("attention") if replying else "dim")
    text.append_text(literal(line, one_line=True))
    return text


def subject_with_claim(awareness: Awareness | None, case_id: str, subject: Text) -> Text:
    """An inbox row's subject, after who took the case."""
    claim = claim_text(awareness, case_id, short=True)
    if claim is None:
        return subject
    return claim.append(" · ", style="dim").append_text(subject)


def status_words(awareness: Awareness | None, team: Any) -> str | None:
    """The status bar's word on the team: what the team says (one rule, team/link.py: who
    refreshes, or the team store away and what this instance does meanwhile)."""
    if team is None:
        return None
    line = team.status_line()
    return str(line) if line else None


class PinMirror:
    """The team's pins in the local store (the handover and the screens read it there): the
    local pins are uploaded once, at the first read, then the team's replace them."""

    def __init__(self) -> None:
        self.uploaded = False
        self.seen: dict[str, str] | None = None

    def local_to_upload(self, store: Store, awareness: Awareness) -> list[tuple[str, str]]:
        """The local pins the team does not have yet (once)."""
        if self.uploaded or not awareness.read:
            return []
        self.uploaded = True
        return [(p.case_id, p.note) for p in store.shift.pins() if p.case_id not in awareness.pins]

    def apply(self, store: Store, awareness: Awareness) -> bool:
        """Write the team's pins into the local store when they changed; True when they did."""
        if not awareness.read or not self.uploaded:
            return False
        team = {case_id: pin.note for case_id, pin in awareness.pins.items()}
        if team == self.seen:
            return False
        local = {p.case_id: p.note for p in store.shift.pins()}
        for case_id, note in team.items():
            if local.get(case_id) != note:
                store.shift.pin(case_id, note)
        for case_id in local.keys() - team.keys():
            store.shift.pin(case_id, "")
        self.seen = team
        return True
