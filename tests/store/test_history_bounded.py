"""The status history and SLA alert claims stay bounded on a store that runs for months (a NOC
wall): a case Resolved or Closed for HISTORY_KEEP_DAYS keeps only its last status and loses its
claims; open cases, and cases closed recently, keep every transition their clocks need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from expereo_tui.store.activity import HISTORY_KEEP_DAYS
from expereo_tui.store.store import Store
from tests.store.test_store import _case

BASE = datetime(2026, 11, 18, 9, tzinfo=UTC)
DAY = 24 * 60  # minutes
CYCLE = ("New", "In Progress", "Awaiting Customer", "In Progress", "Resolved", "Closed")


def _history(store: Store, case_id: str) -> list[str]:
    return [s for _, s in store.activity.activity([case_id])[case_id].transitions]


def _rows(store: Store, table: str) -> int:
    return int(store.database.rows(f"SELECT count(*) FROM {table}")[0][0])


def _live(store: Store, case_id: str, start: int, statuses: tuple[str, ...]) -> None:
    """The poll sees ``case_id`` go through ``statuses``, an hour apart from ``start``."""
    for i, status in enumerate(statuses):
        store.cases.upsert_cases(
            [
                _case(
                    case_id,
                    start + 60 * i,
                    status=status,
                    createdDate=BASE + timedelta(minutes=start),
                )
            ]
        )


def test_a_case_closed_long_ago_keeps_only_its_last_status(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    _live(store, "CS-OLD", 0, CYCLE)
    _live(store, "CS-OPEN", 0, CYCLE[:4])  # still open: every transition counts
    _live(store, "CS-RECENT", (HISTORY_KEEP_DAYS - 2) * DAY, CYCLE)  # closed 2 days ago
    for case_id in ("CS-OLD", "CS-OPEN", "CS-RECENT"):
        assert store.activity.claim_alert(case_id, "resolution@1", "at_risk", 1.0)
    assert _history(store, "CS-OLD") == list(CYCLE)  # not yet 30 days
    # a change 30 days and a bit after CS-OLD closed: its history goes, but its last status
    _live(store, "CS-NEW", HISTORY_KEEP_DAYS * DAY + 6 * 60, ("New",))
    assert _history(store, "CS-OLD") == ["Closed"]
    assert _history(store, "CS-OPEN") == list(CYCLE[:4])
    assert _history(store, "CS-RECENT") == list(CYCLE)
    # the claims of the case closed long ago go; the others stay (each alerts once)
    assert store.activity.claim_alert("CS-OLD", "resolution@1", "at_risk", 2.0)
    assert not store.activity.claim_alert("CS-OPEN", "resolution@1", "at_risk", 2.0)
    assert not store.activity.claim_alert("CS-RECENT", "resolution@1", "at_risk", 2.0)
    # a reopened case records from its last status on, as any other
    _live(store, "CS-OLD", HISTORY_KEEP_DAYS * DAY + 8 * 60, ("In Progress",))
    assert _history(store, "CS-OLD") == ["Closed", "In Progress"]


def test_history_stays_bounded_over_months_of_churn(tmp_path: Path) -> None:
    """Four cases a day open, go through the whole cycle and close, for 50 days: the history
    holds the last 30-odd days of cycles and one row per older case, not every transition."""
    store = Store(tmp_path / "a.sqlite3")
    days, per_day = 50, 4
    for day in range(days):
        for i, status in enumerate(CYCLE):
            at = day * DAY + 60 * i
            store.cases.upsert_cases([_case(f"CS-{day}-{n}", at, status=status) for n in range(per_day)])
    cases = days * per_day
    unbounded = cases * len(CYCLE)
    kept = _rows(store, "status_history")
    # cases closed in the last HISTORY_KEEP_DAYS (+1 for the once-a-day prune) keep their cycle
    bound = cases + (HISTORY_KEEP_DAYS + 2) * per_day * (len(CYCLE) - 1)
    assert kept <= bound < unbounded
    assert _history(store, "CS-0-0") == ["Closed"]
    assert _history(store, f"CS-{days - 1}-0") == list(CYCLE)
