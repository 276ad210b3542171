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
