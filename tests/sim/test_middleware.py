"""The middleware around both faces: one order of steps, the same for ``/v2`` and ``/graphql``.

Each test names the rule of order it protects; breaking the order in ``sim/middleware.py`` turns
the matching test red.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from expereo_tui.sim import Simulator

V2_READ = ("GET", "/v2/accounts", None)
V1_READ = ("POST", "/graphql", {"query": "{ viewer { account { sites { siteId } } } }"})


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


async def _send(
    api: httpx.AsyncClient, call: tuple[str, str, object], **headers: str
) -> httpx.Response:
    method, path, body = call
    return await api.request(method, path, json=body, headers=headers or None)


@pytest.mark.parametrize("call", [V2_READ, V1_READ], ids=["v2", "v1"])
async def test_auth_comes_before_faults_and_every_answer_is_logged(
    sim: Simulator, api: httpx.AsyncClient, call: tuple[str, str, object]
) -> None:
    sim.faults.outage = True
    anonymous = await _send(api, call, Authorization="Bearer nope")
    assert anonymous.status_code == 401  # not 503: an unknown caller learns nothing
    down = await _send(api, call)
    assert down.status_code == 503
    sim.faults.outage = False
    assert (await _send(api, call)).status_code == 200
    records = list(sim.request_records)[-3:]
    assert [(r.path, r.status, r.client_id) for r in records] == [
        (call[1], 401, None),
        (call[1], 503, "test-client"),
        (call[1], 200, "test-client"),
    ]


@pytest.mark.parametrize("call", [V2_READ, V1_READ], ids=["v2", "v1"])
async def test_storm_and_rate_limit_answer_429_on_both_faces(
    sim: Simulator, api: httpx.AsyncClient, call: tuple[str, str, object]
) -> None:
    sim.faults.storm_429 = 1
    stormy = await _send(api, call)
    assert stormy.status_code == 429 and stormy.headers["Retry-After"]
    assert (await _send(api, call)).status_code == 200
    statuses = [(await _send(api, call)).status_code for _ in range(60)]
    assert 429 in statuses  # the same read budget as every other read
    assert sim.limiter.rejected >= 1


async def test_v2_and_v1_reads_share_one_budget(sim: Simulator, api: httpx.AsyncClient) -> None:
    spent = [(await _send(api, V2_READ)).status_code for _ in range(30)]
    spent += [(await _send(api, V1_READ)).status_code for _ in range(30)]
    assert spent[:30] == [200] * 30
    assert 429 in spent[30:]  # the V1 reads found the bucket the V2 reads had drained


async def test_a_replayed_key_is_not_lost_again_and_returns_the_committed_answer(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    case = next(c for c in sim.data.cases.values() if c["status"] == "In Progress")
    path = f"/v2/cases/{case['id']}/case-messages"
    before = len(sim.data.messages[case["id"]])
    sim.faults.lost_write_responses = 1
    with pytest.raises(httpx.ReadError):  # committed, its answer lost
        await api.post(path, json={"message": "lost?"}, headers={"Idempotency-Key": "r-1"})
    assert len(sim.data.messages[case["id"]]) == before + 1
    sim.faults.lost_write_responses = 1  # a replay commits nothing, so nothing more to lose
    again = await api.post(path, json={"message": "lost?"}, headers={"Idempotency-Key": "r-1"})
    assert again.status_code == 201
    assert again.json()["data"]["message"] == "lost?"
    assert again.json()["data"]["id"] == sim.data.messages[case["id"]][-1]["id"]
    assert sim.faults.lost_write_responses == 1
    assert len(sim.data.messages[case["id"]]) == before + 1


async def test_a_write_held_before_commit_leaves_its_key_in_use(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    """The key is recorded before the hold: a retry meanwhile is told to wait (409)."""
    case = next(c for c in sim.data.cases.values() if c["status"] == "In Progress")
    path = f"/v2/cases/{case['id']}/case-messages"
    sim.write_gate = gate = threading.Event()
    headers = {"Idempotency-Key": "h-1"}
    first = asyncio.create_task(api.post(path, json={"message": "held"}, headers=headers))
    try:
        deadline = time.monotonic() + 30  # until the first request holds its key
        while ("test-client", "h-1") not in sim.idempotency:
            assert time.monotonic() < deadline, "the held write never recorded its key"
            await asyncio.sleep(0.005)  # a poll of the condition (the request runs meanwhile)
        busy = await api.post(path, json={"message": "held"}, headers=headers)
        assert busy.status_code == 409
        assert not any(m["message"] == "held" for m in sim.data.messages[case["id"]])
    finally:
        gate.set()
    assert (await first).status_code == 201
    assert (await api.post(path, json={"message": "held"}, headers=headers)).status_code == 201
