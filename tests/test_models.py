"""The shared models and the documented case rules."""

from __future__ import annotations

from expereo_tui.api.models import (
    REPAIRS_KEY,
    Case,
    CaseCreate,
    CaseUpdate,
    MessageCreate,
    check_case_update,
    repairs_of,
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


def test_each_rule_says_what_is_wrong_in_words() -> None:
    problems = write_problems(
        CaseCreate,
        {"type": "Incident", "subject": None, "message": "m", "startOfIncident": "2026-01-01",
         "caseNote": "x"},
    )  # fmt: skip
    assert [(v.field, v.message) for v in problems] == [
        ("subject", "subject is required"),  # null for a text: as good as missing
        ("serviceId", "serviceId is required"),
        ("caseNote", "caseNote is not a field of this write"),
    ]
    problems = write_problems(
        CaseCreate, {"type": "Incident", "subject": 5, "serviceId": "S", "message": "m"}
    )
    assert [(v.field, v.message) for v in problems] == [
        ("subject", "Input should be a valid string"),
        ("startOfIncident", "an Incident needs startOfIncident"),
    ]
    assert [
        (v.field, v.message)
        for v in check_case_update(
            "NonIncident",
            {"priority": "P1", "status": "Resolved", "subject": "x", "customerReference": "R"},
        )
    ] == [
        ("subject", "subject cannot be changed by a customer"),
        ("priority", "priority P1 is not allowed for General Request; allowed: P3, P4, P5"),
        ("status", "status can only be set to Closed"),
    ]
    assert check_case_update("Incident", {"priority": "P1", "status": "Closed"}) == []
    assert check_case_update(None, {"priority": "P9"}) == []  # no type known: no range to judge


def test_what_is_sent_is_only_what_was_given() -> None:
    assert MessageCreate(message="hi").to_wire() == {"message": "hi"}
    assert MessageCreate(message="hi", sent_by="me").to_wire() == {"message": "hi", "sentBy": "me"}
    assert CaseUpdate(priority="P2").to_wire() == {"priority": "P2"}
    assert CaseUpdate(customer_reference=None).to_wire() == {"customerReference": None}
    case = Case.model_validate({"id": "C1", "serviceId": "S1", "x": 1})
    assert case.to_wire()["serviceId"] == "S1" and "service_id" not in case.to_wire()
    assert case.to_wire()["x"] == 1


def test_repairs_are_read_from_an_item_or_its_stored_form() -> None:
    item = Case.model_validate({"id": "C1", REPAIRS_KEY: ["subject: not text, kept as its JSON"]})
    assert repairs_of(item) == ["subject: not text, kept as its JSON"]
    assert repairs_of(item.to_wire()) == ["subject: not text, kept as its JSON"]
    assert repairs_of({"id": "C1"}) == [] and repairs_of(None) == []
    assert repairs_of({REPAIRS_KEY: "not a list"}) == []
