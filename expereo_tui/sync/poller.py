"""What one poll does: the first full sync, the incremental case poll, thread fetches and the
(rarer) inventory refresh.  Pure orchestration of ``api`` and ``store``; scheduling, state and
error handling live in :mod:`expereo_tui.sync.engine`."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

from expereo_tui.api.backend import Backend
from expereo_tui.api.errors import ForbiddenError, NotFoundError
from expereo_tui.api.models import Case, from_provider
from expereo_tui.store.store import Store

from .events import (
    CaseChange,
    CasesChanged,
    FirstSyncProgress,
    InventoryChanged,
    ListProgress,
    MessagesAdded,
    SyncEvent,
    ThreadsLoaded,
)
from .invoices import InvoiceSync

PAGE = 200  # the API's maximum: the fewest requests for a full listing
META_FIRST_SYNC = "cases_first_sync_done"
META_INVENTORY_AT = "inventory_synced_at"
META_THREADS_PENDING = "threads_pending"  # changed cases whose thread is not fetched yet

log = logging.getLogger(__name__)

Emit = Callable[[SyncEvent], None]
Report = Callable[[FirstSyncProgress], None]

#: the lists of a first sync, in the order they are finished, with their V2 paths (whose
#: ``metadata.total`` the client keeps): cases first, as the inbox shows them
FIRST_SYNC_LISTS = (
    ("cases", "/v2/cases"),
    ("sites", "/v2/sites"),
    ("services", "/v2/services"),
    ("accounts", "/v2/accounts"),
    ("invoices", "/v2/invoices"),
)


INVENTORY_LISTS = ("sites", "services", "accounts", "invoices")
STORED_BY_PAGE = ("sites", "services", "accounts")  # the invoices' sync needs its whole list


class _Walk:
    """One list of the first sync, read a page (``PAGE`` items) at a time."""

    def __init__(self, name: str, items: AsyncIterator[Any], total: Callable[[], int | None]):
        self.name = name
        self._items = items
        self._total = total
        self.done = 0  # items read
        self.pages = 0  # requests made (an empty list costs one)
        self.finished = False
        self.held: list[Any] = []  # read, waiting to be stored (the invoices: a whole list)
        self.changed = 0  # rows its stored pages added or changed
        self.forbidden = False  # the key lacks the list's scope

    async def page(self) -> list[Any]:
        """The next page's items; [] and ``finished`` at the end."""
        batch: list[Any] = []
        while len(batch) < PAGE:
            try:
                batch.append(await anext(self._items))
            except StopAsyncIteration:
                self.finished = True
                break
        if batch or not self.pages:
            self.pages += 1
        self.done += len(batch)
        return batch

    def finish_empty(self) -> None:
        """The list cannot be read (an optional scope is missing): nothing to fetch."""
        self.finished = True

    def progress(self) -> ListProgress:
        total = self._total()
        if self.finished and total is None:
            total = self.done
        return ListProgress(
            name=self.name,
            done=self.done,
            total=total,
            pages=self.pages,
            total_pages=None if total is None else max(1, math.ceil(total / PAGE)),
            finished=self.finished,
        )


class Poller:
    """Keeps the store in step with the API, one call at a time.  ``stage`` says what it is
    doing, so that a failure can say where it happened."""

    #: the stages a poll goes through (codes; the UI words them)
    STAGES = (
        "token",  # set by the engine when the failure came from fetching a token
        "accounts",
        "sites",
        "services",
        "inventory-store",
        "invoices",
        "cases",
        "cases-store",
        "threads",
        "threads-store",
        "events",
        "meta",
    )

    def __init__(self, store: Store, client: Backend, emit: Emit) -> None:
        self.store = store
        self.client = client
        self.emit = emit
        self.stage = "idle"
        self.invoices = InvoiceSync(store, client, lambda stage: setattr(self, "stage", stage))
        #: a first sync reads its lists side by side, each setting ``stage`` as it goes: the
        #: stage of its step that failed first, which ``stage`` says once the others stopped
        self._failed: str | None = None

    def _fail(self, stage: str) -> None:
        if self._failed is None:
            self._failed = stage

    def _told_total(self, path: str) -> int | None:
        """The list's total as the API last told it (V2 ``metadata.total``), if it did."""
        totals = getattr(self.client, "totals", None)
        value = totals.get(path) if isinstance(totals, dict) else None
        return value if isinstance(value, int) else None

    async def first_sync(self, report: Report, now: float | None = None) -> None:
        """Fill an empty store: cases first, newest change first, each page stored as it comes
        (the inbox shows the first rows after one request); one page of each inventory list
        meanwhile (their totals, for the progress); then the rest of the inventory.  The same
        requests as listing each collection in full; ``report`` hears after every page."""
        client = self.client
        lists = {
            "cases": client.iter_changed_cases(since=None, now=now),
            "sites": client.iter_sites(page_size=PAGE),
            "services": client.iter_services(page_size=PAGE),
            "accounts": client.iter_accounts(page_size=PAGE),
            "invoices": client.iter_invoices(page_size=PAGE),
        }
        walks = {
            name: _Walk(name, lists[name], partial(self._told_total, path))
            for name, path in FIRST_SYNC_LISTS
        }

        def tell() -> None:
            report(FirstSyncProgress(tuple(w.progress() for w in walks.values())))

        async def read(walk: _Walk) -> None:
            stage = self.stage = walk.name
            try:
                batch = await walk.page()
                if walk.name in STORED_BY_PAGE:  # stored as it comes: never the whole list
                    stage = "inventory-store"
                    walk.changed += await self._store_page(walk.name, batch)
                else:
                    walk.held.extend(batch)
            except ForbiddenError:
                if walk.name != "invoices":
                    self._fail(stage)
                    raise
                walk.finish_empty()  # invoices need their own scope; only they are hidden
                walk.forbidden = True
            except Exception:
                self._fail(stage)
                raise

        self._failed = None
        try:
            await self._first_sync(walks, tell, read)
        finally:  # cut short: the lists' walks end here, not whenever they are collected
            for items in lists.values():
                close = getattr(items, "aclose", None)
                if close is not None:
                    await close()

    async def _first_sync(
        self,
        walks: dict[str, _Walk],
        tell: Callable[[], None],
        read: Callable[[_Walk], Awaitable[None]],
    ) -> None:
        store = self.store
        tell()
        cases = walks["cases"]
        inventory: list[asyncio.Task[None]] = []

        async def drain(names: tuple[str, ...]) -> None:
            for name in names:
                walk = walks[name]
                while not walk.finished:
                    await read(walk)
                    tell()

        stage = "cases"
        try:
            while not cases.finished:
                stage = self.stage = "cases"
                batch = await cases.page()
                if batch:
                    stage = self.stage = "cases-store"
                    await asyncio.to_thread(
                        partial(store.cases.upsert_cases, batch, mark_read=True)
                    )
                tell()  # the inbox can show these rows now
                if cases.pages == 1:  # while the burst lasts: how big the inventory is
                    for name in INVENTORY_LISTS:
                        await read(walks[name])
                    tell()
                    # then the inventory beside the other case pages, two lists at a time:
                    # each list is a chain of round trips (links.next), so one chain alone
                    # would leave the rate budget unused; cases are stored as they come
                    inventory = [
                        asyncio.create_task(drain(("services",))),
                        asyncio.create_task(drain(("sites", "accounts", "invoices"))),
                    ]
            stage = self.stage = "meta"
            store.meta.set_meta(META_FIRST_SYNC, "1")
            await asyncio.gather(*inventory)
        except Exception:
            self._fail(stage)  # unless a walk failed first (then it was that walk's)
            raise
        finally:
            for task in inventory:
                task.cancel()
            await asyncio.gather(*inventory, return_exceptions=True)
            self.stage = self._failed or self.stage
        await self._inventory_stored(
            (walks["accounts"].changed, walks["sites"].changed, walks["services"].changed),
            walks["invoices"].held,
            invoices_forbidden=walks["invoices"].forbidden,
        )

    async def refresh_inventory(self) -> InventoryChanged | None:
        """Accounts, sites, services (and invoices when the scope allows); full listings, as the
        API offers no change date for them, each page stored as it comes (a large account's
        20,000 services were held whole, then compared with the whole table: a peak of tens of
        MB that stayed as the process's size).  Emits only when something differs."""
        client = self.client
        changed: list[int] = []
        for name, items in (
            ("accounts", client.iter_accounts(page_size=PAGE)),
            ("sites", client.iter_sites(page_size=PAGE)),
            ("services", client.iter_services(page_size=PAGE)),
        ):
            count, page = 0, []
            self.stage = name
            async for item in items:
                page.append(item)
                if len(page) == PAGE:
                    count += await self._store_page(name, page)
                    page = []
                    self.stage = name  # reading the list again
            changed.append(count + await self._store_page(name, page))
        return await self._inventory_stored((changed[0], changed[1], changed[2]), None)

    async def _store_page(self, name: str, items: list[Any]) -> int:
        """Store a page of accounts, sites or services; how many rows it added or changed.
        The cases' search text (it holds site and service names) is refreshed once, at the
        end (``_inventory_stored``)."""
        if not items:
            return 0
        inventory = self.store.inventory
        self.stage = "inventory-store"
        if name == "accounts":
            return await asyncio.to_thread(inventory.upsert_accounts, items)
        if name == "sites":
            return await asyncio.to_thread(partial(inventory.upsert_sites, items, search=False))
        return await asyncio.to_thread(partial(inventory.upsert_services, items, search=False))

    async def _inventory_stored(
        self,
        changed: tuple[int, int, int],
        invoices: list[Any] | None,
        *,
        invoices_forbidden: bool = False,
    ) -> InventoryChanged | None:
        """The inventory's pages are stored (``changed``: accounts, sites, services): the
        search text, the invoices, the event."""
        if changed[1] or changed[2]:
            self.stage = "inventory-store"
            await asyncio.to_thread(self.store.inventory.refresh_search)
        self.stage = "invoices"  # their own scope; without it only they are hidden
        invoices_changed = await self.invoices.refresh(invoices, forbidden=invoices_forbidden)
        event = InventoryChanged(accounts=changed[0], sites=changed[1], services=changed[2])
        if any(changed) or invoices_changed:
            self.stage = "events"
            self.emit(event)
            return event
        return None

    async def poll_cases(
        self, since: float | None = None, now: float | None = None
    ) -> CasesChanged | None:
        """List cases newest change first and stop at the first one the store already has
        unchanged; then fetch the threads of the changed ones.  Nothing changed: one request.
        ``since`` (the last successful poll) narrows the listing where the API can (V1)."""
        store = self.store
        self.stage = "cases"
        first_sync = store.meta.get_meta(META_FIRST_SYNC) is None
        changed: list[Case] = []
        window = None if first_sync else since
        # a case stored as it is ends the listing only if it changed before the last poll: one
        # changed since was stored by our own write (a reply's case), which says nothing of the
        # cases changed before it (an API clock behind ours narrows this: not allowed for)
        settled = since
        async for case in self.client.iter_changed_cases(since=window, now=now):
            known = store.cases.case_last_modified(case.id)
            stamp = case.last_modified_date
            if not first_sync and known is not None and stamp is not None and stamp <= known:
                if settled is None or stamp.timestamp() <= settled:
                    break
                continue  # as stored, by our own write: the listing goes on
            changed.append(case)
        if not changed:
            if first_sync:
                store.meta.set_meta(META_FIRST_SYNC, "1")
            else:
                await self._fetch_pending_threads([])
            return None
        self.stage = "cases-store"
        before_status = {c.id: store.cases.case(c.id) for c in changed} if not first_sync else {}
        result = await asyncio.to_thread(store.cases.upsert_cases, changed)
        if first_sync:
            store.meta.set_meta(META_FIRST_SYNC, "1")
            # threads are fetched when a case is opened or changes, not 10,000 at once
            return None
        touched = [c for c in changed if c.id in set(result.new) | set(result.changed)]
        fetched = await self._fetch_pending_threads([c.id for c in touched])
        changes: list[CaseChange] = []
        for case in touched:
            changes.append(
                CaseChange.of(
                    case,
                    before_status.get(case.id),
                    is_new=case.id in result.new,
                    added=fetched.get(case.id, ([], 0)),
                )
            )
        if not changes:
            return None
        event = CasesChanged(changes=tuple(changes))
        self.stage = "events"
        self.emit(event)
        return event

    def _pending_threads(self) -> list[str]:
        raw = self.store.meta.get_meta(META_THREADS_PENDING)
        try:
            ids = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [str(i) for i in ids] if isinstance(ids, list) else []

    async def _fetch_pending_threads(self, touched: list[str]) -> dict[str, tuple[list[str], int]]:
        """Fetch the threads of the cases just stored as changed, and of any whose fetch failed
        in an earlier poll.  The list is kept in the store until each thread is in: a poll cut
        short after storing a case still fetches its thread next time, although the case itself
        then looks unchanged."""
        todo = list(dict.fromkeys([*self._pending_threads(), *touched]))
        if not todo:
            return {}
        self.store.meta.set_meta(META_THREADS_PENDING, json.dumps(todo))
        done: dict[str, tuple[list[str], int]] = {}
        try:
            for case_id in todo:
                try:
                    done[case_id] = await self.fetch_thread(case_id, announce=True)
                except NotFoundError:
                    log.info("case %s is gone; its thread is no longer fetched", case_id)
                    done[case_id] = ([], 0)
        finally:
            if done:
                self.stage = "meta"
                rest = [c for c in todo if c not in done]
                self.store.meta.set_meta(META_THREADS_PENDING, json.dumps(rest))
        return done

    async def fetch_wanted_threads(self, requests: int) -> int:
        """Fetch, within ``requests``, the threads of open cases the store does not hold as the
        API has them, most urgent first (``CaseStore.threads_wanted``): after the first sync
        every open case's, later each one whose case changed since, by our own writes too.  A
        thread loaded for the first time is not news (no event); a refreshed one announces
        what is new in it.  Returns how many were fetched."""
        if requests <= 0:
            return 0
        wanted = await asyncio.to_thread(self.store.cases.threads_wanted, requests)
        loaded: list[str] = []
        try:
            for case_id in wanted:
                known = await asyncio.to_thread(self.store.cases.thread_known, case_id)
                try:
                    await self.fetch_thread(case_id, announce=known)
                except NotFoundError:
                    log.info("case %s is gone; its thread is not fetched", case_id)
                    continue
                loaded.append(case_id)
        finally:
            if loaded:
                self.emit(ThreadsLoaded(case_ids=tuple(loaded)))
        return len(wanted)

    async def fetch_site_services(self, site_id: str) -> int:
        """Store one site's services now: the person opened the site before the inventory's
        first listing reached it.  How many rows were new or changed (the listing finds them
        stored as they are, and counts nothing twice)."""
        services = [s async for s in self.client.iter_site_services(site_id, page_size=PAGE)]
        changed = await asyncio.to_thread(self.store.inventory.upsert_services, services)
        if changed:
            self.emit(InventoryChanged(services=changed))
        return changed

    async def fetch_thread(self, case_id: str, *, announce: bool = True) -> tuple[list[str], int]:
        """Store a case's whole thread; returns (ids new to the store, how many of them the
        provider wrote)."""
        self.stage = "threads"
        messages = [m async for m in self.client.iter_case_messages(case_id, page_size=PAGE)]
        self.stage = "threads-store"
        new_ids = await asyncio.to_thread(
            partial(self.store.cases.upsert_messages, case_id, messages, whole_thread=True)
        )
        if new_ids and announce:
            self.stage = "events"
            self.emit(MessagesAdded(case_id=case_id, message_ids=tuple(new_ids)))
        fresh = set(new_ids)
        provider = sum(1 for m in messages if m.id in fresh and from_provider(m.type))
        return new_ids, provider
