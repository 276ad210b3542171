"""What an idle poll costs the client: the list envelope's class is built once, not per
page, and the connection is kept from one idle poll to the next."""

from __future__ import annotations

import gc
import weakref

from expereo_tui.api.models import Case
from expereo_tui.api.v2 import ClientSettings, V2Client, page_of
from expereo_tui.sim import Simulator
from expereo_tui.sync.engine import SyncSettings
from tests.sim_fixtures import FakeClock, make_client


async def test_the_page_class_outlives_a_walk(sim: Simulator, sim_clock: FakeClock) -> None:
    """``Page[Case]`` is made once and kept: built in the loop (as pydantic did, which kept it
    only while something referred to it), it was built again (~3 ms) on every poll."""
    client = make_client(sim, sim_clock)
    try:
        async for page in client.iter_pages("/v2/cases", Case, page_size=5):
            built = weakref.ref(type(page))
            break
        del page
        gc.collect()
        assert built() is not None  # still there for the next poll
        assert built() is page_of(Case)
    finally:
        await client.aclose()


async def test_an_idle_connection_outlives_the_poll_interval() -> None:
    """httpx drops an idle connection after 5 s by default: every 30 s poll connected (and
    against the real API shook hands for TLS) again."""
    settings = ClientSettings("https://api.example", "https://api.example/token", "id", "secret")
    client = V2Client(settings)  # the real transport
    try:
        pool = client.http._http._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry > SyncSettings().poll_interval
    finally:
        await client.aclose()
