"""Team awareness (team mode, docs/team.md): who is on which case ("alice is replying"), who
took it ("mine" / "taken by bob"), and the team's shared pins.

The screens never wait on PostgreSQL: they read this object's state (plain dicts, refreshed by
its own task) and tell it what this instance does (:meth:`Awareness.viewing`,
:meth:`Awareness.typing`, :meth:`Awareness.left`), which the task writes.  A change is announced
with NOTIFY ("presence", "claims", "pins") so the others refresh at once; a timer refreshes
anyway (a lost notification loses nothing).  With the team store away every call fails quietly,
:attr:`Awareness.away` says so and the state keeps what was last seen.

Names and notes come from other members: they are data, shown as literal text, never markup.
Presence rows of members that are gone (``members.GONE_AFTER``) are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .members import HERE_SQL
from .runtime import TeamOffline, TeamRuntime

log = logging.getLogger(__name__)

TYPING_IDLE = 10.0  # seconds without a keystroke in the reply box: no longer "replying"
REFRESH = 1.0  # seconds between refreshes without a notification (presence within 2 s)
KINDS = ("presence", "claims", "pins")  # the notifications awareness sends and listens to

VIEWING, REPLYING = "viewing", "replying"


@dataclass(frozen=True)
class Presence:
    """Another member on a case."""

    username: str
    host: str
    case_id: str
    activity: str  # viewing, replying


@dataclass(frozen=True)
class TeamPin:
    """A handover note on a case, the team's."""

    case_id: str
    note: str
    username: str


class Awareness:
    """One instance's view of its team's presence, claims and pins (see the module)."""

    def __init__(
        self,
        runtime: TeamRuntime,
        *,
        clock: Callable[[], float] = time.monotonic,
        typing_idle: float = TYPING_IDLE,
        refresh: float = REFRESH,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.typing_idle = typing_idle
        self.refresh_every = refresh
        self.claims: dict[str, str] = {}  # case id -> who took it
        self.presence: dict[str, tuple[Presence, ...]] = {}  # case id -> the others on it
        self.pins: dict[str, TeamPin] = {}
        self.read = False  # the team's state was read at least once
        self._listeners: list[Callable[[], None]] = []
        self._case: str | None = None
        self._typed_at: float | None = None
        self._written: tuple[str | None, str | None] | None = None  # (case, activity) stored
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- who am I, and am I connected ---------------------------------------------------------
    @property
    def me(self) -> str:
        return self.runtime.settings.username

    @property
    def writes(self) -> bool:
        """A read-only instance (a wall) shows the team's state and writes none of it."""
        return not self.runtime.settings.read_only

    @property
    def away(self) -> bool:
        return not self.runtime.online

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after the team's state changed, or the store went or came back."""
        self._listeners.append(callback)

    # -- what the screens read ----------------------------------------------------------------
    def taken_by(self, case_id: str) -> str | None:
        return self.claims.get(case_id)

    def claim_label(self, case_id: str) -> str | None:
        """ "mine", "taken by bob", or None when nobody took the case."""
        who = self.claims.get(case_id)
        if who is None:
            return None
        return "mine" if who == self.me else f"taken by {who}"

    def others_on(self, case_id: str) -> tuple[Presence, ...]:
        """The others on ``case_id``; none while the team store is away (who is there cannot
        be known then; claims and pins keep what was last seen, they last)."""
        return () if self.away else self.presence.get(case_id, ())

    def presence_line(self, case_id: str) -> str | None:
        """ "alice is replying · bob is viewing", the repliers first; None when nobody else."""
        others = sorted(self.others_on(case_id), key=lambda p: (p.activity != REPLYING, p.username))
        seen: dict[str, str] = {}
        for p in others:
            seen.setdefault(p.username, p.activity)
        if not seen:
            return None
        return " · ".join(f"{who} is {what}" for who, what in seen.items())

    # -- what this instance does (no waiting: the task writes it) -----------------------------
    def viewing(self, case_id: str) -> None:
        if self._case != case_id:
            self._case, self._typed_at = case_id, None
            self._wake.set()

    def typing(self, case_id: str) -> None:
        """A keystroke in the reply box of ``case_id``."""
        was = self._activity()
        self._case, self._typed_at = case_id, self.clock()
        if was != REPLYING:
            self._wake.set()

    def left(self, case_id: str) -> None:
        if self._case == case_id:
            self._case, self._typed_at = None, None
            self._wake.set()

    def _activity(self) -> str | None:
        if self._case is None:
            return None
        if self._typed_at is not None and self.clock() - self._typed_at < self.typing_idle:
            return REPLYING
        return VIEWING

    # -- claims and pins (awaited by a worker) ------------------------------------------------
    async def claim(self, case_id: str) -> str | None:
        """Take ``case_id``, or give it back when it is this user's; returns who has it now
        (``me``, another member, or None).  Raises TeamOffline when the store is away."""
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM team_claims WHERE client_key = %s AND case_id = %s AND username = %s "
                "RETURNING 1",
                (self.runtime.client, case_id, self.me),
            )
            if await cur.fetchone() is None:
                await conn.execute(
                    "INSERT INTO team_claims (client_key, case_id, username) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (self.runtime.client, case_id, self.me),
                )
        await self.runtime.notify("claims")
        await self.refresh()
        return self.claims.get(case_id)

    async def pin(self, case_id: str, note: str) -> None:
        """Set (an empty note: remove) the team's pin on ``case_id``."""
        note = note.strip()
        async with self.runtime.connection() as conn:
            if note:
                await conn.execute(
                    "INSERT INTO team_pins (client_key, case_id, username, note) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (client_key, case_id) DO UPDATE "
                    "SET username = EXCLUDED.username, note = EXCLUDED.note, at = now()",
                    (self.runtime.client, case_id, self.me, note),
                )
            else:
                await conn.execute(
                    "DELETE FROM team_pins WHERE client_key = %s AND case_id = %s",
                    (self.runtime.client, case_id),
                )
        await self.runtime.notify("pins")
        await self.refresh()

    # -- the task -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        for kind in KINDS:
            self.runtime.subscribe(kind, self._poke)
        self.runtime.on_state(self._state_changed)
        self._task = asyncio.create_task(self._run(), name="expereo-team-awareness")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.writes and self._written not in (None, (None, None)):
            with contextlib.suppress(TeamOffline, Exception):
                async with self.runtime.connection() as conn:
                    await conn.execute(
                        "DELETE FROM team_presence WHERE instance_id = %s",
                        (self.runtime.settings.instance_id,),
                    )
                await self.runtime.notify("presence")

    def _poke(self, _what: str) -> None:
        self._wake.set()

    def _state_changed(self) -> None:
        if self.away:
            self._written = None  # written again once the store is back
        self._wake.set()
        self._changed()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._write_own()
                await self.refresh()
            except TeamOffline:
                pass  # said by the runtime (the status line); kept as last seen
            except Exception:
                log.exception("team awareness failed; trying again")
            timeout = self.refresh_every
            if self._typed_at is not None:  # wake when the typing goes idle
                left = self.typing_idle - (self.clock() - self._typed_at)
                if left > 0:
                    timeout = min(timeout, left + 0.05)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _write_own(self) -> None:
        if not self.writes:
            return
        wanted = (self._case, self._activity())
        if wanted == self._written:
            return
        case_id, activity = wanted
        async with self.runtime.connection() as conn:
            if case_id is None:
                await conn.execute(
                    "DELETE FROM team_presence WHERE instance_id = %s",
                    (self.runtime.settings.instance_id,),
                )
            else:
                await conn.execute(
                    "INSERT INTO team_presence (instance_id, client_key, username, case_id, "
                    "activity) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (instance_id) DO UPDATE "
                    "SET case_id = EXCLUDED.case_id, activity = EXCLUDED.activity, at = now()",
                    (self.runtime.settings.instance_id, self.runtime.client, self.me, case_id,
                     activity),
                )  # fmt: skip
        self._written = wanted
        await self.runtime.notify("presence")

    async def refresh(self) -> None:
        """Read the team's claims, presence and pins (raises TeamOffline when away)."""
        client = self.runtime.client
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                "SELECT case_id, username FROM team_claims WHERE client_key = %s", (client,)
            )
            claims = {str(c): str(u) for c, u in await cur.fetchall()}
            cur = await conn.execute(
                "SELECT p.username, m.host, p.case_id, p.activity FROM team_presence p "
                "JOIN team_members m ON m.instance_id = p.instance_id "
                f"WHERE p.client_key = %s AND p.instance_id <> %s AND p.case_id IS NOT NULL "
                f"AND {HERE_SQL} ORDER BY p.username, m.host",
                (client, self.runtime.settings.instance_id),
            )
            presence: dict[str, list[Presence]] = {}
            for user, host, case_id, activity in await cur.fetchall():
                p = Presence(str(user), str(host), str(case_id), str(activity or VIEWING))
                presence.setdefault(p.case_id, []).append(p)
            cur = await conn.execute(
                "SELECT case_id, note, username FROM team_pins WHERE client_key = %s "
                "ORDER BY at, case_id",
                (client,),
            )
            pins = {
                str(c): TeamPin(str(c), str(n or ""), str(u)) for c, n, u in await cur.fetchall()
            }
        frozen = {c: tuple(ps) for c, ps in presence.items()}
        changed = (claims, frozen, pins) != (self.claims, self.presence, self.pins) or not self.read
        self.claims, self.presence, self.pins, self.read = claims, frozen, pins, True
        if changed:
            self._changed()

    def _changed(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("team awareness listener failed")


def awareness_for(team: Any) -> Awareness | None:
    """The awareness of an engine's team (``engine.team``): None without one."""
    from .link import Team

    if not isinstance(team, Team):
        return None
    return Awareness(team.runtime)
