"""#28: a write whose outcome the outbox cannot know waits for your decision.  A new case or an
update has no screen of its own: ``O`` lists every such write, ``S`` sends one again and ``D``
discards it (its text back to its draft); before this, they were only counted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import OptionList

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.screens.decisions import DecisionsScreen
from tests.reliability_plugin import Reliability

from .conftest import screen_text, until


def listed(app: ExpereoApp) -> list[str]:
    """The ids of the writes the decisions list shows now."""
    options = app.screen.query_one(OptionList)
    found = (options.get_option_at_index(i).id for i in range(options.option_count))
    return [i for i in found if i]


@pytest.mark.reliability(
    fault="a new case's and an update's outcome cannot be known (their look-ups are refused)",
    sees="'? 2 need your decision (O)'; O lists them with their text: S sends again, D discards",
    data="nothing re-sent without the user; a discarded write's text goes back to its draft",
    shows="need your decision (O)",
)
async def test_new_cases_and_updates_that_need_a_decision_are_decided_from_one_list(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store, reliability: Reliability
) -> None:
    service = next(iter(sim.data.services))
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] != "Closed")
    before = len(sim.data.cases)
    create = store.enqueue(
        "create",
        {"type": "NonIncident", "subject": "UtilizationReport", "serviceId": service,
         "message": "[bold]report[/] please"},
        draft_key="new-case",
    )  # fmt: skip
    update = store.enqueue("update", {"customerReference": "CHG-7"}, case_id=case_id)
    for entry in (create, update):
        store.outbox.outbox_needs_decision(entry.id, error="the case list cannot be read")
    app = make_app(online=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "need your decision (O)" in screen_text(app))
        reliability.check(screen_text(app))
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, DecisionsScreen))
        text = screen_text(app)
        assert f"#{create.id}" in text and "[bold]report[/]" not in text  # one line, as text
        assert f"new case on {service}: UtilizationReport" in text
        assert f"update of {case_id}: customerReference=CHG-7" in text
        await pilot.press("D")  # the first: the new case, discarded
        await until(pilot, lambda: store.outbox.outbox_entry(create.id).status == "failed")  # type: ignore[union-attr]
        assert store.drafts.load_draft("new-case") is not None  # its text is kept
        await until(pilot, lambda: listed(app) == [str(update.id)])
        await pilot.press("S")  # the update: sent again
        await until(pilot, lambda: sim.data.cases[case_id].get("customerReference") == "CHG-7")
        await until(pilot, lambda: listed(app) == [])
        assert "Nothing needs your decision." in screen_text(app)
    assert len(sim.data.cases) == before  # the discarded case was never created
