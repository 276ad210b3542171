"""Live activity: what happens at the provider while a client watches (new cases from colleagues,
provider replies, status changes, new services)."""

from __future__ import annotations

from datetime import UTC, datetime

from .text import PROVIDER_NAMES, customer_message, provider_message
from .world import World

_NEXT_STATUS = {
    "New": ("In Progress",),
    "In Progress": ("Awaiting Customer", "Resolved"),
    "Awaiting Customer": ("In Progress", "Resolved"),
    "Resolved": ("Closed",),
}


def _open_cases(world: World) -> list[str]:
    recent = sorted(world.data.cases.values(), key=lambda c: c["lastModifiedDate"], reverse=True)
    return [c["id"] for c in recent[:400] if c["status"] not in ("Closed",)]


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
    open_ids = _open_cases(world)
    if roll < 0.2 or not open_ids:
        rfs = [s for s in world.data.services.values() if s["status"] == "RFS"]
        now = datetime.fromtimestamp(world.clock(), UTC)
        case = world.builder.add_case(rng.choice(rfs), now, 1, status="New")
        case["origin"] = rng.choice(("Portal", "Email", "Phone"))
        stamp = world.stamp()
        case["createdDate"] = case["lastModifiedDate"] = stamp
        for msg in world.data.messages[case["id"]]:
            msg["timestamp"] = stamp
        return f"new case {case['id']} ({case['priority']} {case['subject']})"
    case = world.data.cases[rng.choice(open_ids)]
    if roll < 0.65:
        text = provider_message(rng, str(case["subject"]), _ctx(world, case), 1)
        _append(world, case, text, customer=False)
        if case["status"] == "New":
            case["status"] = "In Progress"
        return f"provider reply on {case['id']}"
    if roll < 0.75:
        text = customer_message(rng, str(case["subject"]), _ctx(world, case), 1)
        _append(world, case, text, customer=True)
        return f"customer colleague reply on {case['id']}"
    if roll < 0.95:
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
