"""The simulator's write path: [assume] Idempotency-Key, the incident end quirk, answer shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from expereo_tui.sim import Simulator


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


def _open_case(sim: Simulator) -> str:
    return next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")


def _incident(sim: Simulator, **over: object) -> dict[str, object]:
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    body: dict[str, object] = {
        "subject": "ServiceDown",
        "type": "Incident",
        "serviceId": svc,
        "message": "down",
        "startOfIncident": "2026-11-18T09:00:00Z",
    }
    body.update(over)
    return body


async def test_repeated_idempotency_key_returns_the_first_answer_and_commits_nothing(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    case_id = _open_case(sim)
    path = f"/v2/cases/{case_id}/case-messages"
    before = len(sim.data.messages[case_id])
    headers = {"Idempotency-Key": "k-1"}
    first = await api.post(path, json={"message": "once"}, headers=headers)
    again = await api.post(path, json={"message": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(sim.data.messages[case_id]) == before + 1
    reused = await api.post(path, json={"message": "other text"}, headers=headers)
    assert reused.status_code == 422  # the same key for a different request is refused
    assert len(sim.data.messages[case_id]) == before + 1
    await api.post(path, json={"message": "once"})  # no key: a deliberate repeat is a new one
    assert len(sim.data.messages[case_id]) == before + 2


async def test_repeated_key_on_create_makes_one_case(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    before = len(sim.data.cases)
    body = _incident(sim, endOfIncident=None)
    a = await api.post("/v2/cases", json=body, headers={"Idempotency-Key": "c-1"})
    b = await api.post("/v2/cases", json=body, headers={"Idempotency-Key": "c-1"})
    assert a.json()["data"]["id"] == b.json()["data"]["id"]
    assert len(sim.data.cases) == before + 1


@pytest.mark.parametrize(
    "end", [None, "2026-11-18T09:00:00Z", "9999-12-31T23:59:59Z"], ids=["null", "same", "far"]
)
async def test_incident_end_may_be_null_the_start_or_far_future(
    sim: Simulator, api: httpx.AsyncClient, end: str | None
) -> None:
    r = await api.post("/v2/cases", json=_incident(sim, endOfIncident=end))
    assert r.status_code == 201, r.json()


async def test_incident_without_the_end_key_is_hc0011(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    r = await api.post("/v2/cases", json=_incident(sim))
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "HC0011"


@pytest.mark.parametrize("shape,status", [("data", 201), ("bare", 200), ("empty", 204)])
async def test_write_answer_shape_fault(
    sim: Simulator, api: httpx.AsyncClient, shape: str, status: int
) -> None:
    sim.faults.write_response_shape = shape
    r = await api.post(f"/v2/cases/{_open_case(sim)}/case-messages", json={"message": "x"})
    assert r.status_code == status
    if shape == "data":
        assert r.json()["data"]["message"] == "x"
    elif shape == "bare":
        assert r.json()["message"] == "x"
    else:
        assert r.content == b""


async def test_dropped_write_commits_nothing(sim: Simulator, api: httpx.AsyncClient) -> None:
    case_id = _open_case(sim)
    before = len(sim.data.messages[case_id])
    sim.faults.drop_writes = 1
    with pytest.raises(httpx.ReadError):
        await api.post(f"/v2/cases/{case_id}/case-messages", json={"message": "lost"})
    assert len(sim.data.messages[case_id]) == before
