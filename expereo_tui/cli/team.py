"""``expereo-tui team status [--json]``: the profile's team store (docs/team.md) as it is now:
its members (who leads, who follows, the read-only walls), the change sequence and the shared
outbox's counts.  Reads only; it never joins the team."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from expereo_tui.cli.output import field

if TYPE_CHECKING:
    from expereo_tui.team.settings import TeamSettings


def add_parser(sub: Any, flags: argparse.ArgumentParser) -> None:
    team = sub.add_parser(
        "team",
        parents=[flags],
        help="the profile's team store (team mode, docs/team.md)",
        description="Team mode: several instances share one API client through PostgreSQL.",
    )
    actions = team.add_subparsers(dest="action", required=True, metavar="ACTION", help="status")
    status = actions.add_parser(
        "status",
        parents=[flags],
        help="the team's members (leader, followers, walls), change sequence and shared outbox",
    )
    status.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``team status``: exit 0, 2 (no team_url: configuration), 6 (the team store cannot be
    reached, as scripting's OFFLINE) or 1 (its schema cannot be read by this version)."""
    import importlib.util

    from expereo_tui.cli.team_setup import NEEDS_EXTRA, team_settings
    from expereo_tui.config import ConfigError, get_profile

    name, profile = get_profile(getattr(args, "profile", None))
    if not profile.team_url:
        raise ConfigError(
            f"profile {name!r} has no team_url: team mode is off (docs/team.md says how to "
            "turn it on)"
        )
    settings = team_settings(name, profile, read_only=True)
    if importlib.util.find_spec("psycopg") is None:
        print(f"expereo-tui team: {NEEDS_EXTRA}", file=sys.stderr)
        return 2
    return asyncio.run(_status(settings, out or sys.stdout, as_json=args.json))


async def read_status(conn: Any, settings: TeamSettings) -> dict[str, Any]:
    """What ``team status`` shows, as its JSON object (the schema already checked)."""
    from expereo_tui.team.members import members

    found = await members(conn, settings.client)
    cur = await conn.execute(
        "SELECT max(seq) FROM team_changes WHERE client_key = %s", (settings.client,)
    )
    row = await cur.fetchone()
    seq = None if row is None or row[0] is None else int(row[0])
    cur = await conn.execute(
        "SELECT status, count(*) FROM team_outbox WHERE client_key = %s GROUP BY status "
        "ORDER BY status",
        (settings.client,),
    )
    outbox = {str(status): int(n) for status, n in await cur.fetchall()}
    leader = next((m for m in found if m.role == "leader" and not m.gone), None)
    return {
        "team_url": settings.describe(),
        "client": settings.client,
        "leader": f"{leader.user}@{leader.host}" if leader else None,
        "change_seq": seq,
        "members": [m.as_json() for m in found],
        "outbox": outbox,
    }


async def _status(settings: TeamSettings, out: TextIO, *, as_json: bool) -> int:
    from expereo_tui.cli.exits import Exit
    from expereo_tui.team import schema
    from expereo_tui.team.db import TeamUnavailable, connect

    try:
        conn = await connect(settings)
    except TeamUnavailable as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return int(Exit.OFFLINE)
    async with conn:
        version = await schema.schema_version(conn)
        if version is None or version > schema.VERSION:
            problem = (
                "has no schema yet (the first instance started with the team's owner role "
                "creates it)"
                if version is None
                else str(schema.TeamSchemaNewer(version))
            )
            print(f"expereo-tui: team store {settings.describe()} {problem}", file=sys.stderr)
            return int(Exit.FAILED)
        status = await read_status(conn, settings)
    status["schema"] = version
    if as_json:
        out.write(json.dumps(status, indent=2) + "\n")
    else:
        out.write(_text(status))
    return int(Exit.OK)


def _text(status: dict[str, Any]) -> str:
    seq = status["change_seq"]
    lines = [
        f"team store {status['team_url']} (schema {status['schema']})",
        f"API client {status['client']}: change sequence {seq if seq is not None else 'none yet'}",
        f"leader: {field(status['leader']) if status['leader'] else 'none (nobody polls)'}",
    ]
    members = status["members"]
    if members:
        lines.append(f"{'ROLE':<10} {'USER':<16} {'HOST':<20} {'PID':>7}  LAST SEEN")
        for m in members:
            seen = m["last_seen"][:19].replace("T", " ") + " UTC"
            lines.append(
                f"{m['role']:<10} {field(m['user']):<16} {field(m['host']):<20} {m['pid']:>7}  "
                f"{seen}{'  gone' if m['gone'] else ''}"
            )
    else:
        lines.append("no members: no instance of this API client is running")
    outbox = status["outbox"]
    counts = ", ".join(f"{n} {s}" for s, n in outbox.items()) if outbox else "empty"
    lines.append(f"shared outbox: {counts}")
    return "\n".join(lines) + "\n"
