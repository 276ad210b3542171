"""One instance's membership of its team.

A :class:`TeamRuntime` keeps a connection to the team store up (reconnecting with back-off when
PostgreSQL goes away, and saying so), keeps this instance's row in ``team_members`` fresh (the
heartbeat), holds or tries the leader lock (a session-level advisory lock per API client: only
its holder polls the API) and listens on the team's channel, calling what subscribed to each
kind of notification.  The rest of team mode (the change feed, the shared outbox, presence)
runs its queries through :meth:`TeamRuntime.connection`.

Nothing is sent between instances except through PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

from . import schema
from .db import TeamUnavailable, connect
from .settings import TeamSettings

log = logging.getLogger(__name__)

CHANNEL = "expereo_team"  # NOTIFY payload: "<client_key> <what>" (what: changes, outbox, ...)
HEARTBEAT = 2.0  # seconds between member heartbeats (and leader-lock tries)
RECONNECT_MAX = 30.0  # the longest wait between tries to reach PostgreSQL again


class TeamOffline(Exception):
    """The team store is not reachable now; the instance works from its local store."""


def leader_lock_key(client: str) -> int:
    """The advisory lock (bigint) whose holder polls for the API client ``client``."""
    return int(client[:15], 16)


class TeamRuntime:
    def __init__(
        self,
        settings: TeamSettings,
        *,
        heartbeat: float = HEARTBEAT,
        clock: Callable[[], float] = time.time,
        may_lead: bool | None = None,
    ) -> None:
        self.settings = settings
        self.heartbeat = heartbeat
        self.clock = clock
        self.may_lead = (not settings.read_only) if may_lead is None else may_lead
        self.online = False
        self.problem: str | None = "connecting to the team store"
        self.is_leader = False
        self.leader: str | None = None  # "user@host" of the leader, as last seen
        # the team store away (team/link.py's rule): since when (``clock``), and whether this
        # instance led when it went
        self.offline_since: float | None = clock()
        self.led_when_lost = False
        self.schema_error: str | None = None
        self._conn: Any = None
        self._listen_conn: Any = None
        self.listening = False  # LISTEN issued on the notification connection
        self._conn_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribers: dict[str, list[Callable[[str], None]]] = defaultdict(list)
        self._on_state: list[Callable[[], None]] = []
        self._up = asyncio.Event()
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._keep_up(), name="expereo-team"),
                asyncio.create_task(self._listen(), name="expereo-team-listen"),
            ]

    async def stop(self) -> None:
        self._stopping = True
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(
                    "DELETE FROM team_members WHERE instance_id = %s", (self.settings.instance_id,)
                )
        await self._drop()
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await self._listen_conn.close()
            self._listen_conn = None

    async def wait_online(self) -> bool:
        """Until the team store is reached (callers bound it with ``asyncio.timeout``)."""
        await self._up.wait()
        return self.online

    # -- what the rest of team mode uses -----------------------------------------------------
    @property
    def client(self) -> str:
        return self.settings.client

    @property
    def role(self) -> str:
        if self.settings.read_only:
            return "read-only"
        return "leader" if self.is_leader else "follower"

    def subscribe(self, what: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(what)`` whenever an instance of this API client announces ``what``."""
        self._subscribers[what].append(callback)

    def on_state(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when online, leadership or the problem changes."""
        self._on_state.append(callback)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """The shared connection, one user at a time; raises TeamOffline when PostgreSQL is
        away (and marks the runtime offline when a query finds it gone)."""
        import psycopg

        if self._conn is None or not self.online:
            raise TeamOffline(self.problem or "the team store is not reachable")
        async with self._conn_lock:
            conn = self._conn
            if conn is None:
                raise TeamOffline(self.problem or "the team store is not reachable")
            try:
                yield conn
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                await self._lost(f"lost the team store: {_first_line(exc)}")
                raise TeamOffline(self.problem or "lost the team store") from None

    async def notify(self, what: str) -> None:
        """Tell every instance of this API client to look at ``what`` (best effort: a lost
        notification loses nothing, everyone also looks on a timer)."""
        with contextlib.suppress(TeamOffline):
            async with self.connection() as conn:
                await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{self.client} {what}"))

    # -- keeping the connection, the heartbeat and the leader lock ---------------------------
    async def _keep_up(self) -> None:
        delay = 1.0
        while True:
            if self._conn is None:
                try:
                    await self._open()
                    delay = 1.0
                except schema.TeamSchemaError as exc:
                    self.schema_error = str(exc)
                    self._set(online=False, problem=str(exc))
                    await self._drop()
                    await asyncio.sleep(RECONNECT_MAX)
                    continue
                except TeamUnavailable as exc:
                    self._set(online=False, problem=str(exc))
                    await asyncio.sleep(delay)
                    delay = min(RECONNECT_MAX, delay * 2)
                    continue
            try:
                await self._beat()
            except TeamOffline:
                continue
            await asyncio.sleep(self.heartbeat)

    async def _open(self) -> None:
        conn = await connect(self.settings)
        try:
            await schema.migrate(conn)
            cur = await conn.execute("SELECT pg_backend_pid()")
            row = await cur.fetchone()
            backend = int(row[0]) if row else None
            s = self.settings
            await conn.execute(
                "INSERT INTO team_members (instance_id, client_key, host, pid, username, role, "
                "backend_pid) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (instance_id) DO "
                "UPDATE SET last_seen = now(), role = EXCLUDED.role, "
                "backend_pid = EXCLUDED.backend_pid",
                (s.instance_id, s.client, s.host, os.getpid(), s.username, self.role, backend),
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.close()
            raise
        self._conn = conn
        self.schema_error = None
        self.offline_since = None
        self.led_when_lost = False
        self._set(online=True, problem=None)
        self._up.set()
        log.info("team store %s reached", self.settings.describe())

    async def _beat(self) -> None:
        async with self.connection() as conn:
            if self.may_lead and not self.is_leader:
                cur = await conn.execute(
                    "SELECT pg_try_advisory_lock(%s)", (leader_lock_key(self.client),)
                )
                row = await cur.fetchone()
                if row and row[0]:
                    self.is_leader = True
                    log.info("this instance leads the team's poll")
                    self._changed()
            await conn.execute(
                "UPDATE team_members SET last_seen = now(), role = %s WHERE instance_id = %s",
                (self.role, self.settings.instance_id),
            )
            cur = await conn.execute(
                "SELECT username || '@' || host FROM team_members WHERE client_key = %s "
                "AND role = 'leader' ORDER BY last_seen DESC LIMIT 1",
                (self.client,),
            )
            row = await cur.fetchone()
            leader = row[0] if row else None
            if leader != self.leader:
                self.leader = leader
                self._changed()

    async def _lost(self, why: str) -> None:
        log.warning("%s; working from the local store until it is back", why)
        await self._drop()
        self._set(online=False, problem=why)

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._up.clear()
        if conn is not None:  # a session ends: its advisory lock (leadership) with it
            self.led_when_lost = self.is_leader
            self.offline_since = self.clock()
        if self.is_leader:
            self.is_leader = False  # the lock went with the session
            self._changed()
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    def _set(self, *, online: bool, problem: str | None) -> None:
        if (online, problem) != (self.online, self.problem):
            self.online, self.problem = online, problem
            self._changed()

    def _changed(self) -> None:
        for callback in list(self._on_state):
            try:
                callback()
            except Exception:
                log.exception("team state listener failed")

    # -- notifications -----------------------------------------------------------------------
    async def _listen(self) -> None:
        prefix = f"{self.client} "
        while not self._stopping:
            await self._up.wait()
            try:
                conn = await connect(self.settings)
            except TeamUnavailable:
                await asyncio.sleep(self.heartbeat)
                continue
            self._listen_conn = conn
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                self.listening = True  # from here on, a notification reaches this instance
                async for note in conn.notifies():
                    if not note.payload.startswith(prefix):
                        continue
                    what = note.payload[len(prefix) :]
                    for callback in list(self._subscribers.get(what, ())):
                        try:
                            callback(what)
                        except Exception:
                            log.exception("team notification listener failed")
            except Exception as exc:  # the server went away: the keeper notices too
                log.info("team notifications stopped: %s", _first_line(exc))
            finally:
                self._listen_conn = None
                self.listening = False
                with contextlib.suppress(Exception):
                    await conn.close()
            await asyncio.sleep(self.heartbeat)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
