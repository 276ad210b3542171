"""The SQLite store: round trips, the inbox queries, read state, drafts, outbox (opening a
damaged, newer, busy, full or read-only file: test_opening.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from expereo_tui.api.models import Account, Case, CaseMessage, Service, Site
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.sender import restored_draft


def fill(store: Store, sim: Simulator) -> None:
    d = sim.data
    store.inventory.upsert_accounts(Account.model_validate(a) for a in d.accounts.values())
    store.inventory.upsert_sites(Site.model_validate(s) for s in d.sites.values())
    store.inventory.upsert_services(Service.model_validate(s) for s in d.services.values())
    store.cases.upsert_cases([Case.model_validate(c) for c in d.cases.values()])
    for case_id, msgs in d.messages.items():
        store.cases.upsert_messages(
            case_id, [CaseMessage.model_validate(m) for m in msgs], whole_thread=True
        )


def _case(case_id: str, minutes: int, **over: object) -> Case:
    base = datetime(2026, 11, 18, 9, tzinfo=UTC) + timedelta(minutes=minutes)
    data: dict[str, object] = {
        "id": case_id,
        "subject": "ServiceDown",
        "type": "Incident",
        "status": "New",
        "priority": "P2",
        "lastModifiedDate": base,
        "createdDate": base,
        "serviceId": "SVC-X",
    }
    data.update(over)
    return Case.model_validate(data)


def test_round_trip_keeps_unknown_fields(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    case = Case.model_validate({"id": "CS-1", "status": "New", "newField": {"x": 1}})
    store.cases.upsert_cases([case])
    assert store.cases.case("CS-1") == case
    assert store.cases.case("CS-1").model_extra == {"newField": {"x": 1}}  # type: ignore[union-attr]


def test_first_sync_is_read_later_cases_are_unread(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 1)])
    assert store.cases.unread_count() == 0
    result = store.cases.upsert_cases([_case("CS-3", 2), _case("CS-1", 5, status="In Progress")])
    assert result.new == ("CS-3",) and result.changed == ("CS-1",)
    assert result.status_changes == {"CS-1": ("New", "In Progress")}
    assert (
        store.cases.is_unread("CS-3")
        and store.cases.is_unread("CS-1")
        and not store.cases.is_unread("CS-2")
    )
    store.mark_read("CS-1")
    assert not store.cases.is_unread("CS-1")
    store.mark_unread("CS-2")
    assert store.cases.is_unread("CS-2")
    store.close()
    again = Store(tmp_path / "a.sqlite3")
    assert {r.id for r in again.cases.query_cases(CaseQuery(unread_only=True))} == {"CS-2", "CS-3"}


def test_filters_combine(store: Store, sim: Simulator) -> None:
    cases = list(sim.data.cases.values())
    q = CaseQuery(statuses=frozenset({"Closed"}), types=frozenset({"Incident"}))
    expected = {c["id"] for c in cases if c["status"] == "Closed" and c["type"] == "Incident"}
    assert {r.id for r in store.cases.query_cases(q, limit=1000)} == expected
    assert store.cases.count_cases(q) == len(expected)
    svc = cases[0]["serviceId"]
    rows = store.cases.query_cases(CaseQuery(service_id=svc), limit=1000)
    assert {r.id for r in rows} == {c["id"] for c in cases if c["serviceId"] == svc}
    assert rows[0].service_name == sim.data.services[svc]["serviceName"]
    prio = store.cases.query_cases(CaseQuery(priorities=frozenset({"P1"})), limit=1000)
    assert prio and {r.priority for r in prio} == {"P1"}


def test_free_text_matches_subject_reference_service_and_city(store: Store, sim: Simulator) -> None:
    case = next(
        c
        for c in sim.data.cases.values()
        if c["customerReference"] and c["siteId"] and "[" not in c["customerReference"]
    )
    city = sim.data.sites[case["siteId"]]["city"]
    for text in (case["customerReference"].lower(), case["id"], city.upper()):
        assert case["id"] in {
            r.id for r in store.cases.query_cases(CaseQuery(text=text), limit=5000)
        }
    assert store.cases.query_cases(CaseQuery(text="100%_nothing")) == []


def test_sorts(store: Store) -> None:
    rows = store.cases.query_cases(CaseQuery(sort=(("last_modified", True),)), limit=1000)
    stamps = [r.last_modified_date for r in rows]
    assert stamps == sorted(stamps, reverse=True)  # type: ignore[type-var]
    rows = store.cases.query_cases(CaseQuery(sort=(("priority", False), ("id", False))), limit=1000)
    assert [r.priority for r in rows] == sorted(r.priority or "" for r in rows)
    store.mark_unread(rows[-1].id)
    assert store.cases.query_cases(CaseQuery(), limit=1)[0].id == rows[-1].id  # unread first
    with pytest.raises(ValueError):
        store.cases.query_cases(CaseQuery(sort=(("bogus", True),)))


def test_thread_is_oldest_first_and_new_ids_reported(store: Store, sim: Simulator) -> None:
    case_id, msgs = next(iter(sim.data.messages.items()))
    assert [m.id for m in store.cases.thread(case_id)] == [m["id"] for m in msgs]
    extra = CaseMessage(
        id="MSG-NEW", case_id=case_id, message="hi", timestamp=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert store.cases.upsert_messages(case_id, [extra], whole_thread=True) == ["MSG-NEW"]
    assert store.cases.upsert_messages(case_id, [extra], whole_thread=True) == []
    assert store.cases.thread(case_id)[-1].id == "MSG-NEW"
    assert store.cases.message_count(case_id) == len(msgs) + 1
    anon = CaseMessage(case_id=case_id, message="no id", timestamp=extra.timestamp)
    first = store.cases.upsert_messages(case_id, [anon], whole_thread=True)
    assert len(first) == 1 and store.cases.upsert_messages(case_id, [anon], whole_thread=True) == []


def test_inventory_queries(store: Store, sim: Simulator) -> None:
    acc = next(iter(sim.data.accounts))
    sites = store.inventory.sites(acc)
    assert {s.site_id for s in sites} == {
        s["siteId"] for s in sim.data.sites.values() if s["accountId"] == acc
    }
    orphan = store.inventory.services(account_id=acc, without_site=True)
    assert all(s.site_id is None for s in orphan)
    site = sites[0].site_id
    counts = store.inventory.service_status_counts(site)
    assert sum(counts.values()) == len(store.inventory.services(site_id=site))
    svc = next(iter(sim.data.services.values()))
    assert svc["serviceId"] in {
        s.service_id for s in store.inventory.search_services(svc["serviceId"])
    }
    found_sites, _ = store.inventory.search_inventory(sim.data.sites[site]["city"])
    assert site in {s.site_id for s in found_sites}


def test_drafts_and_outbox_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3", clock=lambda: 5.0)
    store.drafts.save_draft("reply:CS-1", {"text": "hello"})
    assert store.drafts.load_draft("reply:CS-1") == {"text": "hello"}
    entry = store.enqueue("reply", {"message": "hello"}, case_id="CS-1", draft_key="reply:CS-1")
    assert store.drafts.load_draft("reply:CS-1") is None
    assert entry.status == "queued" and len(entry.idempotency_key) == 32
    store.outbox.outbox_attempt(entry.id, at=10.0)
    store.outbox.outbox_attempt(entry.id, at=20.0)
    e = store.outbox.outbox_entry(entry.id)
    assert e and e.attempts == 2 and e.first_attempt_at == 10.0 and e.status == "sending"
    store.outbox.outbox_retry_later(entry.id, error="offline", next_attempt_at=30.0)
    assert store.outbox.outbox()[0].next_attempt_at == 30.0
    store.drafts.save_draft("reply:CS-1", {"text": "typed since"})
    store.outbox.outbox_failed(
        entry.id, error="rejected", restore=lambda e, d: restored_draft(e, d, "rejected")
    )
    assert store.drafts.load_draft("reply:CS-1") == {"text": "hello\n\ntyped since"}
    assert store.outbox.outbox() == []
    second = store.enqueue("create", {"subject": "Other"}, draft_key="new")
    store.outbox.outbox_sent(second.id, result_id="CS-9")
    assert store.outbox.outbox_entry(second.id).result_id == "CS-9"  # type: ignore[union-attr]


def test_two_connections_see_each_other(tmp_path: Path) -> None:
    a = Store(tmp_path / "s.sqlite3")
    b = Store(tmp_path / "s.sqlite3")
    version = b.data_version()
    a.cases.upsert_cases([_case("CS-1", 0)])
    assert b.cases.case("CS-1") is not None
    assert b.data_version() != version
    version = b.data_version()
    b.meta.set_meta("x", "1")
    assert b.data_version() == version  # own commits do not count
    assert a.meta.get_meta("x") == "1"


def test_unread_survives_the_move_to_schema_3(tmp_path: Path) -> None:
    """A version-2 database (read state joined at query time) opens with the same unread cases
    (kept in cases.unread from then on), and later writes keep that column right."""
    from expereo_tui.store.schema import MIGRATIONS

    path = tmp_path / "v2.sqlite3"
    db = sqlite3.connect(path)
    for number, migration in enumerate(MIGRATIONS[:2]):
        migration(db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    cases = [("CS-SEEN", "2026-01-02"), ("CS-CHANGED", "2026-01-05"), ("CS-NEVER", "2026-01-03")]
    for case_id, modified in cases:
        db.execute(
            "INSERT INTO cases (id, last_modified, raw) VALUES (?, ?, ?)",
            (case_id, modified, json.dumps({"id": case_id})),
        )
    db.execute("INSERT INTO read_state VALUES ('CS-SEEN', '2026-01-02')")
    db.execute("INSERT INTO read_state VALUES ('CS-CHANGED', '2026-01-04')")
    db.commit()
    db.close()

    store = Store(path)
    assert {c: store.cases.is_unread(c) for c, _ in cases} == {
        "CS-SEEN": False,
        "CS-CHANGED": True,
        "CS-NEVER": True,
    }
    assert [r.id for r in store.cases.query_cases(CaseQuery(unread_only=True))] == [
        "CS-CHANGED",
        "CS-NEVER",
    ]
    store.mark_read("CS-CHANGED")
    store.cases.upsert_cases([_case("CS-SEEN", 60 * 24 * 400)])  # a change after it was seen
    assert store.cases.is_unread("CS-SEEN") and not store.cases.is_unread("CS-CHANGED")
    assert store.cases.inbox_summary(CaseQuery()).unread == 2


def test_inventory_upserts_count_what_changed_and_keep_the_rest(tmp_path: Path) -> None:
    """A page stored again is no change; a new row and a changed row are one each; rows of
    other pages stay (the inventory is stored a page at a time, #30); the cases' search text
    follows a renamed site once asked (``search=False`` leaves it to the caller)."""
    store = Store(tmp_path / "inv.sqlite3")
    site = {"siteId": "S-1", "accountId": "A-1", "name": "Lyon Store 3", "city": "Lyon"}
    service = {"serviceId": "SVC-1", "accountId": "A-1", "siteId": "S-1", "serviceName": "DIA"}
    other = {**service, "serviceId": "SVC-2", "serviceName": "MPLS"}
    store.cases.upsert_cases([_case("CS-1", 5, siteId="S-1", serviceId="SVC-1")])
    inventory = store.inventory
    assert inventory.upsert_sites([Site.model_validate(site)]) == 1
    assert inventory.upsert_services([Service.model_validate(service)], search=False) == 1
    assert inventory.upsert_services([Service.model_validate(other)], search=False) == 1
    assert inventory.upsert_services([Service.model_validate(service)], search=False) == 0
    renamed = {**service, "serviceName": "DIA 10 Gbps"}
    assert inventory.upsert_services([Service.model_validate(renamed)], search=False) == 1
    assert {s.service_id: s.service_name for s in inventory.services()} == {
        "SVC-1": "DIA 10 Gbps",
        "SVC-2": "MPLS",
    }
    moved = {**site, "name": "Villeurbanne Store 3"}
    assert inventory.upsert_sites([Site.model_validate(moved)], search=False) == 1
    assert not store.cases.query_cases(CaseQuery(text="Villeurbanne"), limit=5)
    inventory.refresh_search()
    assert [c.id for c in store.cases.query_cases(CaseQuery(text="Villeurbanne"), limit=5)] == [
        "CS-1"
    ]
    store.close()
