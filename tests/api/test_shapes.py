"""The API may not be what we assumed: odd items, naive timestamps, unknown enum values and
Retry-After dates, served by the simulator's shape faults."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import formatdate

import httpx
import pytest

from expereo_tui.api.errors import NotFoundError, RateLimitedError, ValidationError
from expereo_tui.api.models import (
    Case,
    CaseCreate,
    CaseMessage,
    find_invalid_text,
    is_open_status,
    repairs_of,
)
from expereo_tui.api.ratelimit import parse_retry_after
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from expereo_tui.sim.faults import BAD_KINDS, UNKNOWN_STATUS
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client


@pytest.fixture
async def api(sim: Simulator, sim_clock: FakeClock) -> AsyncIterator[V2Client]:
    async with make_client(sim, sim_clock) as client:
        yield client


def _a_thread(sim: Simulator) -> str:
    return next(cid for cid, msgs in sim.data.messages.items() if len(msgs) >= 2)


async def test_bad_items_are_repaired_and_kept_and_only_one_without_an_id_is_skipped(
    sim: Simulator, api: V2Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Repair, don't drop: an unreadable field is repaired (invalid text → U+FFFD, a bad date
    left empty, an object in a text field kept as its JSON) and the item kept, marked with what
    was repaired; only the item without an id is skipped, counted and named."""
    sim.faults.bad_items = True
    with caplog.at_level(logging.INFO, logger="expereo_tui.api"):
        cases = [c async for c in api.iter_cases(page_size=50)]
    pages = -(-len(sim.data.cases) // 50)
    good = [c for c in cases if not c.id.startswith("sim-bad")]
    assert sorted(c.id for c in good) == sorted(sim.data.cases)
    kept = {c.id: c for c in cases if c.id.startswith("sim-bad")}
    assert len(cases) - len(good) == pages * (len(BAD_KINDS) - 1)
    assert set(kept) == {f"sim-bad-{k}" for k in BAD_KINDS if k != "missing_field"}
    assert kept["sim-bad-lone_surrogate"].subject == "bad \ufffd text"
    assert "\ufffd" in (kept["sim-bad-invalid_utf8"].subject or "")
    assert kept["sim-bad-bad_date"].created_date is None
    assert kept["sim-bad-wrong_type"].subject == '{"unexpected": ["object"]}'
    for case in kept.values():
        assert repairs_of(case), case.id
    assert not any(repairs_of(c) for c in good)
    skipped = api.skipped["/v2/cases"]
    assert len(skipped) == pages == api.skipped_count
    assert {(s.item_id, s.reason, s.field) for s in skipped} == {(None, "missing", "id")}
    text = caplog.text
    assert "repaired an item of /v2/cases: id=sim-bad-bad_date field=createdDate" in text
    assert "sim-bad-invalid_utf8" in text and TEST_SECRET not in text


async def test_every_listed_resource_repairs_bad_items(sim: Simulator, api: V2Client) -> None:
    """Accounts, sites, services, invoices and messages: good items all read, the repairable
    bad ones kept and marked, the one without an id skipped and counted."""
    sim.faults.bad_items = True
    d = sim.data

    def real(items: list, key: str) -> list:  # type: ignore[type-arg]
        return [i for i in items if not str(getattr(i, key)).startswith("sim-bad")]

    accounts = [a async for a in api.iter_accounts()]
    assert len(real(accounts, "account_id")) == len(d.accounts) < len(accounts)
    sites = [s async for s in api.iter_sites()]
    assert len(real(sites, "site_id")) == len(d.sites) < len(sites)
    services = [s async for s in api.iter_services()]
    assert len(real(services, "service_id")) == len(d.services) < len(services)
    invoices = [i async for i in api.iter_invoices()]
    assert len(real(invoices, "invoice_id")) == len(d.invoices) < len(invoices)
    case_id = _a_thread(sim)
    msgs = [m async for m in api.iter_case_messages(case_id)]
    assert [m.id for m in real(msgs, "id")] == [m["id"] for m in d.messages[case_id]]
    assert all(repairs_of(m) for m in msgs if str(m.id).startswith("sim-bad"))
    for path in ("/v2/accounts", "/v2/sites", "/v2/services", "/v2/invoices"):
        assert [s.reason for s in api.skipped[path]] == ["missing"], path
    # a message has no required field: every bad message is repaired, none skipped
    assert not api.skipped.get(f"/v2/cases/{case_id}/case-messages")
    sim.faults.bad_items = False
    [a async for a in api.iter_accounts()]
    assert not api.skipped.get("/v2/accounts")  # the count is that of the latest walk


async def test_what_is_read_is_valid_text(sim: Simulator, api: V2Client) -> None:
    """No lone surrogate reaches the caller, whether sent as an escape or as invalid UTF-8."""
    sim.faults.bad_items = True
    cases = [c async for c in api.iter_cases()]
    for case in cases:
        assert find_invalid_text(case.to_wire()) is None
        json.dumps(case.to_wire(), ensure_ascii=False).encode()  # would raise on a surrogate


def test_invalid_text_is_refused_in_extra_fields_too() -> None:
    with pytest.raises(ValueError, match="invalid text"):
        Case.model_validate({"id": "C1", "vendorNote": {"x": ["ok", "bad \udcff"]}})
    assert find_invalid_text({"a": [{"b": "\ud800"}]}) == "a.0.b"


async def test_naive_timestamps_are_read_as_utc(sim: Simulator, api: V2Client) -> None:
    aware = {c.id: c async for c in api.iter_cases()}
    sim.faults.naive_timestamps = True
    r = await api.http._http.get("/v2/cases", auth=api.http._auth)
    assert not r.json()["data"][0]["lastModifiedDate"].endswith("Z")  # the fault is on
    naive = {c.id: c async for c in api.iter_cases()}
    assert naive.keys() == aware.keys()
    for cid, case in naive.items():
        assert case.last_modified_date is not None
        assert case.last_modified_date.tzinfo is not None
        assert case.last_modified_date == aware[cid].last_modified_date
        assert case.created_date == aware[cid].created_date
    msg = CaseMessage.model_validate({"id": "m", "timestamp": "2026-11-25T10:00:00"})
    assert msg.timestamp == datetime(2026, 11, 25, 10, tzinfo=UTC)


async def test_unknown_enum_values_are_kept_as_they_came(sim: Simulator, api: V2Client) -> None:
    sim.faults.unknown_enums = True
    cases = [c async for c in api.iter_cases()]
    odd = [c for c in cases if c.status == UNKNOWN_STATUS]
    assert odd and all(c.type == "Maintenance" and c.priority == "P0" for c in odd)
    assert is_open_status(UNKNOWN_STATUS) and is_open_status(None)
    assert not is_open_status("Closed") and not is_open_status("Resolved")
    types = set()
    for case_id in list(sim.data.messages)[:12]:
        types |= {m.type async for m in api.iter_case_messages(case_id)}
    assert "System" in types


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        (formatdate(1_795_000_090, usegmt=True), 90.0),
        ("Wed, 18 Nov 2026 11:06:10 GMT", 0.0),  # in the past: at once
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("99999999", 3600.0),
    ],
)
def test_retry_after_seconds_or_http_date(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, 1_795_000_000.0) == expected


async def test_429_with_an_http_date_waits_until_that_date(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    """The client (and so the sync) honours a Retry-After date like a number of seconds."""
    sim.faults.retry_after_http_date = True
    sim.faults.storm_retry_after = 30
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        sim_clock.advance(seconds)

    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="test-client",
        client_secret=TEST_SECRET,
        max_get_retries=0,
    )
    async with V2Client(
        settings,
        transport=sim.transport(),
        clock=sim_clock,
        wall_clock=sim_clock,
        sleep=fake_sleep,
        rng=random.Random(0),
    ) as api:
        r = await api.http._http.get("/v2/accounts", auth=api.http._auth)
        assert r.status_code == 200  # the token works; now the storm
        sim.faults.storm_429 = 1
        with pytest.raises(RateLimitedError) as info:
            [a async for a in api.iter_accounts()]
        assert info.value.retry_after == 30.0
        assert api.budget.blocked_until == pytest.approx(sim_clock.now + 30.0)
        # the next read waits for the date before it is sent
        [a async for a in api.iter_accounts()]
        assert sum(slept) >= 30.0


def test_sim_sends_retry_after_as_a_date_when_asked(sim: Simulator, sim_clock: FakeClock) -> None:
    sim.faults.retry_after_http_date = True
    value = sim.faults.retry_after(30, sim_clock.now)
    assert value == formatdate(sim_clock.now + 30, usegmt=True)
    assert httpx.Headers({"Retry-After": value})["retry-after"].endswith("GMT")


def test_a_hostile_id_or_key_is_logged_escaped(caplog: pytest.LogCaptureFixture) -> None:
    """What the log says about a skipped item cannot forge log lines or carry escapes."""
    from expereo_tui.api.pagination import read_items

    raw = [
        {"id": "C1\nFORGED ERROR line\x1b[2J", "createdDate": "never"},
        {"id": "C2", "note\x1b]52;c;x\x07\n": "bad \udcff"},
    ]
    raw += [{"id": ["C3\nFORGED"], "n\x1b[2J": "x"}, {"createdDate": "\x1b[2J\nFORGED"}]
    with caplog.at_level(logging.INFO, logger="expereo_tui.api"):
        items, skipped = read_items("/v2/cases", raw, Case)
    assert [i.id for i in items] == ["C1\nFORGED ERROR line\x1b[2J", "C2"]  # repaired, kept
    assert len(skipped) == 2
    for item in skipped:
        assert "\n" not in (item.item_id or "") and "\x1b" not in (item.item_id or "")
        assert "\x1b" not in item.field and "\n" not in item.field
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\x1b" not in message


async def test_an_error_message_with_a_lone_surrogate_is_made_valid() -> None:
    from expereo_tui.api.http import error_for

    request = httpx.Request("GET", "http://sim/v2/cases")
    response = httpx.Response(500, content=b'{"message": "boom \\ud800 here"}', request=request)
    err = error_for(response, "the list /v2/cases")
    assert find_invalid_text(str(err)) is None
    response = httpx.Response(422, content=b'{"message": "bad \\ud800"}', request=request)
    err = error_for(response, "the reply")
    assert find_invalid_text(err.message) is None


async def test_errors_without_a_code_are_still_typed_by_status(
    sim: Simulator, api: V2Client
) -> None:
    """§8: errors may come without a code; the status and the pointer still say what failed."""
    sim.faults.uncoded_errors = True
    with pytest.raises(NotFoundError):
        await api.get_case("CS-0")
    body = CaseCreate(type="NonIncident", subject="Other", service_id="SVC-NONE", message="x")
    with pytest.raises(ValidationError) as refused:
        await api.create_case(body)
    assert "serviceId" in refused.value.field_errors
    assert all(e.code is None for e in refused.value.errors)  # the fault did apply


def test_a_date_time_in_a_date_field_gives_its_date_and_is_marked() -> None:
    """sim --unknowns sends date fields as date-times: the item is kept with the date."""
    from datetime import date

    from expereo_tui.api.models import Service
    from expereo_tui.api.pagination import read_items

    raw = [{"serviceId": "S1", "plannedDeliveryDate": "2026-03-01T10:30:00Z", "status": "RFS"}]
    items, skipped = read_items("/v2/services", raw, Service)
    assert skipped == [] and items[0].planned_delivery_date == date(2026, 3, 1)
    assert repairs_of(items[0]) == ["plannedDeliveryDate: a date-time, read as its date"]
