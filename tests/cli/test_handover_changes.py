"""The handover's changes (issue 32): new cases apart, our own writes apart from the provider's
changes, and every number in the report the count of its list. Hand-written store, hand-written
expectations."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from expereo_tui.api.models import Case, CaseMessage
from expereo_tui.shift.handover import build, to_json, to_markdown
from expereo_tui.store.store import Store
from tests.sim_fixtures import FakeClock

SINCE = datetime(2026, 11, 18, 8, tzinfo=UTC)
NOW = SINCE + timedelta(hours=8)
LONG_AGO = SINCE - timedelta(days=10)


def case(case_id: str, created: datetime, changed: datetime, status: str = "In Progress") -> Case:
    return Case.model_validate(
        {
            "id": case_id,
            "subject": "ServiceDown",
            "type": "Incident",
            "status": status,
            "priority": "P2",
            "createdDate": created,
            "lastModifiedDate": changed,
            "serviceId": "SVC-1",
        }
    )


def we_sent(store: Store, case_id: str, at: datetime) -> None:
    entry = store.enqueue("update", {"customerReference": "CHG-1"}, case_id=case_id)
    store.outbox.outbox_attempt(entry.id, at=at.timestamp())
    store.outbox.outbox_sent(entry.id, result_id=None)


def test_new_cases_our_writes_and_the_providers_changes_apart(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.sqlite3", clock=FakeClock(NOW.timestamp()))
    bulk_at = SINCE + timedelta(hours=2)
    store.cases.upsert_cases(
        [
            case("CS-OLD", LONG_AGO, LONG_AGO + timedelta(days=1)),  # not in the window
            case("CS-NEW", SINCE + timedelta(hours=1), SINCE + timedelta(hours=1)),
            case("CS-BULK1", LONG_AGO, LONG_AGO),
            case("CS-BULK2", LONG_AGO, LONG_AGO),
            case("CS-BULKMSG", LONG_AGO, LONG_AGO),
            case("CS-MOVED", LONG_AGO, LONG_AGO, status="In Progress"),
            case("CS-THEIRS", LONG_AGO, SINCE + timedelta(hours=3)),  # no write of ours
            case("CS-BEFORE", LONG_AGO, SINCE + timedelta(hours=1)),  # changed before we wrote
        ]
    )
    for case_id in ("CS-BULK1", "CS-BULK2", "CS-BULKMSG", "CS-MOVED", "CS-BEFORE"):
        we_sent(store, case_id, bulk_at if case_id != "CS-BEFORE" else SINCE + timedelta(hours=4))
    # the sync reads our bulk write back: each case changed a minute after it
    store.cases.upsert_cases(
        [
            case("CS-BULK1", LONG_AGO, bulk_at + timedelta(minutes=1)),
            case("CS-BULK2", LONG_AGO, bulk_at + timedelta(minutes=1)),
            case("CS-BULKMSG", LONG_AGO, bulk_at + timedelta(minutes=1)),
            case("CS-MOVED", LONG_AGO, bulk_at + timedelta(hours=1), status="Awaiting Customer"),
        ]
    )
    provider = CaseMessage.model_validate(
        {"id": "M-1", "message": "please test", "type": "Expereo",
         "timestamp": bulk_at + timedelta(minutes=30)}
    )  # fmt: skip
    store.cases.upsert_messages("CS-BULKMSG", [provider], whole_thread=True)

    report = build(store, since=SINCE.timestamp(), now=NOW.timestamp())

    def ids(key: str) -> set[str]:
        return {i["id"] for i in report.section(key).items}

    assert ids("new") == {"CS-NEW"}
    assert ids("changed_by_us") == {"CS-BULK1", "CS-BULK2"}
    assert ids("changed") == {"CS-BULKMSG", "CS-MOVED", "CS-THEIRS", "CS-BEFORE"}

    # every number in the report is the count of its list
    md = to_markdown(report)
    blocks = re.split(r"^## ", md, flags=re.M)[1:]
    assert len(blocks) == len(report.sections)
    for block, section in zip(blocks, report.sections, strict=True):
        title, count = re.match(r"(.+) \((\d+)\)\n", block).groups()  # type: ignore[union-attr]
        assert title == section.title
        assert int(count) == len(re.findall(r"^- \*\*", block, flags=re.M)) == len(section.items)
    assert "## New cases (1)" in md and "## Changed only by our writes (2)" in md
    assert "## Changed by the provider (4)" in md
    doc = json.loads(to_json(report))
    assert len(doc["changed_by_us"]) == 2 and len(doc["new"]) == 1
