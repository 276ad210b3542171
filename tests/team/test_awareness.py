"""Team awareness across instances (two runtimes on one team store, as two hosts would be):
presence, claims and pins reach the other within 2 s; a gone member's presence is ignored."""

from __future__ import annotations

import asyncio

from expereo_tui.team.awareness import Awareness
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team

CLIENT = client_key("http://sim", "client")
WITHIN = 2.0  # the issue: presence and claims appear on the other instances within 2 s


def member(team: Team, user: str, *, reader: bool = False, idle: float = 10.0) -> Awareness:
    settings = TeamSettings(
        url=team.url(reader=reader),
        client=CLIENT,
        password=team.password(reader=reader),
        read_only=reader,
        username=user,
        host=f"{user}-host",
    )
    return Awareness(TeamRuntime(settings, heartbeat=0.5), typing_idle=idle)


async def until(condition, within: float = WITHIN) -> float:  # type: ignore[no-untyped-def]
    """Wait for the condition; returns how long it took (fails after ``within`` s)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition():
        assert loop.time() - start < within, f"condition not met within {within} s"
        await asyncio.sleep(0.02)
    return loop.time() - start


async def online(*members: Awareness) -> None:
    for m in members:
        await m.runtime.start()
        async with asyncio.timeout(10):
            await m.runtime.wait_online()
        await m.start()
    await until(lambda: all(m.read for m in members), within=10)
    await until(lambda: all(m.runtime._listen_conn is not None for m in members), within=10)


async def offline(*members: Awareness) -> None:
    for m in members:
        await m.stop()
        await m.runtime.stop()


def test_presence_reaches_the_other_instance_and_goes(team_db: Team) -> None:
    async def run() -> None:
        alice, bob = member(team_db, "alice", idle=1.0), member(team_db, "bob")
        await online(alice, bob)
        alice.viewing("CS-1")
        await until(lambda: bob.presence_line("CS-1") == "alice is viewing")
        alice.typing("CS-1")
        await until(lambda: bob.presence_line("CS-1") == "alice is replying")
        assert alice.presence_line("CS-1") is None  # not herself
        # she stops typing: viewing again once the box is idle (1 s here, ~10 s in the app)
        await until(lambda: bob.presence_line("CS-1") == "alice is viewing", within=1.0 + WITHIN)
        alice.typing("CS-1")
        await until(lambda: bob.presence_line("CS-1") == "alice is replying")
        alice.left("CS-1")
        await until(lambda: bob.presence_line("CS-1") is None)
        await offline(alice, bob)

    asyncio.run(run())


def test_a_disconnected_member_is_no_longer_present(team_db: Team) -> None:
    async def run() -> None:
        alice, bob = member(team_db, "alice"), member(team_db, "bob")
        await online(alice, bob)
        alice.typing("CS-2")
        await until(lambda: bob.presence_line("CS-2") == "alice is replying")
        # alice's host vanishes: no goodbye, its rows stay, its heartbeat stops
        alice._task.cancel()  # type: ignore[union-attr]
        for task in alice.runtime._tasks:
            task.cancel()
        await until(lambda: bob.presence_line("CS-2") is None, within=3 * 0.5 * 4 + WITHIN)
        await offline(bob)

    asyncio.run(run())


def test_a_claim_shows_on_every_instance_and_the_wall(team_db: Team) -> None:
    async def run() -> None:
        alice, bob = member(team_db, "alice"), member(team_db, "bob")
        wall = member(team_db, "wall", reader=True)
        await online(alice, bob, wall)
        assert await alice.claim("CS-3") == "alice"
        took = await until(lambda: bob.claim_label("CS-3") == "taken by alice")
        assert took < WITHIN
        await until(lambda: wall.claim_label("CS-3") == "taken by alice")
        assert alice.claim_label("CS-3") == "mine"
        assert await bob.claim("CS-3") == "alice"  # taken: bob does not get it
        assert await alice.claim("CS-3") is None  # given back
        await until(lambda: bob.claim_label("CS-3") is None)
        assert await bob.claim("CS-3") == "bob"
        await until(lambda: alice.claim_label("CS-3") == "taken by bob")
        await offline(alice, bob, wall)

    asyncio.run(run())


def test_pins_are_the_teams(team_db: Team) -> None:
    async def run() -> None:
        alice, bob = member(team_db, "alice"), member(team_db, "bob")
        await online(alice, bob)
        await alice.pin("CS-4", "[b]watch[/b] the BGP flap")
        await until(lambda: "CS-4" in bob.pins)
        assert bob.pins["CS-4"].note == "[b]watch[/b] the BGP flap"  # data, never markup
        assert bob.pins["CS-4"].username == "alice"
        await bob.pin("CS-4", "")
        await until(lambda: "CS-4" not in alice.pins)
        await offline(alice, bob)

    asyncio.run(run())


def test_with_the_team_store_away_presence_is_not_shown_and_claims_fail_quietly(
    own_cluster,  # type: ignore[no-untyped-def]
) -> None:
    team = own_cluster.new_team()

    async def run() -> None:
        from expereo_tui.team.runtime import TeamOffline

        alice, bob = member(team, "alice"), member(team, "bob")
        await online(alice, bob)
        alice.typing("CS-5")
        assert await alice.claim("CS-5") == "alice"
        await until(lambda: bob.presence_line("CS-5") == "alice is replying")
        await until(lambda: bob.claim_label("CS-5") == "taken by alice")
        own_cluster.stop()
        await until(lambda: bob.away, within=20)
        assert bob.presence_line("CS-5") is None  # unknowable now: not shown stale
        assert bob.claim_label("CS-5") == "taken by alice"  # a claim lasts: as last seen
        try:
            await bob.claim("CS-6")
            raise AssertionError("a claim with the store away must raise TeamOffline")
        except TeamOffline:
            pass
        own_cluster.start()
        await until(lambda: bob.presence_line("CS-5") == "alice is replying", within=60)
        await offline(alice, bob)

    asyncio.run(run())
