"""The case store's rules on a few hand-made cases: the inbox's pages and header counts from SQL
and from memory, threads, and what the poller and team mode read (the watermark, the API's
JSON as stored)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from expereo_tui.api.models import CaseMessage, Service, Site
from expereo_tui.store.cases import CaseRow, message_key, ts
from expereo_tui.store.schema import MIGRATIONS, SEARCH_EXPR
from expereo_tui.store.store import CaseQuery, InboxSummary, Store

from .test_opening import Disk
from .test_store import _case

BY_ID = CaseQuery(sort=(("id", False),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "rules.sqlite3", clock=lambda: 1000.0)


def _sixty(store: Store) -> list[str]:
    """CS-00 … CS-59, each changed a minute after the one before."""
    ids = [f"CS-{n:02}" for n in range(60)]
    store.cases.upsert_cases([_case(case_id, n) for n, case_id in enumerate(ids)])
    return ids


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements the store's connection runs meanwhile."""
    seen: list[str] = []
    conn = store.database.conn
    conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


def _message(msg_id: str, minute: int, text: str) -> CaseMessage:
    when = datetime(2026, 11, 18, 10, minute, tzinfo=UTC)
    return CaseMessage(id=msg_id, message=text, type="Expereo", timestamp=when)


# -- the inbox ------------------------------------------------------------------------------


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
def test_a_page_is_fifty_cases_unless_asked_and_starts_at_its_offset(
    store: Store, warm: bool
) -> None:
    ids = _sixty(store)
    if warm:
        store.cases.warm_inbox()
    assert [r.id for r in store.cases.inbox_page(BY_ID)] == ids[:50]
    assert [r.id for r in store.cases.query_cases(BY_ID)] == ids[:50]
    assert [r.id for r in store.cases.inbox_page(BY_ID, offset=50)] == ids[50:]
    assert [r.id for r in store.cases.inbox_page(BY_ID, offset=7, limit=3)] == [
        "CS-07",
        "CS-08",
        "CS-09",
    ]


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
def test_a_case_without_a_status_is_counted_as_a_question_mark_in_the_header(
    store: Store, warm: bool
) -> None:
    store.cases.upsert_cases(
        [_case("CS-1", 0), _case("CS-2", 1, status=None), _case("CS-3", 2, status="Closed")]
    )
    store.cases.upsert_cases([_case("CS-4", 3, status=None)])  # after the first sync: unread
    if warm:
        store.cases.warm_inbox()
    assert store.cases.inbox_summary(CaseQuery()) == InboxSummary(
        total=4, unread=1, by_status={"New": 1, "?": 2, "Closed": 1}
    )
    # a status filter counts only what it shows (the header shows no other status)
    assert store.cases.inbox_summary(CaseQuery(statuses=frozenset({"New"}))) == InboxSummary(
        total=1, unread=0, by_status={"New": 1}
    )
    assert store.cases.status_counts() == {"New": 1, "?": 2, "Closed": 1}


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
def test_the_question_mark_counts_a_case_without_a_status_with_one_whose_status_is_a_question_mark(
    store: Store, warm: bool
) -> None:
    """The counts per status add up to the cases the header counts, whatever the API sends."""
    store.cases.upsert_cases(
        [_case("CS-1", 0, status="?"), _case("CS-2", 1, status=None), _case("CS-3", 2)]
    )
    if warm:
        store.cases.warm_inbox()
    assert store.cases.inbox_summary(CaseQuery()) == InboxSummary(
        total=3, unread=0, by_status={"?": 2, "New": 1}
    )
    assert store.cases.status_counts() == {"?": 2, "New": 1}


def test_once_warm_the_header_reads_no_cases_and_a_page_reads_its_rows_alone(
    store: Store,
) -> None:
    """A filter keystroke on a warm inbox is a pass over memory: no scan of the cases table
    for the counts, and only the page's rows (by id) for the page."""
    _sixty(store)
    store.cases.warm_inbox()
    query = CaseQuery(text="cs-0", sort=BY_ID.sort)
    with _statements(store) as seen:
        summary = store.cases.inbox_summary(query)
    assert summary.total == 10
    assert [s for s in seen if "cases" in s] == []
    with _statements(store) as seen:
        page = store.cases.inbox_page(query, limit=5)
    assert [r.id for r in page] == ["CS-00", "CS-01", "CS-02", "CS-03", "CS-04"]
    reads = [s for s in seen if "cases" in s]
    assert len(reads) == 1 and "json_each" in reads[0] and "ORDER BY" not in reads[0]


def _named(store: Store) -> None:
    """Three cases: two at named services and sites, one at neither."""
    store.inventory.upsert_sites(
        [Site(site_id="ST-1", name="Oslo hub"), Site(site_id="ST-2", name="Bergen edge")]
    )
    store.inventory.upsert_services(
        [
            Service(service_id="SVC-1", service_name="Zurich wave"),
            Service(service_id="SVC-2", service_name="Aarhus fibre"),
        ]
    )
    store.cases.upsert_cases(
        [
            _case("CS-1", 0, serviceId="SVC-1", siteId="ST-1"),
            _case("CS-2", 1, serviceId=None),
            _case(
                "CS-3",
                2,
                subject="Tokyo link down",
                serviceId="SVC-2",
                siteId="ST-2",
                customerReference="INC-77",
                startOfIncident=datetime(2026, 11, 18, 8, 45, tzinfo=UTC),
            ),
        ]
    )


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
def test_a_row_carries_the_case_with_its_service_and_site_names(store: Store, warm: bool) -> None:
    _named(store)
    if warm:
        store.cases.warm_inbox()
    rows = store.cases.inbox_page(CaseQuery(only_ids=frozenset({"CS-3"})))
    assert rows == [
        CaseRow(
            id="CS-3",
            subject="Tokyo link down",
            type="Incident",
            status="New",
            priority="P2",
            service_id="SVC-2",
            service_name="Aarhus fibre",
            site_id="ST-2",
            site_name="Bergen edge",
            customer_reference="INC-77",
            created_date=datetime(2026, 11, 18, 9, 2, tzinfo=UTC),
            last_modified_date=datetime(2026, 11, 18, 9, 2, tzinfo=UTC),
            start_of_incident=datetime(2026, 11, 18, 8, 45, tzinfo=UTC),
            unread=False,
        )
    ]


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
@pytest.mark.parametrize(
    ("column", "desc", "wanted"),
    [
        ("service", False, ["CS-3", "CS-1", "CS-2"]),  # Aarhus, Zurich, then none
        ("service", True, ["CS-1", "CS-3", "CS-2"]),  # none last either way
        ("site", False, ["CS-3", "CS-1", "CS-2"]),  # Bergen, Oslo, then none
        ("site", True, ["CS-1", "CS-3", "CS-2"]),
    ],
)
def test_a_sort_on_the_service_or_site_alone_orders_by_name(
    store: Store, warm: bool, column: str, desc: bool, wanted: list[str]
) -> None:
    _named(store)
    if warm:
        store.cases.warm_inbox()
    assert [r.id for r in store.cases.inbox_page(CaseQuery(sort=((column, desc),)))] == wanted


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
@pytest.mark.parametrize("text", ["tokyo", "TOKYO", " Bergen ", "inc-77"])
def test_text_search_ignores_case_and_the_blanks_around_it(
    store: Store, warm: bool, text: str
) -> None:
    _named(store)
    if warm:
        store.cases.warm_inbox()
    assert [r.id for r in store.cases.inbox_page(CaseQuery(text=text))] == ["CS-3"]
    assert store.cases.count_cases(CaseQuery(text=text)) == 1


def test_an_unknown_sort_column_names_the_columns_there_are(store: Store) -> None:
    with pytest.raises(ValueError) as refused:
        store.cases.query_cases(CaseQuery(sort=(("colour", False),)))
    assert str(refused.value) == (
        "cannot sort on 'colour'; one of unread, priority, status, type, subject, id, "
        "service, site, customer_reference, last_modified, created"
    )


def test_a_case_the_store_does_not_hold_is_not_unread(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-1", 0)])
    store.cases.upsert_cases([_case("CS-2", 1)])
    assert store.cases.is_unread("CS-2") is True
    assert store.cases.is_unread("CS-1") is False
    assert store.cases.is_unread("CS-9") is False


def test_the_build_reads_beside_the_apps_connection_and_only_when_the_data_changed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ~100 ms build reads through a connection of its own (the UI's stays free), and a
    second call with no write in between costs nothing: no connection, no read."""
    _sixty(store)
    opened: list[object] = []

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(args[0])
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", connect)
    with _statements(store) as seen:
        store.cases.warm_inbox()
    assert store.cases.inbox_is_warm() and len(opened) == 1
    assert [s for s in seen if "cases" in s] == []  # not on the app's connection
    store.cases.warm_inbox()
    assert len(opened) == 1  # warm already: nothing read
    store.cases.upsert_cases([_case("CS-60", 60)])
    store.cases.warm_inbox()
    assert len(opened) == 2
    assert store.cases.inbox_summary(CaseQuery()).total == 61


def test_a_store_running_from_memory_warms_its_inbox_from_there(tmp_path: Path) -> None:
    """A full disk at start: the data lives in the one connection's memory, and the inbox
    index is built from it."""
    disk = Disk()
    disk.limit = 1
    store = Store(tmp_path / "full.sqlite3", connect=disk.connect)
    assert store.problem is not None and store.problem.code == "disk_full"
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 1)])
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    assert store.cases.inbox_summary(CaseQuery()) == InboxSummary(
        total=2, unread=0, by_status={"New": 2}
    )
    assert [r.id for r in store.cases.inbox_page(BY_ID)] == ["CS-1", "CS-2"]


# -- threads --------------------------------------------------------------------------------


def test_a_thread_reads_oldest_first_from_an_offset_and_up_to_a_limit(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-1", 0)])
    store.cases.upsert_messages(
        "CS-1",
        [_message("m3", 30, "third"), _message("m1", 10, "first"), _message("m2", 20, "second")],
    )
    assert [m.message for m in store.cases.thread("CS-1")] == ["first", "second", "third"]
    assert [m.message for m in store.cases.thread("CS-1", limit=2)] == ["first", "second"]
    assert [m.message for m in store.cases.thread("CS-1", offset=1)] == ["second", "third"]
    assert store.cases.message_count("CS-1") == 3
    assert [json.loads(raw)["message"] for raw in store.cases.raw_thread("CS-1")] == [
        "first",
        "second",
        "third",
    ]
    assert store.cases.raw_thread("CS-2") == []


def test_a_thread_is_known_once_it_came_whole_from_the_api(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 1), _case("CS-3", 2)])
    store.cases.upsert_messages("CS-1", [_message("m1", 10, "whole")], whole_thread=True)
    store.cases.upsert_messages("CS-2", [_message("m2", 10, "one we sent")])
    assert store.cases.thread_known("CS-1") is True
    assert store.cases.thread_known("CS-2") is False  # a message, not the whole thread
    assert store.cases.thread_known("CS-3") is False
    assert sorted(store.cases.threaded_case_ids()) == ["CS-1", "CS-2"]


# -- what the poller and team mode read -----------------------------------------------------


def test_the_watermark_is_the_newest_change_stored(store: Store) -> None:
    assert store.cases.latest_case_modified() is None  # an empty store: a full first sync
    store.cases.upsert_cases([_case("CS-1", 30), _case("CS-2", 90), _case("CS-3", 0)])
    assert store.cases.latest_case_modified() == datetime(2026, 11, 18, 10, 30, tzinfo=UTC)


def test_raw_cases_are_the_apis_json_by_id_or_in_the_order_asked(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-2", 0, subject="two"), _case("CS-1", 1, subject="one")])
    every = store.cases.raw_cases()
    assert [(case_id, json.loads(raw)["subject"]) for case_id, raw in every] == [
        ("CS-1", "one"),
        ("CS-2", "two"),
    ]
    asked = store.cases.raw_cases(["CS-2", "CS-9", "CS-1"])  # one the store does not hold
    assert [(case_id, json.loads(raw)["id"]) for case_id, raw in asked] == [
        ("CS-2", "CS-2"),
        ("CS-1", "CS-1"),
    ]
    assert store.cases.raw_cases([]) == []


def _found(store: Store, warm: bool, text: str) -> list[str]:
    """The inbox's cases for a search of ``text``: from SQL, or from memory once ``warm``."""
    if warm:
        store.cases.warm_inbox()
    return [r.id for r in store.cases.inbox_page(CaseQuery(text=text))]


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("århus", "CS-1"),
        ("ÅRHUS", "CS-1"),
        ("Århus", "CS-1"),
        ("ödeshög", "CS-2"),
        ("ÖDESHÖG", "CS-2"),
    ],
)
def test_text_search_ignores_case_beyond_ascii(
    store: Store, warm: bool, text: str, wanted: str
) -> None:
    """A city or subject that starts with Å, Ö, Ł … is found however it is typed (SQLite's own
    lower() and LIKE fold ASCII letters only)."""
    store.inventory.upsert_sites([Site(site_id="ST-1", name="Harbour", city="Århus")])
    store.cases.upsert_cases(
        [
            _case("CS-1", 0, siteId="ST-1"),
            _case("CS-2", 1, subject="Ödeshög link down"),
            _case("CS-3", 2, subject="Oslo"),
        ]
    )
    assert _found(store, warm, text) == [wanted]


def test_a_store_from_before_finds_its_cases_beyond_ascii_after_the_upgrade(
    tmp_path: Path,
) -> None:
    """The search text of cases stored by the previous version is folded again on opening."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)  # SQLite's own lower(), as the previous version had it
    for number, migration in enumerate(MIGRATIONS[:-1]):
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute(
        "INSERT INTO cases (id, subject, last_modified, raw) VALUES (?, ?, '2026-11-18T09:00:00.000000', '{}')",
        ("CS-1", "Ödeshög link down"),
    )
    db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")
    db.commit()
    db.close()
    store = Store(path)
    assert [r.id for r in store.cases.inbox_page(CaseQuery(text="ödeshög"))] == ["CS-1"]


def test_the_statuses_present_are_each_status_once_and_a_question_mark_for_none(
    store: Store,
) -> None:
    assert store.cases.statuses() == frozenset()
    store.cases.upsert_cases([_case("CS-1", 0, status="Resolved")])
    assert store.cases.statuses() == {"Resolved"}
    store.cases.upsert_cases(
        [
            _case("CS-2", 1),  # New
            _case("CS-3", 2, status=None),
            _case("CS-4", 3, status="Escalated"),  # one the API added since
            _case("CS-5", 4, status="Awaiting Customer"),
            _case("CS-6", 5, status="Resolved"),
            _case("CS-7", 6, status="Closed"),
        ]
    )
    assert store.cases.statuses() == {
        "New", "Resolved", "?", "Escalated", "Awaiting Customer", "Closed"
    }  # fmt: skip
    store.cases.upsert_cases([_case("CS-3", 7, status="Closed")])
    assert store.cases.statuses() == {"New", "Resolved", "Escalated", "Awaiting Customer", "Closed"}


def test_two_warm_ups_at_once_build_the_inbox_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox asks for a build after its first frame and again when the data changed: on
    100,000 cases a build is ~1 s of Python, and two at once were two."""
    import threading

    from expereo_tui.store import cases

    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 1)])
    built: list[int] = []
    second = threading.Event()
    real = cases.InboxIndex

    def counting(keys: object) -> object:
        built.append(1)
        if len(built) == 2:
            second.set()
        else:  # give a second build the time to start beside this one
            second.wait(0.2)
        return real(keys)  # type: ignore[arg-type]

    monkeypatch.setattr(cases, "InboxIndex", counting)
    threads = [threading.Thread(target=store.cases.warm_inbox) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and store.cases.inbox_is_warm()


def test_the_unread_counts_read_the_unread_cases_only(store: Store) -> None:
    """The window title counts unread and unread P1 cases at each change of the data: an index
    of the unread cases (schema 9), not a pass over every case (44 ms on 100,000)."""
    store.cases.upsert_cases([_case("CS-1", 0, priority="P1"), _case("CS-2", 1, priority="P3")])
    store.cases.upsert_cases([_case("CS-3", 2, priority="P1")])  # after the first sync: unread
    store.mark_unread("CS-2")
    assert store.cases.unread_count() == 2
    assert store.cases.unread_count(CaseQuery(priorities=frozenset({"P1"}))) == 1
    plans: list[str] = []
    store.database.conn.set_trace_callback(plans.append)
    store.cases.unread_count()
    store.cases.unread_count(CaseQuery(priorities=frozenset({"P1"})))
    store.database.conn.set_trace_callback(None)
    for sql in plans:
        plan = store.database.rows(f"EXPLAIN QUERY PLAN {sql}")
        assert "cases_unread" in str(plan[0][3]), (sql, plan[0][3])


def test_the_order_the_inbox_opens_on_is_sorted_by_the_warm_up(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up (a worker thread) sorts the cases in the default order and picks the open
    ones: the first keystroke on 100,000 cases waited ~200 ms for that."""
    from expereo_tui.api.vocab import open_statuses
    from expereo_tui.store import inbox_index

    store.cases.upsert_cases(
        [
            _case("CS-1", 0),
            _case("CS-2", 1, status="Closed"),
            _case("CS-3", 2, status="Escalated"),  # one the API added since: open
            _case("CS-4", 3, status=None),
        ]
    )
    store.cases.warm_inbox()
    index = store.cases._index
    assert index is not None
    open_now = frozenset({"New", "In Progress", "Awaiting Customer", "Escalated"})
    assert list(index._scopes) == [(CaseQuery().sort, open_now)]  # picked in the thread too

    def no_sorting(*args: object) -> None:
        raise AssertionError("sorted on the keystroke")

    monkeypatch.setattr(inbox_index, "sorted", no_sorting, raising=False)
    query = CaseQuery(statuses=open_statuses(store.cases.statuses()), text="cs-")
    assert [r.id for r in store.cases.inbox_page(query)] == ["CS-3", "CS-1"]


def test_rows_share_their_repeated_values(store: Store) -> None:
    """Rows live as long as a poll (the open cases the alerts and the wall read): a value many
    cases have is one string, not SQLite's copy per row."""
    store.cases.upsert_cases(
        [_case(f"CS-{i}", i, subject="ServiceDown", type="Incident", serviceId="SVC-9",
               siteId="SITE-4", status="In Progress", priority="P2") for i in range(2)]
    )  # fmt: skip
    first, second = store.cases.query_cases(CaseQuery(), limit=2)
    for name in ("subject", "type", "status", "priority", "service_id", "site_id"):
        assert getattr(first, name) is getattr(second, name), name
    assert not hasattr(first, "__dict__")  # slots: no dict a row


def test_a_message_without_an_id_is_known_by_its_case_time_sender_and_text(store: Store) -> None:
    """The key is stored: it must stay as earlier versions made it (sha1 of "case|UTC time|
    sender|text", 16 hex digits), or a thread fetched again would hold each message twice.
    The same words at another time are another message."""
    wire = {
        "message": "hi",
        "type": "Customer",
        "sentBy": "Ana",
        "timestamp": "2026-11-18T10:05:00Z",
    }
    first = CaseMessage.model_validate(wire)
    again = CaseMessage.model_validate({**wire, "timestamp": "2026-11-18T10:06:00Z"})
    assert message_key("CS-1", first) == "local-a674f42049a49f36"
    store.cases.upsert_cases([_case("CS-1", 0)])
    keys = store.cases.upsert_messages("CS-1", [first, again])
    assert len(keys) == 2 and keys[0] == "local-a674f42049a49f36" != keys[1]
    assert store.cases.upsert_messages("CS-1", [first, again]) == []
    assert store.cases.message_count("CS-1") == 2


def test_a_time_is_stored_as_its_utc_instant_and_a_naive_one_is_taken_as_utc() -> None:
    assert ts(datetime(2026, 11, 18, 12, 5, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-11-18T10:05:00.000000"
    )
    assert ts(datetime(2026, 11, 18, 10, 5, 0, 7)) == "2026-11-18T10:05:00.000007"
    assert ts(None) is None


def test_a_naive_time_is_taken_as_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "JST-9")  # (POSIX form: no zone database needed)
    time.tzset()
    try:
        assert ts(datetime(2026, 11, 18, 10, 5)) == "2026-11-18T10:05:00.000000"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_message_listed_twice_in_one_batch_is_new_once(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-1", 0)])
    msg = _message("M-1", 5, "hello")
    assert store.cases.upsert_messages("CS-1", [msg, msg]) == ["M-1"]
    assert store.cases.message_count("CS-1") == 1


def test_messages_of_the_same_time_keep_the_order_the_api_listed_them_in(store: Store) -> None:
    store.cases.upsert_cases([_case("CS-1", 0)])
    batch = [_message("M-B", 5, "first"), _message("M-A", 5, "second"), _message("M-C", 5, "third")]
    store.cases.upsert_messages("CS-1", batch)
    assert [m.id for m in store.cases.thread("CS-1")] == ["M-B", "M-A", "M-C"]


def test_an_upsert_says_which_cases_changed_priority_from_what_to_what(store: Store) -> None:
    """What the alerts read (a case raised to P1): only a stored case whose priority changed."""
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 0)])
    result = store.cases.upsert_cases([_case("CS-1", 1, priority="P1"), _case("CS-2", 1)])
    assert result.priority_changes == {"CS-1": ("P2", "P1")}
    assert store.cases.upsert_cases([_case("CS-3", 2, priority="P1")]).priority_changes == {}


def test_a_page_of_a_first_sync_leaves_a_read_state_already_kept_as_it_is(store: Store) -> None:
    """``mark_read`` marks read the cases it stores for the first time; a case read before and
    changed since stays unread."""
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 0)])  # the first: read
    store.cases.upsert_cases([_case("CS-1", 5), _case("CS-3", 5)], mark_read=True)
    assert store.cases.is_unread("CS-1")
    assert not store.cases.is_unread("CS-3")


def test_a_case_listed_twice_in_the_first_upsert_is_read_at_its_latest_change(
    store: Store,
) -> None:
    """The very first upsert into an empty store marks every case read, a case the listing
    gave twice (changed between two pages of it) too: as it is stored, its later change."""
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 0), _case("CS-1", 5)])
    assert store.cases.case_last_modified("CS-1") == datetime(2026, 11, 18, 9, 5, tzinfo=UTC)
    assert not store.cases.is_unread("CS-1") and not store.cases.is_unread("CS-2")


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("service deg", ["CS-1"]),  # as the inbox shows ServiceDegradation
        ("Service degradation", ["CS-1"]),
        ("servicedegradation", ["CS-1"]),  # the API's word still finds it
        ("rfo request", ["CS-2"]),  # RfoRequest is shown "RFO request"
        ("link down", ["CS-3"]),  # a subject in words is searched as it is
        ("service down", []),
    ],
)
def test_a_subject_is_found_as_the_screen_shows_it(
    store: Store, warm: bool, text: str, wanted: list[str]
) -> None:
    store.cases.upsert_cases(
        [
            _case("CS-1", 0, subject="ServiceDegradation"),
            _case("CS-2", 1, subject="RfoRequest"),
            _case("CS-3", 2, subject="Ödeshög link down"),
        ]
    )
    assert _found(store, warm, text) == wanted


def test_a_store_from_before_finds_a_subject_as_shown_after_the_upgrade(tmp_path: Path) -> None:
    """The search text of cases stored by the previous version (the API's word only) gets the
    subject as the screens show it on opening."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for number, migration in enumerate(MIGRATIONS[:-1]):
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute(
        "INSERT INTO cases (id, subject, last_modified, search, raw) "
        "VALUES ('CS-1', 'ServiceDegradation', '2026-11-18T09:00:00.000000', "
        "'cs-1 servicedegradation', '{}')"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert [r.id for r in store.cases.inbox_page(CaseQuery(text="service deg"))] == ["CS-1"]
