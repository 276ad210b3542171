"""Incident clusters: open incidents that share a site, a service or a city and started close
together are probably one outage.

Incidents sharing a key are ordered by start (start of incident, else creation); a run in which
each starts within ``window`` of the one before is a cluster when it holds two or more.  The
most specific key wins: a group found by site is not found again by its service or city.  A
cluster dissolves by itself as its cases resolve or close (they are no longer open incidents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from expereo_tui.store.cases import CaseRow

from .sla import CLOSED_STATUSES, INCIDENT

DEFAULT_WINDOW = 30 * 60.0  # seconds


@dataclass(frozen=True)
class Cluster:
    """Open incidents with a probable common cause."""

    kind: str  # "site" | "service" | "city"
    key: str  # the site id, service id or city
    label: str  # what people call it: the site's or service's name, or the city
    case_ids: tuple[str, ...]  # in order of start
    since: float  # the first one's start (seconds since the epoch)


def _start(row: CaseRow) -> float | None:
    moment = row.start_of_incident or row.created_date
    return moment.timestamp() if moment else None


def clusters(
    rows: Sequence[CaseRow],
    cities: Mapping[str, str],
    *,
    window: float = DEFAULT_WINDOW,
) -> list[Cluster]:
    """The clusters among ``rows`` (any cases: only open incidents count); ``cities`` maps a
    site id to its city.  Largest first, then the earliest."""
    incidents = [
        (start, r)
        for r in rows
        if r.type == INCIDENT and r.status not in CLOSED_STATUSES and (start := _start(r))
    ]
    groups: dict[tuple[str, str], list[tuple[float, CaseRow]]] = {}
    labels: dict[tuple[str, str], str] = {}
    for start, r in incidents:
        keys = [
            ("site", r.site_id, r.site_name or r.site_id),
            ("service", r.service_id, r.service_name or r.service_id),
            ("city", cities.get(r.site_id or ""), cities.get(r.site_id or "")),
        ]
        for kind, key, label in keys:
            if key:
                groups.setdefault((kind, key), []).append((start, r))
                labels[(kind, key)] = label or key
    found: list[Cluster] = []
    taken: list[frozenset[str]] = []
    for kind in ("site", "service", "city"):
        for (k, key), members in sorted(groups.items()):
            if k != kind:
                continue
            members.sort(key=lambda m: (m[0], m[1].id))
            run: list[tuple[float, CaseRow]] = []
            for member in [*members, None]:
                if member is not None and (not run or member[0] - run[-1][0] <= window):
                    run.append(member)
                    continue
                ids = frozenset(m[1].id for m in run)
                if len(run) >= 2 and not any(ids <= t for t in taken):
                    taken.append(ids)
                    found.append(
                        Cluster(kind, key, labels[(k, key)], tuple(m[1].id for m in run), run[0][0])
                    )
                run = [member] if member is not None else []
    found.sort(key=lambda c: (-len(c.case_ids), c.since, c.kind, c.key))
    return found
