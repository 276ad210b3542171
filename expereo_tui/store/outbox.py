"""The outbox: writes waiting to be sent to the API, oldest first.

An entry is added with its draft deleted in one transaction, and a permanent failure puts the
payload back into its draft, so what the user typed is always in exactly one of the two.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .database import Table
from .outbox_types import AlreadyQueued, OutboxKind, OutboxStatus

# the draft an entry's permanent failure leaves: restore(entry, current draft) -> new draft or None
# (the rule lives in sync/sender.py)
Restore = Callable[["OutboxEntry", dict[str, Any] | None], dict[str, Any] | None]


@dataclass(frozen=True)
class OutboxEntry:
    """One queued write: what it sends, to which case, and how far it got."""

    id: int
    kind: OutboxKind
    case_id: str | None
    payload: dict[str, Any]  # camelCase wire body
    draft_key: str | None
    idempotency_key: str  # uuid4 hex, fixed at enqueue
    status: OutboxStatus
    attempts: int
    first_attempt_at: float | None
    next_attempt_at: float | None
    last_error: str | None
    created_at: float
    result_id: str | None


class OutboxStore(Table):
    """The ``outbox`` table (and the drafts it consumes and restores)."""

    _OUTBOX_COLS = (
        "id, kind, case_id, payload, draft_key, idempotency_key, status, attempts, "
        "first_attempt_at, next_attempt_at, last_error, created_at, result_id"
    )

    @staticmethod
    def _entry(r: sqlite3.Row) -> OutboxEntry:
        return OutboxEntry(
            id=int(r["id"]),
            kind=OutboxKind(r["kind"]),
            case_id=r["case_id"],
            payload=dict(json.loads(r["payload"])),
            draft_key=r["draft_key"],
            idempotency_key=r["idempotency_key"],
            status=OutboxStatus(r["status"]),
            attempts=int(r["attempts"]),
            first_attempt_at=r["first_attempt_at"],
            next_attempt_at=r["next_attempt_at"],
            last_error=r["last_error"],
            created_at=float(r["created_at"]),
            result_id=r["result_id"],
        )

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        case_id: str | None = None,
        draft_key: str | None = None,
    ) -> OutboxEntry:
        """Add a pending write and delete its draft in ONE transaction.  A draft becomes at
        most one pending write: while one is queued or sending, raises :class:`AlreadyQueued`
        (checked in the same transaction, so two instances or a double tap cannot both pass)."""
        with self._tx() as db:
            if draft_key:
                pending = db.execute(
                    "SELECT id FROM outbox WHERE draft_key = ? AND status IN ('queued', 'sending')",
                    (draft_key,),
                ).fetchone()
                if pending is not None:
                    raise AlreadyQueued(int(pending["id"]))
            cur = db.execute(
                "INSERT INTO outbox (kind, case_id, payload, draft_key, idempotency_key, status, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                (kind, case_id, json.dumps(payload), draft_key, uuid.uuid4().hex, self.clock()),
            )
            if draft_key:
                db.execute("DELETE FROM drafts WHERE key = ?", (draft_key,))
            row = db.execute(
                f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
        return self._entry(row)

    def enqueue_many(
        self, kind: str, items: Iterable[tuple[str | None, dict[str, Any]]]
    ) -> list[OutboxEntry]:
        """Several pending writes (case id, payload) in ONE transaction: a bulk action is queued
        whole or not at all, so a crash half-way cannot leave some of it to be queued twice."""
        with self._tx() as db:
            ids = [
                db.execute(
                    "INSERT INTO outbox (kind, case_id, payload, draft_key, idempotency_key, "
                    "status, created_at) VALUES (?, ?, ?, NULL, ?, 'queued', ?)",
                    (kind, case_id, json.dumps(payload), uuid.uuid4().hex, self.clock()),
                ).lastrowid
                for case_id, payload in items
            ]
            rows = [
                db.execute(f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE id = ?", (i,)).fetchone()
                for i in ids
            ]
        return [self._entry(r) for r in rows]

    def outbox(self, *, statuses: Iterable[str] = ("queued", "sending")) -> list[OutboxEntry]:
        """Entries in send order (oldest first)."""
        wanted = list(statuses)
        return [
            self._entry(r)
            for r in self._rows(
                f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE status IN "
                f"({','.join('?' * len(wanted))}) ORDER BY id",
                wanted,
            )
        ]

    def outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        rows = self._rows(f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE id = ?", (entry_id,))
        return self._entry(rows[0]) if rows else None

    def outbox_by_key(self, idempotency_key: str) -> OutboxEntry | None:
        """The entry with this Idempotency-Key (team mode finds a shared write's local copy)."""
        rows = self._rows(
            f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE idempotency_key = ?",
            (idempotency_key,),
        )
        return self._entry(rows[0]) if rows else None

    def outbox_adopt(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        case_id: str | None,
        idempotency_key: str,
        created_at: float,
    ) -> OutboxEntry:
        """A write queued by another instance of the team, copied here to be sent or shown:
        same Idempotency-Key, no draft (its drafts are on the instance that queued it).  The
        existing copy when there is one."""
        with self._tx() as db:
            row = db.execute(
                f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE idempotency_key = ?",
                (idempotency_key,),
            ).fetchone()
            if row is None:
                cur = db.execute(
                    "INSERT INTO outbox (kind, case_id, payload, draft_key, idempotency_key, "
                    "status, created_at) VALUES (?, ?, ?, NULL, ?, 'queued', ?)",
                    (kind, case_id, json.dumps(payload), idempotency_key, created_at),
                )
                row = db.execute(
                    f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE id = ?", (cur.lastrowid,)
                ).fetchone()
        return self._entry(row)

    def outbox_mirror(
        self,
        entry_id: int,
        *,
        status: str,
        attempts: int,
        first_attempt_at: float | None,
        next_attempt_at: float | None,
        last_error: str | None,
        result_id: str | None,
    ) -> None:
        """Take a shared write's state as the team store has it (team mode).  A failure's
        draft is restored with :meth:`outbox_failed`, not here."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = ?, attempts = ?, first_attempt_at = ?, "
                "next_attempt_at = ?, last_error = ?, result_id = ? WHERE id = ?",
                (
                    status,
                    attempts,
                    first_attempt_at,
                    next_attempt_at,
                    last_error,
                    result_id,
                    entry_id,
                ),
            )

    def outbox_attempt(self, entry_id: int, *, at: float) -> None:
        """Mark sending; attempts += 1; first_attempt_at set once."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                "first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?",
                (at, entry_id),
            )

    def outbox_retry_later(self, entry_id: int, *, error: str, next_attempt_at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'queued', last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                (error, next_attempt_at, entry_id),
            )

    def outbox_sent(self, entry_id: int, *, result_id: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'sent', result_id = ?, last_error = NULL WHERE id = ?",
                (result_id, entry_id),
            )

    def outbox_needs_decision(self, entry_id: int, *, error: str) -> None:
        """The outcome cannot be known: held until the user decides (send again or discard)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = 'needs_decision', last_error = ?, "
                "next_attempt_at = NULL WHERE id = ?",
                (error, entry_id),
            )

    def outbox_send_again(self, entry_id: int, *, at: float) -> bool:
        """The user decided an entry held for a decision was not delivered: queued again, due
        ``at``.  False when the entry is not waiting for a decision."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE outbox SET status = 'queued', next_attempt_at = ?, last_error = NULL "
                "WHERE id = ? AND status = 'needs_decision'",
                (at, entry_id),
            )
            return cur.rowcount == 1

    def outbox_failed(self, entry_id: int, *, error: str, restore: Restore | None = None) -> None:
        """Permanent failure: status failed and, in the same transaction, the entry's draft
        becomes ``restore(entry, current draft)`` (the rule lives in ``sync/sender.py``)."""
        with self._tx() as db:
            row = db.execute(
                f"SELECT {self._OUTBOX_COLS} FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                return
            db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (error, entry_id),
            )
            entry = self._entry(row)
            if restore is None or not entry.draft_key:
                return
            current = db.execute(
                "SELECT data FROM drafts WHERE key = ?", (entry.draft_key,)
            ).fetchone()
            restored = restore(entry, dict(json.loads(current["data"])) if current else None)
            if restored is not None:
                db.execute(
                    "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)",
                    (entry.draft_key, json.dumps(restored), self.clock()),
                )
