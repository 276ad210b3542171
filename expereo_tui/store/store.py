"""The local store: one SQLite database (WAL) per profile.

Everything the UI shows is read from here (fast, indexed, works offline); the sync engine writes
what the API returns.  Thread-safe: one connection guarded by a lock (``check_same_thread=False``)
so the engine may write from a worker thread while the UI reads.  Several processes (several SSH
sessions of one team) may open the same file: WAL, a busy timeout and short transactions.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from expereo_tui.api.models import Account, Case, CaseMessage, Invoice, Service, Site

from .inbox_index import COLUMNS_SQL, ID, UNREAD, InboxIndex
from .outbox_types import AlreadyQueued, OutboxKind, OutboxStatus
from .schema import SEARCH_EXPR, FutureSchemaError, migrate

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
_UNREAD_SQL = "c.unread"  # kept from read_state by triggers (schema v3)
_NOT_NULL = {"unread", "id"}  # sort columns that need no "nulls last" term


@dataclass(frozen=True)
class CaseQuery:
    """Inbox filter + sort.  Empty sets mean 'any'; filters combine with AND."""

    statuses: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    service_id: str | None = None
    site_id: str | None = None
    account_id: str | None = None
    text: str = ""  # case-insensitive substring over id, subject, customer ref, service, site
    unread_only: bool = False
    # (column, descending).  Default: unread first, then priority (P1 first), then newest change.
    sort: tuple[tuple[str, bool], ...] = (
        ("unread", True),
        ("priority", False),
        ("last_modified", True),
    )


@dataclass(frozen=True)
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
    the count per status of the same query without its status filter."""

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


@dataclass(frozen=True)
class OutboxEntry:
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


def ts(value: datetime | None) -> str | None:
    """A sortable UTC text form of a datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# an inbox row's columns (then its unread flag): see _case_row
_ROW_SQL = (
    "c.id, c.subject, c.type, c.status, c.priority, c.service_id, s.name, c.site_id, st.name, "
    "c.customer_reference, c.created, c.last_modified, c.start_of_incident"
)


def _case_row(r: Sequence[Any], *, unread: bool) -> CaseRow:
    return CaseRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
        _dt(r[10]), _dt(r[11]), _dt(r[12]), unread,
    )  # fmt: skip


def message_key(case_id: str, msg: CaseMessage) -> str:
    """The message's id, or a stable one derived from its content when the API gave none."""
    if msg.id:
        return msg.id
    digest = hashlib.sha1(
        f"{case_id}|{ts(msg.timestamp)}|{msg.sent_by}|{msg.message}".encode()
    ).hexdigest()
    return f"local-{digest[:16]}"


class Store:
    def __init__(self, path: Path | str, *, clock: Callable[[], float] | None = None) -> None:
        """Open (creating/migrating) the database.  A corrupt or future-version file is moved
        aside (``<name>.corrupt-<timestamp>``) and a fresh one created; ``self.recovered_from``
        then holds the moved path so the UI can say so."""
        self.path = Path(path)
        self.clock = clock or time.time
        self.recovered_from: Path | None = None
        self._lock = threading.RLock()
        self._generation = 0  # bumped by every write through this store
        self._index: InboxIndex | None = None  # see warm_inbox()
        self._index_stamp: tuple[int, int] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except (sqlite3.DatabaseError, FutureSchemaError):
            self.recovered_from = self._move_aside()
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA cache_size = -32768")  # 32 MB: the inbox of 10,000 cases fits
            db.execute("PRAGMA temp_store = MEMORY")
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        except Exception:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        target = self.path.with_name(f"{self.path.name}.corrupt-{int(self.clock())}")
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                extra.rename(target.with_name(target.name + suffix))
        return target

    @classmethod
    def for_profile(cls, profile: str) -> Store:
        """The database of a profile under the platformdirs data dir."""
        return cls(Path(platformdirs.user_data_dir("expereo-tui")) / f"{profile}.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def data_version(self) -> int:
        """Changes when another connection (another process) commits: poll it to notice."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading so read-modify-write is atomic."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._generation += 1

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._db.execute(sql, params)
            return list(cur.fetchall())

    # -- inventory --------------------------------------------------------------------------
    def _upsert(self, sql: str, rows: list[tuple[Any, ...]], table: str) -> int:
        """Insert or replace rows; returns how many differ from what was stored."""
        with self._tx() as db:
            before = {r[0]: r[1] for r in db.execute(f"SELECT id, raw FROM {table}")}
            changed = sum(1 for r in rows if before.get(r[0]) != r[-1])
            db.executemany(sql, rows)
        return changed

    def upsert_accounts(self, items: Iterable[Account]) -> int:
        rows = [(a.account_id, a.name, json.dumps(a.to_wire(), sort_keys=True)) for a in items]
        return self._upsert("INSERT OR REPLACE INTO accounts VALUES (?,?,?)", rows, "accounts")

    def _refresh_search(self) -> None:
        """Names of services and sites are part of each case's search text."""
        with self._tx() as db:
            db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")

    def upsert_sites(self, items: Iterable[Site]) -> int:
        rows = [
            (
                s.site_id,
                s.account_id,
                s.name,
                s.city,
                s.country,
                json.dumps(s.to_wire(), sort_keys=True),
            )
            for s in items
        ]
        changed = self._upsert("INSERT OR REPLACE INTO sites VALUES (?,?,?,?,?,?)", rows, "sites")
        if changed:
            self._refresh_search()
        return changed

    def upsert_services(self, items: Iterable[Service]) -> int:
        rows = [
            (
                s.service_id,
                s.account_id,
                s.site_id,
                s.service_name,
                s.status,
                s.service_type,
                json.dumps(s.to_wire(), sort_keys=True),
            )
            for s in items
        ]
        changed = self._upsert(
            "INSERT OR REPLACE INTO services VALUES (?,?,?,?,?,?,?)", rows, "services"
        )
        if changed:
            self._refresh_search()
        return changed

    def upsert_invoices(self, items: Iterable[Invoice]) -> int:
        rows = [
            (
                i.invoice_id,
                i.account_id,
                str(i.invoice_date) if i.invoice_date else None,
                json.dumps(i.to_wire(), sort_keys=True),
            )
            for i in items
        ]
        return self._upsert("INSERT OR REPLACE INTO invoices VALUES (?,?,?,?)", rows, "invoices")

    def accounts(self) -> list[Account]:
        return [
            Account.model_validate_json(r[0])
            for r in self._rows("SELECT raw FROM accounts ORDER BY name, id")
        ]

    def invoices(self) -> list[Invoice]:
        return [
            Invoice.model_validate_json(r[0])
            for r in self._rows("SELECT raw FROM invoices ORDER BY invoice_date DESC, id")
        ]

    def sites(self, account_id: str) -> list[Site]:
        return [
            Site.model_validate_json(r[0])
            for r in self._rows(
                "SELECT raw FROM sites WHERE account_id = ? ORDER BY name, id", (account_id,)
            )
        ]

    def services(
        self,
        *,
        account_id: str | None = None,
        site_id: str | None = None,
        without_site: bool = False,
    ) -> list[Service]:
        where, params = [], []
        if account_id is not None:
            where.append("account_id = ?")
            params.append(account_id)
        if site_id is not None:
            where.append("site_id = ?")
            params.append(site_id)
        if without_site:
            where.append("site_id IS NULL")
        sql = "SELECT raw FROM services" + (" WHERE " + " AND ".join(where) if where else "")
        return [
            Service.model_validate_json(r[0])
            for r in self._rows(sql + " ORDER BY name, id", params)
        ]

    def site(self, site_id: str) -> Site | None:
        rows = self._rows("SELECT raw FROM sites WHERE id = ?", (site_id,))
        return Site.model_validate_json(rows[0][0]) if rows else None

    def service(self, service_id: str) -> Service | None:
        rows = self._rows("SELECT raw FROM services WHERE id = ?", (service_id,))
        return Service.model_validate_json(rows[0][0]) if rows else None

    def search_services(self, text: str, limit: int = 50) -> list[Service]:
        """Services whose id, name, type or site (name/city/country) contains text."""
        like = _like(text.strip())
        rows = self._rows(
            "SELECT v.raw FROM services v LEFT JOIN sites st ON st.id = v.site_id "
            "WHERE v.id LIKE ?1 ESCAPE '\\' OR v.name LIKE ?1 ESCAPE '\\' "
            "OR v.service_type LIKE ?1 ESCAPE '\\' OR st.name LIKE ?1 ESCAPE '\\' "
            "OR st.city LIKE ?1 ESCAPE '\\' OR st.country LIKE ?1 ESCAPE '\\' "
            "ORDER BY v.name, v.id LIMIT ?2",
            (like, limit),
        )
        return [Service.model_validate_json(r[0]) for r in rows]

    def search_inventory(self, text: str, limit: int = 500) -> tuple[list[Site], list[Service]]:
        """Sites (name/city/country) and services (id/name) matching text, for the tree filter."""
        like = _like(text.strip())
        sites = self._rows(
            "SELECT raw FROM sites WHERE name LIKE ?1 ESCAPE '\\' OR city LIKE ?1 ESCAPE '\\' "
            "OR country LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT ?2",
            (like, limit),
        )
        services = self._rows(
            "SELECT raw FROM services WHERE id LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' "
            "ORDER BY name LIMIT ?2",
            (like, limit),
        )
        return (
            [Site.model_validate_json(r[0]) for r in sites],
            [Service.model_validate_json(r[0]) for r in services],
        )

    def service_status_counts(self, site_id: str) -> dict[str, int]:
        return {
            str(r[0]): int(r[1])
            for r in self._rows(
                "SELECT COALESCE(status, '?'), count(*) FROM services WHERE site_id = ? "
                "GROUP BY 1 ORDER BY 1",
                (site_id,),
            )
        }

    def inventory_counts(self, account_id: str) -> tuple[int, int]:
        """(sites, services) of an account."""
        sites = self._rows("SELECT count(*) FROM sites WHERE account_id = ?", (account_id,))
        svcs = self._rows("SELECT count(*) FROM services WHERE account_id = ?", (account_id,))
        return int(sites[0][0]), int(svcs[0][0])

    # -- cases --------------------------------------------------------------------------------
    def upsert_cases(self, items: Sequence[Case]) -> UpsertResult:
        """Store cases and say what changed.  The very first upsert into an empty store marks
        every case read: a first sync must not make thousands of old cases 'unread'."""
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
                    if old[0] != lm:
                        changed.append(case.id)
                    if old[1] != case.status:
                        statuses[case.id] = (old[1], case.status)
                    if old[2] != case.priority:
                        priorities[case.id] = (old[2], case.priority)
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
            if empty:
                db.executemany(
                    "INSERT OR REPLACE INTO read_state VALUES (?, ?)", [(r[0], r[10]) for r in rows]
                )
        return UpsertResult(tuple(new), tuple(changed), statuses, priorities)

    def case(self, case_id: str) -> Case | None:
        rows = self._rows("SELECT raw FROM cases WHERE id = ?", (case_id,))
        return Case.model_validate_json(rows[0][0]) if rows else None

    def case_last_modified(self, case_id: str) -> datetime | None:
        rows = self._rows("SELECT last_modified FROM cases WHERE id = ?", (case_id,))
        return _dt(rows[0][0]) if rows else None

    def latest_case_modified(self) -> datetime | None:
        """The newest last_modified_date in the store: the incremental poll's watermark."""
        return _dt(self._rows("SELECT max(last_modified) FROM cases")[0][0])

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
            nulls_last = "" if column in _NOT_NULL else f"{expr} IS NULL, "
            order.append(f"{nulls_last}{expr} {'DESC' if desc else 'ASC'}")
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
        return [_case_row(r, unread=bool(r[13])) for r in self._rows(sql, [*params, limit, offset])]

    def count_cases(self, query: CaseQuery) -> int:
        where, params = self._where(query)
        return int(self._rows(f"SELECT count(*) {self._FROM}{where}", params)[0][0])

    def status_counts(self, query: CaseQuery | None = None) -> dict[str, int]:
        where, params = self._where(query or CaseQuery())
        return {
            str(r[0]): int(r[1])
            for r in self._rows(
                f"SELECT COALESCE(c.status, '?'), count(*) {self._FROM}{where} GROUP BY 1", params
            )
        }

    # -- the inbox: from memory once warm, else from SQL ------------------------------------------
    def warm_inbox(self) -> None:
        """Build the in-memory inbox if it is missing or stale, so that each filter keystroke is
        a pass over a list instead of a table scan.  It costs ~100 ms on 10,000 cases, read
        through a connection of its own: call it from a worker thread once a frame is out.
        Until it is done, and whenever the data has changed since, the inbox reads SQL."""
        stamp = self._stamp()
        if self._index is not None and self._index_stamp == stamp:
            return
        db = sqlite3.connect(self.path, timeout=5.0)
        try:
            rows = db.execute(f"SELECT {COLUMNS_SQL}, {_UNREAD_SQL} {self._FROM_NAMES}").fetchall()
        finally:
            db.close()
        index = InboxIndex(rows)
        with self._lock:
            if self._stamp() == stamp:  # nothing was written while it was read
                self._index, self._index_stamp = index, stamp

    def inbox_is_warm(self) -> bool:
        return self._fresh_index() is not None

    def _stamp(self) -> tuple[int, int]:
        """Changes with every write: ours (a counter) and other processes' (data_version)."""
        with self._lock:
            return self._generation, self.data_version()

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
        where, params = self._where(replace(query, statuses=frozenset()))
        rows = self._rows(  # grouped in the index's order (cases_status_unread)
            f"SELECT c.status, count(*), sum({_UNREAD_SQL}) {self._FROM}{where} GROUP BY c.status",
            params,
        )
        by_status = {"?" if r[0] is None else str(r[0]): int(r[1]) for r in rows}
        chosen = [r for r in rows if not query.statuses or r[0] in query.statuses]
        unread = sum(int(r[2]) for r in chosen)
        total = unread if query.unread_only else sum(int(r[1]) for r in chosen)
        return InboxSummary(total=total, unread=unread, by_status=by_status)

    def inbox_page(self, query: CaseQuery, *, offset: int = 0, limit: int = 50) -> list[CaseRow]:
        """The same rows as :meth:`query_cases`, from memory when the inbox is warm."""
        index = self._fresh_index()
        if index is None:
            return self.query_cases(query, offset=offset, limit=limit)
        page = index.matches(query).keys[offset : offset + limit]
        ids = [k[ID] for k in page]
        unread = {k[ID]: bool(k[UNREAD]) for k in page}
        rows = self._rows(
            f"SELECT {_ROW_SQL}, 0 FROM cases c LEFT JOIN services s ON s.id = c.service_id "
            f"LEFT JOIN sites st ON st.id = c.site_id "
            f"WHERE c.id IN ({','.join('?' * len(ids))})",
            ids,
        )
        by_id = {r[0]: _case_row(r, unread=unread[r[0]]) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def case_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM cases")[0][0])

    # -- messages -----------------------------------------------------------------------------
    def upsert_messages(self, case_id: str, items: Sequence[CaseMessage]) -> list[str]:
        """Store a case's messages; returns the ids that were not stored before."""
        with self._tx() as db:
            known = {
                r[0] for r in db.execute("SELECT id FROM messages WHERE case_id = ?", (case_id,))
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

    def thread(
        self, case_id: str, *, offset: int = 0, limit: int | None = None
    ) -> list[CaseMessage]:
        """Oldest → newest."""
        rows = self._rows(
            "SELECT raw FROM messages WHERE case_id = ? ORDER BY ts, seq, rowid LIMIT ? OFFSET ?",
            (case_id, -1 if limit is None else limit, offset),
        )
        return [CaseMessage.model_validate_json(r[0]) for r in rows]

    def message_count(self, case_id: str) -> int:
        return int(self._rows("SELECT count(*) FROM messages WHERE case_id = ?", (case_id,))[0][0])

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
            f"SELECT {_UNREAD_SQL} FROM cases c WHERE c.id = ?",
            (case_id,),
        )
        return bool(rows[0][0]) if rows else False

    def unread_count(self, query: CaseQuery | None = None) -> int:
        q = query or CaseQuery()
        where, params = self._where(q)
        extra = (" AND " if where else " WHERE ") + _UNREAD_SQL
        return int(self._rows(f"SELECT count(*) {self._FROM}{where}{extra}", params)[0][0])

    # -- drafts (key: "reply:<caseId>", "new", "new:<serviceId>", "update:<caseId>") ----------
    def save_draft(self, key: str, data: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)",
                (key, json.dumps(data), self.clock()),
            )

    def load_draft(self, key: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT data FROM drafts WHERE key = ?", (key,))
        return dict(json.loads(rows[0][0])) if rows else None

    def delete_draft(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM drafts WHERE key = ?", (key,))

    def drafts(self) -> dict[str, dict[str, Any]]:
        return {
            str(r[0]): dict(json.loads(r[1]))
            for r in self._rows("SELECT key, data FROM drafts ORDER BY updated")
        }

    # -- outbox -------------------------------------------------------------------------------
    _OUTBOX_COLS = (
        "id, kind, case_id, payload, draft_key, idempotency_key, status, attempts, "
        "first_attempt_at, next_attempt_at, last_error, created_at, result_id"
    )

    @staticmethod
    def _entry(r: Sequence[Any]) -> OutboxEntry:
        return OutboxEntry(
            int(r[0]),
            OutboxKind(r[1]),
            r[2],
            dict(json.loads(r[3])),
            r[4],
            r[5],
            OutboxStatus(r[6]),
            int(r[7]),
            r[8],
            r[9],
            r[10],
            float(r[11]),
            r[12],
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
                    raise AlreadyQueued(int(pending[0]))
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

    def outbox_failed(
        self,
        entry_id: int,
        *,
        error: str,
        restore: Callable[[OutboxEntry, dict[str, Any] | None], dict[str, Any] | None]
        | None = None,
    ) -> None:
        """Permanent failure: status failed and, in the same transaction, the entry's draft
        becomes ``restore(entry, current draft)`` (the rule lives in ``sync/outbox.py``)."""
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
            restored = restore(entry, dict(json.loads(current[0])) if current else None)
            if restored is not None:
                db.execute(
                    "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)",
                    (entry.draft_key, json.dumps(restored), self.clock()),
                )

    # -- sync watermarks / key-value ----------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
