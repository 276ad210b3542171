"""One poller for the team (#31, item 2): two engines with their own local stores and their own
team runtimes on one simulator served over real HTTP, one PostgreSQL.  Only the leader reads the
API; the follower's store and events follow the change feed; a lost notification, the leader's
exit and the team store's absence lose nothing and start no 429 storm."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from expereo_tui.api.settings import ClientSettings
from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import SimConfig, Simulator, run_server
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import CasesChanged, MessagesAdded, SyncEvent
from expereo_tui.sync.poller import META_FIRST_SYNC
from expereo_tui.team.feed import META_TEAM_FEED, Feed
from expereo_tui.team.link import Team
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team as PgTeam
from tests.team.test_runtime import until


class Counting(httpx.AsyncBaseTransport):
    """Real HTTP, counting this instance's API requests (not token requests)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.api = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/"):
            self.api += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Member:
    name: str
    store: Store
    runtime: TeamRuntime
    feed: Feed
    engine: SyncEngine
    transport: Counting
    events: list[SyncEvent] = field(default_factory=list)

    def cases_changed(self, case_id: str) -> list[Any]:
        return [
            c
            for e in self.events
            if isinstance(e, CasesChanged)
            for c in e.changes
            if c.case_id == case_id
        ]


def member(name: str, tmp_path: Path, pg: PgTeam, sim: Simulator, url: str, **sync: Any) -> Member:
    store = Store(tmp_path / f"{name}.sqlite3")
    settings = TeamSettings(
        url=pg.url(),
        client=client_key(url, sim.client_id),
        password=pg.password(),
        username=name,
        host=f"{name}-host",
    )
    runtime = TeamRuntime(settings, heartbeat=0.1)
    events: list[SyncEvent] = []
    feed = Feed(runtime, store, events.append)
    transport = Counting()
    client = V2Client(
        ClientSettings(
            base_url=url,
            token_url=f"{url}/oauth2/token",
            client_id=sim.client_id,
            client_secret=sim.client_secret,
        ),
        transport=transport,
    )
    opts: dict[str, Any] = {"poll_interval": 1.0, "watch_interval": 0.2, "max_poll_interval": 3.0}
    opts.update(sync)
    engine = SyncEngine(
        store,
        client,
        on_event=events.append,
        settings=SyncSettings(**opts),
        team=Team(runtime, feed=feed),
    )
    return Member(name, store, runtime, feed, engine, transport, events)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimConfig(seed=7, scale="small", client_id="feed-client", client_secret="s3"))


def change_case(sim: Simulator) -> tuple[str, str, str]:
    """A provider reply and a status change on one open case; (id, old status, new status)."""
    with sim.lock:
        case = next(c for c in sim.data.cases.values() if c["status"] == "In Progress")
        old = str(case["status"])
        case["status"] = "Awaiting Customer"
        stamp = sim.world.stamp()
        sim.data.messages.setdefault(str(case["id"]), []).append(
            {
                "id": sim.world.builder.new_message_id(),
                "caseId": case["id"],
                "message": "we replaced the line card",
                "type": "Expereo",
                "timestamp": stamp,
                "sentBy": "NOC",
            }
        )
        case["lastModifiedDate"] = stamp
        return str(case["id"]), old, "Awaiting Customer"


async def synced(leader: Member, follower: Member) -> None:
    await until(lambda: leader.runtime.is_leader, within=20)
    await until(lambda: follower.store.meta.get_meta(META_FIRST_SYNC) is not None, within=60)
    await until(lambda: follower.store.cases.case_count() == leader.store.cases.case_count())


def test_only_the_leader_reads_and_changes_reach_the_follower(
    team_db: PgTeam, sim: Simulator, tmp_path: Path
) -> None:
    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, team_db, sim, url)
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            bob = member("bob", tmp_path, team_db, sim, url)
            await bob.engine.start()
            try:
                await synced(alice, bob)
                assert bob.store.inventory.raw_rows("services")  # the inventory came too
                assert sorted(bob.store.inventory.raw_rows("services")) == sorted(
                    alice.store.inventory.raw_rows("services")
                )
                assert "alice@alice-host refreshes for the team" in bob.engine.state.message
                case_id, old, new = change_case(sim)
                await until(lambda: bool(bob.cases_changed(case_id)), within=20)
                [change] = bob.cases_changed(case_id)
                assert (change.is_new, change.old_status, change.new_status) == (False, old, new)
                # what the leader's own poll announced (its first sync fetched no threads)
                [led] = alice.cases_changed(case_id)
                assert change == led
                assert any(
                    isinstance(e, MessagesAdded) and e.case_id == case_id for e in bob.events
                )
                assert bob.store.cases.thread(case_id)[-1].message == "we replaced the line card"
                assert bob.store.cases.is_unread(case_id)  # as a poll would leave it
                assert alice.transport.api > 0
                assert bob.transport.api == 0  # the follower never read the API
                await bob.engine.fetch_thread(case_id)  # the user opens it: still nothing
                assert bob.transport.api == 0
            finally:
                await bob.engine.stop()
                await alice.engine.stop()

    asyncio.run(run())


def test_a_follower_that_missed_notifications_catches_up_by_sequence(
    team_db: PgTeam, sim: Simulator, tmp_path: Path
) -> None:
    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, team_db, sim, url)
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            bob = member("bob", tmp_path, team_db, sim, url, watch_interval=0.5)
            await bob.engine.start()
            try:
                await synced(alice, bob)
                # bob hears nothing any more: his listening session is killed and nobody is
                # told of what arrives; only his look at the sequence remains
                await until(lambda: bob.runtime._listen_conn is not None)
                pid = bob.runtime._listen_conn.info.backend_pid
                team_db.sql(f"SELECT pg_terminate_backend({pid})")
                bob.runtime._subscribers["changes"].clear()
                case_id, _, new = change_case(sim)
                await until(lambda: bool(bob.cases_changed(case_id)), within=20)
                assert bob.store.cases.case(case_id).status == new  # type: ignore[union-attr]
                assert bob.transport.api == 0
            finally:
                await bob.engine.stop()
                await alice.engine.stop()

    asyncio.run(run())


def test_the_leader_leaving_hands_the_poll_to_the_follower(
    team_db: PgTeam, sim: Simulator, tmp_path: Path
) -> None:
    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, team_db, sim, url)
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            bob = member("bob", tmp_path, team_db, sim, url)
            await bob.engine.start()
            try:
                await synced(alice, bob)
                assert bob.transport.api == 0
                await alice.engine.stop()
                await until(lambda: bob.runtime.is_leader, within=20)
                await until(lambda: bob.transport.api > 0, within=20)
                # and it polls incrementally, from the leader's last success: no first sync
                case_id, _, new = change_case(sim)
                await until(
                    lambda: (c := bob.store.cases.case(case_id)) is not None and c.status == new,
                    within=20,
                )
                assert bob.transport.api < 10
            finally:
                await bob.engine.stop()

    asyncio.run(run())


def test_the_team_store_away_starts_no_poll_storm(
    own_cluster: Any, sim: Simulator, tmp_path: Path
) -> None:
    pg = own_cluster.new_team()

    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, pg, sim, url)
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            bob = member("bob", tmp_path, pg, sim, url, max_poll_interval=4.0)
            await bob.engine.start()
            try:
                await synced(alice, bob)
                cases = bob.store.cases.case_count()
                own_cluster.stop()
                await until(lambda: not bob.runtime.online and not alice.runtime.online, within=30)
                await until(lambda: "team store away" in bob.engine.state.message)
                assert "working from the local store" in bob.engine.state.message
                # the one that led keeps its rate; the other reads nothing for 2 × 4 s
                led = alice.transport.api
                await until(lambda: alice.transport.api >= led + 2, within=20)
                assert bob.transport.api == 0
                assert bob.store.cases.case_count() == cases  # nothing lost
                # then slowly (one poll a max_poll_interval)
                await until(lambda: bob.transport.api > 0, within=30)
                own_cluster.start()
                await until(lambda: bob.runtime.online and alice.runtime.online, within=60)
                await until(lambda: alice.runtime.is_leader or bob.runtime.is_leader, within=20)
            finally:
                await bob.engine.stop()
                await alice.engine.stop()

    asyncio.run(run())


def test_compaction_loses_nothing_for_a_follower_that_was_away(
    team_db: PgTeam, sim: Simulator, tmp_path: Path
) -> None:
    """Feeds alone (no engines): the leader publishes three versions of a case while the
    follower is away and compacts them; the follower reads the newest once.  A follower whose
    sequence belongs to another log reads it from 0."""

    async def run() -> None:
        url = "http://sim.invalid"
        alice = member("alice", tmp_path, team_db, sim, url)
        bob = member("bob", tmp_path, team_db, sim, url)
        alice.feed.compact_after = 0.0
        alice.feed.compact_every = 0.0
        from expereo_tui.api.models import Case
        from expereo_tui.sync.events import CaseChange

        await alice.runtime.start()
        await bob.runtime.start()
        try:
            await until(lambda: alice.runtime.online and bob.runtime.online)
            base = {
                "id": "CS-1",
                "subject": "link down",
                "status": "New",
                "priority": "P2",
                "type": "Incident",
                "lastModifiedDate": "2026-11-18T10:00:00Z",
            }
            for n, status in enumerate(("New", "In Progress", "Awaiting Customer")):
                body = dict(base, status=status, lastModifiedDate=f"2026-11-18T10:0{n}:00Z")
                alice.store.cases.upsert_cases([Case.model_validate(body)])
                alice.feed.observe(CasesChanged((CaseChange("CS-1", is_new=n == 0),)))
                await alice.feed.publish()
            rows = team_db.sql("SELECT count(*) FROM team_changes WHERE kind = 'case'")
            assert rows == "1"  # the two older versions were superseded and removed
            assert await bob.feed.follow()
            assert bob.store.cases.case("CS-1").status == "Awaiting Customer"  # type: ignore[union-attr]
            assert bob.feed.applied == int(team_db.sql("SELECT count(*) FROM team_changes"))
            # another team store's log (its sequence means nothing here): from 0, once
            bob.store.meta.set_meta(META_TEAM_FEED, "another/1")
            bob.feed._checked = False
            before = bob.feed.applied
            await bob.feed.follow()
            assert bob.feed.rereads == 1
            assert bob.feed.applied - before == int(
                team_db.sql("SELECT count(*) FROM team_changes")
            )
        finally:
            await bob.runtime.stop()
            await alice.runtime.stop()

    asyncio.run(run())


def test_text_that_postgresql_json_refuses_reaches_the_follower_whole(
    team_db: PgTeam, sim: Simulator, tmp_path: Path
) -> None:
    """A message with a NUL character (jsonb refuses ``\\u0000``; the simulator's edge-case
    texts have one) reaches the follower as the API sent it, and does not stop the feed: a
    change after it arrives too."""

    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, team_db, sim, url)
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            bob = member("bob", tmp_path, team_db, sim, url)
            await bob.engine.start()
            try:
                await synced(alice, bob)
                case_id, _, _ = change_case(sim)
                with sim.lock:
                    sim.data.messages[case_id][-1]["message"] = "Control chars:\x00\x01 \\u0000"
                await until(lambda: bool(bob.cases_changed(case_id)), within=20)
                assert bob.store.cases.thread(case_id)[-1].message == (
                    "Control chars:\x00\x01 \\u0000"
                )
                later, _, new = change_case(sim)
                await until(lambda: bool(bob.cases_changed(later)), within=20)
                assert bob.store.cases.case(later).status == new  # type: ignore[union-attr]
            finally:
                await bob.engine.stop()
                await alice.engine.stop()

    asyncio.run(run())
