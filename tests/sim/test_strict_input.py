"""What Schemathesis found (issue #34), one test each: write bodies checked against the write
models on both faces, null on PATCH, valid dates, coded V1 errors, 405 with Allow, strict list
parameters, and a spec that says what the simulator enforces."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import URL, QueryParams

from expereo_tui.api.models import Case
from expereo_tui.sim import Simulator
from expereo_tui.sim.listing import BadQuery, fields_of, list_response
from expereo_tui.sim.openapi import openapi_spec
from expereo_tui.sim.seed import iso


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        form = {
            "grant_type": "client_credentials",
            "client_id": "test-client",
            "client_secret": "test-secret-do-not-log",
        }
        token = (await c.post("/oauth2/token", data=form)).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _case(sim: Simulator, status: str = "In Progress") -> dict[str, Any]:
    return next(c for c in sim.data.cases.values() if c["status"] == status)


def _pointers(r: httpx.Response) -> set[str]:
    return {e.get("source", {}).get("pointer") for e in r.json()["errors"]}


@pytest.mark.parametrize("value", [{}, [1], 5, True])
async def test_patch_refuses_a_reference_that_is_not_text(
    sim: Simulator, api: httpx.AsyncClient, value: object
) -> None:
    case = _case(sim)
    before = dict(case)
    r = await api.patch(f"/v2/cases/{case['id']}", json={"customerReference": value})
    assert r.status_code == 422
    assert _pointers(r) == {"/customerReference"}
    assert case == before  # nothing stored, nothing bumped


@pytest.mark.parametrize("value", [[1], {}, 7])
async def test_reply_refuses_a_sender_that_is_not_text(
    sim: Simulator, api: httpx.AsyncClient, value: object
) -> None:
    case = _case(sim)
    count = len(sim.data.messages[case["id"]])
    r = await api.post(
        f"/v2/cases/{case['id']}/case-messages", json={"message": "hi", "sentBy": value}
    )
    assert r.status_code == 422
    assert _pointers(r) == {"/sentBy"}
    assert len(sim.data.messages[case["id"]]) == count


async def test_v1_reply_and_reference_go_through_the_same_rules(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    case = _case(sim)
    query = 'mutation R($id: String!) { replyToCase(caseId: $id, message: "   ") }'
    body = (
        await api.post("/graphql", json={"query": query, "variables": {"id": case["id"]}})
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "message"


@pytest.mark.parametrize("key", ["status", "priority"])
async def test_null_on_patch_is_unset_as_on_post(
    sim: Simulator, api: httpx.AsyncClient, key: str
) -> None:
    """[assume] null for status or priority means "not given", on POST (the default) and on
    PATCH (not changed); null for customerReference clears it."""
    case = _case(sim)
    status, priority = case["status"], case["priority"]
    alone = await api.patch(f"/v2/cases/{case['id']}", json={key: None})
    assert alone.status_code == 422  # nothing left to update
    assert (case["status"], case["priority"]) == (status, priority)
    ok = await api.patch(f"/v2/cases/{case['id']}", json={key: None, "customerReference": None})
    assert ok.status_code == 200
    data = ok.json()["data"]
    assert (data["status"], data["priority"], data["customerReference"]) == (
        status,
        priority,
        None,
    )


def test_dates_are_rfc3339_whatever_the_year() -> None:
    assert iso(datetime(49, 5, 9, 10, 0, 0, 120_000, tzinfo=UTC)) == "0049-05-09T10:00:00.120Z"
    assert iso(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"


async def test_an_early_incident_comes_back_as_a_valid_date(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    svc = next(iter(sim.data.services))
    body = {
        "subject": "ServiceDown",
        "type": "Incident",
        "serviceId": svc,
        "message": "down since antiquity",
        "startOfIncident": "0049-05-09T10:00:00Z",
        "endOfIncident": None,
    }
    r = await api.post("/v2/cases", json=body)
    assert r.status_code == 201
    assert r.json()["data"]["startOfIncident"] == "0049-05-09T10:00:00.000Z"
    early = await api.post("/v2/cases", json={**body, "startOfIncident": "0001-01-01T00:30+01:00"})
    assert early.status_code == 422  # before the year 1 in UTC: refused, not a 500
    assert _pointers(early) == {"/startOfIncident"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ viewer { account { cases(lastModifiedMinutes: 2147483647) { id } } } }", None),
        (
            "query Q($m: Int) { viewer { account { cases(lastModifiedMinutes: $m) { id } } } }",
            {"m": 2**40},  # beyond a GraphQL Int: graphql-core refuses it without a code
        ),
    ],
)
async def test_v1_out_of_range_arguments_are_coded_errors(
    api: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    body = (await api.post("/graphql", json={"query": query, "variables": variables})).json()
    assert body["errors"]
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in body["errors"])


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v2/cases", "GET, HEAD, POST"),
        ("PUT", "/v2/cases/CS-1", "GET, HEAD, PATCH"),
        ("GET", "/graphql", "POST"),
    ],
)
async def test_405_names_every_allowed_method(
    api: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    r = await api.request(method, path)
    assert r.status_code == 405
    assert r.headers["Allow"] == allow


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page[limit]=", "page[limit]"),
        ("page[offset]=", "page[offset]"),
        ("sort=", "sort"),
        ("sort=lastModifiedDate", "sort"),  # PascalCase, as documented
        ("sort=-LastModifiedDate,", "sort"),
        ("sort=%20Status", "sort"),
        ("filter[Status]=", "filter[Status]"),
    ],
)
async def test_empty_or_loose_list_parameters_are_400(
    api: httpx.AsyncClient, query: str, parameter: str
) -> None:
    r = await api.get(f"/v2/cases?{query}")
    assert r.status_code == 400
    assert r.json()["errors"][0]["source"]["parameter"] == parameter


def _case_params(name: str) -> dict[str, Any]:
    op = openapi_spec()["paths"]["/v2/cases"]["get"]
    return next(p for p in op["parameters"] if p["name"] == name)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "-", "+", " "]),
            st.sampled_from(
                [
                    *(f[:1].upper() + f[1:] for f in fields_of(Case.model_fields)),
                    "status",
                    "Nope",
                    "",
                ]
            ),
        ),
        max_size=3,
    ).map(lambda parts: ",".join(sign + name for sign, name in parts))
)
def test_the_sort_pattern_in_the_spec_is_what_the_simulator_accepts(sort: str) -> None:
    pattern = _case_params("sort")["schema"]["pattern"]
    fields = fields_of(Case.model_fields)
    try:
        list_response([], fields, QueryParams({"sort": sort}), URL("http://sim/v2/cases"))
        accepted = True
    except BadQuery:
        accepted = False
    assert accepted == bool(re.search(pattern, sort))


def test_the_spec_says_what_the_simulator_enforces() -> None:
    spec = openapi_spec()
    schemas = spec["components"]["schemas"]
    assert schemas["CaseUpdate"]["minProperties"] == 1
    assert schemas["MessageCreate"]["properties"]["message"]["minLength"] == 1
    assert schemas["CaseCreate"]["properties"]["message"]["minLength"] == 1
    assert _case_params("filter[Status]")["schema"]["minLength"] == 1
    by_type = {b["properties"]["type"]["const"]: b for b in schemas["CaseCreate"]["oneOf"]}
    assert by_type["NonIncident"]["properties"]["subject"]["enum"][0] == "ActivationSupport"
    assert "P1" not in by_type["NonIncident"]["properties"]["priority"]["anyOf"][0]["enum"]
    assert by_type["Incident"]["required"] == ["startOfIncident", "endOfIncident"]


async def test_the_uncoded_errors_fault_leaves_out_every_code_on_both_faces(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    """The simulator's strictness and the app's tolerance are separate: its own errors always
    carry a code, and this fault serves the uncoded shape the app must tolerate (§8)."""
    reply = 'mutation { replyToCase(caseId: "CS-0", message: "x") }'
    coded_v2 = await api.get("/v2/cases/CS-0")
    coded_v1 = (await api.post("/graphql", json={"query": reply})).json()
    assert coded_v2.json()["errors"][0]["code"]
    assert coded_v1["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    sim.faults.uncoded_errors = True
    v2 = await api.get("/v2/cases/CS-0")
    v1 = (await api.post("/graphql", json={"query": reply})).json()
    assert v2.status_code == 404
    assert "code" not in v2.json()["errors"][0] and v2.json()["errors"][0]["detail"]
    assert "code" not in v1["errors"][0]["extensions"]
    assert v1["errors"][0]["message"] == "case CS-0 does not exist"
