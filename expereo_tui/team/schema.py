"""The team store's tables and their migrations.

Several instances may start at once: migrations run in one transaction under a transaction-level
advisory lock, so exactly one applies them and the others find them done.  A schema newer than
this program knows is refused, never dropped or rewritten (the local store's rule).  No table
holds a secret or a token: the API token stays in the memory of the instance that fetched it.

``expereo_readers`` (a group role the administrator creates, docs/team.md) is granted reading
rights when it exists: a wall logs in with a member of it and can only read, and say it is there.
"""

from __future__ import annotations

from typing import Any

#: the advisory lock key (pg_advisory_xact_lock) migrations run under: "expereo" in ASCII
MIGRATION_LOCK = 0x657870657265_6F
READERS_ROLE = "expereo_readers"

_V1 = """
CREATE TABLE team_members (
    instance_id text PRIMARY KEY,
    client_key text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    username text NOT NULL,
    role text NOT NULL,              -- leader, follower, read-only
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    backend_pid integer              -- pg_backend_pid() of its session: gone when it is
);
CREATE INDEX team_members_client ON team_members (client_key, last_seen);

-- what the leader read from the API, in the order it wrote it; followers read from a sequence
CREATE TABLE team_changes (
    seq bigserial PRIMARY KEY,
    client_key text NOT NULL,
    kind text NOT NULL,              -- case, messages, account, site, service, invoice, meta
    key text NOT NULL,
    body jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_changes_client ON team_changes (client_key, seq);
-- the newest row of one object (the feed's diff and compaction: team/feed.py)
CREATE INDEX team_changes_object ON team_changes (client_key, kind, key, seq);

-- the team's one outbox: rows claimed FOR UPDATE SKIP LOCKED by any writable instance
CREATE TABLE team_outbox (
    id bigserial PRIMARY KEY,
    client_key text NOT NULL,
    kind text NOT NULL,
    case_id text,
    payload jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    status text NOT NULL,            -- queued, sending, sent, failed, needs_decision
    attempts integer NOT NULL DEFAULT 0,
    first_attempt_at double precision,
    next_attempt_at double precision,
    last_error text,
    result_id text,
    created_at double precision NOT NULL,
    origin text NOT NULL,            -- the instance that queued it (its drafts are there)
    origin_entry bigint,             -- its id in that instance's local outbox
    username text NOT NULL,
    claimed_by text,
    lease_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_outbox_due ON team_outbox (client_key, status, id);

-- the API client's one budget, shared by every instance (token buckets, refilled on use)
CREATE TABLE team_budget (
    client_key text PRIMARY KEY,
    read_tokens double precision NOT NULL,
    write_tokens double precision NOT NULL,
    updated_at double precision NOT NULL
);

-- team awareness: who is on which case, who took it, shared pins and handover notes
CREATE TABLE team_presence (
    instance_id text PRIMARY KEY,
    client_key text NOT NULL,
    username text NOT NULL,
    case_id text,
    activity text,                   -- viewing, replying
    at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE team_claims (
    client_key text NOT NULL,
    case_id text NOT NULL,
    username text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_key, case_id)
);
CREATE TABLE team_pins (
    client_key text NOT NULL,
    case_id text NOT NULL,
    username text NOT NULL,
    note text,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_key, case_id)
);
CREATE TABLE team_handover_notes (
    id bigserial PRIMARY KEY,
    client_key text NOT NULL,
    username text NOT NULL,
    body text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
"""

#: one SQL script per version; the schema's version is their count
MIGRATIONS: tuple[str, ...] = (_V1,)
VERSION = len(MIGRATIONS)

_GRANT_READERS = f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READERS_ROLE}') THEN
        GRANT USAGE ON SCHEMA public TO {READERS_ROLE};
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READERS_ROLE};
        GRANT INSERT, UPDATE, DELETE ON team_members TO {READERS_ROLE};
    END IF;
END
$$;
"""


class TeamSchemaError(Exception):
    """The team store cannot be used as it is; the message says why and what to do."""


class TeamSchemaNewer(TeamSchemaError):
    def __init__(self, found: int) -> None:
        super().__init__(
            f"the team store's schema is version {found}, newer than this expereo-tui knows "
            f"({VERSION}): upgrade expereo-tui on this host; the team store is left as it is"
        )
        self.found = found


async def schema_version(conn: Any) -> int | None:
    """The team store's schema version; None when it has none yet."""
    cur = await conn.execute("SELECT to_regclass('team_schema') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return None
    cur = await conn.execute("SELECT version FROM team_schema")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: Any) -> int:
    """Bring the schema to ``VERSION`` (under the migration lock); returns the version before.
    Raises TeamSchemaNewer for a newer schema and TeamSchemaError when this role may not create
    the tables (a read-only role meeting an empty store)."""
    import psycopg

    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        found = await schema_version(conn)
        if found is not None and found > VERSION:
            raise TeamSchemaNewer(found)
        if found == VERSION:
            return found
        try:
            if found is None:
                await conn.execute("CREATE TABLE team_schema (version integer NOT NULL)")
                await conn.execute("INSERT INTO team_schema VALUES (0)")
                found = 0
            for script in MIGRATIONS[found:]:
                await conn.execute(script)
            await conn.execute("UPDATE team_schema SET version = %s", (VERSION,))
            await conn.execute(_GRANT_READERS)
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidSchemaName) as exc:
            raise TeamSchemaError(
                f"the team store has schema version {found or 0} of {VERSION} and this role may "
                f"not create it ({exc.diag.message_primary}); start one instance with the "
                "team's owner role first (docs/team.md)"
            ) from None
    return found
