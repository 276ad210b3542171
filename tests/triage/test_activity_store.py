"""The store's side of triage: status transitions the poll observes are recorded (the API has
no history), and a page of cases' thread summary is read in one go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from expereo_tui.api.models import CaseMessage
from expereo_tui.store.store import Store
from tests.store.test_store import _case

BASE = datetime(2026, 11, 18, 9, tzinfo=UTC)


def _msg(minutes: int, kind: str) -> CaseMessage:
    return CaseMessage.model_validate(
        {
            "message": f"{kind} at {minutes}",
            "type": kind,
            "timestamp": BASE + timedelta(minutes=minutes),
        }
    )


def test_status_transitions_are_recorded_once_each(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case("CS-1", 0, status="New")])
    store.cases.upsert_cases([_case("CS-1", 0, status="New")])  # unchanged: nothing recorded
    store.cases.upsert_cases([_case("CS-1", 10, status="Awaiting Customer")])
    store.cases.upsert_cases(
        [_case("CS-1", 15, status="Awaiting Customer")]
    )  # a message, same status
    store.cases.upsert_cases([_case("CS-1", 40, status="In Progress")])
    history = store.activity.activity(["CS-1"])["CS-1"].transitions
    assert [s for _, s in history] == ["New", "Awaiting Customer", "In Progress"]
    assert history[1][0] == (BASE + timedelta(minutes=10)).timestamp()


def test_thread_summary_tells_provider_from_customer(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case("CS-1", 0), _case("CS-2", 0)])
    store.cases.upsert_messages(
        "CS-1",
        [_msg(0, "Customer"), _msg(5, "Expereo"), _msg(9, "Customer"), _msg(20, "Expereo")],
        whole_thread=True,
    )
    got = store.activity.activity(["CS-1", "CS-2"])
    one = got["CS-1"]
    assert one.first_provider_at == (BASE + timedelta(minutes=5)).timestamp()
    assert one.last_provider_at == (BASE + timedelta(minutes=20)).timestamp()
    assert one.last_customer_at == (BASE + timedelta(minutes=9)).timestamp()
    assert got["CS-2"].first_provider_at is None and got["CS-2"].last_customer_at is None


def test_an_sla_alert_is_claimed_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    assert store.activity.claim_alert("CS-1", "resolution@1", "at_risk", 1.0)
    assert not store.activity.claim_alert("CS-1", "resolution@1", "at_risk", 2.0)
    assert store.activity.claim_alert("CS-1", "resolution@1", "breached", 2.0)


def test_who_wrote_is_one_rule_whatever_the_type_is_spelt(tmp_path: Path) -> None:
    """CUSTOMER and Customer Portal are ours, EXPEREO and System are not (api/vocab.py)."""
    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases([_case("CS-1", 0)])
    store.cases.upsert_messages(
        "CS-1",
        [_msg(1, "EXPEREO"), _msg(2, "Customer Portal"), _msg(3, "System"), _msg(4, "CUSTOMER")],
        whole_thread=True,
    )
    act = store.activity.activity(["CS-1"])["CS-1"]
    assert act.last_customer_at == (BASE + timedelta(minutes=4)).timestamp()
    assert act.first_provider_at == (BASE + timedelta(minutes=1)).timestamp()
    assert act.last_provider_at == (BASE + timedelta(minutes=3)).timestamp()


def test_open_cases_for_sla_alerts_and_clusters_include_a_status_added_later(
    tmp_path: Path,
) -> None:
    """One definition of open (api/vocab.py): a status the API adds later is open, so the SLA
    tiles, the alerts and the cluster line see the case."""
    from expereo_tui.triage.read_model import read_open

    store = Store(tmp_path / "a.sqlite3")
    store.cases.upsert_cases(
        [
            _case("CS-1", 0, status="Pending Vendor"),
            _case("CS-2", 0, status="Resolved"),
            _case("CS-3", 0, status="New"),
        ]
    )
    rows, _activity = read_open(store)
    assert {r.id for r in rows} == {"CS-1", "CS-3"}
