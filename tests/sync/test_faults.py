"""Every write lands exactly once and nothing is lost, whatever the network and server do;
a queued reply survives kill -9 of the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from expereo_tui.api.models import CaseCreate, CaseUpdate
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine
from tests.reliability_plugin import Reliability
from tests.sim_fixtures import FakeClock

from .conftest import Recorder


@pytest.mark.reliability(
    fault="500s, connection resets, lost write responses, 429 storms and expired tokens while "
    "replies, new cases and updates are queued",
    sees="the writes stay queued and go out by themselves; none ends as failed",
    data="every write lands exactly once, none is lost or duplicated",
    shows="failed: 0, queued: 0",
)
async def test_writes_land_exactly_once_under_every_fault(
    sim: Simulator,
    engine: SyncEngine,
    store: Store,
    sim_clock: FakeClock,
    events: Recorder,
    reliability: Reliability,
) -> None:
    await engine.poll_once()
    open_cases = [c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress"][:5]
    services = [s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS"][:3]
    texts = []
    for i in range(20):
        text = f"fault-matrix reply {i}"
        texts.append(text)
        engine.send_reply(open_cases[i % len(open_cases)], text)
    for i, svc in enumerate(services):
        engine.create_case(
            CaseCreate(
                subject="ServiceDown",
                type="Incident",
                service_id=svc,
                message=f"created {i}",
                customer_reference=f"FM-{i}" if i % 2 else None,
                start_of_incident=datetime(2026, 11, 18, 10, tzinfo=UTC),
            )
        )
    engine.update_case(open_cases[0], CaseUpdate(customer_reference="FM-UPDATED"))
    faults = sim.faults
    rounds = 0
    while store.outbox.outbox() and rounds < 400:
        rounds += 1
        faults.reset()
        kind = rounds % 6
        if kind == 0:
            faults.error_rate = 0.5
        elif kind == 1:
            faults.reset_rate = 0.4
        elif kind == 2:
            faults.lost_write_responses = 2
        elif kind == 3:
            faults.storm_429 = 3
        elif kind == 4:
            sim.issuer.expire_all()
        await engine.sender.send_due()
        sim_clock.advance(400)
    faults.reset()
    assert store.outbox.outbox() == [], "everything was eventually sent"
    sent = Counter(m["message"] for msgs in sim.data.messages.values() for m in msgs)
    for text in texts:
        assert sent[text] == 1, (text, sent[text])
    for i in range(len(services)):
        assert sent[f"created {i}"] == 1
    assert sim.data.cases[open_cases[0]]["customerReference"] == "FM-UPDATED"
    failed = store.outbox.outbox(statuses=("failed",))
    assert failed == []
    reliability.check(f"failed: {len(failed)}, queued: {len(store.outbox.outbox())}")


CHILD = """
import asyncio, sys
from pathlib import Path
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine

from tests.sim_fixtures import BOTH_MODES

pytestmark = BOTH_MODES  # the suite holds under sim --unknowns too

async def main(url, db, case_id):
    settings = ClientSettings(base_url=url, token_url=url + "/oauth2/token", client_id="c",
                              client_secret="s", timeout=120)
    async with V2Client(settings) as client:
        engine = SyncEngine(Store(Path(db)), client, on_event=lambda e: None)
        engine.send_reply(case_id, "sent before kill -9")
        print("queued", flush=True)
        await engine.sender.send_due()  # the server commits, then hangs: we get killed here

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.mark.reliability(
    fault="the app is killed (kill -9) after the server committed a reply, before it answered",
    sees="at the next start the reply is still queued, then sent",
    data="the reply is on the server exactly once",
    shows="queued at restart: 1, on the server: 1",
)
def test_queued_reply_survives_kill_9_and_is_sent_once(
    tmp_path: Path, reliability: Reliability
) -> None:
    sim = Simulator(SimConfig(seed=5, scale="small", client_id="c", client_secret="s"))
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    db = tmp_path / "k.sqlite3"
    sim.faults.lost_write_responses = 1
    sim.faults.hang_after_commit = 60.0
    with run_server(sim) as url:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(db), case_id], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "queued"
        deadline = time.monotonic() + 60
        while not any(m["message"] == "sent before kill -9" for m in sim.data.messages[case_id]):
            assert child.poll() is None and time.monotonic() < deadline  # wait for the commit
        os.kill(child.pid, signal.SIGKILL)  # committed on the server, never answered
        child.wait()
        store = Store(db)
        queued_at_restart = len(store.outbox.outbox())
        [entry] = store.outbox.outbox()
        assert entry.status == "sending" and entry.attempts == 1

        async def resume() -> None:
            from expereo_tui.api.v2 import ClientSettings, V2Client

            settings = ClientSettings(
                base_url=url, token_url=f"{url}/oauth2/token", client_id="c", client_secret="s"
            )
            async with V2Client(settings) as client:
                engine = SyncEngine(store, client, on_event=lambda e: None)
                await engine.sender.send_due()

        import asyncio

        asyncio.run(resume())
    texts = [m["message"] for m in sim.data.messages[case_id]]
    assert texts.count("sent before kill -9") == 1
    assert store.outbox.outbox() == []
    reliability.check(
        f"queued at restart: {queued_at_restart}, on the server: {texts.count('sent before kill -9')}"
    )
