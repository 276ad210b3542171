"""Sync watermarks and other small key-value settings of the store."""

from __future__ import annotations

from .database import Table


class MetaStore(Table):
    """The ``meta`` table: one text value a key."""

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows and rows[0]["value"] is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db.tx(data=False) as db:  # no cached read depends on meta
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
