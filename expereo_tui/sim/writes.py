"""The world's write rules: create a case, update it, add a message (``expereo-api.md`` §5).

Shared by both faces; a refusal is a :class:`WriteRejected` each face renders its own way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from expereo_tui.api.models import (
    DEFAULT_PRIORITY,
    CaseCreate,
    CaseType,
    CaseUpdate,
    MessageCreate,
    check_case_update,
    write_problems,
)

from .auth import Grant
from .seed import iso
from .world import World

_CREATE_FIELDS = set(CaseCreate.wire_names())
_MESSAGE_FIELDS = set(MessageCreate.wire_names())
_UPDATE_FIELDS = set(CaseUpdate.wire_names())


def _known(body: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """The fields of ``body`` its write model has (unknown ones are refused by name already)."""
    return {k: v for k, v in body.items() if k in fields}


class WriteRejected(Exception):
    """A write the API refuses; ``errors`` are (field or None, detail) pairs."""

    def __init__(
        self,
        status: int,
        detail: str,
        field: str | None = None,
        *,
        code: str | None = None,
        errors: list[tuple[str | None, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.errors = errors or [(field, detail)]


def _check_dates(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    bad: list[tuple[str | None, str]] = []
    for name in ("startOfIncident", "endOfIncident"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            bad.append((name, f"{name} must be an ISO 8601 date-time string"))
            continue
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            bad.append((name, f"{name} is not an ISO 8601 date-time: {value!r}"))
            continue
        if parsed.tzinfo is None:
            bad.append((name, f"{name} must carry a time zone (e.g. Z or +02:00)"))
            continue
        try:
            parsed.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:30:00+01:00: before year 1 in UTC
            bad.append((name, f"{name} is out of range in UTC: {value!r}"))
    return bad


def _normalise(value: str | None) -> str | None:
    if value is None:
        return None
    return iso(datetime.fromisoformat(value.replace("Z", "+00:00")))


def create_case(world: World, body: dict[str, Any], grant: Grant) -> dict[str, Any]:
    unknown = sorted(set(body) - _CREATE_FIELDS)
    if unknown:
        raise WriteRejected(
            422, "", errors=[(k, f"{k} is not a field of a new case") for k in unknown]
        )
    if body.get("type") == CaseType.INCIDENT and "endOfIncident" not in body:
        # The documented quirk: a generic error when the key is missing altogether (null, the
        # start itself or a far-future date are all accepted).
        raise WriteRejected(400, "An error has occurred", code="HC0011")
    errors: list[tuple[str | None, str]] = [
        (v.field, v.message) for v in write_problems(CaseCreate, body)
    ]
    named = {field for field, _ in errors}
    errors += [(f, m) for f, m in _check_dates(body) if f not in named]
    service = world.data.services.get(body.get("serviceId") or "") if not errors else None
    if not errors and service is None:
        errors.append(("serviceId", f"service {body.get('serviceId')} does not exist"))
    if errors:
        raise WriteRejected(422, "", errors=errors)
    assert service is not None
    now = world.stamp()
    case_id = world.builder.new_case_id()
    incident = body["type"] == CaseType.INCIDENT
    case = {
        "id": case_id,
        "subject": body["subject"],
        "type": body["type"],
        "status": "New",
        "priority": body.get("priority") or DEFAULT_PRIORITY,
        "origin": "API",
        "createdDate": now,
        "lastModifiedDate": now,
        "customerReference": body.get("customerReference"),
        "startOfIncident": _normalise(body.get("startOfIncident")) if incident else None,
        "endOfIncident": _normalise(body.get("endOfIncident")) if incident else None,
        "serviceId": service["serviceId"],
        "siteId": service["siteId"],
        "accountId": service["accountId"],
    }
    world.data.cases[case_id] = case
    world.data.messages[case_id] = []
    world.data.messages[case_id].append(
        {
            "id": world.builder.new_message_id(),
            "caseId": case_id,
            "message": body["message"],
            "type": "Customer",
            "timestamp": now,
            "sentBy": body.get("sentBy") or world.client_name(grant.client_id),
        }
    )
    return case


#: on PATCH, null for these means "not given" (as on POST): the field is left as it is
_NULL_IS_UNSET = ("priority", "status")


def update_case(world: World, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
    case = world.data.cases.get(case_id)
    if case is None:
        raise WriteRejected(404, f"case {case_id} does not exist")
    changes = {k: v for k, v in body.items() if not (v is None and k in _NULL_IS_UNSET)}
    errors: list[tuple[str | None, str]] = [
        (v.field, v.message) for v in check_case_update(case.get("type"), changes)
    ]
    named = {field for field, _ in errors}
    # the write model: the JSON type of each field (a customerReference of {} or 5 is refused)
    errors += [
        (v.field, v.message)
        for v in write_problems(CaseUpdate, _known(changes, _UPDATE_FIELDS))
        if v.field not in named
    ]
    if (
        not errors
        and changes.get("status") == "Closed"
        and case["status"] not in ("Resolved", "Closed")
    ):
        errors.append(
            ("status", f"only a Resolved case can be closed (this one is {case['status']})")
        )
    if not changes:
        errors.append((None, "nothing to update"))
    if errors:
        raise WriteRejected(422, "", errors=errors)
    for key in ("customerReference", "priority", "status"):
        if key in changes:
            case[key] = changes[key]
    case["lastModifiedDate"] = world.stamp()
    return case


def add_message(world: World, case_id: str, body: dict[str, Any], grant: Grant) -> dict[str, Any]:
    case = world.data.cases.get(case_id)
    if case is None:
        raise WriteRejected(404, f"case {case_id} does not exist")
    unknown = sorted(set(body) - _MESSAGE_FIELDS)
    text = body.get("message")
    errors: list[tuple[str | None, str]] = [
        (k, f"{k} is not a field of a message") for k in unknown
    ]
    if not isinstance(text, str) or not text.strip():
        errors.append(("message", "message is required"))
    named = {field for field, _ in errors}
    # the write model: the JSON type of each field (a sentBy of [1] is refused)
    errors += [
        (v.field, v.message)
        for v in write_problems(MessageCreate, _known(body, _MESSAGE_FIELDS))
        if v.field not in named
    ]
    if case["status"] == "Closed":
        errors.append((None, f"case {case_id} is closed; open a new case instead"))
    if errors:
        raise WriteRejected(422, "", errors=errors)
    now = world.stamp()
    msg = {
        "id": world.builder.new_message_id(),
        "caseId": case_id,
        "message": text,
        "type": "Customer",
        "timestamp": now,
        "sentBy": body.get("sentBy") or world.client_name(grant.client_id),
    }
    world.data.messages.setdefault(case_id, []).append(msg)
    if case["status"] in ("Awaiting Customer", "Resolved"):
        case["status"] = "In Progress"
    case["lastModifiedDate"] = now
    return msg
