"""The incremental poll's stop condition, on a dataset of several 200-row pages (medium scale:
1,500 cases, 8 pages): it lists newest change first and stops at the first case the store has
unchanged.  It first reads a probe page of 20: an idle poll, or one after fewer than 20 changes,
is that one small request; after k >= 20 changes the listing starts again in full pages and
reads ceil((k + 1) / 200) of them: the k changed cases and the one unchanged case that proves
the rest are unchanged."""

from __future__ import annotations

import math
import random
from datetime import datetime
from pathlib import Path

import pytest

from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import CasesChanged
from tests.sim_fixtures import FakeClock, RecordingTransport, make_client

from .conftest import Recorder

_NEXT = {"New": "In Progress", "In Progress": "Awaiting Customer"}


def _medium(clock: FakeClock) -> Simulator:
    return Simulator(
        SimConfig(
            seed=3,
            scale="medium",
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=clock,
        )
    )


def _change(sim: Simulator, k: int) -> list[str]:
    """k cases picked at random (old and recent alike) change status now, as the provider
    would; returns their ids."""
    ids = random.Random(k).sample(sorted(sim.data.cases), k)
    for case_id in ids:
        case = sim.data.cases[case_id]
        case["status"] = _NEXT.get(str(case["status"]), "In Progress")
        case["lastModifiedDate"] = sim.stamp()
    return ids


def _case_listings(transport: RecordingTransport, since: int) -> list[int]:
    """The page offsets of the case listings sent after request number ``since``."""
    return [offset for offset, _ in _case_pages(transport, since)]


def _case_pages(transport: RecordingTransport, since: int) -> list[tuple[int, int]]:
    """(offset, limit) of the case listings sent after request number ``since``."""
    return [
        (int(r.url.params.get("page[offset]", "0")), int(r.url.params.get("page[limit]", "0")))
        for r in transport.sent[since:]
        if r.method == "GET" and r.url.path == "/v2/cases"
    ]


@pytest.mark.parametrize("k", [1, 19, 20, 199, 200, 450])
async def test_poll_after_k_changes_stops_right_after_them(tmp_path: Path, k: int) -> None:
    clock = FakeClock()
    sim = _medium(clock)
    assert math.ceil(len(sim.data.cases) / 200) >= 8  # several pages, or this proves nothing
    transport = RecordingTransport(sim)
    store = Store(tmp_path / "m.sqlite3", clock=clock)
    events = Recorder()
    async with make_client(sim, clock, transport=transport) as client:
        engine = SyncEngine(store, client, on_event=events.append, clock=clock)
        await engine.poll_once()  # first sync: every page
        assert len(_case_listings(transport, 0)) == math.ceil(len(sim.data.cases) / 200)

        clock.advance(60)
        since = len(transport.sent)
        await engine.poll_once()  # idle
        assert [
            (r.method, r.url.path) for r in transport.sent[since:] if r.url.path != "/oauth2/token"
        ] == [("GET", "/v2/cases")]
        assert _case_pages(transport, since) == [(0, 20)]  # the probe only

        clock.advance(60)
        changed = _change(sim, k)
        events.clear()
        since = len(transport.sent)
        await engine.poll_once()
        probe = [(0, 20)]
        full = [(200 * i, 200) for i in range(math.ceil((k + 1) / 200))] if k >= 20 else []
        assert _case_pages(transport, since) == probe + full
        for case_id in changed:
            wire = sim.data.cases[case_id]
            assert store.cases.case_last_modified(case_id) == datetime.fromisoformat(
                str(wire["lastModifiedDate"])
            )
            assert store.cases.is_unread(case_id)
        announced = {c.case_id for e in events.of(CasesChanged) for c in e.changes}
        assert announced == set(changed)
        threads = {
            r.url.path.split("/")[3]
            for r in transport.sent[since:]
            if r.url.path.endswith("/case-messages")
        }
        assert threads == set(changed)
