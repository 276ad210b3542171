"""One app instance without a UI, for the multi-process test: sync for N seconds, print JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path

from expereo_tui.api.client import ClientSettings, ExpereoClient
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import SyncEngine, SyncSettings


async def main(url: str, folder: str, seconds: float) -> None:
    settings = ClientSettings(
        base_url=url, token_url=f"{url}/oauth2/token", client_id="c", client_secret="s"
    )
    async with ExpereoClient(settings) as client:
        engine = SyncEngine(
            Store(Path(folder) / "team.sqlite3"),
            client,
            on_event=lambda e: None,
            settings=SyncSettings(poll_interval=0.5, active_poll_interval=0.5, watch_interval=0.1),
            lock_path=Path(folder) / "team.lock",
        )
        engine.interval = lambda: 0.5  # type: ignore[method-assign]  # fast, for the test
        await engine.start()
        with contextlib.suppress(TimeoutError):  # run for a while, as a person would
            await asyncio.wait_for(asyncio.Event().wait(), seconds)
        await engine.stop()
        print(json.dumps({"polls": engine.polls, "requests": client.requests}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
