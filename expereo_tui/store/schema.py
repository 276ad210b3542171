"""The store's schema and its migrations (``PRAGMA user_version`` is the schema version)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any


def _v1(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, raw TEXT NOT NULL);
        CREATE TABLE sites (
            id TEXT PRIMARY KEY, account_id TEXT, name TEXT, city TEXT, country TEXT,
            raw TEXT NOT NULL);
        CREATE INDEX sites_account ON sites(account_id, name);
        CREATE TABLE services (
            id TEXT PRIMARY KEY, account_id TEXT, site_id TEXT, name TEXT, status TEXT,
            service_type TEXT, raw TEXT NOT NULL);
        CREATE INDEX services_account ON services(account_id, site_id);
        CREATE INDEX services_site ON services(site_id);
        CREATE TABLE invoices (id TEXT PRIMARY KEY, account_id TEXT, invoice_date TEXT,
            raw TEXT NOT NULL);
        CREATE TABLE cases (
            id TEXT PRIMARY KEY, subject TEXT, type TEXT, status TEXT, priority TEXT,
            service_id TEXT, site_id TEXT, account_id TEXT, customer_reference TEXT,
            created TEXT, last_modified TEXT, start_of_incident TEXT, raw TEXT NOT NULL);
        CREATE INDEX cases_last_modified ON cases(last_modified);
        CREATE INDEX cases_status ON cases(status, last_modified);
        CREATE INDEX cases_priority ON cases(priority, last_modified);
        CREATE INDEX cases_service ON cases(service_id);
        CREATE INDEX cases_site ON cases(site_id);
        CREATE TABLE messages (
            id TEXT PRIMARY KEY, case_id TEXT NOT NULL, ts TEXT, seq INTEGER NOT NULL,
            raw TEXT NOT NULL);
        CREATE INDEX messages_case ON messages(case_id, ts, seq);
        CREATE TABLE read_state (case_id TEXT PRIMARY KEY, seen_last_modified TEXT);
        CREATE TABLE drafts (key TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, case_id TEXT,
            payload TEXT NOT NULL, draft_key TEXT, idempotency_key TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, first_attempt_at REAL,
            next_attempt_at REAL, last_error TEXT, created_at REAL NOT NULL, result_id TEXT);
        CREATE INDEX outbox_status ON outbox(status, id);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        """
    )


# What the inbox's free-text filter searches, kept in one column so a search is one scan.
SEARCH_EXPR = (
    "lower(coalesce(id, '') || ' ' || coalesce(subject, '') || ' ' || "
    "coalesce(customer_reference, '') || ' ' || coalesce(service_id, '') || ' ' || "
    "coalesce((SELECT name FROM services WHERE services.id = cases.service_id), '') || ' ' || "
    "coalesce((SELECT name || ' ' || coalesce(city, '') || ' ' || coalesce(country, '') "
    "FROM sites WHERE sites.id = cases.site_id), ''))"
)


def _v2(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE cases ADD COLUMN search TEXT")
    db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")
    db.execute("CREATE INDEX read_state_seen ON read_state(case_id, seen_last_modified)")


# Whether the user has seen a case's latest change, from read_state (NULL comparisons count as
# seen, as they always did).  Kept in cases.unread by triggers, so the inbox sorts and counts by
# it from an index instead of joining read_state for every case.
_UNREAD_OF = (
    "CASE WHEN EXISTS (SELECT 1 FROM read_state rs WHERE rs.case_id = {id}) THEN coalesce("
    "(SELECT rs.seen_last_modified < cases.last_modified FROM read_state rs "
    "WHERE rs.case_id = {id}), 0) ELSE 1 END"
)


def _v3(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE cases ADD COLUMN unread INTEGER NOT NULL DEFAULT 1")
    db.execute(f"UPDATE cases SET unread = {_UNREAD_OF.format(id='cases.id')}")
    db.executescript(
        f"""
        CREATE TRIGGER cases_unread_insert AFTER INSERT ON cases BEGIN
            UPDATE cases SET unread = {_UNREAD_OF.format(id="NEW.id")} WHERE id = NEW.id;
        END;
        CREATE TRIGGER cases_unread_changed AFTER UPDATE OF last_modified ON cases BEGIN
            UPDATE cases SET unread = {_UNREAD_OF.format(id="NEW.id")} WHERE id = NEW.id;
        END;
        CREATE TRIGGER read_state_insert AFTER INSERT ON read_state BEGIN
            UPDATE cases SET unread = {_UNREAD_OF.format(id="NEW.case_id")}
            WHERE id = NEW.case_id;
        END;
        CREATE TRIGGER read_state_update AFTER UPDATE ON read_state BEGIN
            UPDATE cases SET unread = {_UNREAD_OF.format(id="NEW.case_id")}
            WHERE id = NEW.case_id;
        END;
        CREATE TRIGGER read_state_delete AFTER DELETE ON read_state BEGIN
            UPDATE cases SET unread = 1 WHERE id = OLD.case_id;
        END;
        -- the inbox's default order, and its header counts, straight from indexes
        CREATE INDEX cases_inbox ON cases(
            unread DESC, priority IS NULL, priority, last_modified IS NULL, last_modified DESC, id);
        CREATE INDEX cases_status_unread ON cases(status, unread);
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


class FutureSchemaError(Exception):
    """The database was written by a newer version of the app."""


class _InTransaction:
    """The connection as a migration sees it, but ``executescript`` runs the script statement
    by statement inside the open transaction (sqlite3's own would COMMIT first)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return self.db.execute(sql, *args)

    def executescript(self, script: str) -> None:
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.db.execute(statement)
                statement = ""
        if statement.strip() and not all(
            part.strip().startswith("--") or not part.strip() for part in statement.splitlines()
        ):
            raise sqlite3.ProgrammingError(f"incomplete SQL statement: {statement.strip()!r}")


def _version(db: sqlite3.Connection) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise FutureSchemaError(f"schema version {version} is newer than {SCHEMA_VERSION}")
    return version


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date in one transaction under SQLite's write lock: two processes
    opening a new store at once must not both create its tables (the loser would take the
    "already exists" error for corruption and move the database aside), and a migration cut
    short leaves the previous version, not half of the next."""
    if _version(db) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")  # waits (busy_timeout) while another process migrates
    try:
        version = _version(db)  # again: it may have been migrated while we waited
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](_InTransaction(db))  # type: ignore[arg-type]
            db.execute(f"PRAGMA user_version = {number + 1}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
