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
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat
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
    interned strings are freed with their last reference), without its search text (held in
    the index's buffer)."""
    fields = list(key)
    fields[SEARCH] = None
    for i in _REPEATED:
        value = fields[i]
        if type(value) is str:
            fields[i] = sys.intern(value)
    return tuple(fields)


_STATUS_OF = operator.itemgetter(STATUS)
_UNREAD_OF = operator.itemgetter(UNREAD)
_ALL_BYTES = bytes(range(256))
FOUND_KEPT = 8  # recent texts whose cases are kept: a word typed on, or back with backspace


def _status_key(status: str | None) -> tuple[int, str]:
    return WORKFLOW_RANK.get(status or "", len(WORKFLOW)), status or ""


@dataclass(frozen=True)
class Matches:
    """The cases one query selects, in its sort order, and the header's counts."""

    keys: tuple[CaseKey, ...]
    unread: int
    by_status: dict[str, int]  # of the statuses it selects (every status if it selects none)

    @property
    def total(self) -> int:
        return len(self.keys)


class InboxIndex:
    """Answers inbox queries from memory; immutable once built (build a new one on change).

    The cases' search texts are not held one string a case: they are one buffer, UTF-8, each
    text followed by a NUL, and a case is found by where its text starts.  A filter keystroke
    is then a search of that buffer in C (``bytes.find``: ~10 ms over 100,000 cases, where a
    ``text in case`` test per case took 35-50 ms), and the texts cost their bytes only.  UTF-8
    is self-synchronising, so a match of the typed text's bytes is a match of its characters;
    a NUL in a case's text (never typed) reads as a space."""

    def __init__(self, keys: Iterable[Sequence[Any]]) -> None:
        every: list[CaseKey] = []
        text = bytearray()  # grown in place: never every text twice, as objects and joined
        self._starts = array("q", [0])
        for key in keys:
            text += (key[SEARCH] or "").replace("\0", " ").encode()
            text.append(0)
            self._starts.append(len(text))
            every.append(_shared(key))
        # tuples, not lists: a tuple of tuples of strings and ints leaves the garbage
        # collector's care after its first pass, so its full passes (one every few keystrokes)
        # no longer walk the 100,000 cases of each order kept (15-25 ms a pass on xl)
        self._keys: tuple[CaseKey, ...] = tuple(every)
        self._text = bytes(text)
        del text, every
        self._orders: dict[tuple[tuple[str, bool], ...], _Order] = {}
        self._scopes: dict[tuple[Any, frozenset[str]], tuple[array[int], tuple[CaseKey, ...]]] = {}
        self._found: dict[tuple[object, str], array[int]] = {}  # recent texts: who has them
        self._last: tuple[CaseQuery, Matches] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def _ordered(self, sort: tuple[tuple[str, bool], ...]) -> _Order:
        """Every case in ``sort`` order: stable sorts from the least significant key up."""
        found = self._orders.get(sort)
        if found is None:
            keys = self._keys
            order = sorted(range(len(keys)), key=lambda p: keys[p][ID])
            for column, desc in reversed(sort):
                i = _FIELD[column]
                if column == "status":  # the workflow's order; unknown statuses last
                    order.sort(key=lambda p: _status_key(keys[p][STATUS]), reverse=desc)
                    order.sort(key=lambda p: keys[p][STATUS] not in WORKFLOW_RANK)
                    continue
                order.sort(key=lambda p: "" if keys[p][i] is None else keys[p][i], reverse=desc)
                order.sort(key=lambda p: keys[p][i] is None)  # nulls last, whatever the direction
            found = _Order(array("q", order), tuple([keys[p] for p in order]))
            self._orders[sort] = found
        return found

    def _scope(
        self, sort: tuple[tuple[str, bool], ...], statuses: frozenset[str]
    ) -> tuple[array[int], tuple[CaseKey, ...]]:
        """The cases of ``statuses`` (every case when none is given) in ``sort`` order: their
        positions and keys.  Kept per sort and statuses: the open cases of an account with
        years of history are a few of its cases, and a keystroke tries those only."""
        order = self._ordered(sort)
        if not statuses:
            return order.positions, order.keys
        scoped = self._scopes.get((sort, statuses))
        if scoped is None:
            keys = self._keys
            positions = array("q", (p for p in order.positions if keys[p][STATUS] in statuses))
            scoped = positions, tuple([keys[p] for p in positions])
            self._scopes[(sort, statuses)] = scoped
        return scoped

    def prepare(self, sort: tuple[tuple[str, bool], ...], statuses: frozenset[str]) -> None:
        """Sort the cases and pick those of ``statuses`` now (from a worker thread), so that a
        query in that order asks for neither."""
        self._scope(sort, statuses)

    def statuses(self) -> frozenset[str]:
        """The statuses the cases have (``?``: none).  The warm-up asks here, not
        :meth:`CaseStore.statuses`: its reads stay off the app's connection."""
        return frozenset("?" if k[STATUS] is None else k[STATUS] for k in self._keys)

    def _having(self, scope: array[int], scope_key: object, text: str) -> array[int]:
        """The positions in ``scope`` (in its order) of the cases whose search text has
        ``text``.  A recent text that ``text`` contains bounds the answer: only its cases are
        tried.  A few cases are tried one by one; most are searched in the buffer, in C."""
        found = self._found.get((scope_key, text))
        if found is None:
            known = [f for (k, t), f in self._found.items() if k == scope_key and t in text]
            candidates = min(known, key=len, default=scope)
            needle = text.encode()
            if len(candidates) * 4 < len(self._keys):
                text_of = self._text_of
                found = array("q", (p for p in candidates if needle in text_of(p)))
            else:
                having = self._search(needle, dense=len(candidates) * 2 > len(self._keys))
                found = array("q", compress(candidates, map(having.__getitem__, candidates)))
            if len(self._found) >= FOUND_KEPT:
                del self._found[next(iter(self._found))]  # the oldest
        else:
            del self._found[(scope_key, text)]  # kept again below, as the newest
        self._found[(scope_key, text)] = found
        return found

    def _text_of(self, position: int) -> bytes:
        return self._text[self._starts[position] : self._starts[position + 1]]  # and its NUL

    def _search(self, needle: bytes, *, dense: bool) -> bytearray:
        """Which cases' texts have ``needle`` (a byte a case, 1 where it does), in C:

        - a single byte, in most texts: the buffer cut down to that byte and the NULs; the
          texts left non-empty are those that have it;
        - in most texts (``dense``): every text tested;
        - in some: the buffer searched, from one case's match on from the next case."""
        n = len(self._keys)
        if len(needle) == 1:
            others = _ALL_BYTES.translate(None, needle + b"\0")
            pieces = self._text.translate(None, others).split(b"\0")
            return bytearray(map(bool, pieces))  # (one more: the end's)
        if dense:
            pieces = self._text.split(b"\0")
            return bytearray(map(operator.contains, pieces, repeat(needle)))
        starts, find, place = self._starts, self._text.find, bisect_right
        having = bytearray(n)
        at = find(needle)
        while at >= 0:
            p = place(starts, at) - 1
            having[p] = 1
            at = find(needle, starts[p + 1])
        return having

    def matches(self, query: CaseQuery) -> Matches:
        """The query's cases in its order, and their counts: per status, only the statuses the
        query selects (every status when it selects none), as the header shows them."""
        if self._last is not None and self._last[0] == query:
            return self._last[1]
        positions, keys = self._scope(query.sort, query.statuses)
        text = query.text.strip().lower().replace("\0", " ")
        if text:  # usually the most selective test, and the one typed a key at a time
            every = self._keys
            found = self._having(positions, (query.sort, query.statuses), text)
            keys = tuple(map(every.__getitem__, found))
        for i, wanted in _tests(query):  # each a pass over what is left
            keys = tuple([k for k in keys if wanted(k[i])])
        by_status = Counter(map(_STATUS_OF, keys))
        if None in by_status:
            by_status["?"] += by_status.pop(None)
        unread = sum(map(_UNREAD_OF, keys))
        result = Matches(keys=keys, unread=unread, by_status=dict(by_status))
        self._last = (query, result)
        return result


@dataclass(frozen=True)
class _Order:
    """The cases in one sort order: their positions in the index and their keys."""

    positions: array[int]
    keys: tuple[CaseKey, ...]


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
