"""The simulator honours the contract of shared/docs/expereo-api.md over HTTP."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import pytest

from expereo_tui.api.models import Case, Page, Scope
from expereo_tui.api.vocab import OPEN_STATUSES
from expereo_tui.sim import SimConfig, Simulator
from expereo_tui.sim.cli import main as sim_main
from expereo_tui.sim.seed import SCALES
from tests.sim_fixtures import FakeClock


async def _token(
    c: httpx.AsyncClient,
    cid: str = "test-client",
    secret: str = "test-secret-do-not-log",
    scope: str = "",
) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    if scope:
        data["scope"] = scope
    return await c.post("/oauth2/token", data=data)


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        token = (await _token(c)).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _svc(sim: Simulator) -> str:
    return next(s["serviceId"] for s in sim.data.services.values() if s["status"] == "RFS")


def _incident(sim: Simulator, **over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "subject": "ServiceDown",
        "type": "Incident",
        "serviceId": _svc(sim),
        "message": "Site down since 09:00",
        "startOfIncident": "2026-11-18T09:00:00Z",
        "endOfIncident": None,
    }
    body.update(over)
    return body


async def test_token_grants_requested_scopes(sim: Simulator) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        r = await _token(c, scope=Scope.SUPPORT_READ.value)
        assert r.status_code == 200
        assert r.json()["scope"] == Scope.SUPPORT_READ.value
        assert r.json()["expires_in"] == 3600


async def test_bad_secret_is_invalid_client(sim: Simulator) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        r = await _token(c, secret="wrong")
        assert r.status_code == 401
        assert r.json() == {"error": "invalid_client"}


async def test_requests_without_valid_token_get_401(sim: Simulator) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        assert (await c.get("/v2/cases")).status_code == 401
        r = await c.get("/v2/cases", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        assert r.json()["errors"][0]["code"] == "invalid_token"


async def test_missing_scope_is_403_naming_it(sim: Simulator) -> None:
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as c:
        token = (await _token(c, scope=Scope.SUPPORT_READ.value)).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        assert (await c.get("/v2/cases")).status_code == 200
        r = await c.post("/v2/cases/CS-1/case-messages", json={"message": "x"})
        assert r.status_code == 403
        assert Scope.SUPPORT_READ_WRITE.value in r.json()["errors"][0]["detail"]
        r = await c.get("/v2/sites")
        assert r.status_code == 403
        assert r.json()["errors"][0]["scope"] == Scope.BASIC_READ.value


async def test_token_expiry_and_control_expire(
    sim: Simulator, sim_clock: FakeClock, api: httpx.AsyncClient
) -> None:
    assert (await api.get("/v2/accounts")).status_code == 200
    sim_clock.advance(3601)
    assert (await api.get("/v2/accounts")).status_code == 401
    token = (await _token(api)).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    assert (await api.get("/v2/accounts")).status_code == 200
    assert (await api.post("/_sim/expire-tokens")).status_code == 200
    assert (await api.get("/v2/accounts")).status_code == 401


async def test_pages_follow_next_links_to_the_end(sim: Simulator, api: httpx.AsyncClient) -> None:
    url: str | None = "/v2/cases?sort=-LastModifiedDate&page[limit]=40"
    seen: list[str] = []
    while url:
        r = await api.get(url)
        page = Page[Case].model_validate(r.json())
        seen += [c.id for c in page.data]
        url = page.links.next
        if url:
            assert page.metadata.has_more
    assert len(seen) == len(sim.data.cases) == len(set(seen))
    stamps = [sim.data.cases[i]["lastModifiedDate"] for i in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_percent_encoded_brackets_and_defaults(api: httpx.AsyncClient) -> None:
    r = await api.get("/v2/sites?page%5Boffset%5D=5&page%5Blimit%5D=3")
    body = r.json()
    assert body["metadata"]["offset"] == 5 and len(body["data"]) == 3
    assert body["links"]["previous"] is not None
    r = await api.get("/v2/sites")
    assert r.json()["metadata"]["limit"] == 25


@pytest.mark.parametrize(
    "query,parameter",
    [
        ("page[limit]=201", "page[limit]"),
        ("page[limit]=0", "page[limit]"),
        ("page[offset]=-1", "page[offset]"),
        ("page[limit]=ten", "page[limit]"),
        ("sort=Nope", "sort"),
        ("filter[Colour]=red", "filter[Colour]"),
    ],
)
async def test_bad_list_parameters_are_400_naming_them(
    api: httpx.AsyncClient, query: str, parameter: str
) -> None:
    r = await api.get(f"/v2/cases?{query}")
    assert r.status_code == 400
    assert r.json()["errors"][0]["source"]["parameter"] == parameter


async def test_sort_by_several_fields_and_filter(sim: Simulator, api: httpx.AsyncClient) -> None:
    r = await api.get("/v2/sites?sort=Country,-Name&page[limit]=200")
    rows = [(s["country"], s["name"]) for s in r.json()["data"]]
    expected = sorted(rows, key=lambda t: t[1], reverse=True)
    expected.sort(key=lambda t: t[0])
    assert rows == expected
    r = await api.get("/v2/cases?filter[Status]=Closed&page[limit]=200")
    assert r.json()["data"] and all(c["status"] == "Closed" for c in r.json()["data"])
    assert r.json()["metadata"]["total"] == sum(
        1 for c in sim.data.cases.values() if c["status"] == "Closed"
    )


async def test_navigation_routes(sim: Simulator, api: httpx.AsyncClient) -> None:
    acc = next(iter(sim.data.accounts))
    site = next(s for s in sim.data.sites.values() if s["accountId"] == acc)
    r = await api.get(f"/v2/accounts/{acc}/sites?page[limit]=200")
    assert {s["accountId"] for s in r.json()["data"]} == {acc}
    r = await api.get(f"/v2/accounts/{acc}/services?page[limit]=200")
    assert r.json()["data"] and {s["accountId"] for s in r.json()["data"]} == {acc}
    r = await api.get(f"/v2/sites/{site['siteId']}/services")
    assert all(s["siteId"] == site["siteId"] for s in r.json()["data"])
    assert (await api.get(f"/v2/accounts/{acc}")).json()["data"]["accountId"] == acc
    r = await api.get("/v2/sites/SITE-0")
    assert r.status_code == 404 and "SITE-0" in r.json()["errors"][0]["detail"]
    inv = (await api.get("/v2/invoices")).json()["data"][0]["invoiceId"]
    r = await api.get(f"/v2/invoices/{inv}/invoice-line-details")
    assert r.json()["data"][0]["orderIDExpereo"].startswith("SVC-")
    assert (await api.get("/v2/api-clients")).json()["data"][0]["clientId"] == "test-client"


async def test_create_incident_and_thread(sim: Simulator, api: httpx.AsyncClient) -> None:
    r = await api.post("/v2/cases", json=_incident(sim, priority="P1", customerReference="INC1"))
    assert r.status_code == 201
    case = r.json()["data"]
    assert case["status"] == "New" and case["priority"] == "P1" and case["origin"] == "API"
    msgs = (await api.get(f"/v2/cases/{case['id']}/case-messages")).json()["data"]
    assert [m["message"] for m in msgs] == ["Site down since 09:00"]
    assert msgs[0]["type"] == "Customer"


async def test_incident_without_end_key_is_hc0011(sim: Simulator, api: httpx.AsyncClient) -> None:
    body = _incident(sim)
    del body["endOfIncident"]
    r = await api.post("/v2/cases", json=body)
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "HC0011"


@pytest.mark.parametrize(
    "over,field",
    [
        ({"startOfIncident": None}, "startOfIncident"),
        ({"priority": "P9"}, "priority"),
        ({"subject": "ChangeRequest"}, "subject"),
        ({"serviceId": "SVC-NOPE"}, "serviceId"),
        ({"message": "  "}, "message"),
        ({"startOfIncident": "yesterday"}, "startOfIncident"),
        ({"endOfIncident": "2026-11-18T08:00:00Z"}, "endOfIncident"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_case_rules_are_422_with_field(
    sim: Simulator, api: httpx.AsyncClient, over: dict[str, object], field: str
) -> None:
    r = await api.post("/v2/cases", json=_incident(sim, **over))
    assert r.status_code == 422, r.json()
    assert field in [e["source"]["pointer"].lstrip("/") for e in r.json()["errors"]]


async def test_general_request_priorities(sim: Simulator, api: httpx.AsyncClient) -> None:
    body = {
        "subject": "ChangeRequest",
        "type": "NonIncident",
        "serviceId": _svc(sim),
        "message": "please change",
        "priority": "P2",
    }
    assert (await api.post("/v2/cases", json=body)).status_code == 422
    body["priority"] = "P4"
    r = await api.post("/v2/cases", json=body)
    assert r.status_code == 201 and r.json()["data"]["startOfIncident"] is None


async def test_reply_appends_and_bumps_last_modified(
    sim: Simulator, sim_clock: FakeClock, api: httpx.AsyncClient
) -> None:
    case = (await api.post("/v2/cases", json=_incident(sim))).json()["data"]
    sim_clock.advance(60)
    r = await api.post(
        f"/v2/cases/{case['id']}/case-messages", json={"message": "any update?", "sentBy": "Tom"}
    )
    assert r.status_code == 201 and r.json()["data"]["sentBy"] == "Tom"
    after = (await api.get(f"/v2/cases/{case['id']}")).json()["data"]
    assert after["lastModifiedDate"] > case["lastModifiedDate"]
    r = await api.get(f"/v2/cases/{case['id']}/case-messages")
    assert [m["message"] for m in r.json()["data"]][-1] == "any update?"


async def test_patch_rules(sim: Simulator, api: httpx.AsyncClient) -> None:
    case = (await api.post("/v2/cases", json=_incident(sim))).json()["data"]
    r = await api.patch(
        f"/v2/cases/{case['id']}", json={"customerReference": "CHG42", "priority": "P2"}
    )
    assert r.status_code == 200 and r.json()["data"]["customerReference"] == "CHG42"
    for body, field in [
        ({"subject": "Other"}, "subject"),
        ({"status": "Resolved"}, "status"),
        ({"status": "Closed"}, "status"),
    ]:
        r = await api.patch(f"/v2/cases/{case['id']}", json=body)
        assert r.status_code == 422
        assert r.json()["errors"][0]["source"]["pointer"] == f"/{field}"
    sim.data.cases[case["id"]]["status"] = "Resolved"
    r = await api.patch(f"/v2/cases/{case['id']}", json={"status": "Closed"})
    assert r.json()["data"]["status"] == "Closed"
    r = await api.post(f"/v2/cases/{case['id']}/case-messages", json={"message": "x"})
    assert r.status_code == 422


async def test_read_budget_is_50_burst_then_3_per_second(
    sim: Simulator, sim_clock: FakeClock, api: httpx.AsyncClient
) -> None:
    codes = [(await api.get("/v2/accounts")).status_code for _ in range(51)]
    assert codes[:50] == [200] * 50
    assert codes[50] == 429
    r = await api.get("/v2/accounts")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    sim_clock.advance(1.0)
    codes = [(await api.get("/v2/accounts")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


async def test_write_budget_is_30(sim: Simulator, api: httpx.AsyncClient) -> None:
    case = next(c for c in sim.data.cases.values() if c["status"] != "Closed")
    codes = [
        (
            await api.post(f"/v2/cases/{case['id']}/case-messages", json={"message": f"m{i}"})
        ).status_code
        for i in range(31)
    ]
    assert codes[:30] == [201] * 30 and codes[30] == 429


async def test_faults_errors_storms_and_malformed_json(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    r = await api.post("/_sim/faults", json={"storm_429": 2, "storm_retry_after": 7})
    assert r.json()["storm_429"] == 2
    assert [(await api.get("/v2/accounts")).status_code for _ in range(3)] == [429, 429, 200]
    await api.post("/_sim/faults", json={"error_rate": 1.0})
    assert (await api.get("/v2/accounts")).status_code == 500
    await api.post("/_sim/faults", json={"reset": True, "malformed_json_rate": 1.0})
    r = await api.get("/v2/accounts")
    with pytest.raises(ValueError):
        r.json()
    await api.post("/_sim/faults", json={"reset": True, "extra_fields": True})
    item = (await api.get("/v2/accounts")).json()["data"][0]
    assert item["simAddedField"] == "tolerate me"
    assert (await api.post("/_sim/faults", json={"nonsense": 1})).status_code == 400


async def test_lost_write_response_is_committed(sim: Simulator, api: httpx.AsyncClient) -> None:
    case = next(c for c in sim.data.cases.values() if c["status"] != "Closed")
    before = len(sim.data.messages[case["id"]])
    sim.faults.lost_write_responses = 1
    with pytest.raises(httpx.ReadError):
        await api.post(f"/v2/cases/{case['id']}/case-messages", json={"message": "lost?"})
    assert len(sim.data.messages[case["id"]]) == before + 1
    r = await api.post(f"/v2/cases/{case['id']}/case-messages", json={"message": "ok"})
    assert r.status_code == 201


async def test_activity_changes_cases(sim: Simulator, api: httpx.AsyncClient) -> None:
    before = {c["id"]: c["lastModifiedDate"] for c in sim.data.cases.values()}
    r = await api.post("/_sim/activity", json={"steps": 20})
    assert len(r.json()["events"]) == 20
    after = {c["id"]: c["lastModifiedDate"] for c in sim.data.cases.values()}
    assert any(after[i] != before.get(i) for i in after)


async def test_a_shift_can_be_scripted(sim: Simulator, api: httpx.AsyncClient) -> None:
    """``POST /_sim/event``: exact scenarios for shift tests (#32 item 13), seen through the API
    as live activity's events are."""
    case = next(c for c in sim.data.cases.values() if c["status"] == "New")
    cid = case["id"]
    r = await api.post(
        "/_sim/event", json={"case": cid, "message": "please test", "by": "provider"}
    )
    assert r.status_code == 200 and cid in r.json()["event"]
    thread = (await api.get(f"/v2/cases/{cid}/case-messages")).json()["data"]
    assert thread[-1]["message"] == "please test" and thread[-1]["type"] == "Expereo"
    assert (await api.get(f"/v2/cases/{cid}")).json()["data"]["status"] == "In Progress"
    r = await api.post("/_sim/event", json={"case": cid, "message": "ok", "by": "colleague"})
    thread = (await api.get(f"/v2/cases/{cid}/case-messages")).json()["data"]
    assert thread[-1]["type"] == "Customer"
    before = case["lastModifiedDate"]
    await api.post("/_sim/event", json={"case": cid, "status": "Resolved"})
    got = (await api.get(f"/v2/cases/{cid}")).json()["data"]
    assert got["status"] == "Resolved" and got["lastModifiedDate"] > before
    if got["type"] == "Incident":
        assert got["endOfIncident"]
    service = next(iter(sim.data.services))
    r = await api.post(
        "/_sim/event",
        json={"new_case": {"service": service, "priority": "P1", "subject": "ServiceDown"}},
    )
    new_id = r.json()["event"].split()[2]
    got = (await api.get(f"/v2/cases/{new_id}")).json()["data"]
    assert (got["priority"], got["subject"], got["status"]) == ("P1", "ServiceDown", "New")
    for bad in (
        {"case": "CS-NOPE", "status": "Closed"},
        {"case": cid},
        [1],
        {"case": cid, "by": "x", "message": "m"},
    ):
        r = await api.post("/_sim/event", json=bad)
        assert r.status_code == 400, bad


def test_activity_keeps_the_open_cases_level() -> None:
    """A simulated day of a medium world: cases open and close at about the same pace (they
    piled up, +41% a day, when new cases were 20% of events and status changes only reached
    the 400 most recently changed cases)."""
    clock = FakeClock()
    sim = Simulator(SimConfig(seed=3, scale="medium", clock=clock))

    def open_now() -> int:
        return sum(c["status"] in OPEN_STATUSES for c in sim.data.cases.values())

    start = open_now()
    for _ in range(24 * 60):
        clock.advance(60)
        sim.step_activity()
    assert 0.85 * start <= open_now() <= 1.15 * start


def test_same_seed_same_data() -> None:
    clock = FakeClock()
    a = Simulator(SimConfig(seed=3, scale="small", clock=clock))
    b = Simulator(SimConfig(seed=3, scale="small", clock=clock))
    assert a.data.cases == b.data.cases and a.data.messages == b.data.messages
    c = Simulator(SimConfig(seed=4, scale="small", clock=clock))
    assert a.data.cases != c.data.cases


def test_large_scale_meets_the_documented_size() -> None:
    sim = Simulator(SimConfig(scale="large", clock=FakeClock()))
    d = sim.data
    assert len(d.cases) >= 10_000 and len(d.sites) >= 5_000 and len(d.services) >= 20_000
    assert sum(len(m) for m in d.messages.values()) >= 100_000
    assert len(d.accounts) == SCALES["large"]["accounts"]
    assert any(s["siteId"] is None for s in d.services.values())


def test_seed_data_carries_hostile_text(sim: Simulator) -> None:
    texts = [m["message"] for msgs in sim.data.messages.values() for m in msgs]
    assert any("[bold" in t or "\x1b[" in t or "\u202e" in t for t in texts)


async def test_real_socket_server(live_sim_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_sim_url) as c:
        token = (await _token(c)).json()["access_token"]
        r = await c.get("/v2/cases", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["links"]["next"].startswith(live_sim_url)
        assert (await c.get("/")).json()["counts"]["cases"] > 0


def test_sim_command_prints_url_and_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    """It serves, prints how to reach it (the URL it bound, the credentials it accepts), and
    stops when told: ``stop`` is already set, so it returns once it has printed."""
    import re

    stop = threading.Event()
    stop.set()
    argv = ["--scale", "tiny", "--client-id", "cid", "--client-secret", "sec"]
    assert sim_main(argv, stop=stop) == 0
    lines = capsys.readouterr().out.splitlines()
    head = re.fullmatch(
        r"expereoOne API simulator at (http://127\.0\.0\.1:(\d+)) \(V2 under /v2, V1 at /graphql\)",
        lines[0],
    )
    assert head is not None, lines[0]
    base, port = head.group(1), int(head.group(2))
    assert port > 0
    assert lines[1:7] == [
        f"  base URL:      {base}   (a profile's base_url: without /v2)",
        f"  token URL:     {base}/oauth2/token",
        "  client id:     cid",
        "  client secret: sec",
        "  scopes:        customerapi/basic.read customerapi/support.read "
        "customerapi/support.read-write customerapi/financial.read",
        f"  control API:   {base}/_sim/faults (see docs/simulator.md)",
    ]
    assert lines[-1] == "Press Ctrl+C to stop."


def test_sim_command_prints_the_random_credentials_it_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --client-id/--client-secret it makes them up and prints them; while it runs,
    the printed token URL gives a token for exactly those credentials."""
    import io
    import re

    ready = threading.Event()

    class Watched(io.StringIO):
        def write(self, text: str) -> int:
            n = super().write(text)
            if "Press Ctrl+C" in self.getvalue():
                ready.set()
            return n

    out = Watched()
    monkeypatch.setattr("sys.stdout", out)
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(sim_main(["--scale", "tiny"], stop=stop))
    )
    thread.start()
    try:
        assert ready.wait(30), out.getvalue()
        printed = out.getvalue()
        token_url = re.search(r"token URL: +(\S+)", printed)
        client_id = re.search(r"client id: +(\S+)", printed)
        secret = re.search(r"client secret: +(\S+)", printed)
        assert token_url and client_id and secret, printed
        assert len(secret.group(1)) >= 16
        form = {"grant_type": "client_credentials", "client_id": client_id.group(1)}
        good = httpx.post(token_url.group(1), data={**form, "client_secret": secret.group(1)})
        bad = httpx.post(token_url.group(1), data={**form, "client_secret": "guess"})
        assert good.status_code == 200 and good.json()["access_token"]
        assert bad.status_code == 401
    finally:
        stop.set()
        thread.join(30)
    assert result == [0]


def test_site_addresses_are_streets_of_their_country() -> None:
    """#32: the demo world looked unlike a real account ("Avenida Paulista" in Oslo)."""
    from expereo_tui.sim.text import LOCAL_STREETS

    sim = Simulator(SimConfig(seed=7, scale="small"))
    for site in sim.data.sites.values():
        streets = LOCAL_STREETS[site["country"]]
        assert any(street in site["address"] for street in streets), site
