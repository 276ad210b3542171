"""The inbox's filter and sort fields of every case, held in memory.

A filter keystroke asks for the first screenful of matches and the header's counts.  In SQL that
is two scans of the cases table joined with the read state (10–30 ms on 10,000 cases); here it
is one pass over a list kept in the query's sort order (1–3 ms).  The store builds the index from
one query and drops it whenever its data changes (its own writes, or another process's commit),
so it is never staler than the database.  Semantics are those of :meth:`CaseStore.query_cases`:
filters combine with AND, a sort column orders non-null values (ascending or descending) before
nulls, and the case id breaks ties.
"""

from __future__ import annotations

import operator
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from expereo_tui.api.vocab import CaseStatus

if TYPE_CHECKING:
    from .query import CaseQuery


# What the inbox filters and sorts a case by, one plain tuple a case in this order.  Plain
# tuples of strings and ints, not a NamedTuple: the garbage collector stops tracking those, so
# 10,000 of them cost its full collections nothing (a NamedTuple's 15 fields would be walked
# on every one, ~10 ms, landing on keystrokes).
FIELDS = (
    "id", "status", "priority", "type", "subject", "service_id", "service", "site_id", "site",
    "account_id", "customer_reference", "last_modified", "created", "search", "unread",
)  # fmt: skip
CaseKey = tuple[Any, ...]

#: statuses sort by where a case is in its workflow, not by the alphabet; any other status
#: (unknown, or none) sorts after these, whichever the direction
WORKFLOW: tuple[str, ...] = tuple(CaseStatus)  # the API's statuses, in workflow order
WORKFLOW_RANK = {status: rank for rank, status in enumerate(WORKFLOW)}
(ID, STATUS, PRIORITY, TYPE, SUBJECT, SERVICE_ID, SERVICE, SITE_ID, SITE, ACCOUNT_ID,
 CUSTOMER_REFERENCE, LAST_MODIFIED, CREATED, SEARCH, UNREAD) = range(len(FIELDS))  # fmt: skip
_FIELD = {name: i for i, name in enumerate(FIELDS)}

# the SELECT list that yields those fields but the last, in order (CaseStore._FROM_NAMES aliases)
COLUMNS_SQL = (
    "c.id, c.status, c.priority, c.type, c.subject, c.service_id, s.name, c.site_id, st.name, "
    "c.account_id, c.customer_reference, c.last_modified, c.created, coalesce(c.search, '')"
)


# The fields whose values repeat from case to case (a handful of statuses, priorities, types,
# accounts; a site or service for several cases): each distinct value is kept once.  SQLite
# hands out a new string per row and column, and on 10,000 cases those copies were 5 of the
# index's 13 MB.
_REPEATED = (STATUS, PRIORITY, TYPE, SUBJECT, SERVICE_ID, SERVICE, SITE_ID, SITE, ACCOUNT_ID,
             CUSTOMER_REFERENCE)  # fmt: skip


def _shared(key: Sequence[Any]) -> CaseKey:
    """``key`` as a tuple whose repeated fields are the strings already held (``sys.intern``:
    interned strings are freed with their last reference)."""
    fields = list(key)
    for i in _REPEATED:
        value = fields[i]
        if type(value) is str:
            fields[i] = sys.intern(value)
    return tuple(fields)


def _status_key(status: str | None) -> tuple[int, str]:
    return WORKFLOW_RANK.get(status or "", len(WORKFLOW)), status or ""


@dataclass(frozen=True)
class Matches:
    """The cases one query selects, in its sort order, and the header's counts."""

    keys: list[CaseKey]
    unread: int
    by_status: dict[str, int]  # the same query without its status filter

    @property
    def total(self) -> int:
        return len(self.keys)


class InboxIndex:
    """Answers inbox queries from memory; immutable once built (build a new one on change)."""

    def __init__(self, keys: Iterable[Sequence[Any]]) -> None:
        self._keys = [_shared(k) for k in keys]
        self._orders: dict[tuple[tuple[str, bool], ...], list[CaseKey]] = {}
        self._last: tuple[CaseQuery, Matches] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def _ordered(self, sort: tuple[tuple[str, bool], ...]) -> list[CaseKey]:
        """Every case in ``sort`` order: stable sorts from the least significant key up."""
        order = self._orders.get(sort)
        if order is None:
            order = sorted(self._keys, key=lambda k: k[ID])
            for column, desc in reversed(sort):
                i = _FIELD[column]
                if column == "status":  # the workflow's order; unknown statuses last
                    order.sort(key=lambda k: _status_key(k[STATUS]), reverse=desc)
                    order.sort(key=lambda k: k[STATUS] not in WORKFLOW_RANK)
                    continue
                order.sort(key=lambda k: "" if k[i] is None else k[i], reverse=desc)
                order.sort(key=lambda k: k[i] is None)  # nulls last, whatever the direction
            self._orders[sort] = order
        return order

    def matches(self, query: CaseQuery) -> Matches:
        if self._last is not None and self._last[0] == query:
            return self._last[1]
        keys = self._ordered(query.sort)
        text = query.text.strip().lower()
        if text:  # usually the most selective test, and the one typed a key at a time
            keys = [k for k in keys if text in k[SEARCH]]
        for i, wanted in _tests(query):  # each a pass over what is left
            keys = [k for k in keys if wanted(k[i])]
        by_status = Counter("?" if k[STATUS] is None else k[STATUS] for k in keys)
        if query.statuses:
            keys = [k for k in keys if k[STATUS] in query.statuses]
        result = Matches(keys=keys, unread=sum(k[UNREAD] for k in keys), by_status=dict(by_status))
        self._last = (query, result)
        return result


def _tests(query: CaseQuery) -> list[tuple[int, Callable[[Any], bool]]]:
    """The query's tests (field, test of its value) but for its text and statuses."""
    tests: list[tuple[int, Callable[[Any], bool]]] = []
    if query.priorities:
        tests.append((PRIORITY, query.priorities.__contains__))
    if query.types:
        tests.append((TYPE, query.types.__contains__))
    for field, value in (
        (SERVICE_ID, query.service_id),
        (SITE_ID, query.site_id),
        (ACCOUNT_ID, query.account_id),
    ):
        if value is not None:  # (not value.__eq__: it answers NotImplemented, truthy, to None)
            tests.append((field, partial(operator.eq, value)))
    if query.unread_only:
        tests.append((UNREAD, bool))
    if query.hidden_ids:
        tests.append((ID, lambda case_id: case_id not in query.hidden_ids))
    if query.only_ids is not None:
        tests.append((ID, query.only_ids.__contains__))
    return tests
