"""The shared models and the documented case rules."""

from __future__ import annotations

from expereo_tui.api.models import (
    Case,
    CaseCreate,
    check_case_update,
    write_problems,
)


def test_unknown_fields_and_values_are_kept() -> None:
    case = Case.model_validate(
        {"id": "C1", "status": "Escalated", "futureField": {"x": 1}, "lastModifiedDate": None}
    )
    assert case.status == "Escalated"
    assert case.model_extra == {"futureField": {"x": 1}}


def test_incident_body_always_carries_end_of_incident() -> None:
    body = CaseCreate(
        subject="ServiceDown",
        type="Incident",
        service_id="S1",
        message="down",
        start_of_incident="2026-11-24T10:00:00Z",  # type: ignore[arg-type]
    ).to_wire()
    # an ongoing incident: the documented workaround sends the end equal to the start
    assert body["endOfIncident"] == body["startOfIncident"] == "2026-11-24T10:00:00Z"
    assert write_problems(CaseCreate, body) == []


def test_rules_name_each_broken_field() -> None:
    fields = {
        v.field
        for v in write_problems(
            CaseCreate,
            {
                "subject": "ServiceDown",
                "type": "NonIncident",
                "serviceId": "S1",
                "message": "x",
                "priority": "P1",
            },
        )
    }
    assert fields == {"priority", "subject"}
    missing = {
        v.field
        for v in write_problems(
            CaseCreate,
            {"type": "Incident", "subject": "ServiceDown", "serviceId": "S", "message": "m"},
        )
    }
    assert missing == {"startOfIncident"}  # a missing endOfIncident key is the wire quirk (HC0011)
    assert {
        v.field for v in check_case_update("NonIncident", {"priority": "P2", "status": "New"})
    } == {"priority", "status"}
