"""Setting a database aside, and rescuing its drafts and queued writes first.

A corrupt file may still hold readable rows in the tables that matter most to the user: what
they typed (``drafts``) and what they asked to send (``outbox``).  They are read row by row,
from both ends of each table so that one bad page in the middle loses only the rows on it, and
copied by column name into the fresh database.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# queued writes worth keeping: everything not yet known to be sent
_OUTBOX_KEEP = "status != 'sent'"
SHIFT_TABLES = ("pins", "snoozes", "saved_views")


@dataclass
class Rescued:
    """Rows read from a database about to be set aside, as column -> value."""

    drafts: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # the shift's local state (store/shift.py): pins, snoozes, saved views
    shift: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _readable_rows(db: sqlite3.Connection, table: str, where: str = "1") -> list[dict[str, Any]]:
    """Every row of ``table`` that can still be read (rowid order)."""
    found: dict[int, dict[str, Any]] = {}
    for order in ("ASC", "DESC"):
        try:
            cur = db.execute(
                f"SELECT rowid AS _rowid_, * FROM {table} WHERE {where} "  # noqa: S608
                f"ORDER BY rowid {order}"
            )
            names = [d[0] for d in cur.description]
            for row in cur:
                values = dict(zip(names, row, strict=True))
                found[int(values.pop("_rowid_"))] = values
        except sqlite3.Error as exc:
            log.warning("rescue from %s stopped (%s order): %s", table, order, exc)
    return [found[k] for k in sorted(found)]


def rescue(path: Path | None, db: sqlite3.Connection | None = None) -> Rescued:
    """Read the drafts and unsent outbox rows of the database at ``path`` (or of ``db``)."""
    own = db is None
    if db is None:
        if path is None or not path.exists():
            return Rescued()
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        except sqlite3.Error as exc:
            log.warning("cannot read %s to rescue drafts: %s", path, exc)
            return Rescued()
    try:
        return Rescued(
            drafts=_readable_rows(db, "drafts"),
            outbox=_readable_rows(db, "outbox", _OUTBOX_KEEP),
            shift={t: _readable_rows(db, t) for t in SHIFT_TABLES},
        )
    finally:
        if own:
            db.close()


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")]


def copy_rescued(db: sqlite3.Connection, rescued: Rescued) -> None:
    """Insert rescued rows into a fresh, migrated database, by column name (columns the new
    schema lacks are dropped; outbox ids are kept, so each keeps its idempotency key too)."""
    with_tx = not db.in_transaction
    if with_tx:
        db.execute("BEGIN IMMEDIATE")
    try:
        for table, rows in (
            ("drafts", rescued.drafts),
            ("outbox", rescued.outbox),
            *rescued.shift.items(),
        ):
            known = set(_columns(db, table))
            for row in rows:
                values = {k: v for k, v in row.items() if k in known}
                if not values:
                    continue
                names = ", ".join(values)
                marks = ", ".join("?" * len(values))
                try:
                    db.execute(
                        f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                        list(values.values()),
                    )
                except sqlite3.IntegrityError as exc:  # e.g. a NOT NULL column lost its value
                    log.warning("could not copy a rescued %s row: %s", table, exc)
    except BaseException:
        if with_tx:
            db.execute("ROLLBACK")
        raise
    if with_tx:
        db.execute("COMMIT")


def set_aside(path: Path, why: str, stamp: int) -> Path:
    """Rename ``path`` (and its -wal/-shm) to ``<name>.<why>-<stamp>``; returns the new path."""
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(target.with_name(target.name + suffix))
    return target
