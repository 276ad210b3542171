"""``team status`` and ``config check`` against a real team store whose members are
TeamRuntime instances (docs/team.md)."""

from __future__ import annotations

import asyncio
import json

import pytest

from expereo_tui.cli import config_check
from expereo_tui.cli.main import main
from expereo_tui.config import get_profile
from expereo_tui.locations import config_path
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team
from tests.waiting import until

BASE = "http://127.0.0.1:9"
CLIENT = client_key(BASE, "cid")


def profile(team: Team | None, *, reader: bool = False, extra: str = "") -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = f'[profiles.lab]\nbase_url = "{BASE}"\ntoken_url = "{BASE}/oauth2/token"\n'
    lines += 'client_id = "cid"\n' + extra
    if team is not None:
        lines += f'team_url = "{team.url(reader=reader)}"\n'
    path.write_text(lines, encoding="utf-8")


def runtime(team: Team, user: str, *, reader: bool = False) -> TeamRuntime:
    settings = TeamSettings(
        url=team.url(reader=reader),
        client=CLIENT,
        password=team.password(reader=reader),
        read_only=reader,
        username=user,
        host=f"{user}-host",
    )
    return TeamRuntime(settings, heartbeat=0.1)


def test_team_status_json_lists_the_members_the_sequence_and_the_outbox(
    team_db: Team, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    profile(team_db)
    monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", team_db.password())

    async def run() -> tuple[int, dict[str, object]]:
        alice, bob, wall = runtime(team_db, "alice"), runtime(team_db, "bob"), runtime(
            team_db, "wall", reader=True
        )
        for r in (alice, bob, wall):
            await r.start()
            async with asyncio.timeout(10):
                await r.wait_online()
        await until(lambda: alice.is_leader or bob.is_leader)
        await until(lambda: bool(alice.leader and bob.leader))  # the rows say so too
        leader = "alice" if alice.is_leader else "bob"
        team_db.sql(
            f"INSERT INTO team_changes (client_key, kind, key, body) VALUES ('{CLIENT}', 'case', "
            f"'CS-1', '{{}}'), ('{CLIENT}', 'case', 'CS-2', '{{}}'), ('0123456789abcdef', 'case',"
            " 'CS-9', '{}');"
            "INSERT INTO team_outbox (client_key, kind, payload, idempotency_key, status, "
            f"created_at, origin, username) VALUES ('{CLIENT}', 'reply', '{{}}', 'k1', 'queued',"
            f" 0, 'x', 'alice'), ('{CLIENT}', 'reply', '{{}}', 'k2', 'sent', 0, 'x', 'bob'),"
            f"('{CLIENT}', 'reply', '{{}}', 'k3', 'sent', 0, 'x', 'bob');"
            # a member killed a minute ago: its row stays, its heartbeat stopped
            "INSERT INTO team_members (instance_id, client_key, host, pid, username, role, "
            f"last_seen) VALUES ('dead', '{CLIENT}', 'carol-host', 7, 'carol', 'follower', "
            "now() - interval '1 minute')"
        )
        code = await asyncio.to_thread(main, ["--profile", "lab", "team", "status", "--json"])
        for r in (alice, bob, wall):
            await r.stop()
        return code, {"leader": leader}

    code, facts = asyncio.run(run())
    assert code == 0
    out = capsys.readouterr().out
    status = json.loads(out)
    members = status["members"]
    assert [(m["user"], m["role"], m["gone"]) for m in members] == [
        (facts["leader"], "leader", False),
        ("bob" if facts["leader"] == "alice" else "alice", "follower", False),
        ("wall", "read-only", False),
        ("carol", "follower", True),
    ]
    assert {m["host"] for m in members} == {"alice-host", "bob-host", "wall-host", "carol-host"}
    assert all(isinstance(m["pid"], int) and m["last_seen"] for m in members)
    assert status["leader"] == f"{facts['leader']}@{facts['leader']}-host"
    assert status["change_seq"] == 2  # this API client's changes only
    assert status["outbox"] == {"queued": 1, "sent": 2}
    assert team_db.password() not in out


def test_team_status_says_what_is_wrong(
    team_db: Team, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    profile(None)
    assert main(["--profile", "lab", "team", "status"]) == 2
    assert "no team_url" in capsys.readouterr().err
    # the server refuses the password: one line with the reason, never the password
    profile(team_db)
    monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", "wrong-" + team_db.password())
    assert main(["--profile", "lab", "team", "status"]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "password authentication failed" in err
    assert team_db.password() not in err
    # no schema yet: nobody has started an instance
    monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", team_db.password())
    assert main(["--profile", "lab", "team", "status"]) == 1
    assert "no schema yet" in capsys.readouterr().err


def test_team_status_text_and_nothing_listening(
    pg_cluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    team = pg_cluster.new_team()
    profile(team, extra="")
    monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", team.password())

    async def run() -> int:
        r = runtime(team, "alice")
        await r.start()
        await until(lambda: r.is_leader)
        code = await asyncio.to_thread(main, ["--profile", "lab", "team", "status"])
        await r.stop()
        return code

    assert asyncio.run(run()) == 0
    out = capsys.readouterr().out
    assert "leader: alice@alice-host" in out and "shared outbox: empty" in out
    assert "change sequence none yet" in out
    # a port where nothing listens: offline (6)
    path = config_path()
    path.write_text(
        path.read_text(encoding="utf-8").replace(f":{pg_cluster.port}/", ":9/"), encoding="utf-8"
    )
    assert main(["--profile", "lab", "team", "status"]) == 6
    err = capsys.readouterr().err
    assert "unreachable" in err and err.count("\n") == 1


def test_config_check_reports_the_team_store(
    team_db: Team, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def check(reader: bool = False) -> tuple[int, str]:
        profile(team_db, reader=reader, extra="read_only = true\n" if reader else "")
        monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", team_db.password(reader=reader))
        name, prof = get_profile("lab")
        failures = await config_check.check_team(name, prof)
        return failures, capsys.readouterr().out

    async def run() -> list[tuple[int, str]]:
        seen = [await check()]  # before any instance: no schema
        r = runtime(team_db, "alice")
        await r.start()
        await until(lambda: r.is_leader)
        seen += [await check(), await check(reader=True)]
        await r.stop()
        team_db.sql("UPDATE team_schema SET version = version + 1")
        seen.append(await check())
        return seen

    (f0, before), (f1, owner), (f2, wall), (f3, newer) = asyncio.run(run())
    assert f0 == 0 and "no schema yet" in before and "may write" in before  # may create it
    assert f1 == 0, owner
    assert "  ok    reachable" in owner and "  ok    schema version 1" in owner
    assert "may write the team's tables" in owner
    assert "leader: alice@alice-host" in owner
    assert "TLS" in owner and "password from $EXPEREO_TEAM_PASSWORD" in owner
    assert f2 == 0 and "reads only" in wall
    assert f3 == 1 and "newer than this expereo-tui" in newer
    assert team_db.password() not in before + owner + newer


def test_config_check_says_nothing_of_a_team_without_team_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    profile(None)
    name, prof = get_profile("lab")
    assert asyncio.run(config_check.check_team(name, prof)) == 0
    assert capsys.readouterr().out == ""
