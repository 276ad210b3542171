"""The simulator's V1 face (POST /graphql) speaks the provider's own documents
(``../shared/api/v1/``, run verbatim) with the same token, data, rules, limits and faults as V2."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from expereo_tui.api.models import Scope
from expereo_tui.sim import SimConfig, SimLimits, Simulator
from tests.conftest import require_service
from tests.sim_fixtures import FakeClock

PROVIDER_DOCS = Path(__file__).resolve().parents[2] / ".." / "shared" / "api" / "v1"
DOC_FIELDS = (
    "id subject createdDate customerReference lastModifiedDate origin startOfIncident "
    "communications site service status type"
).split()


def provider_doc(name: str) -> str:
    """One of the provider's four documents, byte for byte.  Without ``../shared`` the test
    skips, saying why; under ``CI=true`` it fails with that reason instead (a skip there would
    hide that the V1 face is no longer checked against the provider's documents)."""
    path = PROVIDER_DOCS / f"{name}.graphql"
    require_service(
        path.is_file(),
        f"the provider's V1 documents ({path})",
        "check out the shared folder beside this repository: ../shared/api/v1",
    )
    return path.read_text(encoding="utf-8")


@contextlib.asynccontextmanager
async def _client(
    sim: Simulator, cid: str = "test-client", secret: str = "test-secret-do-not-log"
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        token = (
            await c.post(
                "/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": cid,
                    "client_secret": secret,
                },
            )
        ).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.fixture
async def gql(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(sim) as c:
        yield c


async def post(c: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    r = await c.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    return r.json()


def _cases(body: Any) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return body["data"]["viewer"]["account"]["cases"]


def _svc(sim: Simulator) -> str:
    return next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")


def _incident_vars(sim: Simulator) -> dict[str, Any]:
    return {
        "subject": "ServiceDown",
        "type": "Incident",
        "serviceId": _svc(sim),
        "message": "Site down since 09:00",
        "startOfIncident": "2026-11-18T09:00:00Z",
    }


async def test_retrieve_document_verbatim_with_its_placeholders_is_an_empty_list(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    assert _cases(await post(gql, provider_doc("retrieve_updated_cases"))) == []
    assert list(sim.request_log)[-1] == ("POST", "/graphql")


async def test_provider_documents_with_real_ids_return_one_case_with_its_whole_history(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    case = next(c for c in sim.data.cases.values() if len(sim.data.messages[c["id"]]) > 2)
    ref = "CUST-4711"
    body = await post(
        gql,
        provider_doc("add_customer_reference"),
        {"caseId": case["id"], "customerReference": ref},
    )
    assert body == {"data": {"addCustomerReference": True}}
    query = (
        provider_doc("retrieve_updated_cases")
        .replace("CASE_ID", case["id"])
        .replace("SERVICE_ID", case["serviceId"])
        .replace("CUSTOMER_REFERENCE", ref)
    )
    (got,) = _cases(await post(gql, query))
    assert set(got) == set(DOC_FIELDS)
    assert got["id"] == case["id"] and got["customerReference"] == ref
    assert got["service"] == {"serviceId": case["serviceId"]}
    assert got["site"] == ({"siteId": case["siteId"]} if case["siteId"] else None)
    thread = sim.data.messages[case["id"]]
    assert [m["message"] for m in got["communications"]] == [m["message"] for m in thread]
    assert set(got["communications"][0]) == {"message", "type", "timestamp", "sentBy"}


async def test_last_modified_minutes_zero_or_missing_means_every_case(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    every = {c["id"] for c in sim.data.cases.values()}
    for args in ("", "(lastModifiedMinutes: 0)"):
        got = _cases(await post(gql, f"{{ viewer {{ account {{ cases{args} {{ id }} }} }} }}"))
        assert {c["id"] for c in got} == every


async def test_last_modified_minutes_narrows_to_recent_changes(
    sim: Simulator, gql: httpx.AsyncClient, sim_clock: FakeClock
) -> None:
    now = datetime.fromtimestamp(sim_clock(), UTC)
    cutoff = now - timedelta(minutes=90)
    expected = {
        c["id"]
        for c in sim.data.cases.values()
        if datetime.fromisoformat(c["lastModifiedDate"].replace("Z", "+00:00")) >= cutoff
    }
    assert 0 < len(expected) < len(sim.data.cases)
    q = "query($m: Int) { viewer { account { cases(lastModifiedMinutes: $m) { id } } } }"
    assert {c["id"] for c in _cases(await post(gql, q, {"m": 90}))} == expected
    sim_clock.advance(1800)  # half an hour later, nothing changed in the last minute
    assert _cases(await post(gql, q, {"m": 1})) == []


async def test_service_and_reference_filters_are_exact(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    case = next(iter(sim.data.cases.values()))
    q = "query($s: String) { viewer { account { cases(serviceId: $s) { id service { serviceId } } } } }"
    got = _cases(await post(gql, q, {"s": case["serviceId"]}))
    assert {c["id"] for c in got} == {
        c["id"] for c in sim.data.cases.values() if c["serviceId"] == case["serviceId"]
    }
    q = "query($r: String) { viewer { account { cases(customerReference: $r) { id } } } }"
    assert _cases(await post(gql, q, {"r": "no-such-reference"})) == []


async def test_unknown_field_and_priority_argument_are_validation_errors(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    body = await post(gql, "{ viewer { account { cases { id priority } } } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "priority" in body["errors"][0]["message"]
    before = len(sim.data.cases)
    q = provider_doc("create_case").replace("sentBy: $sentBy", 'sentBy: $sentBy\n priority: "P1"')
    body = await post(gql, q, _incident_vars(sim))
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert len(sim.data.cases) == before


async def test_create_case_document_verbatim_for_an_incident_fails_with_hc0011(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    before = len(sim.data.cases)
    body = await post(gql, provider_doc("create_case"), _incident_vars(sim))
    assert body["data"] == {"createCase": None}
    (err,) = body["errors"]
    assert err["message"] == "An error has occurred"
    assert err["extensions"]["code"] == "HC0011"
    assert len(sim.data.cases) == before


async def test_create_case_with_end_of_incident_creates_the_case(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    q = (
        provider_doc("create_case")
        .replace("$sentBy: String\n)", "$sentBy: String\n    $endOfIncident: String\n)")
        .replace("sentBy: $sentBy\n", "sentBy: $sentBy\n        endOfIncident: $endOfIncident\n")
    )
    body = await post(gql, q, {**_incident_vars(sim), "endOfIncident": None})
    case_id = body["data"]["createCase"]["id"]
    case = sim.data.cases[case_id]
    assert case["type"] == "Incident" and case["priority"] == "P3"  # no priority in V1
    assert sim.data.messages[case_id][0]["message"] == "Site down since 09:00"


async def test_create_case_general_request_from_the_verbatim_document(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    vars_ = {"subject": "Other", "type": "NonIncident", "serviceId": _svc(sim), "message": "hi"}
    body = await post(gql, provider_doc("create_case"), {**vars_, "customerReference": "R-1"})
    assert sim.data.cases[body["data"]["createCase"]["id"]]["customerReference"] == "R-1"


async def test_subject_not_allowed_for_the_type_is_an_error(
    sim: Simulator, gql: httpx.AsyncClient
) -> None:
    before = len(sim.data.cases)
    vars_ = {
        "subject": "ServiceDown",
        "type": "NonIncident",
        "serviceId": _svc(sim),
        "message": "x",
    }
    body = await post(gql, provider_doc("create_case"), vars_)
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    assert {"field": "subject", "message": err["message"]} in err["extensions"]["fields"]
    assert len(sim.data.cases) == before


async def test_reply_document_adds_a_message_and_bumps_last_modified(
    sim: Simulator, gql: httpx.AsyncClient, sim_clock: FakeClock
) -> None:
    case = next(c for c in sim.data.cases.values() if c["status"] != "Closed")
    before = case["lastModifiedDate"]
    sim_clock.advance(60)
    body = await post(
        gql, provider_doc("reply_to_case"), {"caseId": case["id"], "message": "thanks"}
    )
    assert body == {"data": {"replyToCase": True}}
    assert sim.data.messages[case["id"]][-1]["message"] == "thanks"
    assert case["lastModifiedDate"] > before
    body = await post(gql, provider_doc("reply_to_case"), {"caseId": "CS-0", "message": "x"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_services_and_sites(sim: Simulator, gql: httpx.AsyncClient) -> None:
    body = await post(
        gql,
        "{ viewer { account { services { serviceId serviceName status plannedDeliveryDate "
        "readyForServiceDate technicalNote site { siteId } } sites { siteId name city country } } } }",
    )
    account = body["data"]["viewer"]["account"]
    assert {s["serviceId"] for s in account["services"]} == set(sim.data.services)
    assert {s["siteId"] for s in account["sites"]} == set(sim.data.sites)


async def test_same_token_rules_as_v2(sim: Simulator) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        r = await c.post("/graphql", json={"query": "{ viewer { account { sites { siteId } } } }"})
    assert r.status_code == 401
    sim.add_client("reader", "reader-secret", (Scope.SUPPORT_READ.value,))
    async with _client(sim, "reader", "reader-secret") as c:
        r = await c.post(
            "/graphql",
            json={
                "query": provider_doc("reply_to_case"),
                "variables": {"caseId": "x", "message": "y"},
            },
        )
        assert r.status_code == 403  # a mutation needs the write scope
        body = await post(c, '{ viewer { account { cases(id: "x") { id } sites { siteId } } } }')
        assert body["data"] is None or body["data"]["viewer"] is None
        assert body["errors"][0]["extensions"] == {
            "code": "FORBIDDEN",
            "scope": Scope.BASIC_READ.value,
            "field": "sites",
        }


async def test_a_query_is_a_read_and_a_mutation_a_write(sim_clock: FakeClock) -> None:
    sim = Simulator(
        SimConfig(
            seed=7,
            client_id="test-client",
            client_secret="test-secret-do-not-log",
            clock=sim_clock,
            limits=SimLimits(write_burst=2, write_rate=0.0001),
        )
    )
    async with _client(sim) as c:
        case = next(iter(sim.data.cases.values()))
        vars_ = {"caseId": case["id"], "customerReference": "R"}
        doc = provider_doc("add_customer_reference")
        for _ in range(2):
            assert (
                await c.post("/graphql", json={"query": doc, "variables": vars_})
            ).status_code == 200
        r = await c.post("/graphql", json={"query": doc, "variables": vars_})
        assert r.status_code == 429 and "Retry-After" in r.headers
        q = "query($id: String) { viewer { account { cases(id: $id) { id } } } }"
        r = await c.post("/graphql", json={"query": q, "variables": {"id": case["id"]}})
        assert r.status_code == 200


async def test_faults_apply_to_the_v1_face(sim: Simulator, gql: httpx.AsyncClient) -> None:
    sim.faults.outage = True
    r = await gql.post("/graphql", json={"query": "{ viewer { account { sites { siteId } } } }"})
    assert r.status_code == 503
    sim.faults.outage = False
    sim.faults.storm_429 = 1
    r = await gql.post("/graphql", json={"query": "{ viewer { account { sites { siteId } } } }"})
    assert r.status_code == 429


async def test_not_a_graphql_request_is_a_clear_400(gql: httpx.AsyncClient) -> None:
    r = await gql.post("/graphql", content=b"not json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "the request body is not valid JSON"
    body = await post(gql, "{ viewer {")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_missing_shared_documents_skip_here_and_fail_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(f"{__name__}.PROVIDER_DOCS", tmp_path / "no-shared")
    monkeypatch.delenv("EXPEREO_CI_APT_FAILED", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="../shared/api/v1"):
        provider_doc("cases")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI=true"):
        provider_doc("cases")
