"""The store's schema and its migrations (``PRAGMA user_version`` is the schema version)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from expereo_tui.api.vocab import subject_label


def _v1(db: sqlite3.Connection) -> None:
    run_script(
        db,
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
        """,
    )


def fold(text: str | None) -> str | None:
    """SQL's ``fold()``: ``lower()`` for every letter, not only ASCII ones (SQLite's own leaves
    Å, Ö, Ł as they are, so the inbox's search could not find "Århus" however it was typed).
    A function of its own, used by the search text only: SQLite's ``lower()`` stays SQLite's,
    in C, for the queries that fold ASCII words per row (store/activity.py)."""
    return None if text is None else str(text).lower()


def shown_subject(subject: str | None) -> str | None:
    """SQL's ``shown_subject()``: a subject as the screens show it (``ServiceDown`` → ``Service
    down``), for the search text, so that what is on the screen is what a search finds; None
    for a subject already in words."""
    if not subject or " " in str(subject):
        return None
    return subject_label(str(subject))


def add_functions(db: sqlite3.Connection) -> None:
    """The SQL functions the store's statements use (``fold``, ``shown_subject``), on a
    connection."""
    db.create_function("fold", 1, fold, deterministic=True)
    db.create_function("shown_subject", 1, shown_subject, deterministic=True)


# What the inbox's free-text filter searches, kept in one column so a search is one scan
# (a connection that writes it needs add_functions).
SEARCH_EXPR = (
    "fold(coalesce(id, '') || ' ' || coalesce(subject, '') || ' ' || "
    "coalesce(shown_subject(subject), '') || ' ' || "
    "coalesce(customer_reference, '') || ' ' || coalesce(service_id, '') || ' ' || "
    "coalesce((SELECT name FROM services WHERE services.id = cases.service_id), '') || ' ' || "
    "coalesce((SELECT name || ' ' || coalesce(city, '') || ' ' || coalesce(country, '') "
    "FROM sites WHERE sites.id = cases.site_id), ''))"
)


def _v2(db: sqlite3.Connection) -> None:
    add_functions(db)
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
    run_script(
        db,
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
        """,
    )


def _v_invoice_lines(db: sqlite3.Connection) -> None:
    """Invoice line details, kept per invoice (fetched on demand or a few per inventory
    refresh); ``invoice_lines_fetched`` tells an invoice without lines from one never fetched."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS invoice_lines (
            invoice_id TEXT NOT NULL, seq INTEGER NOT NULL, service_id TEXT, amount REAL,
            raw TEXT NOT NULL, PRIMARY KEY (invoice_id, seq));
        CREATE INDEX IF NOT EXISTS invoice_lines_service ON invoice_lines(service_id);
        CREATE TABLE IF NOT EXISTS invoice_lines_fetched (
            invoice_id TEXT PRIMARY KEY, fetched_at REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS invoices_account ON invoices(account_id, invoice_date);
        """,
    )


def _v_shift(db: sqlite3.Connection) -> None:
    """Pins, snoozes and saved views (store/shift.py): local to the profile, never sent."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS pins (
            case_id TEXT PRIMARY KEY, note TEXT NOT NULL, updated REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS snoozes (
            case_id TEXT PRIMARY KEY, until REAL, until_provider INTEGER NOT NULL DEFAULT 0,
            provider_messages INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS saved_views (
            name TEXT PRIMARY KEY, query TEXT NOT NULL, created REAL NOT NULL);
        """,
    )


def _v_triage(db: sqlite3.Connection) -> None:
    """Status transitions the poll observed (the API keeps no history of them), seeded with each
    case's current status; and the SLA alerts already given, so each fires once."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS status_history (
            case_id TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS status_history_case ON status_history(case_id, at);
        CREATE TABLE IF NOT EXISTS sla_alerts (
            case_id TEXT NOT NULL, clock TEXT NOT NULL, level TEXT NOT NULL, at REAL NOT NULL,
            PRIMARY KEY (case_id, clock, level));
        INSERT INTO status_history (case_id, status, at)
            SELECT id, status, last_modified FROM cases
            WHERE status IS NOT NULL AND last_modified IS NOT NULL
            AND id NOT IN (SELECT case_id FROM status_history);
        """,
    )


def _v_threads(db: sqlite3.Connection) -> None:
    """Which threads came whole from the API, and as of which change of their case: a thread is
    known only then (our own reply stored alone is not the thread), and stale once the case
    changed since (our own write too)."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS threads_fetched (
            case_id TEXT PRIMARY KEY, fetched_at REAL NOT NULL, case_modified TEXT);
        """,
    )


def _v_search_lower(db: sqlite3.Connection) -> None:
    """The search text again, now that ``fold()`` folds every letter (store/database.py):
    cases stored before kept Å, Ö, Ł … in capitals until they changed."""
    add_functions(db)
    db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")


def _v_unread_index(db: sqlite3.Connection) -> None:
    """The unread cases, by priority: the window title's counts (all unread, P1 unread) read
    every case without it, 11 + 33 ms on 100,000 cases at each change of the data."""
    db.execute("CREATE INDEX cases_unread ON cases(priority) WHERE unread")


def _v_search_shown_subject(db: sqlite3.Connection) -> None:
    """The search text again, with each subject as the screens show it: the API's
    ``ServiceDegradation`` is shown "Service degradation", which a search for "service deg"
    did not find."""
    add_functions(db)
    db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1,
    _v2,
    _v3,
    _v_invoice_lines,
    _v_triage,
    _v_shift,
    _v_threads,
    _v_search_lower,
    _v_unread_index,
    _v_search_shown_subject,
]
SCHEMA_VERSION = len(MIGRATIONS)


class FutureSchemaError(Exception):
    """The database was written by a newer version of the app."""

    def __init__(self, version: int) -> None:
        super().__init__(f"schema version {version} is newer than {SCHEMA_VERSION}")
        self.version = version


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run SQL statements one by one (``executescript`` would commit the open transaction)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n\t;"):
                db.execute(statement)
            statement = ""


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date.  The version is read again inside an exclusive
    transaction, so of several processes starting together one migrates and the others find
    the work done; a failed migration rolls back whole."""
    if _version(db) > SCHEMA_VERSION:
        raise FutureSchemaError(_version(db))
    if _version(db) == SCHEMA_VERSION:
        return
    db.execute("BEGIN EXCLUSIVE")
    try:
        version = _version(db)
        if version > SCHEMA_VERSION:
            raise FutureSchemaError(version)
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if db.in_transaction:
        db.execute("COMMIT")
