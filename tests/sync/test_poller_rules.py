"""The poller's rules against a fake backend (docs/reliability.md, sync/poller.py): the case
poll stops at the first case the store already has unchanged, the threads of changed cases are
fetched (and kept pending until they are), a thread's new messages are counted by who wrote
them, and the first sync's progress per list.  Milliseconds each; tests/sync/test_poll.py holds
the same against the simulator."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.api.backend import Feature
from expereo_tui.api.errors import ForbiddenError, NotFoundError
from expereo_tui.api.models import Account, Case, CaseMessage, Invoice, Service, Site
from expereo_tui.store.store import Store
from expereo_tui.sync.events import (
    CasesChanged,
    FirstSyncProgress,
    InventoryChanged,
    ListProgress,
    MessagesAdded,
    SyncEvent,
    ThreadsLoaded,
)
from expereo_tui.sync.invoices import META_INVOICES_ACCESS
from expereo_tui.sync.poller import META_FIRST_SYNC, META_THREADS_PENDING, Poller, _Walk

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def case(case_id: str, minutes: int, status: str = "In Progress") -> Case:
    return Case(id=case_id, status=status, last_modified_date=T + timedelta(minutes=minutes))


def msg(msg_id: str, type: str = "Customer") -> CaseMessage:
    return CaseMessage(id=msg_id, message=f"text of {msg_id}", type=type, timestamp=T)


class FakeApi:
    def __init__(self) -> None:
        self.cases: list[Case] = []  # newest change first, as the API lists them
        self.threads: dict[str, list[CaseMessage]] = {}
        self.listed: list[str] = []  # the case ids read from the list, in order
        self.thread_reads: list[str] = []
        self.gone: set[str] = set()
        self.windows: list[tuple[float | None, float | None]] = []  # (since, now) asked

    async def iter_changed_cases(
        self, *, since: float | None = None, now: float | None = None
    ) -> AsyncIterator[Case]:
        self.windows.append((since, now))
        for c in self.cases:
            self.listed.append(c.id)
            yield c

    async def iter_case_messages(
        self, case_id: str, *, page_size: int = 200
    ) -> AsyncIterator[CaseMessage]:
        self.thread_reads.append(case_id)
        if case_id in self.gone:
            raise NotFoundError(f"no case {case_id}")
        for m in self.threads.get(case_id, []):
            yield m


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "poll.sqlite3")
    yield s
    s.close()


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def events() -> list[SyncEvent]:
    return []


@pytest.fixture
def poller(store: Store, api: FakeApi, events: list[SyncEvent]) -> Poller:
    return Poller(store, api, events.append)  # type: ignore[arg-type]


def synced(store: Store, *cases: Case) -> None:
    store.cases.upsert_cases(list(cases))
    store.meta.set_meta(META_FIRST_SYNC, "1")


async def test_the_poll_stops_at_the_first_case_stored_unchanged(
    store: Store, api: FakeApi, poller: Poller, events: list[SyncEvent]
) -> None:
    synced(store, case("CS-1", 0), case("CS-2", 0), case("CS-3", 0))
    api.cases = [case("CS-1", 5, "Resolved"), case("CS-4", 4), case("CS-2", 0), case("CS-3", 9)]
    api.threads = {"CS-1": [msg("M1", "Expereo"), msg("M2")], "CS-4": [msg("M3", "Expereo")]}
    event = await poller.poll_cases()
    assert api.listed == ["CS-1", "CS-4", "CS-2"]  # CS-2 is as stored: the rest is older
    assert sorted(api.thread_reads) == ["CS-1", "CS-4"]
    assert event is not None and events == [MessagesAdded("CS-1", ("M1", "M2")),
                                            MessagesAdded("CS-4", ("M3",)), event]  # fmt: skip
    assert [(c.case_id, c.is_new, c.old_status, c.new_status) for c in event.changes] == [
        ("CS-1", False, "In Progress", "Resolved"),
        ("CS-4", True, None, "In Progress"),
    ]
    assert [(c.new_messages, c.new_provider_messages) for c in event.changes] == [(2, 1), (1, 1)]
    assert store.meta.get_meta(META_THREADS_PENDING) == "[]"


async def test_a_case_our_own_write_stored_does_not_end_the_poll(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    """The last poll ran at minute 0. The provider resolved CS-2 at minute 3; at minute 4 we
    replied on CS-1 and stored the case the API gave back (its newest change). CS-1 is first
    in the listing and stored as it is: it says nothing of what changed before it since the
    last poll. Only a case unchanged from before that poll ends it."""
    synced(store, case("CS-2", -10), case("CS-3", -20), case("CS-4", -30))
    store.cases.upsert_cases([case("CS-1", 4)])  # our reply's case, as the sender stores it
    api.cases = [case("CS-1", 4), case("CS-2", 3, "Resolved"), case("CS-3", -20), case("CS-4", -30)]
    since = T.timestamp()
    event = await poller.poll_cases(since=since)
    assert event is not None and [c.case_id for c in event.changes] == ["CS-2"]
    assert store.cases.case("CS-2").status == "Resolved"  # type: ignore[union-attr]
    # CS-3 is unchanged and older than the last poll by more than the margin: the end
    assert api.listed == ["CS-1", "CS-2", "CS-3"]
    # a last poll at minute 6: CS-1 changed before it, stored as it is: the end at once
    api.listed.clear()
    assert await poller.poll_cases(since=since + 6 * 60) is None
    assert api.listed == ["CS-1"]
    api.listed.clear()  # and one stamped at the very time of the last poll: before it
    assert await poller.poll_cases(since=since + 4 * 60) is None
    assert api.listed == ["CS-1"]


async def test_a_case_modified_earlier_than_stored_also_ends_the_poll(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    synced(store, case("CS-1", 10))
    api.cases = [case("CS-1", 9), case("CS-2", 8)]
    assert await poller.poll_cases() is None
    assert api.listed == ["CS-1"] and api.thread_reads == []


async def test_a_case_modified_one_second_later_is_a_change(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    synced(store, case("CS-1", 10))
    later = Case(
        id="CS-1", status="In Progress", last_modified_date=T + timedelta(minutes=10, seconds=1)
    )
    api.cases = [later]
    event = await poller.poll_cases()
    assert isinstance(event, CasesChanged)
    assert [c.case_id for c in event.changes] == ["CS-1"]


async def test_a_case_without_a_date_is_never_where_the_poll_stops(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    synced(store, case("CS-1", 10), case("CS-2", 0))
    api.cases = [Case(id="CS-1", status="Resolved"), case("CS-2", 0)]
    event = await poller.poll_cases()
    assert api.listed == ["CS-1", "CS-2"]
    assert event is not None and [c.case_id for c in event.changes] == ["CS-1"]


async def test_the_first_poll_of_an_empty_store_reads_every_case_and_no_thread(
    store: Store, api: FakeApi, poller: Poller, events: list[SyncEvent]
) -> None:
    api.cases = [case("CS-1", 5), case("CS-2", 0)]
    assert await poller.poll_cases() is None
    assert api.listed == ["CS-1", "CS-2"] and api.thread_reads == []
    assert store.meta.get_meta(META_FIRST_SYNC) == "1"
    assert events == []
    assert store.cases.case("CS-2") is not None


async def test_an_empty_list_on_an_empty_store_still_ends_its_first_sync(
    store: Store, poller: Poller
) -> None:
    assert await poller.poll_cases() is None
    assert store.meta.get_meta(META_FIRST_SYNC) == "1"


async def test_a_thread_whose_fetch_failed_is_fetched_by_the_next_poll(
    store: Store, api: FakeApi, poller: Poller, caplog: pytest.LogCaptureFixture
) -> None:
    synced(store, case("CS-1", 0))
    store.meta.set_meta(META_THREADS_PENDING, json.dumps(["CS-9", "CS-1"]))
    api.gone = {"CS-9"}  # deleted since: dropped from the list, not retried for ever
    api.threads = {"CS-1": [msg("M1")]}
    api.cases = [case("CS-1", 0)]  # nothing changed
    with caplog.at_level(logging.INFO, logger="expereo_tui.sync.poller"):
        assert await poller.poll_cases() is None
    assert caplog.messages == ["case CS-9 is gone; its thread is no longer fetched"]
    assert api.thread_reads == ["CS-9", "CS-1"]
    assert store.meta.get_meta(META_THREADS_PENDING) == "[]"
    assert [m.id for m in store.cases.thread("CS-1")] == ["M1"]


@pytest.mark.parametrize("raw", ["not json", '{"CS-1": 1}', "", "3"])
async def test_an_unreadable_pending_list_is_an_empty_one(
    store: Store, api: FakeApi, poller: Poller, raw: str
) -> None:
    synced(store, case("CS-1", 0))
    store.meta.set_meta(META_THREADS_PENDING, raw)
    api.cases = [case("CS-1", 0)]
    assert await poller.poll_cases() is None
    assert api.thread_reads == []


async def test_pending_ids_are_read_as_text(store: Store, api: FakeApi, poller: Poller) -> None:
    synced(store)
    store.meta.set_meta(META_THREADS_PENDING, "[1001]")
    assert await poller.poll_cases() is None
    assert api.thread_reads == ["1001"]


async def test_a_thread_counts_what_is_new_and_what_the_provider_wrote(
    store: Store, api: FakeApi, poller: Poller, events: list[SyncEvent]
) -> None:
    synced(store, case("CS-1", 0))
    api.threads = {"CS-1": [msg("M1", "Expereo"), msg("M2"), msg("M3", "EXPEREO Support")]}
    assert await poller.fetch_thread("CS-1", announce=False) == (["M1", "M2", "M3"], 2)
    assert events == []
    api.threads["CS-1"].append(msg("M4", "Expereo"))
    assert await poller.fetch_thread("CS-1") == (["M4"], 1)
    assert events == [MessagesAdded("CS-1", ("M4",))]
    assert await poller.fetch_thread("CS-1") == ([], 0)
    assert len(events) == 1  # nothing new: nothing said


def walk(items: list[Any], total: int | None) -> _Walk:
    async def gen() -> AsyncIterator[Any]:
        for i in items:
            yield i

    return _Walk("sites", gen(), lambda: total)


async def test_a_list_is_read_200_items_a_page_and_its_progress_counted() -> None:
    w = walk(list(range(450)), 450)
    assert w.progress() == ListProgress("sites", 0, 450, 0, 3, False)
    assert len(await w.page()) == 200
    assert w.progress() == ListProgress("sites", 200, 450, 1, 3, False)
    assert len(await w.page()) == 200
    assert len(await w.page()) == 50
    assert w.progress() == ListProgress("sites", 450, 450, 3, 3, True)


async def test_a_list_of_exactly_one_page_and_an_empty_one() -> None:
    w = walk(list(range(200)), 200)
    assert len(await w.page()) == 200 and not w.finished
    assert await w.page() == [] and w.finished
    assert w.progress() == ListProgress("sites", 200, 200, 1, 1, True)  # the empty read: no page
    w = walk([], 0)
    assert await w.page() == [] and w.finished
    assert w.progress() == ListProgress("sites", 0, 0, 1, 1, True)  # an empty list costs one


async def test_a_list_without_a_total_counts_what_was_read_once_finished() -> None:
    w = walk(list(range(201)), None)
    await w.page()
    assert w.progress() == ListProgress("sites", 200, None, 1, None, False)
    await w.page()
    assert w.progress() == ListProgress("sites", 201, 201, 2, 2, True)
    w = walk([], None)
    w.finish_empty()
    assert w.progress() == ListProgress("sites", 0, 0, 0, 1, True)


class FakeInventory(FakeApi):
    """Accounts, sites and services listed a page at a time; no invoices (V1's features)."""

    features: frozenset[str] = frozenset()

    def __init__(self, accounts: int, sites: int, services: int) -> None:
        super().__init__()
        self.accounts = [
            Account(account_id=f"ACC-{i}", name=f"Account {i}") for i in range(accounts)
        ]
        self.sites = [
            Site(site_id=f"SITE-{i}", account_id="ACC-0", name=f"Site {i}", city="Lyon")
            for i in range(sites)
        ]
        self.services = [
            Service(
                service_id=f"SVC-{i}", account_id="ACC-0", site_id="SITE-0", service_name=f"DIA {i}"
            )
            for i in range(services)
        ]
        self.fail_services_after: int | None = None
        self.asked_sites: list[tuple[str, int]] = []

    async def iter_accounts(self, *, page_size: int = 200) -> AsyncIterator[Account]:
        for a in self.accounts:
            yield a

    async def iter_sites(self, *, page_size: int = 200) -> AsyncIterator[Site]:
        for s in self.sites:
            yield s

    async def iter_services(self, *, page_size: int = 200) -> AsyncIterator[Service]:
        for i, s in enumerate(self.services):
            if self.fail_services_after is not None and i == self.fail_services_after:
                raise RuntimeError("the services listing broke off")
            yield s

    async def iter_site_services(
        self, site_id: str, *, page_size: int = 200
    ) -> AsyncIterator[Service]:
        self.asked_sites.append((site_id, page_size))
        for s in self.services:
            if s.site_id == site_id:
                yield s


async def test_an_inventory_refresh_counts_each_list_page_by_page_and_only_what_changed(
    store: Store, events: list[SyncEvent]
) -> None:
    """Each list is stored as its pages come (more than one page of sites and of services
    here); the event counts each list's new and changed rows, in its own field; a refresh that
    finds everything as stored emits nothing."""
    api = FakeInventory(accounts=1, sites=450, services=250)
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    event = await poller.refresh_inventory()
    assert event == InventoryChanged(accounts=1, sites=450, services=250)
    assert events == [event]
    assert len(store.inventory.sites("ACC-0")) == 450
    assert len(store.inventory.services(site_id="SITE-0")) == 250
    api.services[7] = api.services[7].model_copy(update={"service_name": "DIA renamed"})
    assert await poller.refresh_inventory() == InventoryChanged(accounts=0, sites=0, services=1)
    events.clear()
    assert await poller.refresh_inventory() is None and events == []


async def test_a_site_opened_before_its_services_came_has_them_fetched_alone(
    store: Store, events: list[SyncEvent]
) -> None:
    """One site's services, a page of 200 at a time, stored and told as an inventory change;
    the first sync's listing later finds them stored as they are (nothing counted twice)."""
    api = FakeInventory(accounts=1, sites=3, services=0)
    api.services = [
        Service(service_id=f"SVC-{i}", account_id="ACC-0", site_id=f"SITE-{i % 3}")
        for i in range(7)
    ]
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    assert await poller.fetch_site_services("SITE-1") == 2
    assert api.asked_sites == [("SITE-1", 200)]
    assert events == [InventoryChanged(accounts=0, sites=0, services=2)]
    assert [s.service_id for s in store.inventory.services(site_id="SITE-1")] == ["SVC-1", "SVC-4"]
    assert store.inventory.services(site_id="SITE-0") == []
    events.clear()
    assert await poller.fetch_site_services("SITE-1") == 0 and events == []  # as stored
    event = await poller.refresh_inventory()
    assert event == InventoryChanged(accounts=1, sites=3, services=5)  # not SVC-1, SVC-4


@pytest.mark.parametrize(("after", "kept"), [(300, 200), (0, 0)])
async def test_an_inventory_listing_that_breaks_off_says_which_list_and_keeps_its_pages(
    store: Store, events: list[SyncEvent], after: int, kept: int
) -> None:
    """Broken off within the second page (the first is kept), or before its first item."""
    api = FakeInventory(accounts=1, sites=10, services=450)
    api.fail_services_after = after
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await poller.refresh_inventory()
    assert poller.stage == "services"  # what a failure names: the list being read
    assert len(store.inventory.services(site_id="SITE-0")) == kept
    assert events == []  # no event for a refresh that did not finish


class RecordingApi(FakeApi):
    """Says how each thread was asked for (the page size) and can fail a read or a store."""

    def __init__(self) -> None:
        super().__init__()
        self.page_sizes: list[int] = []
        self.broken: set[str] = set()  # reading these threads fails (not a 404)

    async def iter_case_messages(
        self, case_id: str, *, page_size: int = 200
    ) -> AsyncIterator[CaseMessage]:
        self.page_sizes.append(page_size)
        if case_id in self.broken:
            self.thread_reads.append(case_id)
            raise RuntimeError(f"the read of {case_id} broke off")
        async for m in super().iter_case_messages(case_id, page_size=page_size):
            yield m


def open_case(case_id: str, priority: str, created_hours: int, modified: int = 0) -> Case:
    return Case(
        id=case_id,
        status="New",
        priority=priority,
        created_date=T + timedelta(hours=created_hours),
        last_modified_date=T + timedelta(minutes=modified),
    )


def open_cases(store: Store) -> None:
    """Three open cases, none with its thread yet: CS-2 is the most urgent (priority 1), then
    CS-1 and CS-3 (priority 3; CS-1 created first); a resolved case is never wanted."""
    resolved = Case(id="CS-9", status="Resolved", created_date=T, last_modified_date=T)
    store.cases.upsert_cases(
        [open_case("CS-1", "3", 0), open_case("CS-2", "1", 1), open_case("CS-3", "3", 2), resolved]
    )
    store.meta.set_meta(META_FIRST_SYNC, "1")


@pytest.fixture
def recording(store: Store, events: list[SyncEvent]) -> tuple[RecordingApi, Poller]:
    api = RecordingApi()
    return api, Poller(store, api, events.append)  # type: ignore[arg-type]


async def test_wanted_threads_are_fetched_most_urgent_first_within_the_requests_given(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent]
) -> None:
    """First loads are not news: one ThreadsLoaded names them, in the order fetched, and no
    MessagesAdded; the count returned is how many were asked for."""
    api, poller = recording
    open_cases(store)
    api.threads = {"CS-1": [msg("M1")], "CS-2": [msg("M2", "Expereo")], "CS-3": [msg("M3")]}
    assert await poller.fetch_wanted_threads(2) == 2
    assert api.thread_reads == ["CS-2", "CS-1"]
    assert api.page_sizes == [200, 200]  # the API's largest page: the fewest requests
    assert events == [ThreadsLoaded(("CS-2", "CS-1"))]
    assert store.cases.thread_known("CS-2") and store.cases.thread_known("CS-1")
    assert not store.cases.thread_known("CS-3")
    assert await poller.fetch_wanted_threads(1) == 1
    assert api.thread_reads == ["CS-2", "CS-1", "CS-3"]
    assert events[1:] == [ThreadsLoaded(("CS-3",))]
    assert await poller.fetch_wanted_threads(5) == 0  # every thread is in: nothing to say
    assert len(events) == 2 and api.thread_reads == ["CS-2", "CS-1", "CS-3"]


@pytest.mark.parametrize("requests", [0, -1])
async def test_no_request_left_fetches_no_thread(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent], requests: int
) -> None:
    api, poller = recording
    open_cases(store)
    assert await poller.fetch_wanted_threads(requests) == 0
    assert api.thread_reads == [] and events == []


async def test_one_request_left_fetches_one_thread(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent]
) -> None:
    api, poller = recording
    open_cases(store)
    assert await poller.fetch_wanted_threads(1) == 1
    assert api.thread_reads == ["CS-2"] and events == [ThreadsLoaded(("CS-2",))]


async def test_a_refreshed_thread_announces_its_new_messages(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent]
) -> None:
    """A thread fetched before and wanted again (its case changed since) is news: what is new
    in it is announced, then the ThreadsLoaded."""
    api, poller = recording
    open_cases(store)
    api.threads = {"CS-1": [msg("M1")], "CS-2": [msg("M2")], "CS-3": [msg("M3")]}
    await poller.fetch_wanted_threads(3)
    events.clear()
    store.cases.upsert_cases([open_case("CS-3", "3", 2, modified=5)])
    api.threads["CS-3"].append(msg("M4", "Expereo"))
    assert await poller.fetch_wanted_threads(3) == 1
    assert events == [MessagesAdded("CS-3", ("M4",)), ThreadsLoaded(("CS-3",))]


async def test_a_case_gone_is_skipped_and_the_others_are_fetched(
    store: Store,
    recording: tuple[RecordingApi, Poller],
    events: list[SyncEvent],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, poller = recording
    open_cases(store)
    api.gone = {"CS-2"}
    api.threads = {"CS-1": [msg("M1")], "CS-3": [msg("M3")]}
    with caplog.at_level(logging.INFO, logger="expereo_tui.sync.poller"):
        assert await poller.fetch_wanted_threads(3) == 3  # asked for three: three requests spent
    assert caplog.messages == ["case CS-2 is gone; its thread is not fetched"]
    assert api.thread_reads == ["CS-2", "CS-1", "CS-3"]
    assert events == [ThreadsLoaded(("CS-1", "CS-3"))]
    events.clear()
    api.gone = {"CS-1", "CS-2", "CS-3"}
    store.cases.upsert_cases([open_case("CS-1", "3", 0, modified=1)])
    assert await poller.fetch_wanted_threads(3) == 2  # CS-2 still wanted, CS-1 changed
    assert events == []  # none loaded: nothing to say


async def test_threads_loaded_before_a_failure_are_still_said(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent]
) -> None:
    api, poller = recording
    open_cases(store)
    api.broken = {"CS-1"}  # the second wanted
    with pytest.raises(RuntimeError):
        await poller.fetch_wanted_threads(3)
    assert api.thread_reads == ["CS-2", "CS-1"]
    assert events == [ThreadsLoaded(("CS-2",))]
    assert poller.stage == "threads"  # what a failure names: reading the thread


async def test_a_thread_failing_to_store_names_the_store(
    store: Store, recording: tuple[RecordingApi, Poller], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, poller = recording
    open_cases(store)
    api.threads = {"CS-1": [msg("M1")]}

    def refuse(*_: object, **__: object) -> list[str]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.cases, "upsert_messages", refuse)
    with pytest.raises(RuntimeError):
        await poller.fetch_thread("CS-1")
    assert poller.stage == "threads-store"


async def test_a_fetched_thread_is_known_whole_and_announced_only_when_asked(
    store: Store, recording: tuple[RecordingApi, Poller], events: list[SyncEvent]
) -> None:
    api, poller = recording
    open_cases(store)
    api.threads = {"CS-1": [msg("M1", "Expereo"), msg("M2")]}
    assert await poller.fetch_thread("CS-1", announce=False) == (["M1", "M2"], 1)
    assert store.cases.thread_known("CS-1")  # the whole thread: no longer wanted
    assert events == [] and poller.stage == "threads-store"
    api.threads["CS-1"].append(msg("M3"))
    assert await poller.fetch_thread("CS-1") == (["M3"], 0)
    assert events == [MessagesAdded("CS-1", ("M3",))] and poller.stage == "events"
    assert api.page_sizes == [200, 200]


def invoice(i: int) -> Invoice:
    return Invoice(invoice_id=f"INV-{i}", account_id="ACC-0")


class FirstSyncApi(FakeInventory):
    """Every list of a first sync, with V2's totals (told once a list is first read); says in
    which order items were read and which listings were closed."""

    features = frozenset({Feature.INVOICES})

    def __init__(self, cases: int, accounts: int, sites: int, services: int, invoices: int):
        super().__init__(accounts, sites, services)
        self.cases = [case(f"CS-{i}", -i) for i in range(cases)]  # newest change first
        self.invoices = [invoice(i) for i in range(invoices)]
        self.totals: dict[str, Any] = {}
        self.reads: list[str] = []  # the list each item read came from
        self.closed: list[str] = []
        self.asked: list[tuple[str, Any]] = []  # (list, page size or the cases' since/now)
        self.refused: set[str] = set()  # lists answered with a 403
        self.break_after: dict[str, int] = {}  # a list's listing breaks off at this item
        self.tells_totals = True
        self.round_trips = False  # each item a wait, as a request is

    async def _list(self, name: str, path: str, items: list[Any]) -> AsyncIterator[Any]:
        try:
            if name in self.refused:
                raise ForbiddenError(f"no scope for {name}")
            if self.tells_totals:
                self.totals[path] = len(items)
            for i, item in enumerate(items):
                if self.round_trips:
                    await asyncio.sleep(0)  # a request: the other listings run meanwhile
                if i == self.break_after.get(name):
                    raise RuntimeError(f"the {name} listing broke off")
                self.reads.append(name)
                yield item
        finally:
            self.closed.append(name)

    def iter_changed_cases(  # type: ignore[override]
        self, *, since: float | None = None, now: float | None = None
    ) -> AsyncIterator[Case]:
        self.asked.append(("cases", (since, now)))
        return self._list("cases", "/v2/cases", self.cases)

    def iter_accounts(self, *, page_size: int = 200) -> AsyncIterator[Account]:  # type: ignore[override]
        self.asked.append(("accounts", page_size))
        return self._list("accounts", "/v2/accounts", self.accounts)

    def iter_sites(self, *, page_size: int = 200) -> AsyncIterator[Site]:  # type: ignore[override]
        self.asked.append(("sites", page_size))
        return self._list("sites", "/v2/sites", self.sites)

    def iter_services(self, *, page_size: int = 200) -> AsyncIterator[Service]:  # type: ignore[override]
        self.asked.append(("services", page_size))
        return self._list("services", "/v2/services", self.services)

    def iter_invoices(self, *, page_size: int = 200) -> AsyncIterator[Invoice]:
        self.asked.append(("invoices", page_size))
        return self._list("invoices", "/v2/invoices", self.invoices)


class FirstSync:
    """A first sync against a FirstSyncApi: what each progress report said, with how many
    cases were stored by then."""

    def __init__(self, store: Store, api: FirstSyncApi, events: list[SyncEvent]) -> None:
        self.store = store
        self.poller = Poller(store, api, events.append)  # type: ignore[arg-type]
        self.reports: list[tuple[dict[str, ListProgress], int]] = []

    def report(self, progress: FirstSyncProgress) -> None:
        assert [p.name for p in progress.lists] == [
            "cases", "sites", "services", "accounts", "invoices"
        ]  # fmt: skip
        self.reports.append(({p.name: p for p in progress.lists}, self.store.cases.case_count()))

    async def run(self, now: float | None = None) -> None:
        await self.poller.first_sync(self.report, now=now)


async def test_a_first_sync_stores_the_cases_first_page_by_page_then_the_inventory(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=450, accounts=1, sites=201, services=3, invoices=2)
    sync = FirstSync(store, api, events)
    await sync.run(now=1234.5)
    reports = sync.reports
    assert api.asked[0] == ("cases", (None, 1234.5))  # every case, whatever the last poll
    assert sorted(api.asked[1:]) == [
        ("accounts", 200), ("invoices", 200), ("services", 200), ("sites", 200)
    ]  # fmt: skip
    # the first page of cases, then one page of each inventory list, in this order
    assert api.reads[:406] == ["cases"] * 200 + ["sites"] * 200 + ["services"] * 3 + [
        "accounts", "invoices", "invoices"
    ]  # fmt: skip
    assert sorted(api.reads[406:]) == ["cases"] * 250 + ["sites"]
    first, (after_one, stored) = reports[0][0], reports[1]
    assert all(p.done == 0 and p.pages == 0 and not p.finished for p in first.values())
    assert after_one["cases"] == ListProgress("cases", 200, 450, 1, 3, False)
    assert stored == 200  # the inbox can show them: stored before any other list is read
    assert after_one["sites"] == ListProgress("sites", 0, None, 0, None, False)  # not read yet
    inventory_paged, _ = reports[2]
    assert inventory_paged["sites"] == ListProgress("sites", 200, 201, 1, 2, False)
    assert inventory_paged["services"] == ListProgress("services", 3, 3, 1, 1, True)
    assert inventory_paged["accounts"] == ListProgress("accounts", 1, 1, 1, 1, True)
    assert inventory_paged["invoices"] == ListProgress("invoices", 2, 2, 1, 1, True)
    assert len(reports) == 6  # first, three case pages, the inventory's first pages, sites' 2nd
    last, stored = reports[-1]
    assert stored == 450 and all(p.finished for p in last.values())
    assert last["cases"] == ListProgress("cases", 450, 450, 3, 3, True)
    assert last["sites"] == ListProgress("sites", 201, 201, 2, 2, True)
    assert store.cases.case_count() == 450 and store.cases.unread_count() == 0  # read: seen
    assert store.meta.get_meta(META_FIRST_SYNC) == "1"
    assert len(store.inventory.sites("ACC-0")) == 201
    assert [i.invoice_id for i in store.inventory.invoices()] == ["INV-0", "INV-1"]
    assert store.meta.get_meta(META_INVOICES_ACCESS) == "ok"
    assert events == [InventoryChanged(accounts=1, sites=201, services=3)]
    assert sorted(api.closed) == ["accounts", "cases", "invoices", "services", "sites"]
    assert store.inventory.search_inventory("Site 200") != ([], [])  # its search text is in


async def test_a_first_sync_without_totals_counts_what_it_read(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=1, accounts=1, sites=1, services=1, invoices=0)
    api.tells_totals = False  # V1 tells none: its client has no totals at all
    del api.totals
    sync = FirstSync(store, api, events)
    await sync.run()
    inventory_paged, _ = sync.reports[2]
    assert inventory_paged["sites"] == ListProgress("sites", 1, 1, 1, 1, True)
    assert inventory_paged["invoices"] == ListProgress("invoices", 0, 0, 1, 1, True)
    api = FirstSyncApi(cases=201, accounts=0, sites=0, services=0, invoices=0)
    api.tells_totals = False
    sync = FirstSync(store, api, events)
    await sync.run()
    assert sync.reports[1][0]["cases"] == ListProgress("cases", 200, None, 1, None, False)


async def test_a_total_that_is_not_a_number_is_not_told(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=1, accounts=0, sites=0, services=0, invoices=0)
    api.tells_totals = False
    api.totals = {"/v2/cases": "1", "/v2/sites": 7}
    sync = FirstSync(store, api, events)
    await sync.run()
    first, _ = sync.reports[0]
    assert first["cases"].total is None  # "1": not a number
    assert first["sites"].total == 7


async def test_invoices_refused_hide_only_the_invoices(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=2, accounts=1, sites=1, services=1, invoices=3)
    api.refused = {"invoices"}
    sync = FirstSync(store, api, events)
    await sync.run()
    assert sync.reports[-1][0]["invoices"] == ListProgress("invoices", 0, 0, 0, 1, True)
    assert [name for name, _ in api.asked].count("invoices") == 1  # not asked again
    assert store.meta.get_meta(META_INVOICES_ACCESS) == "no_scope"
    assert store.meta.get_meta(META_FIRST_SYNC) == "1" and store.cases.case_count() == 2
    assert events == [InventoryChanged(accounts=1, sites=1, services=1)]


async def test_another_list_refused_fails_the_first_sync_naming_it(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=2, accounts=1, sites=1, services=1, invoices=1)
    api.refused = {"services"}
    sync = FirstSync(store, api, events)
    with pytest.raises(ForbiddenError):
        await sync.run()
    assert sync.poller.stage == "services"
    assert store.meta.get_meta(META_FIRST_SYNC) is None and events == []


async def test_a_first_sync_cut_short_closes_every_listing_and_is_not_done(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=450, accounts=1, sites=450, services=1, invoices=1)
    api.break_after = {"cases": 300}  # within the second page of cases
    sync = FirstSync(store, api, events)
    with pytest.raises(RuntimeError):
        await sync.run()
    assert sync.poller.stage == "cases"
    assert sorted(api.closed) == ["accounts", "cases", "invoices", "services", "sites"]
    assert store.cases.case_count() == 200  # the first page is kept
    assert store.meta.get_meta(META_FIRST_SYNC) is None
    assert events == []


async def test_a_first_sync_of_nothing_ends_with_no_event(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=0, accounts=0, sites=0, services=0, invoices=0)
    sync = FirstSync(store, api, events)
    await sync.run()
    assert store.meta.get_meta(META_FIRST_SYNC) == "1"
    assert sync.reports[-1][0]["cases"] == ListProgress("cases", 0, 0, 1, 1, True)
    assert events == []


@pytest.mark.parametrize(
    ("changed", "searched"),
    [((0, 1, 0), 1), ((0, 0, 1), 1), ((1, 0, 0), 0), ((0, 0, 0), 0)],
)
async def test_the_search_text_is_refreshed_only_when_sites_or_services_changed(
    store: Store,
    events: list[SyncEvent],
    monkeypatch: pytest.MonkeyPatch,
    changed: tuple[int, int, int],
    searched: int,
) -> None:
    """(accounts, sites, services) changed; the cases' search text holds site and service
    names, not account names."""
    calls: list[None] = []
    monkeypatch.setattr(store.inventory, "refresh_search", lambda: calls.append(None))
    poller = Poller(store, FakeInventory(0, 0, 0), events.append)  # type: ignore[arg-type]
    event = await poller._inventory_stored(changed, None)
    assert len(calls) == searched
    assert event == (InventoryChanged(*changed) if any(changed) else None)
    assert events == ([event] if event else [])


async def test_changed_invoices_alone_are_news(store: Store, events: list[SyncEvent]) -> None:
    api = FirstSyncApi(cases=0, accounts=0, sites=0, services=0, invoices=0)
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    event = await poller._inventory_stored((0, 0, 0), [invoice(1)])
    assert event == InventoryChanged(0, 0, 0) and events == [event]
    assert poller.stage == "events"


@pytest.mark.parametrize(("failing", "stage"), [("upsert_accounts", "inventory-store"),
                                               ("upsert_invoices", "inventory-store"),
                                               ("refresh_search", "inventory-store")])  # fmt: skip
async def test_a_store_failure_in_a_first_sync_names_the_store(
    store: Store,
    events: list[SyncEvent],
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    stage: str,
) -> None:
    def refuse(*_: object, **__: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.inventory, failing, refuse)
    api = FirstSyncApi(cases=1, accounts=1, sites=1, services=1, invoices=1)
    sync = FirstSync(store, api, events)
    with pytest.raises(RuntimeError):
        await sync.run()
    assert sync.poller.stage == stage


async def test_an_inventory_refresh_asks_for_the_largest_pages_and_lists_the_invoices(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=0, accounts=1, sites=1, services=1, invoices=2)
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    assert await poller.refresh_inventory() == InventoryChanged(accounts=1, sites=1, services=1)
    assert api.asked == [("accounts", 200), ("sites", 200), ("services", 200), ("invoices", 200)]
    assert [i.invoice_id for i in store.inventory.invoices()] == ["INV-0", "INV-1"]
    api.invoices.append(invoice(2))
    assert await poller.refresh_inventory() == InventoryChanged(0, 0, 0)  # invoices alone


def test_a_poller_that_has_done_nothing_is_idle(store: Store, api: FakeApi) -> None:
    assert Poller(store, api, lambda event: None).stage == "idle"  # type: ignore[arg-type]


async def test_the_poll_asks_for_the_changes_since_the_last_poll_once_synced(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    """The first poll of an empty store lists every case, whatever ``since`` says."""
    api.cases = [case("CS-1", 0)]
    await poller.poll_cases(since=100.0, now=160.0)
    await poller.poll_cases(since=160.0, now=220.0)
    assert api.windows == [(None, 160.0), (160.0, 220.0)]


def refuse(*_: object, **__: object) -> Any:
    raise RuntimeError("disk full")


async def test_each_step_of_a_poll_is_named_when_it_fails(
    store: Store, api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stage a failure names (docs/sync.md "The poll never dies"): listing the cases,
    storing them, telling the news."""

    async def broken(**_: object) -> AsyncIterator[Case]:
        raise RuntimeError("the listing broke off")
        yield case("CS-1", 0)

    synced(store, case("CS-1", 0))
    poller = Poller(store, api, refuse)  # type: ignore[arg-type]
    monkeypatch.setattr(api, "iter_changed_cases", broken)
    with pytest.raises(RuntimeError):
        await poller.poll_cases()
    assert poller.stage == "cases"
    monkeypatch.undo()
    api.cases = [case("CS-1", 5)]
    with pytest.raises(RuntimeError):
        await poller.poll_cases()  # the news: the emit refuses
    assert poller.stage == "events"
    monkeypatch.setattr(store.cases, "upsert_cases", refuse)
    api.cases = [case("CS-1", 9)]
    with pytest.raises(RuntimeError):
        await poller.poll_cases()
    assert poller.stage == "cases-store"


async def test_the_pending_list_is_stored_before_any_thread_is_fetched(
    store: Store, poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll cut short at its first thread still has every changed case's thread to fetch
    next time: the list is in the store before the first request."""
    synced(store, case("CS-1", 0), case("CS-2", 0))
    monkeypatch.setattr(poller, "fetch_thread", refuse)
    with pytest.raises(RuntimeError):
        await poller._fetch_pending_threads(["CS-1", "CS-2"])
    assert json.loads(store.meta.get_meta(META_THREADS_PENDING) or "") == ["CS-1", "CS-2"]


async def test_writing_the_pending_list_back_is_named_when_it_fails(
    store: Store, api: FakeApi, poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced(store, case("CS-1", 0))
    set_meta = store.meta.set_meta

    def refuse_the_rest(key: str, value: str) -> None:
        if value == "[]":  # what is left once the thread is in
            raise RuntimeError("disk full")
        set_meta(key, value)

    monkeypatch.setattr(store.meta, "set_meta", refuse_the_rest)
    with pytest.raises(RuntimeError):
        await poller._fetch_pending_threads(["CS-1"])
    assert poller.stage == "meta"


async def test_a_changed_case_whose_thread_is_gone_counts_no_new_message(
    store: Store, api: FakeApi, poller: Poller
) -> None:
    synced(store, case("CS-1", 0))
    api.cases = [case("CS-1", 5)]
    api.gone = {"CS-1"}
    event = await poller.poll_cases()
    assert event is not None
    assert [(c.new_messages, c.new_provider_messages) for c in event.changes] == [(0, 0)]


async def test_a_first_sync_that_cannot_store_a_case_page_names_it(
    store: Store, events: list[SyncEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.cases, "upsert_cases", refuse)
    sync = FirstSync(store, FirstSyncApi(cases=1, accounts=0, sites=0, services=0, invoices=0),
                     events)  # fmt: skip
    with pytest.raises(RuntimeError):
        await sync.run()
    assert sync.poller.stage == "cases-store"


class PlainListing:
    """An async iterator that is not a generator: it has no ``aclose``."""

    def __init__(self, items: list[Any]) -> None:
        self._items = iter(items)

    def __aiter__(self) -> PlainListing:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None


async def test_a_listing_without_aclose_is_read_all_the_same(
    store: Store, events: list[SyncEvent]
) -> None:
    api = FirstSyncApi(cases=0, accounts=0, sites=0, services=0, invoices=0)
    api.iter_changed_cases = lambda **_: PlainListing([case("CS-1", 0)])  # type: ignore[method-assign]
    await FirstSync(store, api, events).run()
    assert store.cases.case_count() == 1


async def test_the_search_text_is_refreshed_once_a_refresh_not_once_a_page(
    store: Store, events: list[SyncEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[None] = []
    monkeypatch.setattr(store.inventory, "refresh_search", lambda: calls.append(None))
    api = FakeInventory(accounts=1, sites=450, services=250)
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    await poller.refresh_inventory()
    assert len(calls) == 1


async def test_a_first_sync_cut_short_ends_its_other_listings_before_closing_them(
    store: Store, events: list[SyncEvent]
) -> None:
    """The inventory's walks are waiting on a request when the case listing breaks off: they
    are cancelled and ended first, then every listing is closed, and the failure is the case
    listing's (closing a listing still being read would fail on its own)."""
    api = FirstSyncApi(cases=450, accounts=1, sites=450, services=450, invoices=1)
    api.round_trips = True
    api.break_after = {"cases": 300}
    with pytest.raises(RuntimeError, match="the cases listing broke off"):
        await FirstSync(store, api, events).run()
    assert sorted(api.closed) == ["accounts", "cases", "invoices", "services", "sites"]
    assert store.meta.get_meta(META_FIRST_SYNC) is None


@pytest.mark.parametrize("broken", ["cases", "sites", "services"])
async def test_a_first_sync_names_the_list_that_broke_off_though_others_run_beside_it(
    store: Store, events: list[SyncEvent], broken: str
) -> None:
    """The lists are read side by side, each a chain of requests (docs/sync.md): a failure
    is named by the list that failed, not by whichever list was read last."""
    api = FirstSyncApi(cases=1000, accounts=1, sites=450, services=450, invoices=1)
    api.round_trips = True
    api.break_after = {broken: 300}
    sync = FirstSync(store, api, events)
    with pytest.raises(RuntimeError, match=f"the {broken} listing broke off"):
        await sync.run()
    assert sync.poller.stage == broken


async def test_a_first_sync_names_the_store_when_an_inventory_page_cannot_be_stored(
    store: Store, events: list[SyncEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The services' second page, stored while the cases are still being read."""
    upsert = store.inventory.upsert_services
    pages: list[int] = []

    def second_refused(items: Any, **given: Any) -> int:
        pages.append(len(items))
        if len(pages) == 2:
            raise RuntimeError("disk full")
        return upsert(items, **given)

    monkeypatch.setattr(store.inventory, "upsert_services", second_refused)
    api = FirstSyncApi(cases=1000, accounts=1, sites=450, services=450, invoices=1)
    api.round_trips = True
    sync = FirstSync(store, api, events)
    with pytest.raises(RuntimeError, match="disk full"):
        await sync.run()
    assert sync.poller.stage == "inventory-store"


async def test_an_inventory_refresh_that_cannot_store_a_page_names_the_store(
    store: Store, events: list[SyncEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.inventory, "upsert_sites", refuse)
    api = FakeInventory(accounts=1, sites=3, services=0)
    poller = Poller(store, api, events.append)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="disk full"):
        await poller.refresh_inventory()
    assert poller.stage == "inventory-store"


async def test_a_first_sync_that_cannot_note_it_is_done_names_the_meta(
    store: Store, events: list[SyncEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_meta = store.meta.set_meta

    def refuse_done(key: str, value: str) -> None:
        if key == META_FIRST_SYNC:
            raise RuntimeError("disk full")
        set_meta(key, value)

    monkeypatch.setattr(store.meta, "set_meta", refuse_done)
    api = FirstSyncApi(cases=1, accounts=0, sites=0, services=0, invoices=0)
    sync = FirstSync(store, api, events)
    with pytest.raises(RuntimeError, match="disk full"):
        await sync.run()
    assert sync.poller.stage == "meta"
