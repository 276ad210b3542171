"""Loose shapes end to end: unknown enum values are stored as they came and counted as open;
the store's SQL and its in-memory inbox agree; odd text never reaches SQLite."""

from __future__ import annotations

from expereo_tui.api.models import (
    OPEN_STATUSES,
    find_invalid_text,
    is_open_status,
    open_statuses,
)
from expereo_tui.sim import Simulator
from expereo_tui.sim.faults import UNKNOWN_STATUS
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.engine import SyncEngine
from expereo_tui.sync.events import SyncStatus


async def test_unknown_statuses_are_kept_and_counted_as_open(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    sim.faults.unknown_enums = True
    await engine.poll_once()
    assert engine.state.status == SyncStatus.FRESH
    counts = store.cases.status_counts()
    odd = counts[UNKNOWN_STATUS]
    assert odd > 0
    row = store.cases.query_cases(CaseQuery(statuses=frozenset({UNKNOWN_STATUS})), limit=1)[0]
    assert (row.type, row.priority) == ("Maintenance", "P0")  # kept as they came

    expected_open = sum(n for s, n in counts.items() if is_open_status(s) and s != "?")
    open_q = CaseQuery(statuses=open_statuses(counts))
    assert UNKNOWN_STATUS in open_q.statuses
    sql_open = store.cases.count_cases(open_q)
    assert sql_open == expected_open
    assert sql_open > store.cases.count_cases(CaseQuery(statuses=OPEN_STATUSES))

    # the in-memory inbox answers the same as SQL, with and without the status filter
    cold = store.cases.inbox_summary(open_q)
    store.cases.warm_inbox()
    assert store.cases.inbox_is_warm()
    warm = store.cases.inbox_summary(open_q)
    assert (warm.total, warm.unread, warm.by_status) == (cold.total, cold.unread, cold.by_status)
    assert warm.total == sql_open
    assert warm.by_status[UNKNOWN_STATUS] == odd
    assert [r.id for r in store.cases.inbox_page(open_q, limit=500)] == [
        r.id for r in store.cases.query_cases(open_q, limit=500)
    ]


async def test_bad_text_never_reaches_the_store(
    sim: Simulator, engine: SyncEngine, store: Store
) -> None:
    """Lone surrogates and invalid UTF-8 are repaired (U+FFFD) per item, so every stored row
    is valid text (SQLite and the terminal would choke on them) and no item is hidden."""
    sim.faults.bad_items = True
    await engine.poll_once()
    case_id = next(cid for cid, msgs in sim.data.messages.items() if msgs)
    await engine.fetch_thread(case_id)
    rows = store.cases.query_cases(CaseQuery(), limit=10_000)
    real = [r for r in rows if not r.id.startswith("sim-bad")]
    assert len(real) == len(sim.data.cases)
    for row in rows:
        assert find_invalid_text(row.subject or "") is None
    repaired = {r.id: r for r in rows if r.id.startswith("sim-bad")}
    assert "\ufffd" in (repaired["sim-bad-invalid_utf8"].subject or "")
    assert "\ufffd" in (repaired["sim-bad-lone_surrogate"].subject or "")
    for m in store.cases.thread(case_id):
        assert find_invalid_text(m.message or "") is None
