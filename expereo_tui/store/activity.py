"""What triage needs to know of a case beyond its row: who wrote in its thread and when, and the
status transitions the poll has seen.

The API gives a case's current status and no history of it.  Every status the poll observes is
recorded here (``status_history``) with the case's ``lastModifiedDate`` as its time: the API
bumps that date on a status change, so it is the best bound there is, but a message posted in
the same poll window moves it later, and a transition that came and went between two polls is
never seen at all.

A store on a NOC wall runs for months, so the history is bounded: a case Resolved or Closed for
:data:`HISTORY_KEEP_DAYS` keeps only its last recorded status (no clock runs on such a case, see
``triage.sla``), and its SLA alert claims go (a clock first seen again after a reopen is only
noted, never alerted, so a dropped claim cannot alert twice).  Open cases keep every transition:
their clocks need each Awaiting Customer span since creation.  :func:`record_transitions` prunes
this way at most once a day of the API's time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from expereo_tui.api.vocab import CUSTOMER_WORD, PROVIDER_WORD

from .database import Table

#: SQL for "the customer side wrote it" over a message's ``kind`` (its type, '' when none): the
#: rule of ``api.vocab.from_customer`` (``Customer``, ``CUSTOMER``, ``Customer Portal``...)
_OURS = f"(instr(lower(kind), '{CUSTOMER_WORD}') > 0 AND instr(lower(kind), '{PROVIDER_WORD}') = 0)"
#: statuses on which no SLA clock runs (triage.sla.CLOSED_STATUSES; the store cannot import it)
FINAL_STATUSES = ("Resolved", "Closed")
#: how long a Resolved/Closed case keeps its full status history: far past the longest example
#: target (5 days), so a case reopened soon after still has its Awaiting Customer spans
HISTORY_KEEP_DAYS = 30
PRUNE_EVERY = timedelta(days=1)  # of the API's time (the newest change recorded)
_PRUNED_KEY = "status_history_pruned"  # meta: the newest change seen when last pruned
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # store.cases.ts(): sortable UTC text


@dataclass(frozen=True, slots=True)
class CaseActivity:
    """A case's thread and status history in times (seconds since the epoch)."""

    first_provider_at: float | None = None  # the provider's first message
    last_provider_at: float | None = None  # the provider's latest message
    last_customer_at: float | None = None  # our latest message
    transitions: tuple[tuple[float, str], ...] = ()  # (when, status) seen by the poll, oldest first
    # whether the case's thread came whole from the API: the first sync lists cases without their
    # threads (a request each; they follow in the background), and a thread holding only our own
    # reply is not the thread, so until then who wrote last is not known, not "nobody"
    thread_known: bool = True


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def record_transitions(
    db: sqlite3.Connection, rows: Iterable[tuple[str, str | None, str | None]]
) -> None:
    """Record (case id, status, at) the poll observed, inside the caller's transaction; a status
    equal to the case's last recorded one is not a transition and is skipped.  Then, at most
    once a day of the changes' own times, old history is pruned (:func:`prune_history`)."""
    newest: str | None = None
    for case_id, status, at in rows:
        if status is None or at is None:
            continue
        newest = at if newest is None or at > newest else newest
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
    if newest is None:
        return
    last = db.execute("SELECT value FROM meta WHERE key = ?", (_PRUNED_KEY,)).fetchone()
    if last is not None and last[0] is not None and _parse(newest) - _parse(last[0]) < PRUNE_EVERY:
        return
    prune_history(db, _parse(newest) - timedelta(days=HISTORY_KEEP_DAYS))
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_PRUNED_KEY, newest))


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=None)


def prune_history(db: sqlite3.Connection, before: datetime) -> tuple[int, int]:
    """Inside the caller's transaction: of each case Resolved/Closed and last changed before
    ``before`` (naive UTC), drop the status history but its latest row, and its SLA alert
    claims.  Returns (history rows, claims) deleted."""
    cutoff = before.strftime(_TS_FORMAT)
    marks = ",".join("?" * len(FINAL_STATUSES))
    done = f"SELECT id FROM cases WHERE status IN ({marks}) AND last_modified < ?"
    history = db.execute(
        f"DELETE FROM status_history WHERE case_id IN ({done}) AND rowid != ("
        "SELECT h.rowid FROM status_history h WHERE h.case_id = status_history.case_id "
        "ORDER BY h.at DESC, h.rowid DESC LIMIT 1)",
        (*FINAL_STATUSES, cutoff),
    ).rowcount
    claims = db.execute(
        f"DELETE FROM sla_alerts WHERE case_id IN ({done})", (*FINAL_STATUSES, cutoff)
    ).rowcount
    return history, claims


class ActivityStore(Table):
    """Reads of the thread summary and the status history, a page of cases at a time."""

    def activity(self, case_ids: Sequence[str]) -> dict[str, CaseActivity]:
        """Each case's activity (cases with none get an empty one), in two queries.  The ids go
        in as one JSON array (``json_each``), not as ``IN (?,?,…)``: that made a new statement
        for every count of ids, and each one stayed in the connection's statement cache (128
        of them, tens of KB each in SQLite's heap) as the number of open cases drifted."""
        ids = list(dict.fromkeys(case_ids))
        wanted = json.dumps(ids)
        msgs = {
            r["case_id"]: r
            for r in self._rows(
                "SELECT case_id, "
                f"min(CASE WHEN NOT {_OURS} THEN ts END) AS first_provider, "
                f"max(CASE WHEN NOT {_OURS} THEN ts END) AS last_provider, "
                f"max(CASE WHEN {_OURS} THEN ts END) AS last_customer "
                "FROM (SELECT case_id, ts, coalesce(json_extract(raw, '$.type'), '') AS kind "
                "FROM messages WHERE case_id IN (SELECT value FROM json_each(?))) "
                "GROUP BY case_id",
                [wanted],
            )
        }
        fetched = {
            r["case_id"]
            for r in self._rows(
                "SELECT case_id FROM threads_fetched "
                "WHERE case_id IN (SELECT value FROM json_each(?))",
                [wanted],
            )
        }
        history: dict[str, list[tuple[float, str]]] = {}
        for r in self._rows(
            "SELECT case_id, status, at FROM status_history "
            "WHERE case_id IN (SELECT value FROM json_each(?)) ORDER BY at, rowid",
            [wanted],
        ):
            at = _seconds(r["at"])
            if at is not None:
                history.setdefault(r["case_id"], []).append((at, r["status"]))
        out: dict[str, CaseActivity] = {}
        for case_id in ids:
            m = msgs.get(case_id)
            out[case_id] = CaseActivity(
                first_provider_at=_seconds(m["first_provider"]) if m else None,
                last_provider_at=_seconds(m["last_provider"]) if m else None,
                last_customer_at=_seconds(m["last_customer"]) if m else None,
                transitions=tuple(history.get(case_id, ())),
                thread_known=case_id in fetched,
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
