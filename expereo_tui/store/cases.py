"""Cases, their messages and read state, and the in-memory inbox beside them.

The inbox reads SQL until :meth:`CaseStore.warm_inbox` has built an :class:`InboxIndex`, and
whenever the data has changed since (this connection's writes or another process's commits).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from expereo_tui import heap
from expereo_tui.api.vocab import open_statuses

from .activity import record_transitions
from .database import Database, Table
from .inbox_index import COLUMNS_SQL, WORKFLOW, InboxIndex
from .inventory import _like
from .query import CaseQuery
from .schema import SEARCH_EXPR

if TYPE_CHECKING:  # the models: imported where a row becomes one, not at launch
    from expereo_tui.api.models import Case, CaseMessage

# Columns the inbox can sort on (CaseQuery.sort uses these names).
SORT_COLUMNS = (
    "unread",
    "priority",
    "status",
    "type",
    "subject",
    "id",
    "service",
    "site",
    "customer_reference",
    "last_modified",
    "created",
)
_SORT_SQL = {
    "unread": "c.unread",
    "priority": "c.priority",
    "status": "c.status",
    "type": "c.type",
    "subject": "c.subject",
    "id": "c.id",
    "service": "s.name",
    "site": "st.name",
    "customer_reference": "c.customer_reference",
    "last_modified": "c.last_modified",
    "created": "c.created",
}
# a status's place in the workflow (inbox_index.WORKFLOW); any other status after them
_STATUS_RANK_SQL = (
    "CASE c.status "
    + " ".join(f"WHEN '{status}' THEN {rank}" for rank, status in enumerate(WORKFLOW))
    + f" ELSE {len(WORKFLOW)} END"
)
_UNREAD_SQL = "c.unread"  # kept from read_state by triggers (schema v3)
_NOT_NULL = {"unread", "id"}  # sort columns that need no "nulls last" term


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One inbox row: the case plus joined names and its read state."""

    id: str
    subject: str | None
    type: str | None
    status: str | None
    priority: str | None
    service_id: str | None
    service_name: str | None
    site_id: str | None
    site_name: str | None
    customer_reference: str | None
    created_date: datetime | None
    last_modified_date: datetime | None
    start_of_incident: datetime | None
    unread: bool


@dataclass(frozen=True)
class InboxSummary:
    """What the inbox header shows for a query, from one scan: its case and unread counts, and
    its count per status (of the statuses it selects: a status filter counts only what it
    shows, so an account's years of closed cases are never counted for its open inbox)."""

    total: int
    unread: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert of cases changed, compared with what the store had."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # last_modified_date moved
    # case id -> (old, new) for the fields the UI announces
    status_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    priority_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def ts(value: datetime | None) -> str | None:
    """A sortable UTC text form of a datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


# an inbox row's columns (then its unread flag): see _case_row
_ROW_SQL = (
    "c.id, c.subject, c.type, c.status, c.priority, c.service_id, s.name AS service_name, "
    "c.site_id, st.name AS site_name, c.customer_reference, c.created, c.last_modified, "
    "c.start_of_incident"
)


def _shared(value: str | None) -> str | None:
    """A repeated value (a status, a subject, a site's name) as the one string already held:
    SQLite hands out a copy per row, and the open cases' rows live as long as a poll (on a
    large account 2 of their 4 MB were such copies)."""
    return None if value is None else sys.intern(value)


def _case_row(r: sqlite3.Row, *, unread: bool) -> CaseRow:
    return CaseRow(
        id=r["id"],
        subject=_shared(r["subject"]),
        type=_shared(r["type"]),
        status=_shared(r["status"]),
        priority=_shared(r["priority"]),
        service_id=_shared(r["service_id"]),
        service_name=_shared(r["service_name"]),
        site_id=_shared(r["site_id"]),
        site_name=_shared(r["site_name"]),
        customer_reference=r["customer_reference"],
        created_date=_dt(r["created"]),
        last_modified_date=_dt(r["last_modified"]),
        start_of_incident=_dt(r["start_of_incident"]),
        unread=unread,
    )


def message_key(case_id: str, msg: CaseMessage) -> str:
    """The message's id, or a stable one derived from its content when the API gave none."""
    if msg.id:
        return msg.id
    digest = hashlib.sha1(
        f"{case_id}|{ts(msg.timestamp)}|{msg.sent_by}|{msg.message}".encode()
    ).hexdigest()
    return f"local-{digest[:16]}"


class CaseStore(Table):
    """Cases (with the inbox's queries), messages and read state."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._index: InboxIndex | None = None  # see warm_inbox()
        self._index_stamp: tuple[int, int] | None = None
        self._warming = threading.Lock()

    def upsert_cases(self, items: Sequence[Case], *, mark_read: bool = False) -> UpsertResult:
        """Store cases and say what changed.  The very first upsert into an empty store marks
        every case read: a first sync must not make thousands of old cases 'unread'
        (``mark_read``: so does every page of a first sync stored page by page)."""
        new: list[str] = []
        changed: list[str] = []
        statuses: dict[str, tuple[str | None, str | None]] = {}
        priorities: dict[str, tuple[str | None, str | None]] = {}
        with self._tx() as db:
            empty = db.execute("SELECT 1 FROM cases LIMIT 1").fetchone() is None
            rows = []
            for case in items:
                old = db.execute(
                    "SELECT last_modified, status, priority FROM cases WHERE id = ?", (case.id,)
                ).fetchone()
                lm = ts(case.last_modified_date)
                if old is None:
                    new.append(case.id)
                else:
                    if old["last_modified"] != lm:
                        changed.append(case.id)
                    if old["status"] != case.status:
                        statuses[case.id] = (old["status"], case.status)
                    if old["priority"] != case.priority:
                        priorities[case.id] = (old["priority"], case.priority)
                rows.append(
                    (
                        case.id,
                        case.subject,
                        case.type,
                        case.status,
                        case.priority,
                        case.service_id,
                        case.site_id,
                        case.account_id,
                        case.customer_reference,
                        ts(case.created_date),
                        lm,
                        ts(case.start_of_incident),
                        json.dumps(case.to_wire()),
                    )
                )
            db.executemany(
                "INSERT OR REPLACE INTO cases (id, subject, type, status, priority, service_id, "
                "site_id, account_id, customer_reference, created, last_modified, "
                "start_of_incident, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.executemany(
                f"UPDATE cases SET search = {SEARCH_EXPR} WHERE id = ?", [(r[0],) for r in rows]
            )
            if empty or mark_read:  # a read state already kept stays as it is
                db.executemany(
                    f"INSERT OR {'REPLACE' if empty else 'IGNORE'} INTO read_state VALUES (?, ?)",
                    [(r[0], r[10]) for r in rows],
                )
            seen = set(new) | set(statuses)  # first sight of a case, or a status change
            record_transitions(db, [(r[0], r[3], r[10]) for r in rows if r[0] in seen])
        return UpsertResult(tuple(new), tuple(changed), statuses, priorities)

    def case(self, case_id: str) -> Case | None:
        from expereo_tui.api.models import Case

        rows = self._rows("SELECT raw FROM cases WHERE id = ?", (case_id,))
        return Case.model_validate_json(rows[0]["raw"]) if rows else None

    def raw_cases(self, ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """(id, the API's JSON as stored) of the cases ``ids`` (None: every case), for team
        mode's change feed (team/feed.py), which passes the JSON on unparsed."""
        if ids is None:
            rows = self._rows("SELECT id, raw FROM cases ORDER BY id")
        else:
            rows = [
                r for i in ids for r in self._rows("SELECT id, raw FROM cases WHERE id = ?", (i,))
            ]
        return [(str(r["id"]), str(r["raw"])) for r in rows]

    def raw_thread(self, case_id: str) -> list[str]:
        """A case's messages as the API's JSON, oldest first (the order of :meth:`thread`)."""
        rows = self._rows(
            "SELECT raw FROM messages WHERE case_id = ? ORDER BY ts, seq, rowid", (case_id,)
        )
        return [str(r["raw"]) for r in rows]

    def threaded_case_ids(self) -> list[str]:
        """The cases with at least one message stored."""
        return [str(r["id"]) for r in self._rows("SELECT DISTINCT case_id AS id FROM messages")]

    def case_last_modified(self, case_id: str) -> datetime | None:
        rows = self._rows("SELECT last_modified FROM cases WHERE id = ?", (case_id,))
        return _dt(rows[0]["last_modified"]) if rows else None

    def latest_case_modified(self) -> datetime | None:
        """The newest last_modified_date in the store: the incremental poll's watermark."""
        return _dt(self._rows("SELECT max(last_modified) AS m FROM cases")[0]["m"])

    def _where(self, query: CaseQuery) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("c.status", query.statuses),
            ("c.priority", query.priorities),
            ("c.type", query.types),
        ):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(sorted(values))
        for column, value in (
            ("c.service_id", query.service_id),
            ("c.site_id", query.site_id),
            ("c.account_id", query.account_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.text.strip():
            where.append("c.search LIKE ? ESCAPE '\\'")
            params.append(_like(query.text.strip().lower()))
        if query.unread_only:
            where.append(_UNREAD_SQL)
        # id lists go in as one JSON array: an IN (?,?,...) per length would be a statement
        # of its own, kept in the connection's cache (SQLite's heap grew with each length)
        if query.hidden_ids:
            where.append("c.id NOT IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(query.hidden_ids)))
        if query.only_ids is not None:
            where.append("c.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(query.only_ids)))
        return (" WHERE " + " AND ".join(where)) if where else "", params

    _FROM = "FROM cases c"
    _FROM_NAMES = (
        "FROM cases c LEFT JOIN services s ON s.id = c.service_id "
        "LEFT JOIN sites st ON st.id = c.site_id"
    )

    def query_cases(self, query: CaseQuery, *, offset: int = 0, limit: int = 50) -> list[CaseRow]:
        """One page of the inbox.  Cases are filtered and ordered first, on the cases table alone
        (names are joined only for the page) unless the sort needs them; the default order is
        an index (cases_inbox), so the first page costs a page, not a sort of every case."""
        where, params = self._where(query)
        order = []
        names_needed = False
        for column, desc in query.sort:
            if column not in _SORT_SQL:
                raise ValueError(f"cannot sort on {column!r}; one of {', '.join(SORT_COLUMNS)}")
            expr = _SORT_SQL[column]
            names_needed |= column in ("service", "site")
            direction = "DESC" if desc else "ASC"
            if column == "status":  # the workflow's order, unknown statuses last either way
                rank = _STATUS_RANK_SQL
                order.append(f"{rank} = {len(WORKFLOW)}, {rank} {direction}, {expr} {direction}")
                continue
            nulls_last = "" if column in _NOT_NULL else f"{expr} IS NULL, "
            order.append(f"{nulls_last}{expr} {direction}")
        order.append("c.id")
        order_sql = ", ".join(order)
        inner_from = self._FROM_NAMES if names_needed else self._FROM
        # the sort carries only ids and sort keys; details are joined for the page alone
        inner = (
            f"SELECT c.id AS id, {_UNREAD_SQL} AS unread {inner_from}{where} "
            f"ORDER BY {order_sql} LIMIT ? OFFSET ?"
        )
        sql = (
            f"SELECT {_ROW_SQL}, p.unread AS unread FROM ({inner}) p "
            f"JOIN cases c ON c.id = p.id "
            f"LEFT JOIN services s ON s.id = c.service_id "
            f"LEFT JOIN sites st ON st.id = c.site_id ORDER BY {order_sql}"
        )
        rows = self._rows(sql, [*params, limit, offset])
        return [_case_row(r, unread=bool(r["unread"])) for r in rows]

    def count_cases(self, query: CaseQuery) -> int:
        where, params = self._where(query)
        return int(self._rows(f"SELECT count(*) AS n {self._FROM}{where}", params)[0]["n"])

    def status_counts(self, query: CaseQuery | None = None) -> dict[str, int]:
        where, params = self._where(query or CaseQuery())
        return {
            str(r["status"]): int(r["n"])
            for r in self._rows(
                f"SELECT COALESCE(c.status, '?') AS status, count(*) AS n {self._FROM}{where} "
                "GROUP BY 1",
                params,
            )
        }

    def statuses(self) -> frozenset[str]:
        """The statuses the stored cases have (``?``: a case without one), for
        :func:`~expereo_tui.api.vocab.open_statuses`: each inbox keystroke asks.  One step of
        the status index a status (~2 ms on 100,000 cases, where counting them reads every
        case)."""
        rows = self._rows(
            "WITH RECURSIVE s(status) AS (SELECT (SELECT min(status) FROM cases) UNION ALL "
            "SELECT (SELECT min(status) FROM cases WHERE status > s.status) FROM s "
            "WHERE s.status IS NOT NULL) "
            "SELECT status FROM s WHERE status IS NOT NULL "
            "UNION ALL SELECT '?' WHERE EXISTS (SELECT 1 FROM cases WHERE status IS NULL)"
        )
        return frozenset(str(r["status"]) for r in rows)

    # -- the inbox: from memory once warm, else from SQL ------------------------------------------
    def warm_inbox(self) -> None:
        """Build the in-memory inbox if it is missing or stale, so that each filter keystroke is
        a pass over a list instead of a table scan.  It costs ~100 ms on 10,000 cases, read
        through a connection of its own: call it from a worker thread once a frame is out.
        Until it is done, and whenever the data has changed since, the inbox reads SQL.
        One build at a time: a second call waits for the first, then finds it fresh."""
        with self._warming:
            self._warm()

    def _warm(self) -> None:
        stamp = self._stamp()
        if self._index is not None and self._index_stamp == stamp:
            return
        sql = f"SELECT {COLUMNS_SQL}, {_UNREAD_SQL} {self._FROM_NAMES}"
        db = self.db.reader()
        if db is None:  # the data is in this connection's memory only
            index = InboxIndex(tuple(r) for r in self._rows(sql))
        else:
            try:  # a row at a time: never every row twice, as fetched and as kept
                index = InboxIndex(db.execute(sql))
            finally:
                db.close()
        # the order the inbox opens on (its default sort, open cases), here in the thread:
        # sorting 100,000 cases is ~200 ms, which the first keystroke would wait for
        index.prepare(CaseQuery().sort, open_statuses(index.statuses()))
        with self.db.lock:
            if self._stamp() == stamp:  # nothing was written while it was read
                self._index, self._index_stamp = index, stamp
        del index
        heap.give_back()  # the build's rows and the index it replaced, back to the system

    def inbox_is_warm(self) -> bool:
        return self._fresh_index() is not None

    def _stamp(self) -> tuple[int, int]:
        """Changes with every write: ours (a counter) and other processes' (data_version)."""
        return self.db.stamp()

    def _fresh_index(self) -> InboxIndex | None:
        index = self._index
        return index if index is not None and self._index_stamp == self._stamp() else None

    def inbox_summary(self, query: CaseQuery) -> InboxSummary:
        """Counts for the inbox header: the query's cases and unread ones, and the count per
        status of the same query without its status filter."""
        index = self._fresh_index()
        if index is not None:
            m = index.matches(query)
            return InboxSummary(total=m.total, unread=m.unread, by_status=m.by_status)
        where, params = self._where(query)
        rows = self._rows(  # grouped in the index's order (cases_status_unread)
            f"SELECT c.status AS status, count(*) AS n, sum({_UNREAD_SQL}) AS unread "
            f"{self._FROM}{where} GROUP BY c.status",
            params,
        )
        by_status: dict[str, int] = {}
        for r in rows:  # a case without a status is a "?", with any whose status is "?"
            status = "?" if r["status"] is None else str(r["status"])
            by_status[status] = by_status.get(status, 0) + int(r["n"])
        unread = sum(int(r["unread"]) for r in rows)
        return InboxSummary(total=sum(by_status.values()), unread=unread, by_status=by_status)

    def inbox_page(self, query: CaseQuery, *, offset: int = 0, limit: int = 50) -> list[CaseRow]:
        """The same rows as :meth:`query_cases`, from memory when the inbox is warm."""
        index = self._fresh_index()
        if index is None:
            return self.query_cases(query, offset=offset, limit=limit)
        page = index.matches(query).page(offset, limit)
        ids = [case_id for case_id, _ in page]
        unread = dict(page)
        rows = self._rows(
            f"SELECT {_ROW_SQL} FROM cases c LEFT JOIN services s ON s.id = c.service_id "
            f"LEFT JOIN sites st ON st.id = c.site_id "
            "WHERE c.id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        by_id = {r["id"]: _case_row(r, unread=unread[r["id"]]) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def case_count(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM cases")[0]["n"])

    # -- messages -----------------------------------------------------------------------------
    def upsert_messages(
        self, case_id: str, items: Sequence[CaseMessage], *, whole_thread: bool = False
    ) -> list[str]:
        """Store a case's messages; returns the ids that were not stored before.
        ``whole_thread``: these are the case's whole thread as the API listed it (its thread is
        known from now on, as of the case's change stored now)."""
        with self._tx() as db:
            if whole_thread:
                db.execute(
                    "INSERT OR REPLACE INTO threads_fetched VALUES "
                    "(?, ?, (SELECT last_modified FROM cases WHERE id = ?))",
                    (case_id, self.clock(), case_id),
                )
            known = {
                r["id"] for r in db.execute("SELECT id FROM messages WHERE case_id = ?", (case_id,))
            }
            seq = len(known)
            new: list[str] = []
            rows = []
            for msg in items:
                key = message_key(case_id, msg)
                if key not in known:
                    new.append(key)
                    known.add(key)
                    seq += 1
                rows.append((key, case_id, ts(msg.timestamp), seq, json.dumps(msg.to_wire())))
            db.executemany(
                "INSERT INTO messages VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "raw = excluded.raw, ts = excluded.ts",
                rows,
            )
        return new

    def threads_wanted(self, limit: int) -> list[str]:
        """Open cases whose thread the store does not hold as the API has it, most urgent
        first: never fetched before those fetched before the case's latest change, then by
        priority, then the oldest case first (its clocks have run longest)."""
        from expereo_tui.api.vocab import DONE_STATUSES

        done = sorted(DONE_STATUSES)
        marks = ",".join("?" * len(done))
        rows = self._rows(
            "SELECT c.id FROM cases c LEFT JOIN threads_fetched t ON t.case_id = c.id "
            f"WHERE coalesce(c.status, '') NOT IN ({marks}) AND (t.case_id IS NULL OR "
            "(c.last_modified IS NOT NULL AND (t.case_modified IS NULL OR "
            "c.last_modified > t.case_modified))) "
            "ORDER BY t.case_id IS NOT NULL, c.priority IS NULL, c.priority, c.created, c.id "
            "LIMIT ?",
            [*done, limit],
        )
        return [str(r["id"]) for r in rows]

    def thread_known(self, case_id: str) -> bool:
        """Whether the case's thread came whole from the API (at some change of the case)."""
        return bool(self._rows("SELECT 1 FROM threads_fetched WHERE case_id = ?", [case_id]))

    def thread(
        self, case_id: str, *, offset: int = 0, limit: int | None = None
    ) -> list[CaseMessage]:
        """Oldest → newest."""
        from expereo_tui.api.models import CaseMessage

        rows = self._rows(
            "SELECT raw FROM messages WHERE case_id = ? ORDER BY ts, seq, rowid LIMIT ? OFFSET ?",
            (case_id, -1 if limit is None else limit, offset),
        )
        return [CaseMessage.model_validate_json(r["raw"]) for r in rows]

    def message_count(self, case_id: str) -> int:
        rows = self._rows("SELECT count(*) AS n FROM messages WHERE case_id = ?", (case_id,))
        return int(rows[0]["n"])

    # -- read state (per case: the last_modified_date the user has seen) ----------------------
    def mark_read(self, case_id: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO read_state SELECT id, last_modified FROM cases "
                "WHERE id = ?",
                (case_id,),
            )

    def mark_unread(self, case_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM read_state WHERE case_id = ?", (case_id,))

    def is_unread(self, case_id: str) -> bool:
        rows = self._rows(
            f"SELECT {_UNREAD_SQL} AS unread FROM cases c WHERE c.id = ?",
            (case_id,),
        )
        return bool(rows[0]["unread"]) if rows else False

    def unread_count(self, query: CaseQuery | None = None) -> int:
        q = query or CaseQuery()
        where, params = self._where(q)
        if not where:  # the unread ones alone (SQLite would rather scan the status index)
            sql = f"SELECT count(*) AS n FROM cases c INDEXED BY cases_unread WHERE {_UNREAD_SQL}"
            return int(self._rows(sql)[0]["n"])
        return int(
            self._rows(f"SELECT count(*) AS n {self._FROM}{where} AND {_UNREAD_SQL}", params)[0][
                "n"
            ]
        )
