"""Team mode with instances as separate hosts (#31 "Done when"): each instance a process of its
own (``benchmarks/team_instance.py``: what the app builds from a profile, without the screen)
with its own XDG homes and config file, one simulator with its rate limits on, one real
PostgreSQL.  The leader killed with SIGKILL, PostgreSQL stopped and started again, a change on
the API reaching the followers within a poll interval + 1 s.  What the status bar shows of the
team (``Team.status_line``) is read from the ``team …`` lines the instance writes.  The 1/3/10-instance figures are
``benchmarks/team_bench.py``'s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.team_hosts import Host, hosts, role
from expereo_tui.sim import SimConfig, Simulator, run_server
from tests.pgcluster import PgCluster
from tests.pgcluster import Team as PgTeam
from tests.reliability_plugin import Reliability

POLL = 5.0  # the profile's poll_interval: the minimum config.py allows
CLIENT_ID, SECRET = "hosts-client", "hosts-secret-do-not-log"


def wait(condition: Any, within: float, what: str) -> float:
    """Seconds until ``condition()`` is true (checked every 50 ms); fails after ``within``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > within:
            raise AssertionError(f"not within {within:g} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def sim() -> Simulator:
    # unknowns: the simulator ignores Idempotency-Key, so a write sent twice is two messages
    return Simulator(
        SimConfig(seed=5, scale="tiny", client_id=CLIENT_ID, client_secret=SECRET, unknowns=True)
    )


@pytest.fixture
def api(sim: Simulator) -> Iterator[str]:
    with run_server(sim) as url:
        yield url


def team_of(tmp_path: Path, pg: PgTeam, api: str, count: int) -> Any:
    return hosts(
        tmp_path,
        count,
        api_url=api,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        team_url=pg.url(),
        team_password=pg.password(),
        poll_interval=POLL,
    )


def open_case(sim: Simulator, nth: int = 0) -> str:
    with sim.lock:
        found = [c["id"] for c in sim.data.cases.values() if c["status"] in ("New", "In Progress")]
    return str(found[nth])


def settled(team: list[Host], case_id: str) -> Host:
    """One leader, the others followers, every store has ``case_id``; returns the leader."""
    wait(lambda: sorted(str(role(h)) for h in team) == ["follower"] * (len(team) - 1) + ["leader"], 40,
         "one leader, the others following")  # fmt: skip
    wait(lambda: all(h.case_status(case_id) for h in team), 40, "every store synced")
    return next(h for h in team if role(h) == "leader")


def team_line(host: Host) -> str:
    """The team's words on the host's status bar, as it last said them."""
    with host._cond:
        return next((s for s in reversed(host.lines) if s.startswith("team ")), "")


def copies(sim: Simulator, case_id: str, text: str) -> int:
    with sim.lock:
        return sum(1 for m in sim.data.messages.get(case_id, []) if m.get("message") == text)


def rejected(sim: Simulator) -> int:
    return sum(1 for r in sim.request_records if r.status == 429)


def resolve(sim: Simulator, case_id: str) -> None:
    """The case changes on the API (as the control API's ``POST /_sim/event`` does)."""
    from expereo_tui.sim import activity

    with sim.lock:
        activity.scripted(sim.world, {"case": case_id, "status": "Resolved"})


def test_a_change_reaches_every_follower_within_a_poll_interval_and_a_second(
    team_db: PgTeam, sim: Simulator, api: str, tmp_path: Path
) -> None:
    case_id = open_case(sim)
    with team_of(tmp_path, team_db, api, 3) as team:
        leader = settled(team, case_id)
        resolve(sim, case_id)
        for host in team:
            if host is not leader:
                wait(lambda h=host: h.case_status(case_id) == "Resolved", POLL + 1.0,
                     f"{host.name} has the change")  # fmt: skip
        followers = [h for h in team if h is not leader]
        assert [h.name for h in followers if any(s.startswith("polls ") for s in h.lines)] == []
    assert rejected(sim) == 0


def test_kill_9_of_the_leader_hands_the_poll_over_and_loses_or_doubles_nothing(
    team_db: PgTeam, sim: Simulator, api: str, tmp_path: Path
) -> None:
    case_id = open_case(sim)
    text = "kill -9 reply: exactly once"
    with team_of(tmp_path, team_db, api, 3) as team:
        leader = settled(team, case_id)
        writer = next(h for h in team if h is not leader)
        mark = len(writer.lines)
        writer.command(f"reply {case_id} {text}")
        entry = writer.wait_line(lambda s: s.startswith("queued "), 10, after=mark).split()[1]
        leader.kill()
        others = [h for h in team if h is not leader]
        took = wait(lambda: any(role(h) == "leader" for h in others), 2 * POLL,
                    "another instance leads")  # fmt: skip
        writer.wait_line(lambda s: s == f"outbox {entry} sent", 30, after=mark)
        new_leader = next(h for h in others if role(h) == "leader")
        # the new leader polls: a change on the API still reaches the remaining follower
        follower = next(h for h in others if h is not new_leader)
        resolve(sim, case_id)
        wait(lambda: follower.case_status(case_id) == "Resolved", POLL + 1.0 + 2.0,
             "the change reaches the follower after the hand-over")  # fmt: skip
    assert took <= 2 * POLL
    assert copies(sim, case_id, text) == 1
    assert rejected(sim) == 0


@pytest.mark.reliability(
    fault="team mode: PostgreSQL stopped while three instances run, then started again",
    sees="every instance: 'team store away'; the one that led keeps refreshing; all recover",
    data="a reply queued meanwhile is sent exactly once when it is back; no 429 storm",
    shows="team store away",
)
def test_postgresql_away_and_back_every_instance_says_so_and_recovers(
    own_cluster: PgCluster, sim: Simulator, api: str, tmp_path: Path, reliability: Reliability
) -> None:
    pg = own_cluster.new_team()
    case_id, replied = open_case(sim), open_case(sim, 1)  # a reply reopens a resolved case
    text = "queued while the team store was away"
    with team_of(tmp_path, pg, api, 3) as team:
        leader = settled(team, case_id)
        marks = [len(h.lines) for h in team]
        own_cluster.stop()
        for host, mark in zip(team, marks, strict=True):  # the status bar says so, on each
            said = host.wait_line(lambda s: s.startswith("team team store away"), 15, after=mark)
        reliability.check(said)
        writer = next(h for h in team if h is not leader)
        writer.command(f"reply {replied} {text}")
        entry = writer.wait_line(lambda s: s.startswith("queued "), 10).split()[1]
        resolve(sim, case_id)  # changed on the API while the team store is away
        wait(lambda: leader.case_status(case_id) == "Resolved", 2 * POLL,
             "the leader keeps polling while the team store is away")  # fmt: skip
        assert copies(sim, replied, text) == 0  # nothing is sent while the store is away
        own_cluster.start()
        wait(lambda: sorted(str(role(h)) for h in team) == ["follower", "follower", "leader"], 40,
             "the team is back by itself")  # fmt: skip
        writer.wait_line(lambda s: s == f"outbox {entry} sent", 30)
        for host in team:
            wait(lambda h=host: h.case_status(case_id) == "Resolved", 20,
                 f"{host.name} has the change made while the store was away")  # fmt: skip
            wait(lambda h=host: "team store away" not in team_line(h), 10,
                 f"{host.name}'s status bar no longer says the store is away")  # fmt: skip
    assert copies(sim, replied, text) == 1
    assert rejected(sim) == 0
