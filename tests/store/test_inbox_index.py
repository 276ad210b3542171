"""The inbox from memory (a warm store) answers exactly as the SQL queries do, and never from
stale data: its own writes and another process's commits both show at once."""

from __future__ import annotations

import pytest

from expereo_tui.sim import Simulator
from expereo_tui.store.store import SORT_COLUMNS, CaseQuery, InboxSummary, Store

from .test_store import _case


def _sql_answer(store: Store, query: CaseQuery) -> tuple[list[object], InboxSummary]:
    """What the SQL path says: every row, and the header counts from the older queries."""
    rows = store.cases.query_cases(query, limit=100_000)
    summary = InboxSummary(
        total=store.cases.count_cases(query),
        unread=store.cases.unread_count(query),
        by_status=store.cases.status_counts(query),
    )
    return list(rows), summary


def _queries(store: Store, accounts: list[str]) -> list[CaseQuery]:
    """Queries that each match at least one row (checked by the caller), so memory and SQL are
    never compared empty with empty."""
    some = store.cases.query_cases(CaseQuery(), limit=1)[0]
    queries = [
        CaseQuery(),
        CaseQuery(text="amsterdam"),
        CaseQuery(text="  SERVICEdOWN "),  # case-folded and trimmed: the subject "ServiceDown"
        CaseQuery(text="ROTTERDAM hq"),  # a site name, in other case
        CaseQuery(text="%_\\"),  # LIKE's wildcards and escape are plain characters here
        CaseQuery(statuses=frozenset({"New", "In Progress"})),
        CaseQuery(priorities=frozenset({"P1", "P2"}), types=frozenset({"Incident"})),
        CaseQuery(service_id=some.service_id),
        CaseQuery(site_id=some.site_id),
        CaseQuery(unread_only=True),
        CaseQuery(unread_only=True, statuses=frozenset({"Closed"}), text="a"),
    ]
    for account in accounts:
        queries += [
            CaseQuery(account_id=account),
            CaseQuery(account_id=account, text="AMSTERDAM"),
            CaseQuery(account_id=account, statuses=frozenset({"New"}), unread_only=False),
            CaseQuery(account_id=account, unread_only=True, sort=(("id", True),)),
        ]
    for column in SORT_COLUMNS:
        for desc in (False, True):
            queries.append(CaseQuery(sort=((column, desc), ("last_modified", True))))
    return queries


def test_warm_inbox_answers_as_sql_does(store: Store, sim: Simulator) -> None:
    accounts = sorted({str(c["accountId"]) for c in sim.data.cases.values()})
    store.cases.upsert_cases(
        [_case("CS-WILD", 10**7, subject="100%_\\ done", accountId=accounts[0])]
    )
    for row in store.cases.query_cases(CaseQuery(), limit=40)[::3]:
        store.mark_unread(row.id)
    for row in store.cases.query_cases(CaseQuery(statuses=frozenset({"Closed"})), limit=3):
        store.mark_unread(row.id)
    assert len(accounts) >= 2
    queries = _queries(store, accounts)
    cold = [_sql_answer(store, q) for q in queries]
    total = store.cases.case_count()
    for query, (rows, _) in zip(queries, cold, strict=True):
        assert rows, query  # every query matches something ...
        if query.account_id is not None or query.text:
            assert len(rows) < total, query  # ... and a filter leaves something out
    assert [r.id for r in cold[queries.index(CaseQuery(text="%_\\"))][0]] == ["CS-WILD"]
    by_account = [
        len(rows)
        for q, (rows, _) in zip(queries, cold, strict=True)
        if q in [CaseQuery(account_id=a) for a in accounts]
    ]
    assert sum(by_account) == total
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()  # what follows is answered from memory
    for query, (rows, summary) in zip(queries, cold, strict=True):
        assert store.cases.inbox_page(query, limit=100_000) == rows, query
        assert store.cases.inbox_summary(query) == summary, query
        assert store.cases.inbox_page(query, offset=7, limit=5) == rows[7:12], query
    nothing = CaseQuery(text="no such thing")
    assert (
        store.cases.inbox_page(nothing, limit=10)
        == []
        == store.cases.query_cases(nothing, limit=10)
    )


def test_warm_inbox_sees_its_own_writes(store: Store) -> None:
    """A write makes the memory stale: answers come from SQL until it is warmed again, and are
    right either way."""
    store.cases.warm_inbox()
    first = store.cases.inbox_page(CaseQuery(), limit=1)[0]
    for warm_again in (False, True):
        store.mark_unread(first.id)
        assert not store.cases.inbox_is_warm()
        if warm_again:
            store.cases.warm_inbox()
            assert store.cases.inbox_is_warm()
        assert store.cases.inbox_page(CaseQuery(unread_only=True), limit=5)[0].id == first.id
        store.mark_read(first.id)
        if warm_again:
            store.cases.warm_inbox()
        assert store.cases.inbox_summary(CaseQuery(unread_only=True)).total == 0
    store.cases.upsert_cases([_case("CS-NEW", 10_000_000, subject="ZebraCrossing")])
    store.cases.warm_inbox()
    assert [r.id for r in store.cases.inbox_page(CaseQuery(text="zebra"))] == ["CS-NEW"]


def test_warm_inbox_sees_another_process_commit(store: Store) -> None:
    store.cases.warm_inbox()
    before = store.cases.inbox_summary(CaseQuery()).total
    other = Store(store.path)  # another process's connection to the same file
    other.cases.upsert_cases([_case("CS-OTHER", 10_000_000)])
    assert not store.cases.inbox_is_warm()
    assert store.cases.inbox_summary(CaseQuery()).total == before + 1
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    assert store.cases.inbox_summary(CaseQuery()).total == before + 1
    assert store.cases.inbox_page(CaseQuery(text="cs-other"))[0].id == "CS-OTHER"


@pytest.mark.parametrize("warm", [False, True], ids=["sql", "memory"])
def test_inbox_summary_counts_only_the_statuses_it_selects(store: Store, warm: bool) -> None:
    """The header shows a status filter's statuses only: the others are not counted (an
    account's closed history is never scanned for its open inbox)."""
    if warm:
        store.cases.warm_inbox()
    closed = store.cases.count_cases(CaseQuery(statuses=frozenset({"Closed"})))
    new = store.cases.count_cases(CaseQuery(statuses=frozenset({"New"})))
    assert closed and new and closed + new < store.cases.case_count()
    summary = store.cases.inbox_summary(CaseQuery(statuses=frozenset({"Closed", "New"})))
    assert summary.by_status == {"Closed": closed, "New": new}
    assert summary.total == closed + new
    everything = store.cases.inbox_summary(CaseQuery())
    assert sum(everything.by_status.values()) == everything.total == store.cases.case_count()


def test_warm_inbox_keeps_a_repeated_value_once(store: Store, sim: Simulator) -> None:
    """A case's status, priority, type, account… is a code a byte or two wide, and each
    distinct value is held once (SQLite hands out a copy per row and column: on 10,000 cases
    those copies were 3 of 13 MB, and the values as a tuple a case ~600 bytes a case)."""
    from expereo_tui.store.inbox_index import ACCOUNT_ID, PRIORITY, STATUS, TYPE

    store.cases.warm_inbox()
    index = store.cases._fresh_index()
    assert index is not None
    attributes = {STATUS: "status", PRIORITY: "priority", TYPE: "type", ACCOUNT_ID: "account_id"}
    for field, attribute in attributes.items():
        codes = index._codes[field]
        assert len(codes) == len(index) > len(set(codes)) > 1  # the data repeats them
        assert codes.itemsize == 1, field
        shown = [index.value_of(field, p) for p in range(len(index))]
        held = index._values[STATUS][1:] if field == STATUS else index._named[field]
        assert len(held) == len(set(shown) - {None}) == len(set(held)), field  # each once
        assert sorted(shown, key=str) == sorted(
            (getattr(store.cases.case(i), attribute) for i in map(index.id_of, range(len(index)))),
            key=str,
        ), field
