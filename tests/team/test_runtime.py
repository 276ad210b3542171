"""Membership, leadership and notifications of team instances (in one process here; the
multi-process tests are beside the feed and the outbox)."""

from __future__ import annotations

import asyncio

from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team
from tests.waiting import until


def runtime(team: Team, *, reader: bool = False, client: str | None = None) -> TeamRuntime:
    settings = TeamSettings(
        url=team.url(reader=reader),
        client=client or client_key("http://sim", "client"),
        password=team.password(reader=reader),
        read_only=reader,
    )
    return TeamRuntime(settings, heartbeat=0.1)


def test_one_leader_per_api_client_and_the_next_takes_over(team_db: Team) -> None:
    async def run() -> None:
        a, b, wall = runtime(team_db), runtime(team_db), runtime(team_db, reader=True)
        other = runtime(team_db, client="0123456789abcdef")  # another API client: its own
        for r in (a, b, wall, other):
            await r.start()
        await until(lambda: a.is_leader or b.is_leader)
        await until(lambda: other.is_leader)
        first, second = (a, b) if a.is_leader else (b, a)
        beats: list[int] = []  # the second's heartbeats (each tries the leader lock)
        beat = second._beat

        async def counted() -> None:
            await beat()
            beats.append(1)

        second._beat = counted  # type: ignore[method-assign]
        await until(lambda: len(beats) >= 3)  # several heartbeats: still exactly one
        assert not second.is_leader and not wall.is_leader
        assert wall.role == "read-only"
        await first.stop()
        await until(lambda: second.is_leader)
        for r in (second, wall, other):
            await r.stop()

    asyncio.run(run())
    assert team_db.sql("SELECT count(*) FROM team_members") == "0"  # each left on stop


def test_notifications_reach_the_instances_of_the_same_client(team_db: Team) -> None:
    async def run() -> None:
        a, b = runtime(team_db), runtime(team_db)
        other = runtime(team_db, client="0123456789abcdef")
        got: list[str] = []
        b.subscribe("changes", lambda what: got.append("b"))
        other.subscribe("changes", lambda what: got.append("other"))
        for r in (a, b, other):
            await r.start()
            async with asyncio.timeout(10):
                await r.wait_online()
        await until(lambda: b.listening and other.listening)
        await a.notify("changes")
        await until(lambda: "b" in got)
        assert "other" not in got
        for r in (a, b, other):
            await r.stop()

    asyncio.run(run())


def test_postgresql_away_is_said_and_recovered(own_cluster) -> None:  # type: ignore[no-untyped-def]
    team = own_cluster.new_team()

    async def run() -> None:
        r = runtime(team)
        await r.start()
        await until(lambda: r.online and r.is_leader)
        own_cluster.stop()
        await until(lambda: not r.online, within=20)
        assert r.problem and "team store" in r.problem
        assert not r.is_leader
        own_cluster.start()
        await until(lambda: r.online and r.is_leader, within=60)
        await r.stop()

    asyncio.run(run())
