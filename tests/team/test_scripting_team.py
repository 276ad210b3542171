"""The command line in team mode: a script reads through its team (it never polls the API: the
team's leader does, within the one budget) and its writes go into the team's one outbox."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import pytest

from expereo_tui.cli.main import main
from expereo_tui.locations import config_path
from expereo_tui.sim import Simulator, run_server
from tests.pgcluster import Team as PgTeam
from tests.team.test_feed import member, sim, synced  # noqa: F401 - the fixture too
from tests.team.test_runtime import until


def _run_script(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """``expereo-tui ARGV`` in this thread (its own event loop), as a script would run it."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def test_a_script_reads_through_the_team_and_writes_into_its_outbox(
    team_db: PgTeam, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    async def run() -> None:
        with run_server(sim) as url:
            alice = member("alice", tmp_path, team_db, sim, url)
            scout = member("scout", tmp_path, team_db, sim, url)  # to wait for the feed
            await alice.engine.start()
            await until(lambda: alice.runtime.is_leader, within=20)
            await scout.engine.start()
            try:
                await synced(alice, scout)
                alice.engine.pause()  # the leader polls no more: any request is the script's
                path = config_path()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(
                    f'[profiles.lab]\nbase_url = "{url}"\ntoken_url = "{url}/oauth2/token"\n'
                    f'client_id = "{sim.client_id}"\nsent_by = "cron@noc"\n'
                    f'team_url = "{team_db.url()}"\n',
                    encoding="utf-8",
                )
                monkeypatch.setenv("EXPEREO_CLIENT_SECRET", sim.client_secret)
                monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", team_db.password())
                before = len(sim.request_log)
                code, out, err = await asyncio.to_thread(
                    _run_script, ["--profile", "lab", "cases", "list", "--json"]
                )
                assert code == 0, err
                assert {r["id"] for r in json.loads(out)} == set(sim.data.cases)
                assert len(sim.request_log) == before  # read through the team: no API request
                case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "New")
                code, _, err = await asyncio.to_thread(
                    _run_script, ["--profile", "lab", "cases", "reply", case_id, "-"], "from cron\n"
                )
                assert code == 0, err
                assert f"reply to {case_id} sent" in err
                texts = [m.get("message") for m in sim.data.messages[case_id]]
                assert texts.count("from cron\n") == 1
                rows = team_db.sql(
                    f"SELECT status FROM team_outbox WHERE case_id = '{case_id}'"
                ).split()
                assert rows == ["sent"]  # it went through the team's one outbox
            finally:
                await scout.engine.stop()
                await alice.engine.stop()

    asyncio.run(run())
