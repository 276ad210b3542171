"""API V1 under ``sim --unknowns``: errors come without a code, as the V1 document allows
(``{"errors":[{"message":"An error has occurred"}]}``).  A write refused that way again and
again stops after the bound, says the server's words and keeps its text; every V1 write carries
its entry's Idempotency-Key."""

from __future__ import annotations

import json

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import OutboxStatus
from expereo_tui.sync.sender import RETRY_BOUND, RETRY_TRIES
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock


@pytest.mark.reliability(
    fault="API V1 refuses a reply each time with an error without a code",
    sees="gave up after 10 min, with the server's own words; the text is back in the draft",
    data="not re-sent for ever; the reply's text is kept as a draft",
    shows="is closed; open a new case instead",
)
async def test_generic_v1_error_stops_after_the_bound_with_the_servers_words(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    reliability: Reliability,
) -> None:
    sim.faults.unknowns = True
    await engine.poll_once()
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    sim.data.cases[case_id]["status"] = "Closed"  # closed on the server since our last poll
    entry = engine.send_reply(case_id, "still down?", draft_key=f"reply:{case_id}")
    end = sim_clock.now + 3 * RETRY_BOUND
    while sim_clock.now < end:
        await engine.sender.send_due()
        sim_clock.advance(30)
    done = store.outbox.outbox_entry(entry)
    assert done is not None and done.status == OutboxStatus.FAILED
    assert RETRY_TRIES <= done.attempts <= 40
    assert "gave up" in (done.last_error or "")
    assert "still down?" in json.dumps(store.drafts.load_draft(f"reply:{case_id}"))
    reliability.check(done.last_error or "")


async def test_every_v1_write_carries_its_idempotency_key(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    await engine.poll_once()
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    entry = engine.send_reply(case_id, "with a key on V1")
    await engine.sender.send_due()
    sent = store.outbox.outbox_entry(entry)
    assert sent is not None and sent.status == OutboxStatus.SENT
    assert sent.idempotency_key in {key for _client, key in sim.idempotency}
