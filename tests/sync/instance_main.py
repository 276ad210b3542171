"""One app instance without a UI, for the multi-process test, driven by commands on stdin and
answering each with one JSON line on stdout (so the test waits for events, never for time).

Commands: ``poll`` (poll now; answers when the poll is done), ``seen ID...`` (answers once
this instance has announced a change of each case), ``takeover T`` (answers once this instance
polls, or another one has, i.e. the store's last success is after T), ``stop`` (answers
with the store's last success as it stopped)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.store.store import Store
from expereo_tui.sync.engine import META_LAST_SUCCESS, SyncEngine, SyncSettings
from expereo_tui.sync.events import CasesChanged, SyncEvent

HOUR = 3600.0  # no poll on a timer while the test runs: only when told


EVENT = asyncio.Event()  # set by every sync event this instance's engine emits


TASKS: list[asyncio.Task[None]] = []  # the engine's, watched: one that dies ends the instance


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition`` holds: re-checked at each sync event, and now and then for
    what comes without one (the parent's timeout bounds the wait).  An engine task that died
    meanwhile is raised here, so the test reads its traceback instead of waiting forever."""
    while not condition():
        for task in TASKS:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError(f"engine task {task.get_name()} died") from task.exception()
        EVENT.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(EVENT.wait(), 0.05)


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


async def main(url: str, folder: str) -> None:
    settings = ClientSettings(
        base_url=url, token_url=f"{url}/oauth2/token", client_id="c", client_secret="s"
    )
    events: list[SyncEvent] = []
    store = Store(Path(folder) / "team.sqlite3")
    async with V2Client(settings) as client:
        engine = SyncEngine(
            store,
            client,
            on_event=lambda e: (events.append(e), EVENT.set()),
            settings=SyncSettings(
                poll_interval=HOUR,
                active_poll_interval=HOUR,
                max_poll_interval=HOUR,
                watch_interval=0.02,
            ),
            lock_path=Path(folder) / "team.lock",
        )

        def announced() -> set[str]:
            return {c.case_id for e in events if isinstance(e, CasesChanged) for c in e.changes}

        def report(**extra: object) -> None:
            say(poller=engine.is_poller, polls=engine.polls, requests=client.requests, **extra)

        await engine.start()
        TASKS.extend(engine._tasks)
        # the first to take the lock syncs; the others settle as watchers of the store
        await until(lambda: (engine.is_poller and engine.polls >= 1) or engine._watcher is not None)
        report(ready=True)
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            command, *args = line.split() or ["stop"]
            if command == "poll":
                before = engine.polls
                engine.refresh_now()
                await until(lambda: engine.polls > before)  # noqa: B023
                report()
            elif command == "seen":
                wanted = set(args)
                await until(lambda: wanted <= announced())  # noqa: B023
                report(seen=sorted(wanted))
            elif command == "takeover":
                after = float(args[0])

                def someone_polled() -> bool:
                    last = store.meta.get_meta(META_LAST_SUCCESS)
                    return last is not None and float(last) > after  # noqa: B023

                await until(lambda: (engine.is_poller and engine.polls >= 1) or someone_polled())
                report()
            else:
                last = store.meta.get_meta(META_LAST_SUCCESS)  # read while no other can poll
                await engine.stop()
                report(stopped=True, last_success=last)
                return


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
