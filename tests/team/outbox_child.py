"""A team instance that claims the team's due write and sends it, for the test that kills it
with SIGKILL while the server holds that write (tests/team/test_outbox.py).

``python -m tests.team.outbox_child API_URL TEAM_URL STORE``; the team password comes in the
environment (``EXPEREO_TEST_TEAM_PASSWORD``), never on the command line."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.store.store import Store
from expereo_tui.sync.sender import OutboxSender
from expereo_tui.team.outbox import TeamOutbox
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from tests.sim_fixtures import TEST_SECRET


async def main(api: str, team_url: str, store_path: str) -> None:
    runtime = TeamRuntime(
        TeamSettings(
            url=team_url,
            client=client_key(api, "test-client"),
            password=os.environ["EXPEREO_TEST_TEAM_PASSWORD"],
            username="doomed",
        ),
        heartbeat=0.1,
    )
    await runtime.start()
    await runtime.wait_online()
    store = Store(Path(store_path))
    settings = ClientSettings(
        base_url=api,
        token_url=f"{api}/oauth2/token",
        client_id="test-client",
        client_secret=TEST_SECRET,
    )
    async with V2Client(settings) as client:
        sender = OutboxSender(store, client, lambda event: None, time.time)
        outbox = TeamOutbox(runtime, store, lambda event: None)
        print("claiming", flush=True)
        await outbox.round(sender)  # the test kills this process while the write is held
    print("survived", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
