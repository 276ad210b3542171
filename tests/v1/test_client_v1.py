"""The V1 client end to end against the simulator's /graphql: documents, windows, threads in
one answer, writes, and GraphQL errors as the app's typed errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx
import pytest

from expereo_tui.api.errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)
from expereo_tui.api.models import ALL_SCOPES, CaseCreate, CaseUpdate, MessageCreate, Scope
from expereo_tui.api.v1 import SAFETY_MARGIN, V1Client, error_from_graphql, minutes_since
from expereo_tui.api.v2 import ClientSettings
from expereo_tui.sim import Simulator
from tests.sim_fixtures import FakeClock

from .conftest import RecordingTransport, make_v1_client
from .test_sim_v1 import provider_doc

V1 = tuple[V1Client, RecordingTransport]


def _svc(sim: Simulator) -> str:
    return next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")


def test_window_is_minutes_since_last_poll_plus_margin_rounded_up() -> None:
    assert minutes_since(None, 1000.0) == 0  # first sync: every case
    assert minutes_since(1000.0, 1000.0) == math.ceil(SAFETY_MARGIN / 60)
    assert minutes_since(1000.0, 1000.0 + 601) == math.ceil((601 + SAFETY_MARGIN) / 60)
    assert minutes_since(0.0, 3 * 86_400.0) == 3 * 1440 + math.ceil(SAFETY_MARGIN / 60)


async def test_changed_cases_arrive_with_their_threads_in_one_request(
    sim: Simulator, v1: V1
) -> None:
    client, transport = v1
    cases = [c async for c in client.iter_changed_cases(since=None, now=0.0)]
    assert transport.bodies[-1]["variables"] == {"lastModifiedMinutes": 0}
    assert {c.id for c in cases} == set(sim.data.cases)
    stamps = [c.last_modified_date for c in cases]
    assert stamps == sorted(stamps, reverse=True)  # newest change first
    one = cases[0]
    assert one.service_id == sim.data.cases[one.id]["serviceId"]
    sent = client.requests
    thread = [m async for m in client.iter_case_messages(one.id)]
    assert client.requests == sent  # the thread came with the case
    assert [m.message for m in thread] == [m["message"] for m in sim.data.messages[one.id]]
    again = [m async for m in client.iter_case_messages(one.id)]
    assert client.requests == sent + 1 and again == thread  # used once, then asked for


async def test_kept_threads_are_bounded_to_the_newest_changes(sim: Simulator, v1: V1) -> None:
    client, _ = v1
    client.keep_threads = 10
    cases = [c async for c in client.iter_changed_cases(since=None, now=0.0)]
    sent = client.requests
    _ = [m async for m in client.iter_case_messages(cases[0].id)]  # among the 10 newest: kept
    assert client.requests == sent
    _ = [m async for m in client.iter_case_messages(cases[-1].id)]  # the oldest: asked for
    assert client.requests == sent + 1


async def test_window_sent_is_the_time_since_the_last_poll(v1: V1, sim_clock: FakeClock) -> None:
    client, transport = v1
    since = sim_clock() - 600
    _ = [c async for c in client.iter_changed_cases(since=since, now=sim_clock())]
    assert transport.bodies[-1]["variables"] == {"lastModifiedMinutes": 12}


async def test_duplicate_cases_in_an_answer_are_kept_once_newest_first() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        case = {"id": "CS-1", "subject": "ServiceDown", "communications": []}
        return httpx.Response(
            200,
            json={
                "data": {
                    "viewer": {
                        "account": {
                            "cases": [
                                {**case, "lastModifiedDate": "2026-11-18T10:00:00Z"},
                                {
                                    **case,
                                    "lastModifiedDate": "2026-11-18T11:00:00Z",
                                    "status": "New",
                                },
                                {**case, "lastModifiedDate": "2026-11-18T09:00:00Z"},
                                {"subject": "no id: skipped"},
                            ]
                        }
                    }
                }
            },
        )

    settings = ClientSettings(
        base_url="http://x", token_url="http://x/oauth2/token", client_id="c", client_secret="s"
    )
    async with V1Client(settings, transport=httpx.MockTransport(answer)) as client:
        cases = [c async for c in client.iter_changed_cases(since=None, now=0.0)]
    assert len(cases) == 1
    assert cases[0].last_modified_date == datetime(2026, 11, 18, 11, tzinfo=UTC)
    assert cases[0].status == "New"


async def test_create_incident_always_sends_end_of_incident(sim: Simulator, v1: V1) -> None:
    client, transport = v1
    body = CaseCreate(
        subject="ServiceDown",
        type="Incident",
        service_id=_svc(sim),
        message="Down since 09:00",
        start_of_incident=datetime(2026, 11, 18, 9, tzinfo=UTC),
    )
    case = await client.create_case(body)
    assert "endOfIncident" in transport.bodies[-2]["variables"]
    assert case.id in sim.data.cases and case.type == "Incident"
    thread = [m async for m in client.iter_case_messages(case.id)]
    assert [m.message for m in thread] == ["Down since 09:00"]


async def test_priority_on_create_is_refused_before_sending(sim: Simulator, v1: V1) -> None:
    client, _ = v1
    body = CaseCreate(
        subject="Other", type="NonIncident", service_id=_svc(sim), message="x", priority="P4"
    )
    with pytest.raises(ValidationError) as exc:
        await client.create_case(body)
    assert "priority" in exc.value.field_errors
    assert client.requests == 0


async def test_hc0011_from_the_server_is_a_validation_error_on_end_of_incident(
    sim: Simulator,
) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        token = (
            await c.post(
                "/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "test-client",
                    "client_secret": "test-secret-do-not-log",
                },
            )
        ).json()["access_token"]
        variables = {
            "subject": "ServiceDown",
            "type": "Incident",
            "serviceId": _svc(sim),
            "message": "x",
            "startOfIncident": "2026-11-18T09:00:00Z",
        }
        r = await c.post(
            "/graphql",
            json={"query": provider_doc("create_case"), "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    err = error_from_graphql(r.json()["errors"], "the new case")
    assert isinstance(err, ValidationError) and not err.transient
    assert list(err.field_errors) == ["endOfIncident"]
    assert "HC0011" in err.message


async def test_reply_returns_the_message_as_stored(sim: Simulator, v1: V1) -> None:
    client, _ = v1
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    msg = await client.add_message(case_id, MessageCreate(message="Rebooted the CPE"))
    stored = sim.data.messages[case_id][-1]
    assert msg.message == "Rebooted the CPE"
    assert msg.timestamp == datetime.fromisoformat(stored["timestamp"].replace("Z", "+00:00"))
    sent = client.requests
    case = await client.get_case(case_id)  # the refresh right after our own write is free
    assert client.requests == sent and case.last_modified_date == msg.timestamp


async def test_reference_is_the_only_update_v1_offers(sim: Simulator, v1: V1) -> None:
    client, _ = v1
    case_id = next(iter(sim.data.cases))
    case = await client.update_case(case_id, CaseUpdate(customer_reference="INC-77"))
    assert case.customer_reference == "INC-77" == sim.data.cases[case_id]["customerReference"]
    sent = client.requests
    with pytest.raises(ValidationError) as exc:
        await client.update_case(case_id, CaseUpdate(priority="P1"))
    assert "priority" in exc.value.field_errors and client.requests == sent


async def test_unknown_case_is_not_found(v1: V1) -> None:
    client, _ = v1
    with pytest.raises(NotFoundError):
        await client.get_case("CS-0")
    with pytest.raises(NotFoundError):
        await client.add_message("CS-0", MessageCreate(message="x"))


async def test_an_error_without_a_code_is_an_api_error_with_its_message(
    sim: Simulator, v1: V1
) -> None:
    """§8: V1's errors may come without a code ("An error has occurred"): still a typed error
    carrying the server's words, never a crash."""
    client, _ = v1
    sim.faults.uncoded_errors = True
    with pytest.raises(ApiError) as failed:
        await client.add_message("CS-0", MessageCreate(message="x"))
    assert "case CS-0 does not exist" in str(failed.value)


async def test_inventory_from_v1(sim: Simulator, v1: V1) -> None:
    client, _ = v1
    sites = [s async for s in client.iter_sites()]
    services = [s async for s in client.iter_services()]
    assert {s.site_id for s in sites} == set(sim.data.sites)
    svc = services[0]
    assert svc.site_id == sim.data.services[svc.service_id]["siteId"]
    [account] = [a async for a in client.iter_accounts()]  # V1's one account: the viewer's
    assert {s.account_id for s in sites} | {s.account_id for s in services} == {account.account_id}
    assert [i async for i in client.iter_invoices()] == []
    site = svc.site_id
    assert site is not None
    wanted = sorted(i for i, x in sim.data.services.items() if x["siteId"] == site)
    assert sorted([x.service_id async for x in client.iter_site_services(site)]) == wanted


async def test_auth_scope_and_rate_limit_errors(sim: Simulator, sim_clock: FakeClock) -> None:
    bad, _ = make_v1_client(sim, sim_clock, secret="wrong")
    async with bad:
        with pytest.raises(UnauthorizedError):
            _ = [c async for c in bad.iter_changed_cases(since=None, now=0.0)]
    sim.add_client("basic", "basic-secret", (Scope.BASIC_READ.value,))
    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="basic",
        client_secret="basic-secret",
        scopes=list(ALL_SCOPES[:1]),
    )
    async with V1Client(settings, transport=sim.transport(), clock=sim_clock) as basic:
        with pytest.raises(ForbiddenError) as exc:
            _ = [c async for c in basic.iter_changed_cases(since=None, now=0.0)]
        assert exc.value.scope in (Scope.SUPPORT_READ.value, Scope.SUPPORT_READ_WRITE.value)
    client, _ = make_v1_client(sim, sim_clock)
    async with client:
        sim.faults.storm_429 = 1
        cases = [c async for c in client.iter_changed_cases(since=None, now=0.0)]
        assert cases and client.requests == 2  # a query is retried like a GET
        sim.faults.storm_429 = 1
        with pytest.raises(RateLimitedError):  # a mutation is not: the outbox decides
            await client.update_case(next(iter(sim.data.cases)), CaseUpdate(customer_reference="R"))
