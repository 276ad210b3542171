"""Small builders of store rows for the triage tests (times are seconds from T0)."""

from __future__ import annotations

from datetime import UTC, datetime

from expereo_tui.store.store import CaseRow
from tests.sim_fixtures import FIXED_NOW

T0 = FIXED_NOW
MIN = 60.0
HOUR = 3600.0


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


def row(
    case_id: str = "CS-1",
    *,
    status: str = "In Progress",
    priority: str | None = "P1",
    type: str = "Incident",
    created: float = 0.0,
    changed: float | None = None,
    start_of_incident: float | None = None,
    site_id: str | None = None,
    service_id: str | None = "SVC-1",
) -> CaseRow:
    return CaseRow(
        id=case_id,
        subject="ServiceDown",
        type=type,
        status=status,
        priority=priority,
        service_id=service_id,
        service_name=None,
        site_id=site_id,
        site_name=None,
        customer_reference=None,
        created_date=at(created),
        last_modified_date=at(created if changed is None else changed),
        start_of_incident=None if start_of_incident is None else at(start_of_incident),
        unread=False,
    )
