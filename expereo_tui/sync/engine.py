"""The sync engine: the one caller of the API at run time.

It polls (incrementally, within the rate budget, adapting its interval), sends the outbox, keeps
the sync state the UI shows, and announces changes as events.  With a ``lock_path`` only one
instance per profile on a host polls; the others watch the shared store and announce the same
changes.  Everything runs as tasks in the caller's asyncio loop; public methods return at once.

With a ``team`` (team mode, ``docs/team.md``) the team decides who polls: the leader polls and
publishes what changed; a follower reads the API not at all and brings its store up to the
team's change feed every ``watch_interval`` (and when told); with the team store away only the
instance that led keeps its rate, the others wait ``2 × max_poll_interval`` and then poll every
``max_poll_interval`` with jitter (the rule is written out in ``team/link.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from expereo_tui import heap
from expereo_tui.api.backend import Backend
from expereo_tui.api.errors import (
    ApiError,
    ForbiddenError,
    PaginationError,
    RateLimitedError,
    UnauthorizedError,
)
from expereo_tui.api.http import TOKEN_NOTE
from expereo_tui.api.models import CaseCreate, CaseStatus, CaseUpdate, MessageCreate
from expereo_tui.api.ratelimit import RateBudget
from expereo_tui.store.store import Store, StoreFullError, StoreReadOnlyError

from .backoff import Backoff
from .events import (
    CasesChanged,
    FirstSyncProgress,
    OutboxChanged,
    OutboxKind,
    OutboxStatus,
    SyncError,
    SyncEvent,
    SyncState,
    SyncStateChanged,
    SyncStatus,
)
from .lock import PollLock
from .poller import META_FIRST_SYNC, META_INVENTORY_AT, Poller
from .sender import OutboxSender
from .team_link import TeamLink
from .watch import StoreWatcher

log = logging.getLogger(__name__)
T = TypeVar("T")
META_LAST_SUCCESS = "last_success"
IDLE_AFTER = 600.0  # seconds without any change before the poll slows down
ACTIVE_FOR = 600.0  # seconds an opened case keeps the fast poll
DISK_FULL_RETRY = 10.0  # seconds between tries to write again while the disk is full
THREADS_PER_POLL = 20  # open cases' threads fetched in the background per round, at most
THREAD_FILL_PAUSE = 5.0  # seconds between background thread rounds while threads are wanted
THREAD_FILL_IDLE = 15.0  # ... and while none were (the next poll may change that)


@dataclass(frozen=True)
class SyncSettings:
    """How often the engine polls, and whether it may write."""

    poll_interval: float = 30.0  # seconds, idle default
    active_poll_interval: float = 10.0  # while a case is open and recently active
    max_poll_interval: float = 300.0
    inventory_interval: float = 900.0
    stale_after_intervals: int = 3
    read_only: bool = False
    watch_interval: float = 1.0  # how often a non-polling instance looks at the store
    sent_by: str | None = None  # sentBy on every reply and new case (profile key sent_by)


class ReadOnlyError(PermissionError):
    """A write was asked of an engine in read-only mode."""


class CaseClosedError(PermissionError):
    """A reply to a case the store knows is Closed: refused before any request."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} is closed")
        self.case_id = case_id


class SyncEngine:
    """Runs inside the app's asyncio loop (``start`` creates its tasks).  All network work
    happens in its own tasks; public methods return at once."""

    def __init__(
        self,
        store: Store,
        client: Backend,
        *,
        on_event: Callable[[SyncEvent], None],
        settings: SyncSettings | None = None,
        clock: Callable[[], float] | None = None,
        lock_path: Path | None = None,  # None: no cross-process lock (always the poller)
        rng: random.Random | None = None,  # jitter; seeded in tests for repeatable timing
        team: TeamLink | None = None,  # team mode (docs/team.md): who polls and sends
    ) -> None:
        self.store = store
        self.client = client
        self.settings = settings or SyncSettings()
        self.clock = clock or time.time
        self._on_event = on_event
        self._lock = PollLock(lock_path) if lock_path else None
        self.team = team
        self.poller = Poller(store, client, self._emit)
        self.thread_filler = Poller(store, client, self._emit)  # its own stage: beside the poll
        self.sender = OutboxSender(
            store, client, self._emit, self.clock, read_only=self.settings.read_only
        )
        # writable instances share one sender per profile (a read-only poller must not block it)
        self._send_lock = (
            PollLock(lock_path.with_name(lock_path.name + ".outbox"))
            if lock_path and not self.settings.read_only
            else None
        )
        self.sender.backoff = Backoff(base=5.0, cap=300.0, rng=rng)
        self._backoff = Backoff(base=5.0, cap=self.settings.max_poll_interval, rng=rng)
        last = store.meta.get_meta(META_LAST_SUCCESS)
        self._last_success: float | None = float(last) if last else None
        self._state = SyncState(SyncStatus.SYNCING, self._last_success, message="starting")
        self._paused = False
        self._active_case: str | None = None
        self._active_since = 0.0
        self._last_change = self.clock()
        self._wake = asyncio.Event()
        self._outbox_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._watcher: StoreWatcher | None = None
        self.next_poll_at: float | None = None
        self.polls = 0

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._tasks:
            return
        if self.team is not None:
            if self._lock is not None:
                self._lock.try_acquire()  # the host's poller may lead the team; no other may
            await self.team.start(may_lead=self.is_poller, wake=self._wake.set)
        self._tasks = [
            asyncio.create_task(self._run(), name="expereo-poll"),
            asyncio.create_task(self._run_outbox(), name="expereo-outbox"),
            asyncio.create_task(self._run_threads(), name="expereo-threads"),
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.team is not None:
            with contextlib.suppress(Exception):
                await self.team.stop()
        if self._lock:
            self._lock.release()
        if self._send_lock:
            self._send_lock.release()

    # -- what the UI reads -------------------------------------------------------------------
    @property
    def state(self) -> SyncState:
        st = self._state
        skipped = self.client.skipped_count
        if skipped != st.skipped:
            st = replace(st, skipped=skipped)
        now = self.clock()
        if self._paused:
            return SyncState(
                SyncStatus.PAUSED,
                self._last_success,
                message="refresh paused (press p to resume)",
                skipped=skipped,
            )
        if not self.is_poller or self._team_follows():  # the poller's last success, not ours
            last = self.store.meta.get_meta(META_LAST_SUCCESS)
            self._last_success = float(last) if last else self._last_success
        limit = self.settings.stale_after_intervals * max(
            self.interval(), self.settings.poll_interval
        )
        if (
            st.status in (SyncStatus.FRESH, SyncStatus.SYNCING)
            and self._last_success
            and now - self._last_success > limit
        ):
            return SyncState(
                SyncStatus.STALE,
                self._last_success,
                st.next_attempt,
                message="data is older than three poll intervals",
                skipped=skipped,
            )
        return st

    @property
    def budget(self) -> RateBudget:
        return self.client.budget

    @property
    def features(self) -> frozenset[str]:
        """What the API behind this engine offers (``api.backend.Feature`` values)."""
        return self.client.features

    @property
    def is_poller(self) -> bool:
        """False when another process on this host holds the profile's poll lock."""
        return self._lock is None or self._lock.held

    @property
    def paused(self) -> bool:
        return self._paused

    def refresh_now(self) -> None:
        self.next_poll_at = self.clock()
        self._wake.set()

    def pause(self) -> None:
        self._paused = True
        self._emit(SyncStateChanged(self.state))

    def resume(self) -> None:
        self._paused = False
        self._emit(SyncStateChanged(self.state))
        self._wake.set()

    def set_active_case(self, case_id: str | None) -> None:
        """The case the user has open: polled more often, its thread fetched first."""
        self._active_case = case_id
        self._active_since = self.clock()

    def interval(self) -> float:
        """Seconds until the next poll, from activity and the remaining budget."""
        s = self.settings
        now = self.clock()
        base = s.poll_interval
        if self._active_case and now - max(self._active_since, self._last_change) < ACTIVE_FOR:
            base = s.active_poll_interval
        elif now - self._last_change > IDLE_AFTER:
            base = min(s.max_poll_interval, s.poll_interval * 2)
        budget = self.client.budget
        if budget.read_available < budget.read_capacity * 0.2:
            base = min(s.max_poll_interval, base * 2)
        # never faster than half the sustained read rate allows for a typical poll (3 requests),
        # so the user's own actions always find budget
        floor = 3.0 / max(budget.read_rate * 0.5, 0.01)
        return max(base, floor)

    # -- user actions ------------------------------------------------------------------------
    async def fetch_thread(self, case_id: str) -> None:
        """Fetch one case's thread now (the user opened it).  Failures only change the state.
        A team's follower fetches nothing: the leader fetches the thread of every case that
        changes, and the feed brings it."""
        if self._team_follows():
            return
        try:
            await self.poller.fetch_thread(case_id)
        except ApiError as exc:
            log.info("thread fetch for %s failed: %s", case_id, exc.message)
            self._note_failure(exc)
        except Exception as exc:  # a thread the user opened must not take the engine down
            self._note_crash(exc, self.poller.stage)

    @property
    def inventory_listed(self) -> bool:
        """The inventory has been listed whole at least once (a first sync lists it last)."""
        return self.store.meta.get_meta(META_INVENTORY_AT) is not None

    async def fetch_site_services(self, site_id: str) -> int:
        """Fetch one site's services now (the person opened it before the first sync's
        listing reached it); how many were new."""
        return await self._asked(
            self.poller.fetch_site_services(site_id), f"services of site {site_id}", "inventory", 0
        )

    async def fetch_invoice_lines(self, invoice_id: str) -> bool:
        """Fetch one invoice's line details now (the user opened it); True once they are in
        the store."""
        lines = self.poller.invoices.fetch_lines(invoice_id)
        return await self._asked(lines, f"invoice lines of {invoice_id}", "invoices", None) is not None

    async def fetch_missing_invoice_lines(self, account_id: str) -> int:
        """Fetch the lines of a few of an account's invoices not fetched yet, within the read
        budget (the user looks at a service's invoice lines); returns how many were fetched."""
        lines = self.poller.invoices.fetch_missing_lines(account_id)
        return await self._asked(lines, f"invoice lines of {account_id}", "invoices", 0)

    async def _asked(self, read: Coroutine[Any, Any, T], what: str, stage: str, nothing: T) -> T:
        """A read the person asked for by looking (a site, an invoice): failures only change
        the state, never take the engine down; a team's follower reads no API (``nothing``)."""
        if self._team_follows():
            read.close()
            return nothing
        try:
            return await read
        except ApiError as exc:
            log.info("%s not fetched: %s", what, exc.message)
            self._note_failure(exc)
        except Exception as exc:  # the person's look must not take the engine down
            self._note_crash(exc, stage)
        return nothing

    def _check_writable(self) -> None:
        if self.settings.read_only:
            raise ReadOnlyError("this profile is read-only: nothing can be sent")

    def _queued(self, entry_id: int, kind: str, case_id: str | None) -> int:
        if self._watcher:
            self._watcher.track(entry_id, "queued")
        if self.team is not None:  # handed to the team's outbox by its next round
            self.team.queued(entry_id)
        self._emit(
            OutboxChanged(
                entry_id=entry_id,
                kind=OutboxKind(kind),
                case_id=case_id,
                status=OutboxStatus.QUEUED,
            )
        )
        self._outbox_wake.set()
        return entry_id

    def send_again(self, entry_id: int) -> bool:
        """The user's decision on an entry that needs it: send it again (now)."""
        done = self.sender.send_again(entry_id)
        if done and self.team is not None:
            self.team.decided(entry_id, True)
        self._outbox_wake.set()
        return done

    def discard(self, entry_id: int) -> bool:
        """The user's decision on an entry that needs it: not sent; its text back to its draft."""
        done = self.sender.discard(entry_id)
        if done and self.team is not None:
            self.team.decided(entry_id, False)
        self._outbox_wake.set()  # its case's later writes may go now
        return done

    def send_reply(self, case_id: str, text: str, *, draft_key: str | None = None) -> int:
        """Queue a reply.  Raises ReadOnlyError, CaseClosedError (the store knows the case is
        Closed: nothing is queued or sent), ValueError (empty) or AlreadyQueued (the draft
        already has a pending entry)."""
        self._check_writable()
        if not text.strip():
            raise ValueError("the reply is empty")
        case = self.store.cases.case(case_id)
        if case is not None and case.status == CaseStatus.CLOSED:
            raise CaseClosedError(case_id)
        body = MessageCreate(message=text, sent_by=self.settings.sent_by).to_wire()
        entry = self.store.enqueue("reply", body, case_id=case_id, draft_key=draft_key)
        return self._queued(entry.id, "reply", case_id)

    def create_case(self, body: CaseCreate, *, draft_key: str | None = None) -> int:
        self._check_writable()
        if body.sent_by is None and self.settings.sent_by:
            body = body.model_copy(update={"sent_by": self.settings.sent_by})
        entry = self.store.enqueue("create", body.to_wire(), draft_key=draft_key)
        return self._queued(entry.id, "create", None)

    def update_case(self, case_id: str, body: CaseUpdate, *, draft_key: str | None = None) -> int:
        self._check_writable()
        entry = self.store.enqueue("update", body.to_wire(), case_id=case_id, draft_key=draft_key)
        return self._queued(entry.id, "update", case_id)

    def update_cases(self, updates: Sequence[tuple[str, CaseUpdate]]) -> list[int]:
        """Queue one update a case, all in one transaction (a bulk action from the inbox); the
        outbox sends them within the write budget, each exactly once."""
        self._check_writable()
        entries = self.store.outbox.enqueue_many(
            "update", [(case_id, body.to_wire()) for case_id, body in updates]
        )
        return [self._queued(e.id, "update", e.case_id) for e in entries]

    # -- the loops ---------------------------------------------------------------------------
    def _emit(self, event: SyncEvent) -> None:
        if isinstance(event, CasesChanged):
            self._last_change = self.clock()
        if self.team is not None:
            try:
                self.team.observe(event)  # the leader publishes what its poll changed
            except Exception:
                log.exception("team observer failed")
        try:
            self._on_event(event)
        except Exception:  # a broken listener must not stop the sync
            log.exception("sync event listener failed")

    def _set_state(self, state: SyncState) -> None:
        changed = (
            state.status,
            state.missing_scope,
            state.next_attempt,
            state.error,
            state.progress,
        ) != (
            self._state.status,
            self._state.missing_scope,
            self._state.next_attempt,
            self._state.error,
            self._state.progress,
        )
        self._state = state
        if changed or state.status == SyncStatus.FRESH:
            self._emit(SyncStateChanged(self.state))

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, seconds))

    async def _run(self) -> None:
        """The poll loop.  Nothing but cancellation ends it: whatever goes wrong in a cycle is
        logged with its traceback, shown as a sync error, and retried with back-off."""
        while True:
            try:
                if self._lock is not None and not self._lock.try_acquire():
                    if self.team is not None:
                        self.team.may_lead(False)  # this host's poller leads, or none here
                    await self._watch_once()
                    continue
                if self.team is not None:
                    self.team.may_lead(True)
                self._watcher = None
                notice = self.store.read_only_notice
                if notice is not None and self.store.database.late_read_only:
                    # it turned read-only while running: look again now and then (a remount)
                    if await asyncio.to_thread(self.store.retry_writes):
                        log.info("the store takes writes again: sync resumes")
                        notice = None
                if self._paused or notice is not None:  # read-only store: no writes
                    if notice is not None:
                        self._set_state(
                            SyncState(
                                SyncStatus.PAUSED, self._last_success, message="store_read_only"
                            )
                        )
                    late = notice is not None and self.store.database.late_read_only
                    await self._sleep(DISK_FULL_RETRY if late else 3600)
                    continue
                if self.team is not None:
                    delay = await self._team_once(self.team)
                else:
                    delay = await self.poll_once()
            except Exception as exc:
                delay = self._note_crash(exc, "loop")
            self.next_poll_at = self.clock() + delay
            await self._sleep(delay)

    async def _watch_once(self) -> None:
        """Not the poller: follow the store another instance keeps fresh."""
        if self._watcher is None:
            self._watcher = await asyncio.to_thread(StoreWatcher, self.store, self._emit)
            self._set_state(
                SyncState(
                    SyncStatus.FRESH,
                    self._last_success,
                    message="another instance on this host refreshes",
                )
            )
        if await asyncio.to_thread(self._watcher.check):
            last = self.store.meta.get_meta(META_LAST_SUCCESS)
            self._last_success = float(last) if last else None
            self._set_state(
                SyncState(
                    SyncStatus.FRESH,
                    self._last_success,
                    message="another instance on this host refreshes",
                )
            )
        await self._sleep(self.settings.watch_interval)

    _team_hold_until: float | None = None  # the team store away: no poll of ours before this

    def _team_follows(self) -> bool:
        """In a team and not polling for it: the API is not ours to read."""
        return self.team is not None and not self.team.leads()

    async def _team_once(self, team: TeamLink) -> float:
        """One cycle in team mode (the rule: ``team/link.py``); returns the seconds to wait."""
        s = self.settings
        away = team.away()
        if away is None:
            self._team_hold_until = None
            await team.follow()  # the leader too: the last rows of the previous one, first
            if team.leads():
                return await self.poll_once()
            last = self.store.meta.get_meta(META_LAST_SUCCESS)
            self._last_success = float(last) if last else self._last_success
            self._set_state(
                SyncState(SyncStatus.FRESH, self._last_success, message=team.status_line() or "")
            )
            return s.watch_interval
        seconds_away, led = away
        if led:  # at most one led: it keeps the team's rate
            return await self.poll_once()
        now = self.clock()
        hold = self._team_hold_until
        if hold is None:
            hold = self._team_hold_until = now + max(0.0, 2 * s.max_poll_interval - seconds_away)
        if now >= hold:
            await self.poll_once()
            self._team_hold_until = self.clock() + s.max_poll_interval * random.uniform(1.0, 1.2)
        self._set_state(
            replace(self._state, message=team.status_line() or "team store away", progress=None)
        )
        return s.watch_interval  # looks again soon: the team store may be back

    async def poll_once(self) -> float:
        """One poll (inventory when due, then cases); returns the seconds until the next."""
        now = self.clock()
        problem = self.store.problem
        if problem is not None and problem.code == "disk_full":
            if not await asyncio.to_thread(self.store.retry_writes):
                return self._disk_full()
            log.info("the store takes writes again: sync resumes")
        self._set_state(SyncState(SyncStatus.SYNCING, self._last_success, message="refreshing"))
        poller = self.poller
        bulk = False  # a first sync or an inventory refresh: many pages parsed and let go
        try:
            poller.stage = "meta"
            if self.store.meta.get_meta(META_FIRST_SYNC) is None:  # an empty store: cases first
                bulk = True
                await poller.first_sync(self._first_sync_progress, now=now)
                poller.stage = "meta"
                self.store.meta.set_meta(META_INVENTORY_AT, str(now))
            else:
                inv_at = float(self.store.meta.get_meta(META_INVENTORY_AT) or 0)
                if now - inv_at >= self.settings.inventory_interval:
                    bulk = True
                    await poller.refresh_inventory()
                    poller.stage = "meta"
                    self.store.meta.set_meta(META_INVENTORY_AT, str(now))
                await poller.poll_cases(since=self._last_success, now=now)
            poller.stage = "meta"
            last_success = self.clock()
            self.store.meta.set_meta(META_LAST_SUCCESS, str(last_success))
        except PaginationError as exc:
            return self._note_link_error(exc, poller.stage)
        except ApiError as exc:
            return self._note_failure(exc)
        except StoreFullError:
            return self._disk_full()
        except StoreReadOnlyError:  # found out while writing: stop writing (see _run)
            self._set_state(
                SyncState(SyncStatus.PAUSED, self._last_success, message="store_read_only")
            )
            return 0.0
        except Exception as exc:  # anything else: the poll must not die (logged, backed off)
            return self._note_crash(exc, poller.stage)
        finally:
            poller.stage = "idle"
        if bulk:  # the pages' memory goes back to the system, not kept at the peak
            await asyncio.to_thread(heap.give_back)
        self.polls += 1
        self._backoff.reset()
        self._last_success = last_success
        self._set_state(SyncState(SyncStatus.FRESH, self._last_success, message="up to date"))
        if self.team is not None and self.team.leads():
            try:
                await self.team.after_poll()  # the team's followers get what this poll changed
            except Exception:  # the poll itself succeeded; the feed tries again next time
                log.exception("publishing the poll to the team failed")
        return self.interval()

    async def _run_threads(self) -> None:
        """In the background, beside the polls: the threads of open cases the store does not
        hold as the API has them (none after the first sync; changed cases', ours included),
        most urgent first, with the read budget the polls leave (``_spare_reads``).  Only the
        instance that polls does it; a failure waits for the next round."""
        filler = self.thread_filler
        while True:
            fetched = 0
            if (
                self.is_poller
                and not self._team_follows()  # in a team, only its leader reads the API
                and not self._paused
                and self.polls > 0
                and self.store.problem is None
                and self._state.status == SyncStatus.FRESH
            ):
                try:
                    fetched = await filler.fetch_wanted_threads(self._spare_reads())
                except ApiError as exc:
                    log.info("background thread fetch stopped: %s", exc.message)
                except StoreFullError:
                    pass
                except Exception:  # never let the background fill stop the engine
                    log.exception("background thread fetch failed")
            await asyncio.sleep(THREAD_FILL_PAUSE if fetched else THREAD_FILL_IDLE)

    def _spare_reads(self) -> int:
        """How many threads a poll may fetch in the background: what the read budget holds
        beyond half its burst (the user's own actions always find budget), at most
        ``THREADS_PER_POLL``."""
        budget = self.client.budget
        spare = int(budget.read_available - budget.read_capacity * 0.5)
        return max(0, min(THREADS_PER_POLL, spare))

    def _first_sync_progress(self, progress: FirstSyncProgress) -> None:
        """After each page of the first sync: the UI shows how far it is (and the inbox the
        cases stored so far)."""
        self._set_state(
            SyncState(
                SyncStatus.SYNCING, self._last_success, message="first sync", progress=progress
            )
        )

    def _disk_full(self) -> float:
        """The store cannot be written: sync pauses, and tries to write again shortly."""
        delay = DISK_FULL_RETRY
        log.warning("disk full: %s; sync paused, next try in %.0f s", self.store.path, delay)
        self._set_state(
            SyncState(
                SyncStatus.PAUSED, self._last_success, self.clock() + delay, message="disk_full"
            )
        )
        return delay

    def _note_crash(self, exc: BaseException, stage: str) -> float:
        """An exception nobody foresaw: traceback to the log, a code to the UI, back-off."""
        if TOKEN_NOTE in getattr(exc, "__notes__", ()):
            stage = "token"
        delay = self._backoff.next()
        log.error(
            "sync poll failed while at stage %s (%s); retrying in %.0f s",
            stage,
            type(exc).__name__,
            delay,
            exc_info=exc,
        )
        now = self.clock()
        error = SyncError(code="internal", stage=stage, kind=type(exc).__name__)
        self._set_state(SyncState(SyncStatus.ERROR, self._last_success, now + delay, error=error))
        return delay

    def _note_link_error(self, exc: PaginationError, stage: str) -> float:
        """A list walk refused a next-page link (off-origin, repeated): retried with back-off."""
        delay = self._backoff.next()
        log.warning("poll stopped: %s; retrying in %.0f s", exc.message, delay)
        error = SyncError(code=exc.code, stage=stage, path=exc.path, host=exc.host or "")
        self._set_state(
            SyncState(SyncStatus.ERROR, self._last_success, self.clock() + delay, error=error)
        )
        return delay

    def _note_failure(self, exc: ApiError) -> float:
        now = self.clock()
        last = self._last_success
        if isinstance(exc, RateLimitedError):
            delay = max(exc.retry_after, 1.0)
            state = SyncState(SyncStatus.RATE_LIMITED, last, now + delay, message=exc.message)
        elif isinstance(exc, ForbiddenError):
            delay = self.settings.max_poll_interval
            state = SyncState(
                SyncStatus.FORBIDDEN,
                last,
                now + delay,
                missing_scope=exc.scope,
                message=exc.message,
            )
        elif isinstance(exc, UnauthorizedError):
            delay = self.settings.max_poll_interval
            refused = getattr(exc, "refused", None)  # invalid_scope: the scopes to remove
            state = SyncState(
                SyncStatus.UNAUTHORISED,
                last,
                now + delay,
                missing_scope=" ".join(refused) if refused else None,
                message=exc.message,
            )
        else:
            delay = self._backoff.next()
            state = SyncState(SyncStatus.OFFLINE, last, now + delay, message=exc.message)
        log.info("poll failed (%s); next try in %.0f s", exc.message, delay)
        self._set_state(state)
        return delay

    def _sends(self) -> bool:
        """Whether this instance sends the outbox: never when read-only; else the one writable
        instance holding the profile's outbox lock (no lock: always)."""
        if self.settings.read_only:
            return False
        return self._send_lock is None or self._send_lock.try_acquire()

    async def _run_outbox(self) -> None:
        while True:
            if self._sends() and self.store.problem is None:  # the store records each send
                try:
                    if self.team is not None:  # the team's one outbox (team/outbox.py)
                        await self.team.send_outbox(self.sender)
                    else:
                        await self.sender.send_due()
                except StoreFullError:
                    log.info("outbox waits: the store is full")
                except Exception:  # never let one bad entry stop the outbox
                    log.exception("outbox send failed")
            due = self.sender.next_due()
            # in a team, rows queued elsewhere may be due any time: look at least each second
            most = 5.0 if self.team is None else 1.0
            wait = most if due is None else min(most, max(0.2, due - self.clock()))
            self._outbox_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_wake.wait(), timeout=wait)
