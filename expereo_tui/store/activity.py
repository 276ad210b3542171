"""What triage needs to know of a case beyond its row: who wrote in its thread and when, and the
status transitions the poll has seen.

The API gives a case's current status and no history of it.  Every status the poll observes is
recorded here (``status_history``) with the case's ``lastModifiedDate`` as its time: the API
bumps that date on a status change, so it is the best bound there is, but a message posted in
the same poll window moves it later, and a transition that came and went between two polls is
never seen at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .database import Table

CUSTOMER_TYPE = "Customer"  # CaseMessage.type of what the customer wrote; anything else: provider


@dataclass(frozen=True)
class CaseActivity:
    """A case's thread and status history in times (seconds since the epoch)."""

    first_provider_at: float | None = None  # the provider's first message
    last_provider_at: float | None = None  # the provider's latest message
    last_customer_at: float | None = None  # our latest message
    transitions: tuple[tuple[float, str], ...] = ()  # (when, status) seen by the poll, oldest first
    # whether the store holds the case's thread at all: the first sync lists cases without their
    # threads (a request each), so for most old cases who wrote last is not known, not "nobody"
    thread_known: bool = True


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def record_transitions(
    db: sqlite3.Connection, rows: Iterable[tuple[str, str | None, str | None]]
) -> None:
    """Record (case id, status, at) the poll observed, inside the caller's transaction; a status
    equal to the case's last recorded one is not a transition and is skipped."""
    for case_id, status, at in rows:
        if status is None or at is None:
            continue
        last = db.execute(
            "SELECT status FROM status_history WHERE case_id = ? ORDER BY at DESC, rowid DESC "
            "LIMIT 1",
            (case_id,),
        ).fetchone()
        if last is None or last[0] != status:
            db.execute(
                "INSERT INTO status_history (case_id, status, at) VALUES (?, ?, ?)",
                (case_id, status, at),
            )


class ActivityStore(Table):
    """Reads of the thread summary and the status history, a page of cases at a time."""

    def activity(self, case_ids: Sequence[str]) -> dict[str, CaseActivity]:
        """Each case's activity (cases with none get an empty one), in two queries."""
        out: dict[str, CaseActivity] = {}
        ids = list(dict.fromkeys(case_ids))
        for start in range(0, len(ids), 500):  # SQLite's parameter limit
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            msgs = {
                r["case_id"]: r
                for r in self._rows(
                    "SELECT case_id, "
                    "min(CASE WHEN kind != ? THEN ts END) AS first_provider, "
                    "max(CASE WHEN kind != ? THEN ts END) AS last_provider, "
                    "max(CASE WHEN kind = ? THEN ts END) AS last_customer "
                    "FROM (SELECT case_id, ts, coalesce(json_extract(raw, '$.type'), '') AS kind "
                    f"FROM messages WHERE case_id IN ({marks})) GROUP BY case_id",
                    [CUSTOMER_TYPE, CUSTOMER_TYPE, CUSTOMER_TYPE, *chunk],
                )
            }
            history: dict[str, list[tuple[float, str]]] = {}
            for r in self._rows(
                f"SELECT case_id, status, at FROM status_history WHERE case_id IN ({marks}) "
                "ORDER BY at, rowid",
                chunk,
            ):
                at = _seconds(r["at"])
                if at is not None:
                    history.setdefault(r["case_id"], []).append((at, r["status"]))
            for case_id in chunk:
                m = msgs.get(case_id)
                out[case_id] = CaseActivity(
                    first_provider_at=_seconds(m["first_provider"]) if m else None,
                    last_provider_at=_seconds(m["last_provider"]) if m else None,
                    last_customer_at=_seconds(m["last_customer"]) if m else None,
                    transitions=tuple(history.get(case_id, ())),
                    thread_known=m is not None,
                )
        return out

    def claim_alert(self, case_id: str, clock: str, level: str, at: float) -> bool:
        """Note that ``level`` ("at_risk" / "breached") was alerted for this clock of the case;
        False when it already was (by this process or another on the same store)."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO sla_alerts (case_id, clock, level, at) VALUES (?,?,?,?)",
                (case_id, clock, level, at),
            )
            return cursor.rowcount == 1

    def site_cities(self) -> dict[str, str]:
        """Every site's city (for incident clusters by city)."""
        return {
            str(r["id"]): str(r["city"])
            for r in self._rows("SELECT id, city FROM sites WHERE city IS NOT NULL AND city != ''")
        }
