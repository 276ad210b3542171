"""Team mode's pins in the local store (ui/team_view.py PinMirror): the local pins go up to the
team once, then the team's pins are the local ones (the handover report reads them there)."""

from __future__ import annotations

from expereo_tui.store.store import Store
from expereo_tui.team.awareness import Awareness, TeamPin
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings
from expereo_tui.ui.team_view import PinMirror


def test_local_pins_go_up_once_then_the_teams_pins_are_the_local_ones(store: Store) -> None:
    awareness = Awareness(TeamRuntime(TeamSettings(url="postgresql://x@localhost/t", client="c")))
    store.shift.pin("CS-1", "mine from before team mode")
    store.shift.pin("CS-2", "also mine")
    mirror = PinMirror()
    assert mirror.local_to_upload(store, awareness) == []  # nothing read from the team yet
    assert not mirror.apply(store, awareness)
    awareness.read = True
    awareness.pins = {"CS-2": TeamPin("CS-2", "the team's note", "bob")}
    assert mirror.local_to_upload(store, awareness) == [("CS-1", "mine from before team mode")]
    assert mirror.local_to_upload(store, awareness) == []  # once
    # the upload done, the team has both; bob removed CS-2 meanwhile and pinned CS-3
    awareness.pins = {
        "CS-1": TeamPin("CS-1", "mine from before team mode", "alice"),
        "CS-3": TeamPin("CS-3", "[red]not markup[/red]", "bob"),
    }
    assert mirror.apply(store, awareness)
    assert {p.case_id: p.note for p in store.shift.pins()} == {
        "CS-1": "mine from before team mode",
        "CS-3": "[red]not markup[/red]",
    }
    assert not mirror.apply(store, awareness)  # unchanged: no write
