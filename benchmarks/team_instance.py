"""One team-mode instance without a screen, for the team benchmark and the multi-process team
tests (``benchmarks/team_bench.py``, ``tests/team/test_hosts.py``).

    python -m benchmarks.team_instance PROFILE

It builds what ``expereo-tui --profile PROFILE`` builds (cli/launch.py ``run``): the profile from
the config file of this process's XDG homes, the client secret and the team password resolved
the way the app resolves them (environment, keyring, file), the profile's store
(``Store.for_profile``), its host poll lock, ``team_factory`` and ``engine_factory_for`` with the
profile's poll and inventory intervals, and runs that engine until SIGTERM or SIGINT.  Only the
screen is missing: ten Textual apps in ptys are more than two shared cores carry while being
measured, and the screen reads the store, never the API, so leaving it out changes no request.

It writes one line to stdout for each thing a harness waits for (the status bar's text is the
engine's state message):

- ``store PATH`` once, the local store's file (a harness reads it read-only);
- ``state STATUS MESSAGE`` whenever the engine's state changes;
- ``role ROLE`` (``leader``, ``follower``, ``offline``) and ``team LINE`` (the team's status
  line) whenever they change, and ``polls N`` when this instance has polled the API N times
  (looked at every 0.1 s);
- ``outbox ID STATUS`` whenever a write of this instance's outbox moves on;
- ``queued ID`` / ``error TEXT`` after each command.

Commands, one a line on stdin: ``reply CASE TEXT`` queues a reply as the reply box does
(``SyncEngine.send_reply``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys


def _say(line: str) -> None:
    print(line.replace("\n", " "), flush=True)


async def run(profile_name: str) -> int:
    from expereo_tui import logs
    from expereo_tui.cli.launch import client_settings, engine_factory_for
    from expereo_tui.cli.team_setup import team_factory
    from expereo_tui.config import get_profile, resolve_secret
    from expereo_tui.locations import data_dir
    from expereo_tui.store.store import Store
    from expereo_tui.sync.events import OutboxChanged, SyncEvent, SyncStateChanged

    name, profile = get_profile(profile_name)
    secret = resolve_secret(name, profile)
    logs.redact_value(secret.secret)
    read_only = profile.read_only
    team = team_factory(name, profile, read_only)
    store = Store.for_profile(name)
    _say(f"store {store.path}")
    factory = engine_factory_for(
        lambda: client_settings(profile, secret.secret),
        store,
        read_only=read_only,
        lock_path=data_dir() / f"{name}.lock",
        poll_interval=profile.poll_interval,
        inventory_interval=profile.inventory_interval,
        api=profile.api,
        sent_by=profile.sent_by,
        team=team,
    )
    last: list[str] = [""]

    def on_event(event: SyncEvent) -> None:
        if isinstance(event, OutboxChanged):
            _say(f"outbox {event.entry_id} {event.status.value}")
        elif isinstance(event, SyncStateChanged):
            line = f"state {event.state.status.value} {event.state.message}"
            if line != last[0]:
                last[0] = line
                _say(line)

    engine = factory(on_event)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def commands() -> None:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode():
            verb, _, rest = line.strip().partition(" ")
            try:
                if verb == "reply":
                    case_id, _, text = rest.partition(" ")
                    _say(f"queued {engine.send_reply(case_id, text)}")
                elif verb:
                    _say(f"error unknown command {verb}")
            except Exception as exc:
                _say(f"error {exc}")

    async def team_lines() -> None:
        link = engine.team
        if link is None:
            return
        runtime = link.runtime  # type: ignore[attr-defined]
        said = ("", "")
        polls = 0
        while True:
            if engine.polls != polls:
                polls = engine.polls
                _say(f"polls {polls}")
            role = ("leader" if runtime.is_leader else "follower") if runtime.online else "offline"
            now = (role, link.status_line() or "")
            if now[0] != said[0]:
                _say(f"role {now[0]}")
            if now[1] != said[1]:
                _say(f"team {now[1]}")
            said = now
            await asyncio.sleep(0.1)

    await engine.start()
    tasks = [asyncio.create_task(commands()), asyncio.create_task(team_lines())]
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await engine.stop()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run(sys.argv[1])))
