"""The team's one outbox (team mode, issue #31 item 3), on the ``team_outbox`` table.

A write is queued where it was typed, in that instance's local outbox, as alone (its draft
rules hold there).  Each round of the engine's outbox (:meth:`TeamOutbox.round`):

1. **Decisions.**  What this instance's user decided for an entry that needed it (send again,
   discard) is written to its row first, so nothing below overwrites it.  Send again is the
   sender's rule across hosts: the user checked, so the row's attempts go back to 0 and its
   next claimer, whoever it is, sends it without looking (as ``OutboxSender.send_again``).
2. **Hand-over.**  Each local entry still pending and never handed over is inserted into
   ``team_outbox`` with its Idempotency-Key (``UNIQUE``: ``ON CONFLICT DO NOTHING``), and the
   local entry is marked as handed (a meta key ``team.outbox.<local id>`` holding the row's id).
   A hand-over repeated after a crash between the two steps inserts nothing: exactly once.
3. **Follow.**  Each local entry tied to a row takes the row's state (queued, sending, sent with
   the result id, failed, needs your decision) and announces it (``OutboxChanged``), so every
   instance's screen follows its writes whoever sends them.  A row that failed puts the text
   back into the draft of the instance that has the draft, by the sender's rule
   (:func:`~expereo_tui.sync.sender.restored_draft`).  A row that needed a decision and is
   queued again (its user said send again) is sent again without looking, as alone.
4. **Claim and send** (never on a read-only instance).  In one transaction: the team's write
   budget (a token bucket in ``team_budget``, the API client's documented write limit shared by
   every instance) gives a token or the round ends; the oldest due row whose case has nothing
   older pending and nothing waiting for a decision is locked ``FOR UPDATE SKIP LOCKED``,
   leased (``claimed_by``, ``lease_until`` = 2 × the client timeout + a margin) and **counted
   as attempted** (``attempts + 1``) before any request goes out.  Then the row is copied into
   the local outbox (a peer's write is adopted with the same Idempotency-Key, no draft),
   :meth:`OutboxSender.send` sends it with every rule it has, and the local result is written
   back to the row (lease released) and announced with NOTIFY ``outbox``.

A claimer that dies mid-send leaves its row leased and counted as attempted: when the lease
has run out the next claimer finds ``attempts > 0`` it did not make itself, so its sender looks
on the server before re-sending (the sender's rule), whatever this instance knew before.

**While the team store is away** nothing is sent, not even this instance's own entries: a peer
may have claimed a handed-over row before the outage and be sending it now, and an entry never
handed over still has to wait for the team's write budget (every instance sending on its own
budget is the 429 storm the team exists to avoid).  New writes stay queued locally, are shown
as queued, and are handed over exactly once when the store is back (``docs/team.md``).

Time: next attempts and the budget's refill use the instances' clocks (as the sender does);
the refill never runs backwards (``updated_at`` only grows), so a host whose clock is behind
refills nothing until it catches up.  Leases use PostgreSQL's clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from expereo_tui.api.ratelimit import HEADROOM, RateLimits
from expereo_tui.store.outbox_types import OutboxStatus
from expereo_tui.store.store import OutboxEntry, Store
from expereo_tui.sync.events import OutboxChanged, SyncEvent
from expereo_tui.sync.sender import CODE_DECIDE, OutboxSender, restored_draft

from .runtime import TeamOffline, TeamRuntime

log = logging.getLogger(__name__)

META_PREFIX = "team.outbox."  # + local entry id -> the team_outbox row id it was handed to
LEASE_MARGIN = 30.0  # seconds added to 2 × the client timeout for a claim's lease
CLAIMS_PER_ROUND = 10  # at most this many sends a round (the rest wait for the next)
_FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED)
_COLS = (
    "id, kind, case_id, payload, idempotency_key, status, attempts, first_attempt_at, "
    "next_attempt_at, last_error, result_id, created_at"
)


@dataclass(frozen=True)
class Row:
    """One row of ``team_outbox`` as a claim or a follow reads it."""

    id: int
    kind: str
    case_id: str | None
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    first_attempt_at: float | None
    next_attempt_at: float | None
    last_error: str | None
    result_id: str | None
    created_at: float

    @classmethod
    def of(cls, r: tuple[Any, ...]) -> Row:
        return cls(
            id=int(r[0]),
            kind=str(r[1]),
            case_id=r[2],
            payload=dict(r[3]),
            idempotency_key=str(r[4]),
            status=str(r[5]),
            attempts=int(r[6]),
            first_attempt_at=r[7],
            next_attempt_at=r[8],
            last_error=r[9],
            result_id=r[10],
            created_at=float(r[11]),
        )


class TeamOutbox:
    def __init__(
        self,
        runtime: TeamRuntime,
        store: Store,
        emit: Callable[[SyncEvent], None],
        clock: Callable[[], float] = time.time,
        *,
        limits: RateLimits | None = None,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.emit = emit
        self.clock = clock
        self.limits = limits or RateLimits()
        #: row id -> the attempts this instance left on it when it last wrote it back; a row
        #: found with another count was attempted elsewhere since
        self._mine: dict[int, int] = {}
        self._writebacks: dict[int, int] = {}  # row id -> local id, not written back yet
        self._decisions: dict[int, bool] = {}  # local id -> send again (True) or discard
        self.budget_waits = 0  # rounds that ended for want of a write token (tests)

    # -- what the engine calls -----------------------------------------------------------------
    def queued(self, entry_id: int) -> None:
        """A write was queued locally: the next round hands it over (nothing to do now; the
        round finds every entry not handed over, after a crash too)."""

    def decided(self, entry_id: int, again: bool) -> None:
        """This instance's user decided on an entry that needed it (the local entry already
        says so): written to the team's row at the next round."""
        self._decisions[entry_id] = again

    async def round(self, sender: OutboxSender) -> int:
        """One round (see the module's docstring); returns how many rows this instance sent.
        The team store away: nothing is sent, the local entries wait."""
        if not self.runtime.online:
            return 0
        try:
            await self._write_back_pending(sender)
            await self._follow(sender)
            if sender.read_only:  # a read-only instance hands nothing over and never claims
                return 0
            await self._push_decisions()
            if await self._hand_over():
                await self.runtime.notify("outbox")
            return await self._claim_and_send(sender)
        except TeamOffline as exc:
            log.info("team outbox waits: %s", exc)
            return 0

    # -- 1. decisions --------------------------------------------------------------------------
    async def _push_decisions(self) -> None:
        for local_id, again in list(self._decisions.items()):
            row_id = self._row_of(local_id)
            entry = self.store.outbox.outbox_entry(local_id)
            if row_id is not None and entry is not None:
                async with self.runtime.connection() as conn:
                    if again:  # attempts 0: its next claimer sends it without looking
                        await conn.execute(
                            "UPDATE team_outbox SET status = 'queued', next_attempt_at = %s, "
                            "attempts = 0, last_error = NULL, updated_at = now() "
                            "WHERE id = %s AND status = 'needs_decision'",
                            (self.clock(), row_id),
                        )
                    else:
                        await conn.execute(
                            "UPDATE team_outbox SET status = 'failed', last_error = %s, "
                            "updated_at = now() WHERE id = %s AND status = 'needs_decision'",
                            (entry.last_error, row_id),
                        )
                await self.runtime.notify("outbox")
            del self._decisions[local_id]

    # -- 2. hand-over --------------------------------------------------------------------------
    def _row_of(self, local_id: int) -> int | None:
        value = self.store.meta.get_meta(f"{META_PREFIX}{local_id}")
        return int(value) if value else None

    def _tie(self, local_id: int, row_id: int) -> None:
        self.store.meta.set_meta(f"{META_PREFIX}{local_id}", str(row_id))

    async def _hand_over(self) -> int:
        """Every local pending entry never handed over goes to the team; returns how many."""
        s = self.runtime.settings
        handed = 0
        for entry in self.store.outbox.outbox():
            if self._row_of(entry.id) is not None:
                continue
            async with self.runtime.connection() as conn:
                await conn.execute(
                    "INSERT INTO team_outbox (client_key, kind, case_id, payload, "
                    "idempotency_key, status, attempts, first_attempt_at, next_attempt_at, "
                    "last_error, created_at, origin, origin_entry, username) VALUES "
                    "(%s, %s, %s, %s::jsonb, %s, 'queued', %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (idempotency_key) DO NOTHING",
                    (
                        s.client,
                        str(entry.kind),
                        entry.case_id,
                        _json(entry.payload),
                        entry.idempotency_key,
                        entry.attempts,
                        entry.first_attempt_at,
                        entry.next_attempt_at,
                        entry.last_error,
                        entry.created_at,
                        s.instance_id,
                        entry.id,
                        s.username,
                    ),
                )
                cur = await conn.execute(
                    "SELECT id FROM team_outbox WHERE idempotency_key = %s",
                    (entry.idempotency_key,),
                )
                row = await cur.fetchone()
            if row is not None:
                self._tie(entry.id, int(row[0]))
                handed += 1
        return handed

    # -- 3. follow -----------------------------------------------------------------------------
    async def _follow(self, sender: OutboxSender) -> None:
        """Local entries tied to rows take the rows' states (and say so)."""
        tied = {
            row_id: e
            for e in self.store.outbox.outbox(
                statuses=(
                    OutboxStatus.QUEUED,
                    OutboxStatus.SENDING,
                    OutboxStatus.NEEDS_DECISION,
                )
            )
            if (row_id := self._row_of(e.id)) is not None
            and e.id not in self._decisions
            and row_id not in self._writebacks
        }
        if not tied:
            return
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLS} FROM team_outbox WHERE id = ANY(%s)", (list(tied),)
            )
            rows = [Row.of(r) for r in await cur.fetchall()]
        for row in rows:
            self._take(tied[row.id], row, sender)

    def _take(self, entry: OutboxEntry, row: Row, sender: OutboxSender) -> None:
        """The local entry takes the row's state; announced when it changed."""
        outbox = self.store.outbox
        status = OutboxStatus(row.status)
        if status == OutboxStatus.SENT:
            outbox.outbox_sent(entry.id, result_id=row.result_id)
            self._announce(entry, status, result_id=row.result_id)
            return
        if status == OutboxStatus.FAILED:
            error = row.last_error or "not sent"
            outbox.outbox_failed(
                entry.id, error=error, restore=lambda e, draft: restored_draft(e, draft, error)
            )
            self._announce(entry, status, error=error)
            return
        if status == OutboxStatus.NEEDS_DECISION:
            if entry.status != status:
                outbox.outbox_needs_decision(entry.id, error=row.last_error or "")
                self._announce(entry, status, error=row.last_error, code=CODE_DECIDE)
            return
        if entry.status == OutboxStatus.NEEDS_DECISION:
            # its user (on the instance that queued it) said send again: no look first
            sender.send_again(entry.id)
        state = (status, row.attempts, row.next_attempt_at, row.last_error)
        if state != (entry.status, entry.attempts, entry.next_attempt_at, entry.last_error):
            outbox.outbox_mirror(
                entry.id,
                status=status,
                attempts=row.attempts,
                first_attempt_at=row.first_attempt_at,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                result_id=row.result_id,
            )
            if (status, row.last_error) != (entry.status, entry.last_error):
                self._announce(entry, status, error=row.last_error)

    # -- 4. claim and send ---------------------------------------------------------------------
    async def _claim_and_send(self, sender: OutboxSender) -> int:
        sent = 0
        for _ in range(CLAIMS_PER_ROUND):
            row = await self._claim(sender)
            if row is None:
                break
            if not await self._send(row, sender):
                break  # offline, rate limited or waiting: the next round tries again
            sent += 1
        return sent

    def lease(self, sender: OutboxSender) -> float:
        """Seconds a claim holds its row: a send and its look-ups fit twice over."""
        return 2 * sender.client.settings.timeout + LEASE_MARGIN

    async def _claim(self, sender: OutboxSender) -> Row | None:
        """The oldest due row this instance may send, leased and counted as attempted, with a
        token of the team's write budget; None when there is none (or no token)."""
        s = self.runtime.settings
        now = self.clock()
        async with self.runtime.connection() as conn, conn.transaction():
            if not await self._take_token(conn, now, dry_run=True):
                self.budget_waits += 1
                return None
            cur = await conn.execute(
                f"SELECT {_COLS} FROM team_outbox o WHERE client_key = %s "
                "AND status IN ('queued', 'sending') "
                "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
                "AND (lease_until IS NULL OR lease_until < now()) "
                "AND NOT EXISTS (SELECT 1 FROM team_outbox p WHERE p.client_key = o.client_key "
                "  AND p.case_id = o.case_id AND p.id <> o.id AND (p.status = 'needs_decision' "
                "  OR (p.id < o.id AND p.status IN ('queued', 'sending')))) "
                "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                (s.client, now),
            )
            found = await cur.fetchone()
            if found is None:
                return None
            row = Row.of(found)
            await self._take_token(conn, now, dry_run=False)
            await conn.execute(
                "UPDATE team_outbox SET status = 'sending', claimed_by = %s, "
                "lease_until = now() + make_interval(secs => %s), attempts = attempts + 1, "
                "first_attempt_at = COALESCE(first_attempt_at, %s), updated_at = now() "
                "WHERE id = %s",
                (s.instance_id, self.lease(sender), now, row.id),
            )
        return row

    async def _take_token(self, conn: Any, now: float, *, dry_run: bool) -> bool:
        """The team's write budget (the API client's, shared): a token bucket refilled on use
        from ``updated_at``.  Whoever touches the row refills both buckets (reads too), so the
        one ``updated_at`` stays true for each.  ``dry_run``: whether a token is there, the
        row locked until the transaction ends."""
        lim = self.limits
        await conn.execute(
            "INSERT INTO team_budget (client_key, read_tokens, write_tokens, updated_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (client_key) DO NOTHING",
            (self.runtime.client, float(lim.read_burst), float(lim.write_burst), now),
        )
        cur = await conn.execute(
            "SELECT read_tokens, write_tokens, updated_at FROM team_budget "
            "WHERE client_key = %s FOR UPDATE",
            (self.runtime.client,),
        )
        got = await cur.fetchone()
        assert got is not None
        reads, writes, stamp = float(got[0]), float(got[1]), float(got[2])
        elapsed = max(0.0, now - stamp)
        reads = min(float(lim.read_burst), reads + elapsed * lim.read_rate)
        writes = min(float(lim.write_burst), writes + elapsed * lim.write_rate)
        if writes < 1 - 1e-6:
            return False
        if dry_run:
            return True
        writes -= 1
        if writes < 1:  # dry: keep behind the server's bucket, as the client's limiter does
            writes -= HEADROOM * lim.write_rate
        await conn.execute(
            "UPDATE team_budget SET read_tokens = %s, write_tokens = %s, updated_at = %s "
            "WHERE client_key = %s",
            (reads, writes, max(stamp, now), self.runtime.client),
        )
        return True

    async def _send(self, row: Row, sender: OutboxSender) -> bool:
        """Send a claimed row with the sender's rules; True when it is done."""
        outbox = self.store.outbox
        entry = outbox.outbox_by_key(row.idempotency_key) or outbox.outbox_adopt(
            row.kind,
            row.payload,
            case_id=row.case_id,
            idempotency_key=row.idempotency_key,
            created_at=row.created_at,
        )
        self._tie(entry.id, row.id)
        if self._mine.get(row.id) != row.attempts:
            sender.attempted_elsewhere(entry.id)  # the next send looks before re-sending
        self._writebacks[row.id] = entry.id
        if entry.status not in _FINAL:  # done here already (not written back): just say so
            outbox.outbox_mirror(
                entry.id,
                status=OutboxStatus.QUEUED,
                attempts=row.attempts,
                first_attempt_at=row.first_attempt_at,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                result_id=row.result_id,
            )
            fresh = outbox.outbox_entry(entry.id)
            assert fresh is not None
            try:
                await sender.send(fresh)
            finally:
                await self._write_back_pending(sender)
        else:
            await self._write_back_pending(sender)
        done = outbox.outbox_entry(entry.id)
        return done is not None and done.status in _FINAL

    async def _write_back_pending(self, sender: OutboxSender) -> None:
        """Local results of claimed rows to their rows (lease released), then NOTIFY; a row
        whose write-back found the store away is written at the next round."""
        if not self._writebacks:
            return
        s = self.runtime.settings
        for row_id, local_id in list(self._writebacks.items()):
            entry = self.store.outbox.outbox_entry(local_id)
            if entry is None:
                del self._writebacks[row_id]
                continue
            status = OutboxStatus.QUEUED if entry.status == OutboxStatus.SENDING else entry.status
            async with self.runtime.connection() as conn:
                await conn.execute(
                    "UPDATE team_outbox SET status = %s, attempts = %s, first_attempt_at = %s, "
                    "next_attempt_at = %s, last_error = %s, result_id = %s, claimed_by = NULL, "
                    "lease_until = NULL, updated_at = now() "
                    "WHERE id = %s AND (claimed_by = %s OR %s = 'sent')",
                    (
                        str(status),
                        entry.attempts,
                        entry.first_attempt_at,
                        entry.next_attempt_at,
                        entry.last_error,
                        entry.result_id,
                        row_id,
                        s.instance_id,
                        str(status),
                    ),
                )
            self._mine[row_id] = entry.attempts
            del self._writebacks[row_id]
        await self.runtime.notify("outbox")

    def _announce(
        self,
        entry: OutboxEntry,
        status: OutboxStatus,
        *,
        error: str | None = None,
        result_id: str | None = None,
        code: str | None = None,
    ) -> None:
        self.emit(OutboxChanged.of(entry, status, error=error, result_id=result_id, code=code))


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
