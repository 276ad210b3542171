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
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, count, islice, repeat
from operator import itemgetter
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


# A case's fields but its id, its search text and its read state are held as codes, one array
# a field: the distinct values of a field are sorted (the workflow's order for statuses), and a
# case's code is its value's place in that order (0: none).  Sorting by the codes is sorting by
# the values, and a case costs a few bytes a field: as a tuple of its values (interned where
# they repeat) a case cost ~600 bytes, its two timestamps ~150 of them (#30: 100,000 cases).
# The values themselves are kept only where a query names one (the filters); the others are
# dropped once ranked.
_CODED = (STATUS, PRIORITY, TYPE, SUBJECT, SERVICE_ID, SERVICE, SITE_ID, SITE, ACCOUNT_ID,
          CUSTOMER_REFERENCE, LAST_MODIFIED, CREATED)  # fmt: skip
# the fields a query names, whose values are kept: those with a few values many cases share,
# and those with many (a service, a site)
_FEW = (STATUS, PRIORITY, TYPE, ACCOUNT_ID)
_MANY = (SERVICE_ID, SITE_ID)
_SORTED_ONLY = (SUBJECT, SERVICE, SITE, CUSTOMER_REFERENCE, LAST_MODIFIED, CREATED)
_ID_OF, _UNREAD_OF = itemgetter(ID), itemgetter(UNREAD)
_ALL_BYTES = bytes(range(256))
FOUND_KEPT = 8  # recent texts whose cases are kept: a word typed on, or back with backspace


def _status_key(status: str | None) -> tuple[int, str]:
    return WORKFLOW_RANK.get(status or "", len(WORKFLOW)), status or ""


def _codes(
    first: array[int], seen: dict[Any, int], field: int
) -> tuple[array[int], tuple[Any, ...]]:
    """A field's codes in the order of its values, and its values by code (0: None).

    ``first`` is the cases' codes in the order their values were first seen, ``seen`` each
    value's such code (its place in ``seen``).  Statuses are ordered by the workflow (a case
    without one among the unknown statuses); other values by themselves, None (code 0) before
    them all."""
    values = list(seen)
    if field == STATUS:
        ranked = sorted(range(len(values)), key=lambda c: _status_key(values[c]))
    else:
        none = seen.get(None)
        if none is not None:
            values[none] = ""  # (to be sortable; it is given code 0 below)
        ranked = sorted(range(len(values)), key=values.__getitem__)
        if none is not None:
            ranked.remove(none)
            values[none] = None
    remap = [0] * len(values)
    for code, was in enumerate(ranked, start=1):
        remap[was] = code
    typecode = "B" if len(ranked) < 256 else "H" if len(ranked) < 65536 else "I"
    return array(typecode, map(remap.__getitem__, first)), (None, *map(values.__getitem__, ranked))


class Packed:
    """Strings held as one UTF-8 buffer, ``\\0s\\0s\\0``: a string from where it starts to the
    next one's NUL.  100,000 ids as strings cost ~70 bytes each, and, long-lived objects made
    among the rows an index build reads and drops, they kept Python's memory arenas from being
    given back after it.  A string with a NUL in it is kept aside."""

    def __init__(self, strings: Sequence[str]) -> None:
        self._hold([s.encode("utf-8", "surrogatepass") for s in strings])

    @classmethod
    def of_utf8(cls, encoded: list[bytes]) -> Packed:
        """The strings given as UTF-8 (``encoded`` may be changed)."""
        packed = cls(())
        packed._hold(encoded)
        return packed

    def _hold(self, encoded: list[bytes]) -> None:
        self._odd: dict[int, str] = {}
        if b"\0" in b"".join(encoded):
            for i, piece in enumerate(encoded):
                if b"\0" in piece:
                    self._odd[i] = piece.decode("utf-8", "surrogatepass")
                    encoded[i] = b""
        self._text = b"\0" + b"\0".join(encoded) + b"\0"
        self._starts = array("q", accumulate(map((1).__add__, map(len, encoded)), initial=1))

    def __len__(self) -> int:
        return len(self._starts) - 1

    def fresh(self) -> Packed:
        """A copy, made now (its text, immutable, shared)."""
        copy = Packed(())
        copy._odd, copy._text, copy._starts = dict(self._odd), self._text, _fresh(self._starts)
        return copy

    def __getitem__(self, i: int) -> str:
        if self._odd and i in self._odd:
            return self._odd[i]
        start, end = self._starts[i], self._starts[i + 1] - 1
        return self._text[start:end].decode("utf-8", "surrogatepass")

    def find(self, string: str) -> int | None:
        """Where ``string`` is (the first place; None: not here)."""
        for i, odd in self._odd.items():
            if odd == string:
                return i
        if "\0" in string:  # only an odd string has one (else: two neighbours side by side)
            return None
        needle = b"\0" + string.encode("utf-8", "surrogatepass") + b"\0"
        at = self._text.find(needle)
        while at >= 0:
            i = bisect_right(self._starts, at + 1) - 1
            if i not in self._odd:
                return i
            at = self._text.find(needle, at + 1)  # (an odd string's empty place)
        return None


@dataclass(frozen=True)
class Matches:
    """The cases one query selects (their places in the index), in its sort order, and the
    header's counts."""

    positions: Sequence[int]
    unread: int
    by_status: dict[str, int]  # of the statuses it selects (every status if it selects none)
    index: InboxIndex

    @property
    def total(self) -> int:
        return len(self.positions)

    def page(self, offset: int, limit: int) -> list[tuple[str, bool]]:
        """(id, unread) of the cases from ``offset`` on, ``limit`` of them at most."""
        id_of, unread = self.index.id_of, self.index._unread
        return [(id_of(p), bool(unread[p])) for p in self.positions[offset : offset + limit]]

    @property
    def ids(self) -> list[str]:
        return list(map(self.index.id_of, self.positions))


class _Read:
    """An index's parts as read from its cases (see :class:`InboxIndex`).

    A field a query names (a status, a service...) is coded as its values are read (``seen``:
    value → code), as its values repeat.  A field it only sorts by (subject, names, reference,
    times) may have a value a case: each is kept as UTF-8 in one buffer while the cases are
    read and ranked after, a field at a time (``_ranked``).  Held as strings in a dict until
    the end, those values were some 40 MB of small objects at the build's peak on 100,000
    cases, and the memory arenas that peak took stayed taken after it (xl: 66 for 30 MB in
    use)."""

    def __init__(self, keys: Iterable[Sequence[Any]]) -> None:
        ids = _Column()
        unread = bytearray()
        text = bytearray()  # grown in place: never every text twice, as objects and joined
        self.starts = array("q", [0])
        seen: dict[int, dict[Any, int]] = {i: {} for i in _FEW}
        first: dict[int, array[int]] = {i: array("I") for i in _FEW}
        columns = {i: _Column() for i in _CODED if i not in _FEW}
        rows = iter(keys)
        while chunk := list(islice(rows, 1024)):  # a column of a chunk at a time, in C
            texts = [(key[SEARCH] or "").replace("\0", " ").encode() for key in chunk]
            text += b"\0".join(texts)
            text.append(0)
            ends = accumulate(map((1).__add__, map(len, texts)), initial=self.starts[-1])
            self.starts.extend(islice(ends, 1, None))
            ids.add(map(_ID_OF, chunk))
            unread.extend(map(bool, map(_UNREAD_OF, chunk)))
            for i in _FEW:
                known, values = seen[i], list(map(itemgetter(i), chunk))
                known.update(zip(set(values).difference(known), count(len(known))))
                first[i].extend(map(known.__getitem__, values))
            for i, column in columns.items():
                column.add(map(itemgetter(i), chunk))
        pieces = ids.pieces()
        self.by_id = array("I", sorted(range(len(pieces)), key=pieces.__getitem__))
        self.ids = Packed.of_utf8(pieces)
        del pieces
        self.unread = bytes(unread)
        self.text = bytes(text)
        del text, ids, unread
        self.codes: dict[int, array[int]] = {}
        self.values: dict[int, tuple[Any, ...]] = {}  # the statuses by code
        self.named: dict[int, Packed] = {}  # the values a query names (code - 1), packed
        for i in _FEW:
            self.codes[i], named = _codes(first.pop(i), seen.pop(i), i)
            if i == STATUS:
                self.values[i] = named
            else:
                self.named[i] = Packed(named[1:])
            del named
        for i in _SORTED_ONLY:
            self.codes[i], _ = columns.pop(i).ranked()
        for i in _MANY:
            self.codes[i], distinct = columns.pop(i).ranked()
            self.named[i] = Packed.of_utf8(distinct)
            del distinct


class _Column:
    """A field's values as they are read: UTF-8 in one buffer, where each ends, which are none."""

    def __init__(self) -> None:
        self.text = bytearray()
        self.ends = array("q", [0])
        self.none = bytearray()

    def add(self, values: Iterable[Any]) -> None:
        encoded = []
        for value in values:
            self.none.append(value is None)
            encoded.append(b"" if value is None else str(value).encode("utf-8", "surrogatepass"))
        self.text += b"".join(encoded)
        self.ends.extend(islice(accumulate(map(len, encoded), initial=self.ends[-1]), 1, None))

    def pieces(self) -> list[bytes]:
        """Each case's value as UTF-8 (none as empty); the buffer is let go."""
        text, ends = bytes(self.text), self.ends
        self.text = bytearray()
        return [text[ends[p] : ends[p + 1]] for p in range(len(self.none))]

    def ranked(self) -> tuple[array[int], list[bytes]]:
        """Each case's code: the rank of its value among the distinct values (from 1, in the
        values' order: UTF-8's byte order is their characters'), 0 for none; and the distinct
        values, UTF-8, in that order."""
        values = self.pieces()
        some = compress(range(len(values)), map(operator.not_, self.none))
        codes = array("I", bytes(4 * len(values)))
        distinct: list[bytes] = []
        for p in sorted(some, key=values.__getitem__):
            if not distinct or values[p] != distinct[-1]:
                distinct.append(values[p])
            codes[p] = len(distinct)
        del values
        rank = len(distinct)
        typecode = "B" if rank < 256 else "H" if rank < 65536 else "I"
        return (codes if typecode == "I" else array(typecode, codes)), distinct


def _fresh(numbers: array[int]) -> array[int]:
    """A copy of ``numbers``, made now."""
    copy = array(numbers.typecode)
    copy.frombytes(memoryview(numbers).cast("B"))
    return copy


class InboxIndex:
    """Answers inbox queries from memory; immutable once built (build a new one on change).

    A case is its place in the index: its id, its read state and its fields' codes (above) are
    each one array (or tuple) of every case.  The cases' search texts are one buffer, UTF-8,
    each text followed by a NUL, and a case is found by where its text starts.  A filter
    keystroke is then a search of that buffer in C (``bytes.find``: ~10 ms over 100,000 cases,
    where a ``text in case`` test per case took 35-50 ms), and the texts cost their bytes only.
    UTF-8 is self-synchronising, so a match of the typed text's bytes is a match of its
    characters; a NUL in a case's text (never typed) reads as a space."""

    def __init__(self, keys: Iterable[Sequence[Any]]) -> None:
        read = _Read(keys)
        # what the index keeps is made again here, once what the build read is gone: its small
        # objects (an array's or a dict's head, a few dozen) made among the rows read, one in
        # this memory arena, one in that, kept each arena from being given back once the rows
        # were dropped (15 of Python's 1 MB arenas kept for 3 MB in use on 100,000 cases)
        self._n = len(read.by_id)
        self._by_id = _fresh(read.by_id)
        self._starts = _fresh(read.starts)
        self._ids = read.ids.fresh()
        self._unread = read.unread
        self._text = read.text
        self._codes = {i: _fresh(codes) for i, codes in read.codes.items()}
        self._values = {i: tuple(values) for i, values in read.values.items()}
        self._named = {i: named.fresh() for i, named in read.named.items()}
        del read
        self._orders: dict[tuple[tuple[str, bool], ...], array[int]] = {}
        self._scopes: dict[tuple[Any, frozenset[str]], array[int]] = {}
        self._found: dict[tuple[object, str], array[int]] = {}  # recent texts: who has them
        self._last: tuple[CaseQuery, Matches] | None = None

    def id_of(self, position: int) -> str:
        """The id of the case at ``position``."""
        return self._ids[position]

    def value_of(self, field: int, position: int) -> Any:
        """The value of ``field`` (a status, or a field a query names) of the case at
        ``position``."""
        code = self._codes[field][position]
        if field == STATUS:
            return self._values[STATUS][code]
        return self._named[field][code - 1] if code else None

    def _position(self, case_id: str) -> int | None:
        """Where the case ``case_id`` is (None: not here)."""
        return self._ids.find(case_id)

    def _positions(self, case_ids: Iterable[str]) -> frozenset[int]:
        return frozenset(p for p in map(self._position, case_ids) if p is not None)

    def __len__(self) -> int:
        return self._n

    def _ordered(self, sort: tuple[tuple[str, bool], ...]) -> array[int]:
        """Every case's place in ``sort`` order: stable sorts from the least significant key
        up, by the ids first (they break ties)."""
        found = self._orders.get(sort)
        if found is None:
            order = self._by_id.tolist()
            for column, desc in reversed(sort):
                i = _FIELD[column]
                if i == ID:  # (no two the same)
                    order = self._by_id.tolist()[:: -1 if desc else 1]
                    continue
                if i == UNREAD:  # never none
                    order.sort(key=self._unread.__getitem__, reverse=desc)
                    continue
                codes = self._codes[i]
                if i == STATUS:  # the workflow's order; unknown statuses (and none) last
                    values = self._values[STATUS]
                    ranks = [_status_key(v) for v in values]  # "" and None alike, as unknown
                    unknown = [v not in WORKFLOW_RANK for v in values]
                    order.sort(key=lambda p: ranks[codes[p]], reverse=desc)
                    order.sort(key=lambda p: unknown[codes[p]])
                    continue
                order.sort(key=codes.__getitem__, reverse=desc)
                order.sort(key=lambda p: codes[p] == 0)  # nulls last, whatever the direction
            found = array("I", order)
            self._orders[sort] = found
        return found

    def _scope(self, sort: tuple[tuple[str, bool], ...], statuses: frozenset[str]) -> array[int]:
        """The places of the cases of ``statuses`` (every case when none is given) in ``sort``
        order.  Kept per sort and statuses: the open cases of an account with years of history
        are a few of its cases, and a keystroke tries those only."""
        order = self._ordered(sort)
        if not statuses:
            return order
        scoped = self._scopes.get((sort, statuses))
        if scoped is None:
            wanted = self._wanted(STATUS, statuses)
            codes = self._codes[STATUS]
            scoped = array("I", (p for p in order if codes[p] in wanted))
            self._scopes[(sort, statuses)] = scoped
        return scoped

    def _wanted(self, field: int, values: Iterable[Any]) -> frozenset[int]:
        """The codes of ``values`` in ``field`` (those no case has have none)."""
        wanted = frozenset(values)
        if field == STATUS:
            return frozenset(c for c, v in enumerate(self._values[field]) if c and v in wanted)
        found = map(self._named[field].find, wanted)
        return frozenset(c + 1 for c in found if c is not None)

    def prepare(self, sort: tuple[tuple[str, bool], ...], statuses: frozenset[str]) -> None:
        """Sort the cases and pick those of ``statuses`` now (from a worker thread), so that a
        query in that order asks for neither."""
        self._scope(sort, statuses)

    def statuses(self) -> frozenset[str]:
        """The statuses the cases have (``?``: none).  The warm-up asks here, not
        :meth:`CaseStore.statuses`: its reads stay off the app's connection."""
        codes = set(self._codes[STATUS])
        values = self._values[STATUS]
        return frozenset("?" if values[c] is None else values[c] for c in codes)

    def _having(self, scope: array[int], scope_key: object, text: str) -> array[int]:
        """The places in ``scope`` (in its order) of the cases whose search text has ``text``.
        A recent text that ``text`` contains bounds the answer: only its cases are tried.  A
        few cases are tried one by one; most are searched in the buffer, in C."""
        found = self._found.get((scope_key, text))
        if found is None:
            known = [f for (k, t), f in self._found.items() if k == scope_key and t in text]
            candidates = min(known, key=len, default=scope)
            needle = text.encode()
            if len(candidates) * 4 < self._n:
                text_of = self._text_of
                found = array("I", (p for p in candidates if needle in text_of(p)))
            else:
                having = self._search(needle, dense=len(candidates) * 2 > self._n)
                found = array("I", compress(candidates, map(having.__getitem__, candidates)))
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
        n = self._n
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
        positions = self._scope(query.sort, query.statuses)
        text = query.text.strip().lower().replace("\0", " ")
        if text:  # usually the most selective test, and the one typed a key at a time
            positions = self._having(positions, (query.sort, query.statuses), text)
        for column, wanted in self._tests(query):  # each a pass over what is left
            positions = array("I", compress(positions, map(wanted, map(column, positions))))
        counts = Counter(map(self._codes[STATUS].__getitem__, positions))
        values = self._values[STATUS]
        by_status: dict[str, int] = {}
        for code, n in counts.items():
            status = "?" if values[code] is None else values[code]
            by_status[status] = by_status.get(status, 0) + n
        unread = sum(map(self._unread.__getitem__, positions))
        result = Matches(positions=positions, unread=unread, by_status=by_status, index=self)
        self._last = (query, result)
        return result

    def _tests(self, query: CaseQuery) -> list[tuple[Callable[[int], Any], Callable[[Any], bool]]]:
        """The query's tests (a case's value by its place, test of that value) but for its
        text and statuses."""
        tests: list[tuple[Callable[[int], Any], Callable[[Any], bool]]] = []
        for field, values in ((PRIORITY, query.priorities), (TYPE, query.types)):
            if values:
                tests.append(
                    (self._codes[field].__getitem__, self._wanted(field, values).__contains__)
                )
        for field, value in (
            (SERVICE_ID, query.service_id),
            (SITE_ID, query.site_id),
            (ACCOUNT_ID, query.account_id),
        ):
            if value is not None:
                wanted = self._wanted(field, (value,))
                tests.append((self._codes[field].__getitem__, wanted.__contains__))
        if query.unread_only:
            tests.append((self._unread.__getitem__, bool))
        if query.hidden_ids:  # (operator.pos: a case's place itself)
            hidden = self._positions(query.hidden_ids)
            tests.append((operator.pos, lambda p: p not in hidden))
        if query.only_ids is not None:
            tests.append((operator.pos, self._positions(query.only_ids).__contains__))
        return tests
