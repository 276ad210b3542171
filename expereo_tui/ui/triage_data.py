"""Triage over every open case, read from the store in one go: for the wall's tiles, the SLA
alerts and the inbox's cluster line (each a few queries, no request to the API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from expereo_tui.store.store import CaseActivity, CaseQuery, CaseRow
from expereo_tui.triage.board import Board, board
from expereo_tui.triage.clusters import Cluster, clusters
from expereo_tui.triage.sla import EXAMPLE_TARGETS, Targets

OPEN = frozenset({"New", "In Progress", "Awaiting Customer"})


@dataclass(frozen=True)
class Triage:
    rows: list[CaseRow]
    activity: Mapping[str, CaseActivity]
    board: Board
    clusters: list[Cluster]


def targets_of(options: Any) -> Mapping[str, Targets]:
    return getattr(options, "sla_targets", None) or EXAMPLE_TARGETS


def open_rows(store: Any) -> list[CaseRow]:
    query = CaseQuery(statuses=OPEN)
    rows: list[CaseRow] = store.query_cases(query, limit=max(1, store.count_cases(query)))
    return rows


def read_triage(store: Any, options: Any, now: float) -> Triage:
    rows = open_rows(store)
    activity = store.activity.activity([r.id for r in rows])
    return Triage(
        rows=rows,
        activity=activity,
        board=board(rows, activity, targets_of(options), now),
        clusters=clusters(rows, store.activity.site_cities()),
    )
