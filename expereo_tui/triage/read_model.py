"""Triage over every open case, read from the store in one go: for the wall's tiles, the SLA
alerts and the inbox's cluster line (each a few queries, no request to the API)."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from expereo_tui.api.vocab import open_statuses
from expereo_tui.store.store import CaseActivity, CaseQuery, CaseRow
from expereo_tui.triage.board import Board, board
from expereo_tui.triage.clusters import Cluster, clusters
from expereo_tui.triage.sla import EXAMPLE_TARGETS, Clock, Level, Targets, clocks, sla_next
from expereo_tui.triage.turn import waiting_on_us

_NO_ACTIVITY = CaseActivity()


@dataclass(frozen=True)
class Triage:
    """The open cases as triage reads them: rows, activity, board and clusters."""

    rows: list[CaseRow]
    activity: Mapping[str, CaseActivity]
    board: Board
    clusters: list[Cluster]


def targets_of(options: Any) -> Mapping[str, Targets]:
    return getattr(options, "sla_targets", None) or EXAMPLE_TARGETS


def open_rows(store: Any) -> list[CaseRow]:
    # one definition of open (api/vocab.py): the documented ones and any status the API added
    # since that is not a known closed one
    query = CaseQuery(statuses=open_statuses(store.cases.statuses()))
    rows: list[CaseRow] = store.cases.query_cases(
        query, limit=max(1, store.cases.count_cases(query))
    )
    return rows


OpenRead = tuple[list[CaseRow], Mapping[str, CaseActivity]]


class OpenCases:
    """Every open case and its activity as of the store's last write, read once and shared by
    whoever asks until the store is written again.  On a wall that runs for days the SLA alerts
    and the wall's tiles both want them after every poll with news, each in its own thread and
    often at once: two reads meant two copies of every open case built and dropped together,
    and each new peak stayed behind in the allocator's arenas (half the soak's early growth).
    A second reader waits for the first and takes the same lists (read them, never change them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: object = None
        self._read: OpenRead | None = None

    def read(self, store: Any) -> OpenRead:
        with self._lock:
            stamp = store.stamp()  # before the read: a write during it makes the next one read
            if self._read is None or stamp != self._stamp:
                self._read = None  # the old lists go before the new ones are built
                rows = open_rows(store)
                self._read = (rows, store.activity.activity([r.id for r in rows]))
                self._stamp = stamp
            return self._read


_SHARED: WeakKeyDictionary[Any, OpenCases] = WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def read_open(store: Any) -> OpenRead:
    """Every open case and its activity, shared by the readers of one store (:class:`OpenCases`)."""
    with _SHARED_LOCK:
        shared = _SHARED.get(store)
        if shared is None:
            shared = _SHARED[store] = OpenCases()
    return shared.read(store)


def read_triage(store: Any, options: Any, now: float) -> Triage:
    rows, activity = read_open(store)
    return Triage(
        rows=rows,
        activity=activity,
        board=board(rows, activity, targets_of(options), now),
        clusters=clusters(rows, store.activity.site_cities()),
    )


ClockKey = tuple[str, str]  # (case id, Clock.key)
_RANK = {Level.OK: 0, Level.AT_RISK: 1, Level.BREACHED: 2}


@dataclass(frozen=True)
class ClockChange:
    """One clock seen at a worse level than before (what an SLA alert is about)."""

    row: CaseRow
    clock: Clock
    level: Level


class SlaWatch:
    """Every SLA clock of the open cases, read once when the data changes, and the instant the
    next of them moves to a worse level: nothing is recomputed until then, and then only the
    cases whose clocks are due (their rows and activity are kept: no store query).

    Between two data changes a case's clocks change only with time: a running clock goes from
    ok to at risk to breached; a paused one (Awaiting Customer) stays where it is."""

    def __init__(
        self,
        rows: list[CaseRow],
        activity: Mapping[str, CaseActivity],
        targets: Mapping[str, Targets],
        now: float,
        before: Mapping[ClockKey, Level] | None = None,
    ) -> None:
        """``before``: each clock's level at the last look; a clock worse now is in
        ``changes`` (one not in it is first seen: only noted)."""
        self.targets = targets
        self.levels: dict[ClockKey, Level] = {}  # each clock's level, as last looked at
        self.worst: dict[str, Level] = {}  # each case's worst clock (the board counts cases)
        self._cases: dict[str, tuple[CaseRow, CaseActivity]] = {}  # whose clocks will move
        self._due: list[tuple[float, str]] = []  # (instant, case id): a heap
        self.changes: list[ClockChange] = []  # worse than ``before``
        for row in rows:
            found, due = self._look(row, activity.get(row.id, _NO_ACTIVITY), now, before or {})
            self.changes += _worse(row, found)
            if due is not None:
                self._due.append((due, row.id))
        heapq.heapify(self._due)

    def _look(
        self, row: CaseRow, act: CaseActivity, now: float, before: Mapping[ClockKey, Level]
    ) -> tuple[list[tuple[Clock, Level | None]], float | None]:
        """The case's clocks at ``now``, each with its level before (None: first seen), noted;
        and when the next of them changes level."""
        found = []
        worst = Level.OK
        due: float | None = None
        for clock in clocks(row, act, self.targets, now):
            key = (row.id, clock.key)
            found.append((clock, before.get(key)))
            self.levels[key] = clock.level
            if _RANK[clock.level] > _RANK[worst]:
                worst = clock.level
            at = sla_next(clock, now)
            if at is not None and (due is None or at < due):
                due = at
        if found:
            self.worst[row.id] = worst
        if due is not None:
            self._cases[row.id] = (row, act)
        else:
            self._cases.pop(row.id, None)
        return found, due

    @property
    def next_due(self) -> float | None:
        """The next instant a clock changes level (None: none will without new data)."""
        return self._due[0][0] if self._due else None

    def advance(self, now: float) -> list[ClockChange]:
        """Look again at the cases whose clocks were due by ``now``: the clocks now worse."""
        changes: list[ClockChange] = []
        while self._due and self._due[0][0] <= now:
            case_id = heapq.heappop(self._due)[1]
            if case_id not in self._cases:
                continue
            row, act = self._cases[case_id]
            found, due = self._look(row, act, now, self.levels)
            changes += _worse(row, found)
            if due is not None:
                heapq.heappush(self._due, (due, case_id))
        return changes

    @property
    def breached(self) -> int:
        return sum(1 for level in self.worst.values() if level is Level.BREACHED)

    @property
    def at_risk(self) -> int:
        return sum(1 for level in self.worst.values() if level is Level.AT_RISK)


def _worse(row: CaseRow, found: list[tuple[Clock, Level | None]]) -> list[ClockChange]:
    return [
        ClockChange(row, clock, clock.level)
        for clock, before in found
        if before is not None and _RANK[clock.level] > _RANK[before]
    ]


def read_sla(
    store: Any,
    options: Any,
    now: float,
    priorities: Any = None,
    before: Mapping[ClockKey, Level] | None = None,
) -> SlaWatch:
    """The SLA watch over every open case (of ``priorities``, if given): every open case and
    its activity from the store, so run it in a thread on a large account."""
    rows, activity = read_open(store)
    if priorities:
        rows = [r for r in rows if r.priority in priorities]
    return SlaWatch(rows, activity, targets_of(options), now, before)


@dataclass(frozen=True)
class WallTriage:
    """What the wall's triage tiles show, read when the data changes: the SLA watch (its
    counts move with time alone: SlaWatch.advance), the cases waiting on us, the clusters."""

    sla: SlaWatch
    waiting_on_us: tuple[str, ...]  # the ids (turn.waiting_on_us), the tile shows how many
    clusters: list[Cluster]


def read_wall_triage(store: Any, options: Any, now: float) -> WallTriage:
    """Every open case and its activity, once (run it in a thread on a large account)."""
    rows, activity = read_open(store)
    return WallTriage(
        sla=SlaWatch(rows, activity, targets_of(options), now),
        waiting_on_us=tuple(r.id for r in waiting_on_us(rows, activity, store.shift.snoozed_ids())),
        clusters=clusters(rows, store.activity.site_cities()),
    )
