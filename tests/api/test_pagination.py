"""``links.next`` is followed only within the API's origin and never twice in one walk; the
token never reaches another origin, redirects included (real loopback sockets)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from expereo_tui.api.errors import PaginationError, ServerError
from expereo_tui.api.models import Case
from expereo_tui.api.pagination import PageWalk
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from tests.sim_fixtures import TEST_SECRET, FakeClock, make_client


class Recorder(ThreadingHTTPServer):
    """Another origin on loopback that answers like a list page and notes what it received."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = json.dumps({"data": [], "links": {"next": None}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def live_api(live_sim_url: str, sim_clock: FakeClock) -> AsyncIterator[V2Client]:
    async def fake_sleep(seconds: float) -> None:
        sim_clock.advance(seconds)

    settings = ClientSettings(
        base_url=live_sim_url,
        token_url=f"{live_sim_url}/oauth2/token",
        client_id="test-client",
        client_secret=TEST_SECRET,
        max_get_retries=1,
    )
    async with V2Client(
        settings, clock=sim_clock, sleep=fake_sleep, rng=random.Random(0)
    ) as client:
        yield client


async def test_an_off_origin_next_link_is_refused_and_gets_no_request(
    sim: Simulator, live_api: V2Client, elsewhere: Recorder
) -> None:
    sim.faults.next_link = "off-origin"
    sim.faults.off_origin = elsewhere.origin
    read = []
    with pytest.raises(PaginationError) as info:
        async for case in live_api.iter_cases(page_size=200):
            read.append(case)
    assert info.value.code == "off-origin" and info.value.host == "127.0.0.1"
    assert len(read) == len(sim.data.cases)  # the page before the bad link was read
    assert elsewhere.seen == []  # nothing, let alone the token, went there


async def test_a_redirect_to_another_origin_is_not_followed(
    sim: Simulator, live_api: V2Client, elsewhere: Recorder
) -> None:
    [a async for a in live_api.iter_accounts()]  # a token is held and sent from now on
    sim.faults.redirect_to = elsewhere.origin
    with pytest.raises(ServerError):
        [a async for a in live_api.iter_accounts()]
    assert elsewhere.seen == []
    # httpx itself would strip the header across origins when following; we do not follow at
    # all, and the test above would catch a client that did
    assert live_api.http._http.follow_redirects is False


async def test_an_httpx_client_that_follows_redirects_still_keeps_the_token_home(
    sim: Simulator, live_sim_url: str, elsewhere: Recorder
) -> None:
    """What httpx does when redirects are followed: the Authorization header is dropped at the
    origin boundary (the reason we would be safe even then; we do not rely on it)."""
    sim.faults.redirect_to = elsewhere.origin
    async with httpx.AsyncClient(follow_redirects=True) as raw:
        r = await raw.get(
            f"{live_sim_url}/v2/accounts", headers={"Authorization": "Bearer secret-token"}
        )
    assert r.status_code == 200
    assert len(elsewhere.seen) == 1
    assert "authorization" not in elsewhere.seen[0][1]


async def test_a_self_link_ends_the_walk_instead_of_looping(
    sim: Simulator, sim_clock: FakeClock
) -> None:
    sim.faults.next_link = "self"
    async with make_client(sim, sim_clock) as api:
        before = sim.api_requests()
        pages = 0
        with pytest.raises(PaginationError) as info:
            async for _page in api.iter_pages("/v2/cases", Case, page_size=20):
                pages += 1
                assert pages < 10, "the walk followed a self link again and again"
        assert info.value.code == "repeated"
        assert sim.api_requests() - before <= 2


async def test_relative_next_links_are_followed(sim: Simulator, sim_clock: FakeClock) -> None:
    sim.faults.next_link = "relative"
    async with make_client(sim, sim_clock) as api:
        ids = [c.id async for c in api.iter_cases(page_size=20)]
    assert sorted(ids) == sorted(sim.data.cases)


@pytest.mark.parametrize(
    "link",
    [
        "https://api.example.com/v2/cases?page[offset]=20",  # another scheme
        "http://api.example.com:8443/v2/cases?page[offset]=20",  # another port
        "http://evil.example.com/v2/cases?page[offset]=20",  # another host
        "//evil.example.com/v2/cases?page[offset]=20",  # scheme-relative to another host
        "http://api.example.com@evil.example.com/v2/cases",  # userinfo trick
    ],
)
def test_next_links_to_another_origin_are_refused(link: str) -> None:
    walk = PageWalk("http://api.example.com", "/v2/cases")
    here = httpx.URL("http://api.example.com/v2/cases?page[limit]=20")
    walk.visit(here)
    with pytest.raises(PaginationError) as info:
        walk.next_url(here, link)
    assert info.value.code == "off-origin"


def test_same_origin_links_absolute_or_relative_are_accepted_once() -> None:
    walk = PageWalk("http://api.example.com:80/base", "/v2/cases")
    here = httpx.URL("http://api.example.com/v2/cases?page[limit]=20")
    walk.visit(here)
    nxt = walk.next_url(here, "/v2/cases?page[limit]=20&page[offset]=20")
    assert nxt == httpx.URL("http://api.example.com/v2/cases?page[limit]=20&page[offset]=20")
    assert walk.next_url(here, "?page[offset]=40&page[limit]=20") is not None
    walk.visit(nxt)
    with pytest.raises(PaginationError) as info:  # same page, parameters in another order
        walk.next_url(nxt, "http://api.example.com/v2/cases?page[offset]=20&page[limit]=20")
    assert info.value.code == "repeated"
    assert walk.next_url(nxt, None) is None and walk.next_url(nxt, "") is None
