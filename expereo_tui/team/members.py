"""Who is in the team now: the members of one API client, as ``team_members`` has them.

A member that stopped cleanly deleted its row; one that was killed (or whose host vanished)
keeps it, and its ``last_seen`` stops moving.  One rule says when such a member is gone:
:data:`GONE_AFTER` (three heartbeats).  ``team status`` shows it as gone; awareness ignores
the presence rows of gone members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .runtime import HEARTBEAT

GONE_AFTER = 3 * HEARTBEAT  # seconds without a heartbeat: the member is gone

#: SQL for "the member is here" over a ``team_members`` row aliased ``m``
HERE_SQL = f"m.last_seen > now() - interval '{GONE_AFTER} seconds'"


@dataclass(frozen=True)
class Member:
    instance_id: str
    host: str
    pid: int
    user: str
    role: str  # leader, follower, read-only
    last_seen: datetime
    age: float  # seconds since its last heartbeat, by the server's clock
    gone: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "pid": self.pid,
            "user": self.user,
            "role": self.role,
            "last_seen": self.last_seen.astimezone(UTC).isoformat(),
            "gone": self.gone,
        }


async def members(conn: Any, client: str) -> list[Member]:
    """The members of the API client ``client``: the leader first, the gone last."""
    cur = await conn.execute(
        "SELECT m.instance_id, m.host, m.pid, m.username, m.role, m.last_seen, "
        f"extract(epoch FROM now() - m.last_seen)::float8, NOT ({HERE_SQL}) "
        "FROM team_members m WHERE m.client_key = %s "
        "ORDER BY 8, m.role = 'leader' DESC, m.role, m.username, m.host, m.pid",
        (client,),
    )
    return [Member(*row) for row in await cur.fetchall()]
