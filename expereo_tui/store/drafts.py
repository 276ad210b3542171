"""Drafts: what the user typed and has not sent, one JSON object a key.

Keys: ``reply:<caseId>``, ``new``, ``new:<serviceId>``, ``update:<caseId>``.  A draft that
cannot be written (disk full, read-only store) is kept in memory, read back from there, and
written by :meth:`DraftStore.flush` as soon as the store takes writes again.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from .database import Database, StoreFullError, StoreReadOnlyError, Table

log = logging.getLogger(__name__)


class DraftStore(Table):
    """The ``drafts`` table, with the drafts waiting in memory in front of it."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._waiting: dict[str, dict[str, Any] | None] = {}  # None: a delete not yet written
        self._flushing = threading.Lock()
        db.on_write(self.flush)

    @property
    def waiting(self) -> int:
        """How many drafts (or deletes) are held in memory, not yet written."""
        return len(self._waiting)

    def _write_draft(self, key: str, data: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)",
                (key, json.dumps(data), self.clock()),
            )

    def _delete_draft(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM drafts WHERE key = ?", (key,))

    def save_draft(self, key: str, data: dict[str, Any]) -> None:
        try:
            self._write_draft(key, data)
        except (StoreFullError, StoreReadOnlyError) as exc:
            log.info("draft %s kept in memory: %s", key, exc.code)
            self._waiting[key] = data
        else:
            self._waiting.pop(key, None)

    def load_draft(self, key: str) -> dict[str, Any] | None:
        if key in self._waiting:
            waiting = self._waiting[key]
            return None if waiting is None else dict(waiting)
        rows = self._rows("SELECT data FROM drafts WHERE key = ?", (key,))
        return dict(json.loads(rows[0]["data"])) if rows else None

    def delete_draft(self, key: str) -> None:
        try:
            self._delete_draft(key)
        except (StoreFullError, StoreReadOnlyError):
            self._waiting[key] = None
        else:
            self._waiting.pop(key, None)

    def forget(self, key: str) -> None:
        """The draft was consumed (by the outbox): drop what memory holds for it."""
        self._waiting.pop(key, None)

    def drafts(self) -> dict[str, dict[str, Any]]:
        stored = {
            str(r["key"]): dict(json.loads(r["data"]))
            for r in self._rows("SELECT key, data FROM drafts ORDER BY updated")
        }
        for key, data in self._waiting.items():
            stored.pop(key, None)
            if data is not None:
                stored[key] = dict(data)
        return stored

    def flush(self) -> None:
        """Write the drafts held in memory (called after every successful write)."""
        if not self._waiting or not self._flushing.acquire(blocking=False):
            return
        try:
            for key, data in list(self._waiting.items()):
                try:
                    if data is None:
                        self._delete_draft(key)
                    else:
                        self._write_draft(key, data)
                except (StoreFullError, StoreReadOnlyError):
                    return
                if self._waiting.get(key, data) is data:
                    self._waiting.pop(key, None)
        finally:
            self._flushing.release()
