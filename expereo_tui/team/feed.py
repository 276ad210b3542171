"""The team's change feed: one poller for the team (issue #31, item 2; ``docs/team.md``).

The leader (the instance holding the team's leader lock) polls the API as an instance alone does;
:meth:`Feed.observe` hears what its poll changed (the engine's events) and :meth:`Feed.publish`
copies those objects, as the API's JSON kept in the local store, into ``team_changes`` (``kind``,
``key``, ``body``) in one transaction, with a ``meta`` row (the leader's last success, whether its
first sync is done), then NOTIFYs ``changes``.  A row whose body equals the newest row of the same
object is not written again.

Followers read ``team_changes`` after the last sequence number they applied (kept in their local
store's meta ``team_seq``), in batches, and apply the rows through the store's own upserts, after
parsing them with the poller's models: the local store ends as a poll would leave it, and the
follower announces the same events a poll would (``CasesChanged``, ``MessagesAdded``,
``InventoryChanged``).  They look when notified and on a timer, so a lost notification loses
nothing, and they resume from their sequence after any disconnect.

Kinds and keys: ``case`` (case id), ``messages`` (case id; the body is the case's whole thread),
``accounts``/``sites``/``services``/``invoices`` (object id), ``meta`` (``leader``).

Bodies PostgreSQL's ``jsonb`` refuses: a string with a NUL character (``\u0000``; the API may
send one in a message, the simulator's edge-case texts do) is not valid jsonb, and one such
object would fail the whole publication, every poll, for good.  A body whose JSON text has the
escape is written wrapped, ``{"json_b64": <base64 of the JSON text>}`` (:data:`WRAPPED`), and
unwrapped by followers before they parse it: the object arrives as the API sent it.  No body of
the API is an object with that one key.

Compaction: the leader deletes rows older than ``compact_after`` seconds for which a newer row of
the same (client, kind, key) exists.  That never loses anything for any follower, however long
it was away: a deleted row had a sequence above the follower's last one (or it was read), so the
newer row that superseded it is above it too, and the follower reads that one.  Only the log of a
different team store (another database, or the table recreated: ``team_feed``) or a sequence that
went back (the log emptied) sends a follower back to 0, to read each object once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from expereo_tui.store.inventory import INVENTORY_TABLES
from expereo_tui.store.store import Store
from expereo_tui.sync.events import (
    CaseChange,
    CasesChanged,
    InventoryChanged,
    MessagesAdded,
    SyncEvent,
    SyncStateChanged,
    ThreadsLoaded,
)

from .runtime import TeamOffline, TeamRuntime

log = logging.getLogger(__name__)

BATCH = 500  # rows a follower reads (and a full publication writes) at a time
COMPACT_AFTER = 600.0  # seconds a superseded row is kept
COMPACT_EVERY = 60.0  # seconds between two compactions by the leader
META_TEAM_SEQ = "team_seq"  # the last sequence number this store applied (or published)
META_TEAM_FEED = "team_feed"  # which team store's log that sequence belongs to
META_KEY = "leader"
WRAPPED = "json_b64"  # the one key of a body whose JSON text jsonb refuses (NUL characters)
#: the class-level int4 of the feed's transaction lock (beside hashtext(client)): publications
#: commit in the order of their sequence numbers, so no follower reads past a row not yet committed
FEED_LOCK = 0x66656564  # "feed"

_INSERT = """
INSERT INTO team_changes (client_key, kind, key, body)
SELECT %(client)s, t.kind, t.key, t.body::jsonb
FROM unnest(%(kinds)s::text[], %(keys)s::text[], %(bodies)s::text[]) WITH ORDINALITY
    AS t(kind, key, body, n)
WHERE t.body::jsonb IS DISTINCT FROM (
    SELECT c.body FROM team_changes c
    WHERE c.client_key = %(client)s AND c.kind = t.kind AND c.key = t.key
    ORDER BY c.seq DESC LIMIT 1
)
ORDER BY t.n
"""

_COMPACT = """
DELETE FROM team_changes c
WHERE c.client_key = %(client)s AND c.at < now() - make_interval(secs => %(age)s)
AND EXISTS (
    SELECT 1 FROM team_changes n
    WHERE n.client_key = c.client_key AND n.kind = c.kind AND n.key = c.key AND n.seq > c.seq
)
"""

Row = tuple[str, str, str]  # kind, key, body (JSON text)


class Feed:
    def __init__(
        self,
        runtime: TeamRuntime,
        store: Store,
        emit: Callable[[SyncEvent], None],
        *,
        batch: int = BATCH,
        compact_after: float = COMPACT_AFTER,
        compact_every: float = COMPACT_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.emit = emit
        self.batch = batch
        self.compact_after = compact_after
        self.compact_every = compact_every
        self.clock = clock
        self.last_seq = int(store.meta.get_meta(META_TEAM_SEQ) or 0)
        self.published = 0  # rows this instance wrote (tests, team status)
        self.applied = 0  # rows this instance applied
        self.rereads = 0  # times it went back to 0 (another log)
        # what the leader's polls changed since the last publication
        self._cases: set[str] = set()
        self._threads: set[str] = set()
        self._inventory: set[str] = set()
        self._first_sync = False  # a first sync ran here: publish every case it stored
        self._paged: set[str] = set()  # cases published page by page during that first sync
        self._pages_task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._checked = False  # the log's identity checked since the runtime went online
        self._last_compact = 0.0
        self._wake: list[Callable[[], None]] = []
        runtime.subscribe("changes", self._announced)
        runtime.on_state(self._state_changed)

    # -- shared --------------------------------------------------------------------------------
    def on_change(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` when another instance announces changes (followers only)."""
        self._wake.append(wake)

    def _announced(self, what: str) -> None:
        if self.runtime.is_leader:
            return  # its own announcement, or a late one of the previous leader
        for wake in list(self._wake):
            wake()

    def _state_changed(self) -> None:
        if not self.runtime.online:
            self._checked = False

    def _mutex(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _set_last(self, seq: int) -> None:
        self.last_seq = seq
        self.store.meta.set_meta(META_TEAM_SEQ, str(seq))

    # -- the leader ----------------------------------------------------------------------------
    def observe(self, event: SyncEvent) -> None:
        """The engine's every event: what the poll changed is published after it."""
        if isinstance(event, CasesChanged):
            for change in event.changes:
                self._cases.add(change.case_id)
                self._threads.add(change.case_id)  # the poll fetched the threads of these
        elif isinstance(event, MessagesAdded):
            self._threads.add(event.case_id)
        elif isinstance(event, ThreadsLoaded):  # fetched in the background, beside the polls
            self._threads.update(event.case_ids)
        elif isinstance(event, InventoryChanged):
            self._inventory.update(INVENTORY_TABLES)  # the event has counts, not ids
        elif isinstance(event, SyncStateChanged) and event.state.progress is not None:
            self._first_sync = True  # a page of the first sync is stored: followers fill
            if self.runtime.is_leader and (self._pages_task is None or self._pages_task.done()):
                with contextlib.suppress(RuntimeError):  # no loop: nothing to publish to
                    self._pages_task = asyncio.get_running_loop().create_task(
                        self._publish_pages(), name="expereo-team-pages"
                    )

    async def _publish_pages(self) -> None:
        """During the leader's first sync: the cases stored so far, a batch at a time."""
        with contextlib.suppress(TeamOffline):
            async with self._mutex():
                rows = await asyncio.to_thread(self._new_first_sync_cases)
                await self._write(rows, first_sync_done=False)

    def _new_first_sync_cases(self) -> list[Row]:
        rows = [("case", i, raw) for i, raw in self.store.cases.raw_cases() if i not in self._paged]
        self._paged.update(r[1] for r in rows)
        return rows

    async def publish(self) -> None:
        """After the leader's successful poll: what it changed, in one transaction (a full
        publication in batches), then the ``meta`` row, then NOTIFY.  The team store away: the
        changes wait for the next poll after it is back."""
        try:
            async with self._mutex():
                await self._publish()
        except TeamOffline as exc:
            log.info("team changes not published yet: %s", exc)

    async def _publish(self) -> None:
        await self._check_log()
        from expereo_tui.sync.poller import META_FIRST_SYNC

        first_sync_done = self.store.meta.get_meta(META_FIRST_SYNC) is not None
        full = first_sync_done and await self._log_is_empty()
        cases, threads, inventory = self._cases, self._threads, self._inventory
        rows = await asyncio.to_thread(
            self._collect, cases, threads, inventory, full=full, first_sync=self._first_sync
        )
        rows.append(("meta", META_KEY, json.dumps(self._meta_body(first_sync_done))))
        await self._write(
            rows, first_sync_done=first_sync_done, one_transaction=not (full or self._first_sync)
        )
        # published: forget (a failure above keeps them for the next poll)
        self._cases, self._threads, self._inventory = set(), set(), set()
        if first_sync_done:
            self._first_sync = False
            self._paged = set()
        await self._compact()

    def _collect(
        self,
        cases: set[str],
        threads: set[str],
        inventory: set[str],
        *,
        full: bool,
        first_sync: bool,
    ) -> list[Row]:
        store = self.store
        rows: list[Row] = []
        if full or first_sync:
            rows += [("case", i, raw) for i, raw in store.cases.raw_cases() if i not in self._paged]
        else:
            rows += [("case", i, raw) for i, raw in store.cases.raw_cases(sorted(cases))]
        thread_ids = store.cases.threaded_case_ids() if full else sorted(threads)
        for case_id in thread_ids:
            if not store.cases.thread_known(case_id):
                continue  # not the whole thread (our own reply alone): it comes when fetched
            msgs = store.cases.raw_thread(case_id)
            if msgs:
                rows.append(("messages", case_id, "[" + ",".join(msgs) + "]"))
        for table in INVENTORY_TABLES if full else sorted(inventory):
            rows += [(table, i, raw) for i, raw in store.inventory.raw_rows(table)]
        return rows

    def _meta_body(self, first_sync_done: bool) -> dict[str, Any]:
        from expereo_tui.sync.engine import META_LAST_SUCCESS
        from expereo_tui.sync.invoices import META_INVOICES_ACCESS
        from expereo_tui.sync.poller import META_INVENTORY_AT

        meta = self.store.meta
        last = meta.get_meta(META_LAST_SUCCESS)
        return {
            "leader": f"{self.runtime.settings.username}@{self.runtime.settings.host}",
            "last_success": float(last) if last else None,
            "first_sync_done": first_sync_done,
            "inventory_at": meta.get_meta(META_INVENTORY_AT),
            "invoices_access": meta.get_meta(META_INVOICES_ACCESS),
        }

    async def _log_is_empty(self) -> bool:
        """No row of this API client yet: the leader's whole store is the team's start."""
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM team_changes WHERE client_key = %s)",
                (self.runtime.client,),
            )
            row = await cur.fetchone()
        return bool(row and row[0])

    async def _write(
        self, rows: list[Row], *, first_sync_done: bool, one_transaction: bool = False
    ) -> None:
        """Insert ``rows`` (those that differ from the newest of their object), in one
        transaction or in batches of ``batch``; then NOTIFY.  The leader's own sequence moves
        past its rows when nothing else was written since it last read."""
        if not rows:
            return
        chunks = (
            [rows]
            if one_transaction
            else [rows[i : i + self.batch] for i in range(0, len(rows), self.batch)]
        )
        client = self.runtime.client
        wrote = 0
        for chunk in chunks:
            kinds, keys, texts = (list(x) for x in zip(*chunk, strict=True))
            bodies = [wrap(text) for text in texts]
            async with self.runtime.connection() as conn:
                async with conn.transaction():
                    await conn.execute(
                        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (FEED_LOCK, client)
                    )
                    before = await _max_seq(conn, client)
                    cur = await conn.execute(
                        _INSERT, {"client": client, "kinds": kinds, "keys": keys, "bodies": bodies}
                    )
                    wrote += max(cur.rowcount, 0)
                    after = await _max_seq(conn, client)
            if before == self.last_seq and after != before:
                await asyncio.to_thread(self._set_last, after)
        self.published += wrote
        if wrote:
            await self.runtime.notify("changes")

    async def _compact(self) -> None:
        now = self.clock()
        if now - self._last_compact < self.compact_every:
            return
        self._last_compact = now
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                _COMPACT, {"client": self.runtime.client, "age": self.compact_after}
            )
            if cur.rowcount:
                log.info("team change log: %d superseded rows removed", cur.rowcount)

    # -- followers -----------------------------------------------------------------------------
    async def follow(self) -> bool:
        """Apply the team's changes after ``last_seq`` to the local store, announcing them as a
        poll would; True when anything changed.  The team store away: False, nothing lost."""
        changed = False
        try:
            async with self._mutex():
                await self._check_log()
                while True:
                    rows = await self._read()
                    if not rows:
                        break
                    events = await asyncio.to_thread(self._apply, rows)
                    self.applied += len(rows)
                    changed = True
                    for event in events:
                        try:
                            self.emit(event)
                        except Exception:  # a broken listener must not stop the feed
                            log.exception("team feed listener failed")
                    if len(rows) < self.batch:
                        break
        except TeamOffline as exc:
            log.debug("team feed not read: %s", exc)
        return changed

    async def _check_log(self) -> None:
        """Once a connection: is our sequence one of this log's?  Another team store (or the
        table made anew), or a sequence past the log's end: read everything from 0."""
        if self._checked:
            return
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                "SELECT current_database() || '/' || 'team_changes'::regclass::oid::text"
            )
            row = await cur.fetchone()
            ident = str(row[0]) if row else ""
            top = await _max_seq(conn, self.runtime.client)
        known = self.store.meta.get_meta(META_TEAM_FEED)
        if known != ident or self.last_seq > top:
            if self.last_seq:
                log.info("team change log %s is not the one last read: reading it from 0", ident)
                self.rereads += 1
            self.store.meta.set_meta(META_TEAM_FEED, ident)
            self._set_last(0)
        self._checked = True

    async def _read(self) -> list[tuple[int, str, str, Any]]:
        async with self.runtime.connection() as conn:
            cur = await conn.execute(
                "SELECT seq, kind, key, body FROM team_changes WHERE client_key = %s AND seq > %s "
                "ORDER BY seq LIMIT %s",
                (self.runtime.client, self.last_seq, self.batch),
            )
            return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in await cur.fetchall()]

    def _apply(self, rows: list[tuple[int, str, str, Any]]) -> list[SyncEvent]:
        """One batch into the local store (in a worker thread); the events a poll would emit."""
        from expereo_tui.api.models import (
            Account,
            Case,
            CaseMessage,
            Invoice,
            Service,
            Site,
            from_provider,
        )
        from expereo_tui.sync.engine import META_LAST_SUCCESS
        from expereo_tui.sync.invoices import META_INVOICES_ACCESS
        from expereo_tui.sync.poller import META_FIRST_SYNC, META_INVENTORY_AT

        store = self.store
        first_done = store.meta.get_meta(META_FIRST_SYNC) is not None
        cases: dict[str, Any] = {}
        threads: dict[str, Any] = {}
        inventory: dict[str, dict[str, Any]] = defaultdict(dict)
        meta: dict[str, Any] | None = None
        for _seq, kind, key, wrapped in rows:  # in order: the newest of each object wins
            body = unwrap(wrapped)
            if kind == "case":
                cases[key] = body
            elif kind == "messages":
                threads[key] = body
            elif kind in INVENTORY_TABLES:
                inventory[kind][key] = body
            elif kind == "meta":
                meta = body
        events: list[SyncEvent] = []

        models = []
        for case_id, body in cases.items():
            case = Case.model_validate(body)
            known = store.cases.case_last_modified(case_id)
            if known and case.last_modified_date and case.last_modified_date < known:
                continue  # never back in time (this store polled itself while the team was away)
            models.append(case)
        before = {c.id: store.cases.case(c.id) for c in models}
        result = store.cases.upsert_cases(models, mark_read=not first_done) if models else None
        added: dict[str, tuple[list[str], int]] = {}
        for case_id, body in threads.items():
            msgs = [CaseMessage.model_validate(m) for m in body]
            new_ids = store.cases.upsert_messages(case_id, msgs, whole_thread=True)
            fresh = set(new_ids)
            provider = sum(1 for m in msgs if m.id in fresh and from_provider(m.type))
            added[case_id] = (new_ids, provider)
        counts = {
            "accounts": store.inventory.upsert_accounts(
                [Account.model_validate(b) for b in inventory["accounts"].values()]
            ),
            "sites": store.inventory.upsert_sites(
                [Site.model_validate(b) for b in inventory["sites"].values()]
            ),
            "services": store.inventory.upsert_services(
                [Service.model_validate(b) for b in inventory["services"].values()]
            ),
            "invoices": store.inventory.upsert_invoices(
                [Invoice.model_validate(b) for b in inventory["invoices"].values()]
            ),
        }
        if meta is not None:
            if meta.get("last_success") is not None:
                store.meta.set_meta(META_LAST_SUCCESS, str(meta["last_success"]))
            if meta.get("inventory_at"):
                store.meta.set_meta(META_INVENTORY_AT, str(meta["inventory_at"]))
            if meta.get("invoices_access"):
                store.meta.set_meta(META_INVOICES_ACCESS, str(meta["invoices_access"]))
            if meta.get("first_sync_done"):
                store.meta.set_meta(META_FIRST_SYNC, "1")
        self._set_last(rows[-1][0])

        if first_done:  # as a poll: nothing announced while an empty store fills
            for case_id, (new_ids, _) in added.items():
                if new_ids:
                    events.append(MessagesAdded(case_id=case_id, message_ids=tuple(new_ids)))
            if result is not None:
                events += _cases_changed(models, before, result, added)
        if any(counts.values()):
            events.append(
                InventoryChanged(
                    accounts=counts["accounts"], sites=counts["sites"], services=counts["services"]
                )
            )
        return events


def wrap(text: str) -> str:
    """A body's JSON text as jsonb takes it (:data:`WRAPPED` when the text has the escape of a
    NUL; a message that spells a backslash and "u0000" is wrapped too: harmless)."""
    if "\\u0000" not in text:
        return text
    return json.dumps({WRAPPED: base64.b64encode(text.encode()).decode("ascii")})


def unwrap(body: Any) -> Any:
    """A body as read from ``team_changes``, unwrapped when :func:`wrap` wrapped it."""
    if isinstance(body, dict) and len(body) == 1 and isinstance(body.get(WRAPPED), str):
        return json.loads(base64.b64decode(body[WRAPPED]))
    return body


def _cases_changed(
    models: Iterable[Any], before: dict[str, Any], result: Any, added: dict[str, Any]
) -> list[SyncEvent]:
    touched = set(result.new) | set(result.changed)
    changes = []
    for case in models:
        if case.id not in touched:
            continue
        changes.append(
            CaseChange.of(
                case,
                before.get(case.id),
                is_new=case.id in result.new,
                added=added.get(case.id, ([], 0)),
            )
        )
    return [CasesChanged(changes=tuple(changes))] if changes else []


async def _max_seq(conn: Any, client: str) -> int:
    cur = await conn.execute(
        "SELECT coalesce(max(seq), 0) FROM team_changes WHERE client_key = %s", (client,)
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0
