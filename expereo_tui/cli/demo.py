"""The demo's store: kept in the data dir between runs, so drafts and read state survive a
restart as they do with a real profile; ``demo --fresh`` starts a new one.

The simulator keeps nothing between runs, so each run seeds the same world again: seeded as of
the moment the store was first used (kept in the store), its cases come back with the same
dates, and the store finds them unchanged.  A new demo store starts with a few unread cases, so
that ``u`` has something to open."""

from __future__ import annotations

import contextlib
import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from expereo_tui.api.vocab import OPEN_STATUSES
from expereo_tui.files import private_dir, write_file
from expereo_tui.sim.cli import ADD_PROFILE
from expereo_tui.sim.cli import profile_snippet as sim_profile_snippet
from expereo_tui.store.store import CaseQuery, Store, StoreError
from expereo_tui.sync.events import SyncEvent, SyncStateChanged, SyncStatus

META_WORLD = "demo_world"  # {"seed", "scale", "epoch"} of the simulated world this store holds
META_UNREAD_DONE = "demo_unread_marked"
FIRST_UNREAD = 3  # open cases a new demo store shows unread


def demo_store_path(api: str) -> Path:
    """The demo's store, kept between runs (drafts and read state survive a restart).  The V1
    face keeps a store of its own: V1 has no priorities, and one shared store let a V1 demo
    rewrite the V2 demo's (a P1 fell out of the handover)."""
    from expereo_tui.locations import data_dir

    return data_dir() / ("demo-v1.sqlite3" if api == "v1" else "demo.sqlite3")


def open_demo_store(
    path: Path,
    *,
    seed: int,
    scale: str,
    fresh: bool = False,
    clock: Callable[[], float] = time.time,
    open_store: Callable[[Path], Store] = Store,
) -> tuple[Store, float]:
    """The demo store at ``path`` and the epoch to seed the simulator with.  ``fresh``, or a
    store of another seed or scale, deletes the old one first (its drafts are the demo's)."""
    private_dir(path.parent)
    if fresh:
        discard(path)
    store = open_store(path)
    world = _world(store)
    if world is not None and (world.get("seed"), world.get("scale")) != (seed, scale):
        store.close()
        discard(path)
        store = open_store(path)
        world = None
    if world is None or not isinstance(world.get("epoch"), int | float):
        world = {"seed": seed, "scale": scale, "epoch": clock()}
        with contextlib.suppress(StoreError):  # a read-only store: this run seeds as of now
            store.meta.set_meta(META_WORLD, json.dumps(world))
    return store, float(world["epoch"])  # type: ignore[arg-type]


def ids_after(store: Store) -> tuple[int, int]:
    """The case and message numbers the demo's simulator numbers after: the highest the store
    holds (an earlier run's live cases and writes), so that no id means two things."""
    case_id, message_id = store.highest_ids()

    def number(value: str | None, prefix: str) -> int:
        digits = value[len(prefix) :] if value and value.startswith(prefix) else ""
        return int(digits) if digits.isdigit() else 0

    return number(case_id, "CS-"), number(message_id, "MSG-")


def discard(path: Path) -> None:
    """Delete a demo database with its WAL and shared-memory files."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        path.with_name(name).unlink(missing_ok=True)


def _world(store: Store) -> dict[str, object] | None:
    raw = store.meta.get_meta(META_WORLD)
    try:
        world = json.loads(raw) if raw else None
    except ValueError:
        return None
    return world if isinstance(world, dict) else None


def mark_first_unread(store: Store, count: int = FIRST_UNREAD) -> list[str]:
    """Once per demo store, after its first sync: the newest open cases (else the newest) become
    unread (a first sync marks every case read).  Returns their ids (none when done before)."""
    if store.meta.get_meta(META_UNREAD_DONE) or store.cases.case_count() == 0:
        return []
    newest = (("last_modified", True),)
    rows = store.cases.query_cases(CaseQuery(statuses=OPEN_STATUSES, sort=newest), limit=count)
    if len(rows) < count:  # a world with few open cases: the newest of the others too
        ids = {r.id for r in rows}
        more = store.cases.query_cases(CaseQuery(sort=newest), limit=count + len(rows))
        rows += [r for r in more if r.id not in ids][: count - len(rows)]
    for row in rows:
        store.mark_unread(row.id)
    with contextlib.suppress(StoreError):
        store.meta.set_meta(META_UNREAD_DONE, "1")
    return [r.id for r in rows]


def unread_after_first_sync(
    store: Store, on_event: Callable[[SyncEvent], None]
) -> Callable[[SyncEvent], None]:
    """Wrap the app's sync-event callback: the first fresh state marks a few cases unread
    before the app hears of it (and so redraws with them)."""

    def deliver(event: SyncEvent) -> None:
        if isinstance(event, SyncStateChanged) and event.state.status is SyncStatus.FRESH:
            mark_first_unread(store)
        on_event(event)

    return deliver


def write_profile_snippet(path: Path, settings: Any, url: str) -> None:
    """``demo --profile-snippet FILE``: the running demo's simulator as a profile named ``demo-sim``,
    written before the screen starts (the simulator lives as long as the demo)."""
    text = (
        "# The running demo's simulator (it stops when the demo stops).  While the demo runs,\n"
        "# use this file as it is:\n"
        f"#   EXPEREO_CLIENT_SECRET_DEMO_SIM={settings.client_secret} "
        f"expereo-tui --config {shlex.quote(str(path))} --profile demo-sim cases list\n"
        f"# or {ADD_PROFILE} and leave out --config.\n"
        + sim_profile_snippet("demo-sim", url, settings.token_url, settings.client_id)
    )
    write_file(path, text)
