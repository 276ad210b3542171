"""The API client against the simulator (in-process), with a fake clock shared by both."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from expereo_tui.api.errors import (
    ForbiddenError,
    NetworkError,
    NotFoundError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
from expereo_tui.api.models import (
    CaseCreate,
    CaseUpdate,
    MessageCreate,
    ModelError,
    Scope,
    write_problems,
)
from expereo_tui.api.v2 import V2Client
from expereo_tui.sim import Simulator
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client

SECRET = TEST_SECRET


@pytest.fixture
async def api(sim: Simulator, sim_clock: FakeClock) -> AsyncIterator[V2Client]:
    async with make_client(sim, sim_clock) as client:
        yield client


def _open_case(sim: Simulator) -> str:
    return str(next(c["id"] for c in sim.data.cases.values() if c["status"] != "Closed"))


async def test_every_list_method_reads_everything(sim: Simulator, api: V2Client) -> None:
    d = sim.data
    assert len([a async for a in api.iter_accounts()]) == len(d.accounts)
    assert len([s async for s in api.iter_sites(page_size=7)]) == len(d.sites)
    assert len([s async for s in api.iter_services()]) == len(d.services)
    acc = next(iter(d.accounts))
    sites = [s async for s in api.iter_sites(account_id=acc)]
    assert sites and all(s.account_id == acc for s in sites)
    svcs = [s async for s in api.iter_services(account_id=acc)]
    assert all(s.account_id == acc for s in svcs)
    site = sites[0].site_id
    assert all(s.site_id == site for s in [x async for x in api.iter_services(site_id=site)])
    # one site's services (a site opened before the first listing reached them): that site's all
    wanted = sorted(i for i, x in d.services.items() if x["siteId"] == site)
    assert wanted and sorted([x.service_id async for x in api.iter_site_services(site)]) == wanted
    case_id = _open_case(sim)
    msgs = [m async for m in api.iter_case_messages(case_id)]
    assert [m.id for m in msgs] == [m["id"] for m in d.messages[case_id]]
    invoices = [i async for i in api.iter_invoices()]
    assert len(invoices) == len(d.invoices)
    lines = [x async for x in api.iter_invoice_lines(invoices[0].invoice_id)]
    assert lines and lines[0].order_id_expereo
    assert [c.client_id async for c in api.iter_api_clients()] == ["test-client"]


async def test_pagination_follows_next_and_stops_early(sim: Simulator, api: V2Client) -> None:
    ids = [c.id async for c in api.iter_cases(sort="-LastModifiedDate", page_size=20)]
    assert len(ids) == len(sim.data.cases) == len(set(ids))
    pages = -(-len(sim.data.cases) // 20)
    assert api.requests == pages
    before = api.requests
    async for _ in api.iter_cases(page_size=20):
        break
    assert api.requests == before + 1
    with pytest.raises(ValueError):
        [c async for c in api.iter_cases(page_size=201)]


async def test_filters_and_items(sim: Simulator, api: V2Client) -> None:
    closed = [c async for c in api.iter_cases(filters={"Status": "Closed"})]
    assert closed and {c.status for c in closed} == {"Closed"}
    case_id = _open_case(sim)
    assert (await api.get_case(case_id)).id == case_id
    acc = next(iter(sim.data.accounts))
    assert (await api.get_account(acc)).name == sim.data.accounts[acc]["name"]
    site = next(iter(sim.data.sites))
    assert (await api.get_site(site)).site_id == site
    svc = next(iter(sim.data.services))
    assert (await api.get_service(svc)).service_id == svc
    inv = next(iter(sim.data.invoices))
    assert (await api.get_invoice(inv)).invoice_id == inv
    with pytest.raises(NotFoundError, match="CS-0"):
        await api.get_case("CS-0")


async def test_token_is_cached_refreshed_before_expiry_and_on_401(
    sim: Simulator, sim_clock: FakeClock, api: V2Client
) -> None:
    await api.get_case(_open_case(sim))
    await api.get_case(_open_case(sim))
    assert api.http._auth.tokens_fetched == 1
    sim_clock.advance(3600 - 30)  # inside the early-refresh window
    await api.get_case(_open_case(sim))
    assert api.http._auth.tokens_fetched == 2
    sim.issuer.expire_all()  # the server forgets the token: 401, one refresh, success
    await api.get_case(_open_case(sim))
    assert api.http._auth.tokens_fetched == 3


async def test_bad_secret_is_unauthorised_without_leaking(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    async with make_client(sim, sim_clock, secret="wrong-secret-xyz") as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.get_case("CS-1")
    assert "client id/secret" in str(info.value)
    assert "wrong-secret-xyz" not in str(info.value) + repr(info.value)


async def test_missing_scope_is_forbidden_naming_it(sim: Simulator, sim_clock: FakeClock) -> None:
    async with make_client(sim, sim_clock, scopes=[Scope.SUPPORT_READ.value]) as client:
        with pytest.raises(ForbiddenError) as info:
            await client.add_message(_open_case(sim), MessageCreate(message="hi"))
        assert info.value.scope == Scope.SUPPORT_READ_WRITE.value
        assert Scope.SUPPORT_READ_WRITE.value in str(info.value)
        assert client.granted_scopes == [Scope.SUPPORT_READ.value]


async def test_burst_of_200_reads_stays_in_budget(
    sim: Simulator, sim_clock: FakeClock, api: V2Client
) -> None:
    start = sim_clock.now
    case_id = _open_case(sim)
    for _ in range(200):
        await api.get_case(case_id)
    assert sim.limiter.rejected == 0  # no 429 was even sent, let alone reached us
    elapsed = sim_clock.now - start
    assert (200 - 50) / 3 - 1 <= elapsed <= (200 - 50) / 3 + 1


async def test_retry_after_is_honoured_and_reads_slow_down(
    sim: Simulator, sim_clock: FakeClock, api: V2Client
) -> None:
    case_id = _open_case(sim)
    await api.get_case(case_id)
    sim.faults.storm_429 = 1
    sim.faults.storm_retry_after = 9
    start = sim_clock.now
    assert (await api.get_case(case_id)).id == case_id
    assert sim_clock.now - start >= 9
    assert api.budget.read_rate == 3.0  # a single 429 costs its Retry-After, nothing more
    sim.faults.storm_429 = 1  # a second one within a minute: reads slow down
    await api.get_case(case_id)
    assert api.budget.read_rate < 3.0


async def test_reads_retry_5xx_and_resets_then_give_up(sim: Simulator, api: V2Client) -> None:
    case_id = _open_case(sim)
    sim.faults.error_rate = 1.0
    with pytest.raises(ServerError, match="HTTP 500"):
        await api.get_case(case_id)
    assert api.requests == 5
    sim.faults.error_rate = 0.0
    sim.faults.reset_rate = 1.0
    with pytest.raises(NetworkError, match="not reachable"):
        await api.get_case(case_id)
    sim.faults.reset_rate = 0.0
    sim.faults.malformed_json_rate = 1.0
    with pytest.raises(ServerError, match="not valid JSON"):
        await api.get_case(case_id)


async def test_writes_are_never_retried(sim: Simulator, api: V2Client) -> None:
    case_id = _open_case(sim)
    await api.get_case(case_id)
    sent = api.requests
    sim.faults.error_rate = 1.0
    with pytest.raises(ServerError):
        await api.add_message(case_id, MessageCreate(message="once"))
    assert api.requests == sent + 1
    sim.faults.error_rate = 0.0
    sim.faults.lost_write_responses = 1
    before = len(sim.data.messages[case_id])
    with pytest.raises(NetworkError, match="may or may not"):
        await api.add_message(case_id, MessageCreate(message="lost"))
    assert len(sim.data.messages[case_id]) == before + 1


async def test_create_update_reply(sim: Simulator, api: V2Client) -> None:
    svc = next(s for s in sim.data.services.values() if s["status"] == "RFS")["serviceId"]
    from datetime import UTC, datetime

    case = await api.create_case(
        CaseCreate(
            subject="ServiceDown",
            type="Incident",
            service_id=svc,
            message="down",
            priority="P1",
            start_of_incident=datetime(2026, 11, 18, 9, tzinfo=UTC),
        )
    )
    assert case.status == "New" and case.priority == "P1" and case.service_id == svc
    updated = await api.update_case(
        case.id, CaseUpdate(customer_reference="INC9"), case_type="Incident"
    )
    assert updated.customer_reference == "INC9"
    msg = await api.add_message(case.id, MessageCreate(message="more info", sent_by="Tom"))
    assert msg.case_id == case.id and msg.sent_by == "Tom"


async def test_client_side_validation_sends_nothing(sim: Simulator, api: V2Client) -> None:
    # the create rules live in the write model: an invalid case cannot even be built
    bad = {"subject": "ChangeRequest", "type": "Incident", "serviceId": "SVC-1", "message": "x"}
    assert {p.field for p in write_problems(CaseCreate, bad)} == {"subject", "startOfIncident"}
    with pytest.raises(ModelError):
        CaseCreate.model_validate(bad)
    with pytest.raises(ValidationError):
        await api.update_case("CS-1", CaseUpdate(status="Resolved"), case_type="Incident")
    with pytest.raises(ValidationError):
        await api.add_message("CS-1", MessageCreate(message="   "))
    assert api.requests == 0


async def test_server_validation_errors_carry_fields(sim: Simulator, api: V2Client) -> None:
    with pytest.raises(ValidationError) as info:
        await api.create_case(
            CaseCreate(subject="Other", type="NonIncident", service_id="SVC-NOPE", message="x")
        )
    assert "serviceId" in info.value.field_errors
    assert "does not exist" in info.value.field_errors["serviceId"][0]


async def test_unknown_fields_from_the_server_are_kept(sim: Simulator, api: V2Client) -> None:
    sim.faults.extra_fields = True
    case = await api.get_case(_open_case(sim))
    assert case.model_extra and case.model_extra["simAddedField"] == "tolerate me"


async def test_secret_and_token_never_logged_or_shown(
    sim: Simulator, sim_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_client(sim, sim_clock) as client:
        await client.get_case(_open_case(sim))
        token = client.http._auth._token
        assert token
        sim.faults.error_rate = 1.0
        with pytest.raises(ServerError) as info:
            await client.get_case(_open_case(sim))
        shown = " ".join(
            [
                caplog.text,
                repr(client),
                repr(client.http),
                repr(client.settings),
                repr(client.http._auth),
                str(info.value),
                repr(info.value),
            ]
        )
    assert SECRET not in shown
    assert token not in shown


async def test_skipped_items_are_kept_per_list_but_not_for_lists_read_once(
    sim: Simulator, api: V2Client
) -> None:
    """A list walked every poll keeps its skipped items until the next walk ("N items skipped"
    on the status bar); an invoice's lines are read once, so theirs are only logged."""
    sim.faults.bad_items = True
    invoices = [x async for x in api.iter_invoices()]
    assert api.skipped.get("/v2/invoices")
    invoice_id = next(i.invoice_id for i in invoices if sim.data.invoice_lines.get(i.invoice_id))
    lines = [x async for x in api.iter_invoice_lines(invoice_id)]
    assert lines  # the readable lines arrive
    assert not any(path.endswith("/invoice-line-details") for path in api.skipped)
