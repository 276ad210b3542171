"""Live activity: what happens at the provider while a client watches (new cases from colleagues,
provider replies, status changes, new services)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from expereo_tui.api.vocab import OPEN_STATUSES

from .text import PROVIDER_NAMES, customer_message, provider_message
from .world import World

_NEXT_STATUS = {
    "New": ("In Progress",),
    "In Progress": ("Awaiting Customer", "Resolved"),
    "Awaiting Customer": ("In Progress", "Resolved"),
    "Resolved": ("Closed",),
}


# The share of each kind of event, balanced so the open cases stay about as many as the world
# began with: a case takes about three status changes to be resolved (a provider's reply also
# takes it from New to In Progress), so new cases are a third of the status changes.  The
# status changes pick among every case not closed, old ones too: they picked among the 400 most
# recently changed and new cases were 20% of events, so older cases never closed and the open
# cases of a world doubled in a simulated day (a wall soaked for 72 hours measured the pile).
NEW_CASE, PROVIDER_REPLY, CUSTOMER_REPLY, STATUS_CHANGE = 0.10, 0.40, 0.10, 0.35  # rest: services


def _cases(world: World, statuses: Collection[str] | None = None) -> list[str]:
    """The ids of the cases in one of ``statuses`` (None: every case not closed)."""
    if statuses is None:
        return [c["id"] for c in world.data.cases.values() if c["status"] != "Closed"]
    return [c["id"] for c in world.data.cases.values() if c["status"] in statuses]


def _ctx(world: World, case: dict[str, object]) -> dict[str, object]:
    svc = world.data.services[str(case["serviceId"])]
    site = world.data.sites.get(str(svc["siteId"] or ""))
    return {
        "service": svc["serviceName"],
        "service_id": svc["serviceId"],
        "city": site["city"] if site else "mobile fleet",
        "case_id": case["id"],
    }


def step(world: World) -> str:
    """One event; returns a line describing it."""
    rng = world.rng
    roll = rng.random()
    live = _cases(world)
    if roll < NEW_CASE or not live:
        rfs = [s for s in world.data.services.values() if s["status"] == "RFS"]
        now = datetime.fromtimestamp(world.clock(), UTC)
        case = world.builder.add_case(rng.choice(rfs), now, 1, status="New")
        case["origin"] = rng.choice(("Portal", "Email", "Phone"))
        stamp = world.stamp()
        case["createdDate"] = case["lastModifiedDate"] = stamp
        for msg in world.data.messages[case["id"]]:
            msg["timestamp"] = stamp
        return f"new case {case['id']} ({case['priority']} {case['subject']})"
    roll -= NEW_CASE
    if roll < PROVIDER_REPLY + CUSTOMER_REPLY:
        case = world.data.cases[rng.choice(_cases(world, OPEN_STATUSES) or live)]
        if roll < PROVIDER_REPLY:
            text = provider_message(rng, str(case["subject"]), _ctx(world, case), 1)
            _append(world, case, text, customer=False)
            if case["status"] == "New":
                case["status"] = "In Progress"
            return f"provider reply on {case['id']}"
        text = customer_message(rng, str(case["subject"]), _ctx(world, case), 1)
        _append(world, case, text, customer=True)
        return f"customer colleague reply on {case['id']}"
    if roll < PROVIDER_REPLY + CUSTOMER_REPLY + STATUS_CHANGE:
        case = world.data.cases[rng.choice(live)]
        old = case["status"]
        case["status"] = rng.choice(_NEXT_STATUS.get(str(old), ("In Progress",)))
        if (
            case["status"] == "Resolved"
            and case["type"] == "Incident"
            and not case["endOfIncident"]
        ):
            case["endOfIncident"] = world.stamp()
        case["lastModifiedDate"] = world.stamp()
        return f"status of {case['id']}: {old} → {case['status']}"
    account = rng.choice(list(world.data.accounts))
    sites = [s for s in world.data.sites.values() if s["accountId"] == account]
    service = world.builder.add_service(
        account, rng.choice(sites) if sites else None, status="In progress"
    )
    return f"new service {service['serviceId']}"


def _append(world: World, case: dict[str, object], text: str, *, customer: bool) -> None:
    stamp = world.stamp()
    world.data.messages.setdefault(str(case["id"]), []).append(
        {
            "id": world.builder.new_message_id(),
            "caseId": case["id"],
            "message": text,
            "type": "Customer" if customer else "Expereo",
            "timestamp": stamp,
            "sentBy": None if customer else world.rng.choice(PROVIDER_NAMES),
        }
    )
    if customer:
        world.data.messages[str(case["id"])][-1]["sentBy"] = "Colleague (portal)"
    case["lastModifiedDate"] = stamp


class ScriptError(ValueError):
    """A scripted event the world cannot take (no such case, an unknown status); the control
    API answers 400 with this message."""


def scripted(world: World, event: dict[str, object]) -> str:
    """One event a test or a person scripts (``POST /_sim/event``), as live activity would make
    it: ``{"case": ID, "message": TEXT, "by": "provider" | "colleague"}`` posts a message,
    ``{"case": ID, "status": STATUS}`` changes a case's status (an incident resolved gets its
    end), ``{"new_case": {"service": ID, "priority": "P1", "subject": "ServiceDown"}}`` opens a
    case from a colleague.  Returns a line describing it."""
    if "new_case" in event:
        spec = event["new_case"]
        if not isinstance(spec, dict):
            raise ScriptError("new_case: expected an object")
        service = world.data.services.get(str(spec.get("service", "")))
        if service is None:
            raise ScriptError(f"no service {spec.get('service')!r}")
        now = datetime.fromtimestamp(world.clock(), UTC)
        case = world.builder.add_case(service, now, 1, status="New")
        for key, wire in (("priority", "priority"), ("subject", "subject"), ("type", "type")):
            if spec.get(key) is not None:
                case[wire] = spec[key]
        stamp = world.stamp()
        case["createdDate"] = case["lastModifiedDate"] = stamp
        for msg in world.data.messages[case["id"]]:
            msg["timestamp"] = stamp
        return f"new case {case['id']} ({case['priority']} {case['subject']})"
    case = world.data.cases.get(str(event.get("case", "")))
    if case is None:
        raise ScriptError(f"no case {event.get('case')!r}")
    said: list[str] = []
    if event.get("message") is not None:
        by = event.get("by", "provider")
        if by not in ("provider", "colleague"):
            raise ScriptError('by: "provider" or "colleague"')
        _append(world, case, str(event["message"]), customer=by == "colleague")
        if by == "provider" and case["status"] == "New" and "status" not in event:
            case["status"] = "In Progress"  # as a provider's reply does in live activity
        said.append(f"{by} message on {case['id']}")
    if event.get("status") is not None:
        status = str(event["status"])
        if not status.strip():
            raise ScriptError("status: empty")
        old = case["status"]
        case["status"] = status
        if status == "Resolved" and case["type"] == "Incident" and not case["endOfIncident"]:
            case["endOfIncident"] = world.stamp()
        case["lastModifiedDate"] = world.stamp()
        said.append(f"status of {case['id']}: {old} → {status}")
    if not said:
        raise ScriptError("nothing to do: give message, status or new_case")
    return "; ".join(said)
