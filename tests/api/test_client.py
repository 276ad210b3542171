"""Transport-level behaviour of the client against scripted responses (``httpx.MockTransport``):
token lifecycle, 401 refresh, 429/5xx retries, malformed JSON, error mapping, no secret leaks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from expereo_tui.api.errors import (
    ApiError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
from expereo_tui.api.models import Case, MessageCreate
from expereo_tui.api.v2 import ClientSettings, V2Client
from tests.sim_fixtures import FakeClock

SECRET = "s3cret-value-never-shown"
CASE = {"id": "CS-1", "subject": "ServiceDown", "type": "Incident", "status": "New"}
Handler = Callable[[httpx.Request], httpx.Response]


class Api:
    """A scripted server: counts token requests and answers API calls with ``script``."""

    def __init__(
        self, script: Handler, *, token_scope: str | None = None, expires_in: int = 3600
    ) -> None:
        self.script = script
        self.token_scope = token_scope
        self.expires_in = expires_in
        self.tokens = 0
        self.forms: list[dict[str, list[str]]] = []
        self.api_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            self.forms.append(parse_qs(request.content.decode()))
            self.tokens += 1
            body: dict[str, object] = {
                "access_token": f"tok-{self.tokens}",
                "expires_in": self.expires_in,
            }
            if self.token_scope is not None:
                body["scope"] = self.token_scope
            return httpx.Response(200, json=body)
        self.api_requests.append(request)
        return self.script(request)


def make(
    server: Callable[[httpx.Request], Any],
    clock: FakeClock | None = None,
    *,
    scopes: list[str] | None = None,
    retries: int = 4,
) -> tuple[V2Client, FakeClock, list[float]]:
    clock = clock or FakeClock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    settings = ClientSettings(
        base_url="https://api.test",
        token_url="https://api.test/oauth2/token",
        client_id="cid",
        client_secret=SECRET,
        scopes=scopes or ["customerapi/support.read"],
        max_get_retries=retries,
    )
    client = V2Client(
        settings,
        transport=httpx.MockTransport(server),
        clock=clock,
        sleep=fake_sleep,
        rng=random.Random(1),
    )
    return client, clock, slept


def ok_case(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": CASE})


async def test_token_request_is_a_form_with_space_separated_scopes() -> None:
    server = Api(ok_case)
    client, _, _ = make(server, scopes=["customerapi/basic.read", "customerapi/support.read"])
    async with client:
        assert (await client.get_case("CS-1")).id == "CS-1"
    form = server.forms[0]
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == ["cid"]
    assert form["scope"] == ["customerapi/basic.read customerapi/support.read"]
    sent = server.api_requests[0]
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["Accept"] == "application/json"
    assert client.granted_scopes == ["customerapi/basic.read", "customerapi/support.read"]


async def test_granted_scopes_come_from_the_token_response() -> None:
    client, _, _ = make(
        Api(ok_case, token_scope="customerapi/support.read"),
        scopes=["customerapi/support.read", "customerapi/basic.read"],
    )
    async with client:
        assert client.granted_scopes == []
        await client.get_case("CS-1")
        assert client.granted_scopes == ["customerapi/support.read"]


async def test_token_is_reused_until_a_minute_before_expiry() -> None:
    server = Api(ok_case, expires_in=600)
    client, clock, _ = make(server)
    async with client:
        await client.get_case("CS-1")
        clock.advance(600 - 61)
        await client.get_case("CS-1")
        assert server.tokens == 1
        clock.advance(2)
        await client.get_case("CS-1")
        assert server.tokens == 2


async def test_a_401_refreshes_the_token_once_and_retries_once() -> None:
    def script(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1":
            return httpx.Response(401, json={"errors": [{"status": "401", "title": "expired"}]})
        return ok_case(request)

    server = Api(script)
    client, _, _ = make(server)
    async with client:
        assert (await client.get_case("CS-1")).id == "CS-1"
    assert server.tokens == 2 and len(server.api_requests) == 2


async def test_a_persistent_401_is_unauthorised_after_one_refresh() -> None:
    server = Api(lambda r: httpx.Response(401, json={"errors": [{"title": "bad token"}]}))
    client, _, _ = make(server)
    async with client:
        with pytest.raises(UnauthorizedError):
            await client.get_case("CS-1")
    assert server.tokens == 2 and len(server.api_requests) == 2


async def test_concurrent_401s_share_one_token_refresh() -> None:
    revoked: set[str] = set()
    refused: list[str] = []
    all_refused = asyncio.Event()
    tokens = 0

    async def server(request: httpx.Request) -> httpx.Response:
        nonlocal tokens
        if request.url.path == "/oauth2/token":
            tokens += 1
            return httpx.Response(200, json={"access_token": f"tok-{tokens}", "expires_in": 3600})
        if request.headers["Authorization"] in revoked:
            refused.append(request.headers["Authorization"])
            if len(refused) == 5:
                all_refused.set()
            await all_refused.wait()  # all five hold a refused token at the same time
            return httpx.Response(401)
        return ok_case(request)

    client, _, _ = make(server)
    async with client:
        await client.get_case("CS-1")
        revoked.add("Bearer tok-1")
        results = await asyncio.gather(*(client.get_case("CS-1") for _ in range(5)))
    assert all(c.id == "CS-1" for c in results)
    assert tokens == 2


async def test_refused_client_credentials_are_unauthorised_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    client, _, _ = make(server)
    async with client:
        with pytest.raises(UnauthorizedError) as info:
            await client.get_case("CS-1")
        shown = " ".join(
            [
                str(info.value),
                repr(info.value),
                repr(client),
                repr(client.http),
                repr(client.settings),
                repr(client.http._auth),
                caplog.text,
            ]
        )
    assert "The API refused the client id/secret" in str(info.value)
    assert SECRET not in shown


async def test_token_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Api(lambda r: httpx.Response(500, text="boom"))
    client, _, _ = make(server, retries=1)
    async with client:
        with pytest.raises(ServerError) as info:
            await client.get_case("CS-1")
    shown = " ".join([str(info.value), repr(info.value), caplog.text, repr(client.http._auth)])
    assert "tok-1" not in shown and SECRET not in shown


async def test_reads_retry_5xx_with_growing_jittered_backoff() -> None:
    answers = iter([503, 500, 502])

    def script(request: httpx.Request) -> httpx.Response:
        code = next(answers, 200)
        return ok_case(request) if code == 200 else httpx.Response(code)

    client, _, slept = make(Api(script))
    async with client:
        assert (await client.get_case("CS-1")).id == "CS-1"
    assert len(slept) == 3
    for attempt, delay in enumerate(slept):
        assert 0.5 * 2**attempt * 0.5 <= delay <= 0.5 * 2**attempt


async def test_backoff_honours_retry_after_on_5xx() -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": "7"})])
    client, _, slept = make(Api(lambda r: next(answers, None) or ok_case(r)))
    async with client:
        await client.get_case("CS-1")
    assert slept == [7.0]


async def test_reads_give_up_after_max_retries() -> None:
    server = Api(lambda r: httpx.Response(500))
    client, _, _ = make(server, retries=2)
    async with client:
        with pytest.raises(ServerError, match="HTTP 500"):
            await client.get_case("CS-1")
    assert len(server.api_requests) == 3


async def test_429_blocks_until_retry_after_then_succeeds() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "12"})])
    client, clock, _ = make(Api(lambda r: next(answers, None) or ok_case(r)))
    async with client:
        start = clock.now
        await client.get_case("CS-1")
        assert clock.now - start >= 12
        assert client.budget.read_rate == pytest.approx(3.0)  # one 429 does not slow reads


async def test_connection_errors_on_reads_are_retried_then_reported_readably() -> None:
    def script(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    server = Api(script)
    client, _, _ = make(server, retries=2)
    async with client:
        with pytest.raises(NetworkError) as info:
            await client.get_case("CS-1")
    assert len(server.api_requests) == 3
    assert "not reachable" in str(info.value) and "retries" in str(info.value)


async def test_writes_are_sent_once_and_a_broken_write_may_have_been_applied() -> None:
    def script(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    server = Api(script)
    client, _, slept = make(server)
    async with client:
        with pytest.raises(NetworkError, match="may or may not"):
            await client.add_message("CS-1", MessageCreate(message="hello"), idempotency_key="k-1")
    assert len(server.api_requests) == 1 and slept == []
    assert server.api_requests[0].headers["Idempotency-Key"] == "k-1"


async def test_writes_are_not_retried_on_5xx() -> None:
    server = Api(lambda r: httpx.Response(503))
    client, _, _ = make(server)
    async with client:
        with pytest.raises(ServerError):
            await client.add_message("CS-1", MessageCreate(message="hello"))
    assert len(server.api_requests) == 1


async def test_malformed_json_is_a_server_error() -> None:
    server = Api(lambda r: httpx.Response(200, text="{not json"))
    client, _, _ = make(server, retries=0)
    async with client:
        with pytest.raises(ServerError, match="not valid JSON"):
            await client.get_case("CS-1")


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            400,
            {
                "errors": [
                    {
                        "status": "400",
                        "detail": "unknown sort field Foo",
                        "source": {"parameter": "sort"},
                    }
                ]
            },
            ValidationError,
        ),
        (404, {"errors": [{"status": "404", "detail": "case CS-9 does not exist"}]}, NotFoundError),
        (429, {"errors": [{"status": "429"}]}, RateLimitedError),
        (500, {"errors": [{"status": "500"}]}, ServerError),
    ],
)
async def test_status_codes_map_to_typed_errors(
    status: int, body: dict[str, object], kind: type[ApiError]
) -> None:
    client, _, _ = make(Api(lambda r: httpx.Response(status, json=body)), retries=0)
    async with client:
        with pytest.raises(kind):
            await client.get_case("CS-9")


async def test_422_carries_field_errors() -> None:
    body = {
        "errors": [
            {
                "status": "422",
                "code": "required",
                "detail": "subject is required",
                "source": {"pointer": "/subject"},
            }
        ]
    }
    client, _, _ = make(Api(lambda r: httpx.Response(422, json=body)))
    async with client:
        with pytest.raises(ValidationError) as info:
            await client.add_message("CS-1", MessageCreate(message="x"))
    assert info.value.field_errors == {"subject": ["subject is required"]}


async def test_403_names_the_missing_scope() -> None:
    body = {
        "errors": [
            {"status": "403", "detail": "This needs the scope customerapi/support.read-write."}
        ]
    }
    client, _, _ = make(Api(lambda r: httpx.Response(403, json=body)))
    async with client:
        with pytest.raises(ForbiddenError) as info:
            await client.add_message("CS-1", MessageCreate(message="x"))
    assert info.value.scope == "customerapi/support.read-write"
    assert "customerapi/support.read-write" in str(info.value)


async def test_pages_follow_next_links_exactly_and_stop_when_the_caller_stops() -> None:
    def script(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/cases":
            assert request.url.params["page[limit]"] == "2"
            assert request.url.params["sort"] == "-LastModifiedDate"
            assert request.url.params["filter[Status]"] == "New"
            nxt = "https://api.test/elsewhere/p2?opaque=abc"
            return httpx.Response(200, json={"data": [CASE, CASE], "links": {"next": nxt}})
        if request.url.path == "/elsewhere/p2":
            assert str(request.url) == "https://api.test/elsewhere/p2?opaque=abc"
            return httpx.Response(200, json={"data": [CASE], "links": {"next": "/v2/p3"}})
        assert request.url.path == "/v2/p3"
        return httpx.Response(200, json={"data": [CASE], "links": {"next": None}})

    server = Api(script)
    client, _, _ = make(server)
    async with client:
        cases = [
            c
            async for c in client.iter_cases(
                sort="-LastModifiedDate", filters={"Status": "New"}, page_size=2
            )
        ]
        assert len(cases) == 4 and all(isinstance(c, Case) for c in cases)
        assert len(server.api_requests) == 3
        async for _ in client.iter_cases(
            sort="-LastModifiedDate", filters={"Status": "New"}, page_size=2
        ):
            break
        assert len(server.api_requests) == 4


async def test_page_size_above_200_is_refused() -> None:
    client, _, _ = make(Api(ok_case))
    async with client:
        with pytest.raises(ValueError):
            [c async for c in client.iter_cases(page_size=201)]
