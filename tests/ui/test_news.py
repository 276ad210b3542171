"""News: a poll's data events become one read of every open case, by the SLA alerts and the
wall together, once the poll is over (it was one read per event: a poll that fetched twenty
threads read every open case twenty-one times)."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.api.vocab import OPEN_STATUSES
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.events import (
    CaseChange,
    CasesChanged,
    MessagesAdded,
    OutboxChanged,
    OutboxKind,
    OutboxStatus,
    SyncError,
    SyncEvent,
    SyncState,
    SyncStateChanged,
    SyncStatus,
)
from expereo_tui.triage import read_model as triage_data
from expereo_tui.ui import news
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.shift import alerts
from tests.sim_fixtures import FakeClock

from .conftest import until
from .test_triage_inbox import T0, make_sla_pair, message


def state(status: SyncStatus) -> SyncStateChanged:
    error = SyncError(code="internal", stage="cases") if status is SyncStatus.ERROR else None
    return SyncStateChanged(SyncState(status, T0, error=error))


def changed(case_id: str = "CS-1") -> CasesChanged:
    return CasesChanged((CaseChange(case_id, is_new=False),))


def deliver(app: ExpereoApp, *events: SyncEvent) -> None:
    for event in events:
        app.deliver_sync_event(event)


@pytest.fixture
def looks(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], list[int]]:
    """(the SLA alerts' looks at every clock, reads of the open cases from the store).  A long
    poll's own timer is out of the way (400 rounds of a test can last NEWS_MAX_WAIT): what
    publishes here is the poll's end."""
    monkeypatch.setattr(news, "NEWS_MAX_WAIT", 3600.0)
    sla: list[int] = []
    reads: list[int] = []
    real_sla, real_rows = alerts.read_sla, triage_data.open_rows
    monkeypatch.setattr(alerts, "read_sla", lambda *a, **k: (sla.append(1), real_sla(*a, **k))[1])
    monkeypatch.setattr(triage_data, "open_rows", lambda s: (reads.append(1), real_rows(s))[1])
    return sla, reads


async def test_a_poll_is_read_once_when_it_is_over(
    tmp_path: Path, looks: tuple[list[int], list[int]]
) -> None:
    sla, _ = looks
    _, app = make_sla_pair(tmp_path, FakeClock(T0))
    async with app.run_test() as pilot:
        await until(pilot, lambda: sla == [1])  # at start
        deliver(app, state(SyncStatus.SYNCING))
        deliver(app, changed(), *(MessagesAdded(c, ("m",)) for c in ("CS-1", "CS-OLD")))
        await pilot.pause()
        assert sla == [1] and app.news.pending  # not yet: the poll goes on
        deliver(app, state(SyncStatus.FRESH))
        await until(pilot, lambda: sla == [1, 1])
        assert app.news.published == 1
        deliver(app, state(SyncStatus.SYNCING), state(SyncStatus.FRESH))  # an idle poll
        deliver(app, OutboxChanged(1, OutboxKind.REPLY, "CS-1", OutboxStatus.SENT))  # not case data
        await pilot.pause()
        assert sla == [1, 1] and app.news.published == 1


@pytest.mark.parametrize(
    "end", [SyncStatus.ERROR, SyncStatus.OFFLINE, SyncStatus.RATE_LIMITED, SyncStatus.PAUSED]
)
async def test_a_poll_cut_short_still_publishes_what_it_stored(
    tmp_path: Path, looks: tuple[list[int], list[int]], end: SyncStatus
) -> None:
    sla, _ = looks
    _, app = make_sla_pair(tmp_path, FakeClock(T0))
    async with app.run_test() as pilot:
        await until(pilot, lambda: sla == [1])
        deliver(app, state(SyncStatus.SYNCING), changed(), state(end))
        await until(pilot, lambda: sla == [1, 1])


async def test_news_outside_a_poll_and_during_a_long_one(
    tmp_path: Path, looks: tuple[list[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another instance's changes (no poll here) come together for NEWS_DELAY; a long poll
    (a first sync, a slow link) still publishes what it has every NEWS_MAX_WAIT."""
    monkeypatch.setattr(news, "NEWS_DELAY", 0.01)
    monkeypatch.setattr(news, "NEWS_MAX_WAIT", 0.05)
    sla, _ = looks
    _, app = make_sla_pair(tmp_path, FakeClock(T0))
    async with app.run_test() as pilot:
        await until(pilot, lambda: sla == [1])
        deliver(app, changed(), changed("CS-OLD"))
        await until(pilot, lambda: app.news.published == 1)
        await until(pilot, lambda: sla == [1, 1])
        deliver(app, state(SyncStatus.SYNCING), changed())
        await until(pilot, lambda: app.news.published == 2)
        assert app.news.polling  # published while the poll still runs
        await until(pilot, lambda: sla == [1, 1, 1])
        deliver(app, state(SyncStatus.FRESH))  # nothing new since: nothing to publish
        await pilot.pause()
        assert app.news.published == 2


async def test_the_alerts_and_the_wall_share_one_read(
    sim: Simulator, store: Store, sim_clock: FakeClock, looks: tuple[list[int], list[int]]
) -> None:
    from .test_wall import _wall, make_wall

    sla, reads = looks
    app = make_wall(sim, store, sim_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _wall(app, pilot)
        await until(pilot, lambda: sla == [1] and not app.workers)
        before, wall_reads = len(reads), screen.reads
        case_id = store.cases.query_cases(CaseQuery(statuses=OPEN_STATUSES), limit=1)[0].id
        store.cases.upsert_messages(
            case_id, [message(90, "Expereo")], whole_thread=True
        )  # what a poll stored
        deliver(app, state(SyncStatus.SYNCING), changed(case_id), state(SyncStatus.FRESH))
        await until(pilot, lambda: sla == [1, 1] and screen.reads == wall_reads + 1)
        await until(pilot, lambda: not app.workers)
        assert len(reads) == before + 1  # one read of every open case, for both
