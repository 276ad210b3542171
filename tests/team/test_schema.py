"""The team store's schema: migrated once under a lock by instances starting together, a newer
schema refused and left alone, the wall's role reading only, no secret in any table."""

from __future__ import annotations

import asyncio

import pytest

from expereo_tui.team import schema
from expereo_tui.team.db import TeamUnavailable, connect
from expereo_tui.team.settings import TeamSettings, client_key
from tests.pgcluster import Team


def settings(team: Team, *, reader: bool = False, password: str | None = "") -> TeamSettings:
    pw = team.password(reader=reader) if password == "" else password
    return TeamSettings(url=team.url(reader=reader), client=client_key("http://x", "c"),
                        password=pw, read_only=reader)  # fmt: skip


def test_instances_starting_together_migrate_once(team_db: Team) -> None:
    async def one() -> int:
        conn = await connect(settings(team_db))
        try:
            return await schema.migrate(conn)
        finally:
            await conn.close()

    async def main() -> list[int]:
        return list(await asyncio.gather(*(one() for _ in range(6))))

    before = asyncio.run(main())
    assert sorted(before) == [0] + [schema.VERSION] * 5  # one migrated, five found it done
    assert team_db.sql("SELECT version FROM team_schema") == str(schema.VERSION)


def test_a_newer_schema_is_refused_and_left_alone(team_db: Team) -> None:
    async def run() -> None:
        conn = await connect(settings(team_db))
        await schema.migrate(conn)
        await conn.execute("UPDATE team_schema SET version = %s", (schema.VERSION + 1,))
        with pytest.raises(schema.TeamSchemaNewer, match="upgrade expereo-tui"):
            await schema.migrate(conn)
        await conn.close()

    asyncio.run(run())
    assert team_db.sql("SELECT version FROM team_schema") == str(schema.VERSION + 1)
    assert team_db.sql("SELECT count(*) FROM team_changes") == "0"  # not dropped


def test_the_wall_role_reads_and_cannot_write(team_db: Team) -> None:
    import psycopg

    async def run() -> None:
        owner = await connect(settings(team_db))
        await schema.migrate(owner)
        await owner.close()
        wall = await connect(settings(team_db, reader=True))
        assert await schema.migrate(wall) == schema.VERSION  # found done: nothing to create
        await wall.execute("SELECT count(*) FROM team_changes")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await wall.execute(
                "INSERT INTO team_changes (client_key, kind, key, body) VALUES ('c','case','x','{}')"
            )
        await wall.close()

    asyncio.run(run())


def test_an_empty_store_and_a_reader_says_what_to_do(team_db: Team) -> None:
    async def run() -> None:
        wall = await connect(settings(team_db, reader=True))
        with pytest.raises(schema.TeamSchemaError, match="owner role first"):
            await schema.migrate(wall)
        await wall.close()

    asyncio.run(run())


def test_a_wrong_password_is_said_without_the_password(team_db: Team) -> None:
    async def run() -> None:
        with pytest.raises(TeamUnavailable) as caught:
            await connect(settings(team_db, password="not-the-password-42"))
        assert "not-the-password-42" not in str(caught.value)
        assert "password authentication failed" in str(caught.value)

    asyncio.run(run())


def test_no_column_could_hold_a_secret(team_db: Team) -> None:
    async def run() -> None:
        conn = await connect(settings(team_db))
        await schema.migrate(conn)
        await conn.close()

    asyncio.run(run())
    columns = team_db.sql(
        "SELECT table_name || '.' || column_name FROM information_schema.columns "
        "WHERE table_schema = 'public'"
    ).split()
    suspicious = [c for c in columns if any(w in c for w in ("token", "secret", "password"))]
    assert suspicious == ["team_budget.read_tokens", "team_budget.write_tokens"] or sorted(
        suspicious
    ) == ["team_budget.read_tokens", "team_budget.write_tokens"]


def test_a_remote_host_verifies_tls_and_the_password_is_not_in_the_url() -> None:
    s = TeamSettings(url="postgresql://noc@db.example.net/team", client="c", password="pw")
    assert s.connect_kwargs()["sslmode"] == "verify-full"
    assert "pw" not in repr(s) and "pw" not in s.describe()
    local = TeamSettings(url="postgresql://noc@127.0.0.1/team", client="c")
    assert "sslmode" not in local.connect_kwargs()
    weak = TeamSettings(url="postgresql://noc@db.example.net/team?sslmode=require", client="c")
    assert not weak.verifies_tls and "sslmode" not in weak.connect_kwargs()
