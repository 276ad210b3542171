"""The team's one outbox (team/outbox.py) on a real PostgreSQL, with instances (each its own
local store, API client, team runtime and sender) against one simulator over real HTTP.

The simulator runs ``--unknowns`` here: it ignores Idempotency-Key, so a write sent twice is
two messages on the server and a broken exactly-once rule shows as a copy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from expereo_tui.api.models import MessageCreate
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import OutboxChanged, OutboxStatus, SyncEvent
from expereo_tui.sync.sender import OutboxSender
from expereo_tui.team.link import Team
from expereo_tui.team.outbox import TeamOutbox
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team as TeamDb
from tests.sim_fixtures import TEST_SECRET, FakeClock

from .test_runtime import until


@pytest.fixture
def sim(sim_clock: FakeClock) -> Simulator:
    return Simulator(
        SimConfig(
            seed=7,
            scale="small",
            client_id="test-client",
            client_secret=TEST_SECRET,
            clock=sim_clock,
            unknowns=True,  # Idempotency-Key ignored: a second send is a second message
        )
    )


@pytest.fixture
def url(sim: Simulator) -> Iterator[str]:
    with run_server(sim) as base:
        yield base


@dataclass
class Instance:
    name: str
    store: Store
    client: V2Client
    runtime: TeamRuntime
    outbox: TeamOutbox
    sender: OutboxSender
    events: list[SyncEvent] = field(default_factory=list)

    def reply(self, case_id: str, text: str) -> int:
        """A reply queued here, its draft consumed (as the reply box does)."""
        key = f"reply:{case_id}:{self.name}"
        self.store.drafts.save_draft(key, {"text": text})
        body = MessageCreate(message=text, sent_by=f"{self.name}@noc").to_wire()
        return self.store.enqueue("reply", body, case_id=case_id, draft_key=key).id

    def status(self, entry_id: int) -> str:
        entry = self.store.outbox.outbox_entry(entry_id)
        assert entry is not None
        return str(entry.status)


@contextlib.asynccontextmanager
async def instances(
    n: int,
    team: TeamDb,
    url: str,
    clock: Callable[[], float],
    tmp: Path,
    *,
    read_only: tuple[bool, ...] = (),
    start: bool = True,
) -> AsyncIterator[list[Instance]]:
    async def fake_sleep(seconds: float) -> None:
        if isinstance(clock, FakeClock):
            clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)

    made: list[Instance] = []
    async with contextlib.AsyncExitStack() as stack:
        for i in range(n):
            name = "abcdefgh"[i]
            ro = read_only[i] if i < len(read_only) else False
            client = await stack.enter_async_context(
                V2Client(
                    ClientSettings(
                        base_url=url,
                        token_url=f"{url}/oauth2/token",
                        client_id="test-client",
                        client_secret=TEST_SECRET,
                    ),
                    clock=clock,
                    sleep=fake_sleep,
                    rng=random.Random(i),
                )
            )
            store = Store(tmp / f"{name}.sqlite3", clock=clock)
            runtime = TeamRuntime(
                TeamSettings(
                    url=team.url(),
                    client=client_key(url, "test-client"),
                    password=team.password(),
                    read_only=ro,
                    username=name,
                ),
                heartbeat=0.1,
            )
            events: list[SyncEvent] = []
            sender = OutboxSender(store, client, events.append, clock, read_only=ro)
            outbox = TeamOutbox(runtime, store, events.append, clock)
            made.append(Instance(name, store, client, runtime, outbox, sender, events))
        if start:
            for inst in made:
                await inst.runtime.start()
                async with asyncio.timeout(10):
                    await inst.runtime.wait_online()
        try:
            yield made
        finally:
            for inst in made:
                await inst.runtime.stop()


def open_cases(sim: Simulator, n: int) -> list[str]:
    return [c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress"][:n]


def copies(sim: Simulator, case_id: str, text: str) -> int:
    return sum(1 for m in sim.data.messages[case_id] if m["message"] == text)


async def rounds_until(
    insts: list[Instance], done: Callable[[], bool], *, step: float = 0.0, limit: int = 200
) -> None:
    """Every instance runs a round at the same moment, again until ``done()`` (the fake clock
    advanced ``step`` seconds between rounds)."""
    clock_advance = None
    for _ in range(limit):
        await asyncio.gather(*(i.outbox.round(i.sender) for i in insts))
        if done():
            return
        if step:
            clock_advance = insts[0].sender.clock
            assert isinstance(clock_advance, FakeClock)
            clock_advance.advance(step)
    raise AssertionError("not done after the rounds")


def rows(team: TeamDb) -> str:
    return team.sql("SELECT count(*) FROM team_outbox")


# -- the tests --------------------------------------------------------------------------------
def test_three_instances_reply_at_once_three_messages_no_copies(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    """Three engines (their own outbox loops, team mode) each queue a reply to the same case
    at the same moment: three messages, in the order queued, each origin sees its own sent."""
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(3, team_db, url, sim_clock, tmp_path) as insts:
            engines = []
            for inst in insts:
                engine = SyncEngine(
                    inst.store,
                    inst.client,
                    on_event=inst.events.append,
                    clock=sim_clock,
                    settings=SyncSettings(sent_by=f"{inst.name}@noc"),
                )
                engine.sender = inst.sender
                inst.outbox.emit = inst.events.append
                engine.team = Team(inst.runtime, outbox=inst.outbox)
                engines.append(engine)
            tasks = [asyncio.create_task(e._run_outbox()) for e in engines]
            ids = [e.send_reply(case, f"at once from {e.settings.sent_by}") for e in engines]
            try:
                await until(
                    lambda: all(i.status(n) == "sent" for i, n in zip(insts, ids, strict=True)),
                    within=30,
                )
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for inst, entry_id in zip(insts, ids, strict=True):
                entry = inst.store.outbox.outbox_entry(entry_id)
                assert entry is not None and entry.result_id
                last = [
                    e for e in inst.events if isinstance(e, OutboxChanged) and e.entry_id == entry_id
                ][-1]
                assert last.status == OutboxStatus.SENT and last.result_id == entry.result_id

    asyncio.run(run())
    texts = [m["message"] for m in sim.data.messages[case] if m["message"].startswith("at once")]
    assert sorted(texts) == sorted(f"at once from {n}@noc" for n in "abc")
    assert len(texts) == 3
    assert team_db.sql("SELECT count(*) FROM team_outbox WHERE status = 'sent'") == "3"


def test_the_same_row_claimed_by_two_senders_at_once_is_sent_once(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(3, team_db, url, sim_clock, tmp_path) as (a, b, c):
            entry_id = a.reply(case, "claimed twice?")
            assert await a.outbox._hand_over() == 1
            for _ in range(5):  # two rounds racing, again and again
                await asyncio.gather(b.outbox.round(b.sender), c.outbox.round(c.sender))
            await a.outbox.round(a.sender)
            assert a.status(entry_id) == "sent"

    asyncio.run(run())
    assert copies(sim, case, "claimed twice?") == 1
    assert rows(team_db) == "1"


def test_a_claimer_killed_mid_send_the_next_looks_before_resending(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    """B claims A's reply and sends it (committed on the server), then dies before writing
    back.  When its lease has run out C claims the row: it looks, finds the message, and does
    not send it again; A sees sent with the message's id."""
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(3, team_db, url, sim_clock, tmp_path) as (a, b, c):
            entry_id = a.reply(case, "sent by a claimer that died")
            await a.outbox._hand_over()
            row = await b.outbox._claim(b.sender)
            assert row is not None
            await b.client.add_message(
                case, MessageCreate.model_validate(row.payload), idempotency_key=row.idempotency_key
            )  # ... and B is gone: no write-back
            assert team_db.sql("SELECT claimed_by IS NOT NULL FROM team_outbox") == "t"
            await c.outbox.round(c.sender)  # leased: C leaves it alone
            assert c.store.outbox.outbox_by_key(row.idempotency_key) is None
            team_db.sql("UPDATE team_outbox SET lease_until = now() - interval '1 second'")
            sim_clock.advance(5)
            await rounds_until(
                [c, a], lambda: a.status(entry_id) == "sent", step=5, limit=100
            )
            found = a.store.outbox.outbox_entry(entry_id)
            assert found is not None and found.result_id
            mine = [m for m in sim.data.messages[case] if m["message"] == row.payload["message"]]
            assert found.result_id == mine[0]["id"]

    asyncio.run(run())
    assert copies(sim, case, "sent by a claimer that died") == 1


def test_a_rejected_write_puts_the_text_back_into_the_origins_draft(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(2, team_db, url, sim_clock, tmp_path) as (a, b):
            entry_id = a.reply(case, "the case closed meanwhile")
            assert a.store.drafts.load_draft(f"reply:{case}:a") is None
            await a.outbox._hand_over()
            sim.data.cases[case]["status"] = "Closed"  # the server answers 422
            await b.outbox.round(b.sender)  # B sends it: rejected
            assert team_db.sql("SELECT status FROM team_outbox") == "failed"
            await a.outbox.round(a.sender)  # A follows its row
            assert a.status(entry_id) == "failed"
            draft = a.store.drafts.load_draft(f"reply:{case}:a")
            assert draft is not None and draft["text"] == "the case closed meanwhile"
            last = [e for e in a.events if isinstance(e, OutboxChanged)][-1]
            assert last.status == OutboxStatus.FAILED and last.error

    asyncio.run(run())
    assert copies(sim, case, "the case closed meanwhile") == 0


def test_a_read_only_instance_never_claims(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(2, team_db, url, sim_clock, tmp_path, read_only=(False, True)) as (
            a,
            wall,
        ):
            entry_id = a.reply(case, "not for the wall to send")
            await a.outbox._hand_over()
            for _ in range(3):
                assert await wall.outbox.round(wall.sender) == 0
            assert team_db.sql("SELECT status, claimed_by IS NULL FROM team_outbox") == "queued|t"
            key = a.store.outbox.outbox_entry(entry_id).idempotency_key  # type: ignore[union-attr]
            assert wall.store.outbox.outbox_by_key(key) is None  # never taken to be sent
            assert team_db.sql("SELECT count(*) FROM team_budget") == "0"  # no token taken
            await a.outbox.round(a.sender)
            assert a.status(entry_id) == "sent"
            await wall.outbox.round(wall.sender)

    asyncio.run(run())
    assert copies(sim, case, "not for the wall to send") == 1


def test_team_store_away_writes_wait_and_are_handed_over_once(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    """While the team store is away nothing is sent (a peer may hold a handed row; the budget
    is the team's); back, each write is handed over once, however often that is tried."""
    case = open_cases(sim, 1)[0]

    async def run() -> None:
        async with instances(1, team_db, url, sim_clock, tmp_path, start=False) as (a,):
            entry_id = a.reply(case, "queued while the team store was away")
            assert await a.outbox.round(a.sender) == 0
            assert a.status(entry_id) == "queued"
            assert copies(sim, case, "queued while the team store was away") == 0
            await a.runtime.start()
            async with asyncio.timeout(10):
                await a.runtime.wait_online()
            assert await a.outbox._hand_over() == 1
            a.store.meta.set_meta(f"team.outbox.{entry_id}", "")  # as if crashed before marking
            assert await a.outbox._hand_over() == 1
            assert rows(team_db) == "1"
            await a.outbox.round(a.sender)
            assert a.status(entry_id) == "sent"

    asyncio.run(run())
    assert copies(sim, case, "queued while the team store was away") == 1


def test_the_team_keeps_the_api_clients_one_write_budget(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    """40 replies queued by 3 instances (each with a full bucket of its own): the team sends
    the documented burst (30), then 1 every 2 s; the simulator, which enforces the budget per
    API client, refuses nothing."""
    cases = open_cases(sim, 40)
    assert len(cases) >= 14

    async def run() -> list[tuple[float, int]]:
        async with instances(3, team_db, url, sim_clock, tmp_path) as insts:
            start = sim_clock.now
            ids = [
                (insts[j % 3], insts[j % 3].reply(cases[j % len(cases)], f"budget {j}"))
                for j in range(40)
            ]
            await rounds_until(
                insts, lambda: all(i.status(e) == "sent" for i, e in ids), step=1.0, limit=300
            )
            return [
                (r.at - start, r.status)
                for r in sim.middleware.request_records
                if r.method == "POST" and r.path.endswith("/case-messages")
            ]

    writes = asyncio.run(run())
    texts = [m["message"] for c in cases for m in sim.data.messages[c]]
    assert [t for t in set(texts) if t.startswith("budget") and texts.count(t) > 1] == []
    assert [s for _, s in writes if s == 429] == []
    ok = sorted(t for t, s in writes if s < 300)
    assert len(ok) == 40
    for i, t in enumerate(ok):  # the documented bucket: 30 at once, then 0.5 a second
        assert i < 30 + t * 0.5 + 1e-6, f"write {i + 1} at {t:.1f} s"
    assert ok[-1] >= 20


def test_the_origins_decision_reaches_the_team_row(
    team_db: TeamDb, url: str, sim: Simulator, sim_clock: FakeClock, tmp_path: Path
) -> None:
    """A peer's sender could not know a write's outcome (needs your decision): the instance
    that queued it shows that, and its user's answer (discard; send again) reaches the row, so
    no instance sends a discarded write and a write sent again is sent once."""
    first, second = open_cases(sim, 2)

    async def run() -> None:
        async with instances(2, team_db, url, sim_clock, tmp_path) as (a, b):
            engine = SyncEngine(a.store, a.client, on_event=a.events.append, clock=sim_clock)
            engine.sender = a.sender
            engine.team = Team(a.runtime, outbox=a.outbox)
            dropped = a.reply(first, "discard me")
            again = a.reply(second, "send me again")
            await a.outbox._hand_over()
            team_db.sql("UPDATE team_outbox SET status = 'needs_decision', attempts = 1")
            await a.outbox.round(a.sender)  # A follows: both wait for its user
            assert a.status(dropped) == a.status(again) == "needs_decision"
            assert engine.discard(dropped) and engine.send_again(again)
            assert a.store.drafts.load_draft(f"reply:{first}:a") == {"text": "discard me"}
            await a.outbox._push_decisions()
            assert team_db.sql("SELECT status FROM team_outbox ORDER BY id") == "failed\nqueued"
            await b.outbox.round(b.sender)
            await a.outbox.round(a.sender)
            assert a.status(again) == "sent" and a.status(dropped) == "failed"

    asyncio.run(run())
    assert copies(sim, first, "discard me") == 0
    assert copies(sim, second, "send me again") == 1


class _Gate(threading.Event):
    """The simulator's write gate, saying when a write waits at it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_a_claimer_killed_with_sigkill_mid_send_leaves_one_copy(
    team_db: TeamDb, tmp_path: Path
) -> None:
    """A real process claims A's reply and sends it; the server holds the write; the process
    is killed with SIGKILL; the write then commits.  Once the dead claimer's lease has run
    out, C claims the row, looks before re-sending, finds the message and sends nothing: one
    copy, and A sees sent with the message's id.  (Real clocks: the dead process stamped the
    row's first attempt with its own.)"""
    sim = Simulator(
        SimConfig(
            seed=7, scale="small", client_id="test-client", client_secret=TEST_SECRET, unknowns=True
        )
    )
    case = open_cases(sim, 1)[0]
    text = "sent by a process killed with -9"
    gate = _Gate()
    sim.write_gate = gate

    async def run(url: str) -> None:
        async with instances(2, team_db, url, time.time, tmp_path) as (a, c):
            entry_id = a.reply(case, text)
            await a.outbox._hand_over()
            env = {**os.environ, "EXPEREO_TEST_TEAM_PASSWORD": team_db.password()}
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.team.outbox_child",
                url,
                team_db.url(),
                str(tmp_path / "doomed.sqlite3"),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
            )
            try:
                await until(gate.waiting.is_set, within=30)
                child.send_signal(signal.SIGKILL)
                async with asyncio.timeout(10):
                    assert await child.wait() == -signal.SIGKILL
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            gate.set()  # the held write commits after its sender died
            await until(lambda: copies(sim, case, text) == 1)
            assert team_db.sql("SELECT claimed_by IS NOT NULL FROM team_outbox") == "t"
            await c.outbox.round(c.sender)  # leased still: left alone
            assert copies(sim, case, text) == 1
            team_db.sql("UPDATE team_outbox SET lease_until = now() - interval '1 second'")
            await c.outbox.round(c.sender)
            await a.outbox.round(a.sender)
            found = a.store.outbox.outbox_entry(entry_id)
            assert found is not None and found.status == "sent"
            mine = [m for m in sim.data.messages[case] if m["message"] == text]
            assert found.result_id == mine[0]["id"]

    with run_server(sim) as url:
        asyncio.run(run(url))
    assert copies(sim, case, text) == 1
