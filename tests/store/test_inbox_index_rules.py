"""The in-memory inbox's rules on hand-made cases (docs/usage.md: a status sort follows the
workflow at any place in the sort; a case without a status is counted as "?"), and its promise
to a keystroke: the page and the header's counts come from one pass, and an order is sorted
once per index."""

from __future__ import annotations

from typing import Any

from expereo_tui.store.inbox_index import FIELDS, InboxIndex
from expereo_tui.store.query import CaseQuery


def _key(case_id: str, **fields: Any) -> tuple[Any, ...]:
    """A case's index entry (FIELDS order): None where not given, no search text, read."""
    values: dict[str, Any] = {"search": "", "unread": 0, **fields, "id": case_id}
    return tuple(values.get(name) for name in FIELDS)


def _ids(index: InboxIndex, query: CaseQuery) -> list[str]:
    return index.matches(query).ids


def test_status_follows_the_workflow_when_it_is_not_the_first_sort_column() -> None:
    index = InboxIndex(
        [
            _key("CS-1", priority="P2", status="Closed"),
            _key("CS-2", priority="P1", status="Resolved"),
            _key("CS-3", priority="P2", status="New"),
            _key("CS-4", priority="P1", status="In Progress"),
            _key("CS-5", priority="P2", status="Awaiting Customer"),
            _key("CS-6", priority="P1", status="Escalated"),
        ]
    )
    query = CaseQuery(sort=(("priority", False), ("status", False)))
    assert _ids(index, query) == ["CS-4", "CS-2", "CS-6", "CS-3", "CS-5", "CS-1"]
    query = CaseQuery(sort=(("priority", True), ("status", True)))
    assert _ids(index, query) == ["CS-1", "CS-5", "CS-3", "CS-2", "CS-4", "CS-6"]


def test_a_case_without_a_status_is_counted_as_a_question_mark() -> None:
    index = InboxIndex(
        [_key("CS-1", status="New"), _key("CS-2"), _key("CS-3", status=None, unread=1)]
    )
    matches = index.matches(CaseQuery())
    assert matches.by_status == {"New": 1, "?": 2}
    assert (matches.total, matches.unread) == (3, 1)


def test_the_page_and_the_counts_of_one_keystroke_are_one_pass() -> None:
    """inbox_page and inbox_summary ask the same query in turn: the second gets the first's
    answer, not a second pass over every case."""
    index = InboxIndex([_key("CS-1", status="New", search="tokyo"), _key("CS-2", search="oslo")])
    query = CaseQuery(text="tokyo")
    first = index.matches(query)
    assert index.matches(CaseQuery(text="tokyo")) is first
    assert _ids(index, query) == ["CS-1"]


def test_an_order_is_sorted_once_per_index_not_once_per_keystroke() -> None:
    """Typing changes the text, not the sort: the cases stay in the order sorted the first
    time (a query that filters nothing answers with that very list)."""
    index = InboxIndex([_key("CS-2", priority="P1"), _key("CS-1", priority="P2")])
    sort = (("priority", False),)
    first = index.matches(CaseQuery(sort=sort))
    assert first.ids == ["CS-2", "CS-1"]
    again = index.matches(CaseQuery(text="  ", sort=sort))  # nothing typed but blanks
    assert again.positions is first.positions


# The search text of each case below; the index picks its way to search by how many cases are
# left to try (a few: one by one; most: the whole buffer, in C; a single byte: cut down to that
# byte), so each test types the way a user does and checks every step against these texts.
TEXTS = {
    "CS-01": "cs-01 link down århus",
    "CS-02": "cs-02 link flapping tokyo",
    "CS-03": "cs-03 slow tok",  # "tok" here and "yo" in the next case: never one match
    "CS-04": "yo cs-04 latency ödeshög",
    "CS-05": "cs-05 link down oslo",
    "CS-06": "cs-06 nul\x00here",  # a NUL in a text (never typed) reads as a space
    "CS-07": "cs-07 packet loss tokyo",
    "CS-08": "cs-08 link down tokyo",
}
BY_ID = (("id", False),)
STATUS = {"CS-01": "New", "CS-02": "Closed", "CS-03": "Closed", "CS-04": "In Progress"}


def _text_index() -> InboxIndex:
    return InboxIndex(
        _key(i, search=t, status=STATUS.get(i, "Resolved"), unread=int(i in ("CS-01", "CS-08")))
        for i, t in TEXTS.items()
    )


def _having(text: str, statuses: frozenset[str] = frozenset()) -> list[str]:
    """What the rule says: the cases whose text has ``text`` (folded, trimmed), by id."""
    wanted = text.strip().lower()
    return [
        i for i, t in sorted(TEXTS.items())
        if wanted in t.replace("\x00", " ") and (not statuses or STATUS.get(i, "Resolved") in statuses)
    ]  # fmt: skip


def _typed(index: InboxIndex, word: str, statuses: frozenset[str] = frozenset()) -> None:
    """Type ``word`` a key at a time, then take it back a key at a time."""
    steps = [word[:n] for n in range(1, len(word) + 1)]
    for text in steps + steps[-2::-1]:
        query = CaseQuery(text=text, statuses=statuses, sort=BY_ID)
        assert _ids(index, query) == _having(text, statuses), text


def test_a_search_typed_and_taken_back_finds_what_has_each_text() -> None:
    index = _text_index()
    for word in ("link down", "tokyo", "cs-0", "århus", "ÖDESHÖG", "zzz", "k", " d"):
        _typed(index, word)


def test_a_search_in_a_few_cases_tries_only_those_and_finds_the_same() -> None:
    """The open inbox of an account with years of history: a few cases to try."""
    index = _text_index()
    for word in ("link down", "cs-0", "o", "ödeshög"):
        _typed(index, word, frozenset({"New", "In Progress"}))


def test_a_match_never_spans_two_cases_and_a_nul_reads_as_a_space() -> None:
    index = _text_index()
    assert _ids(index, CaseQuery(text="tokyo", sort=BY_ID)) == ["CS-02", "CS-07", "CS-08"]
    assert _ids(index, CaseQuery(text="tok yo")) == []  # CS-03 then CS-04
    assert _ids(index, CaseQuery(text="nul here")) == ["CS-06"]
    assert _ids(index, CaseQuery(text="nul\x00here")) == ["CS-06"]


def test_a_search_after_many_others_still_finds_each_text() -> None:
    """Recent texts are kept a few at a time: more than that, and the oldest are searched again."""
    index = _text_index()
    words = ["cs-0" + str(n) for n in range(1, 9)] + ["link", "down", "tokyo", "oslo"]
    for _ in range(2):
        for word in words:
            assert _ids(index, CaseQuery(text=word, sort=BY_ID)) == _having(word), word


def test_the_counts_of_a_search_are_its_cases() -> None:
    index = _text_index()
    m = index.matches(CaseQuery(text="link down"))
    assert (m.total, m.unread, m.by_status) == (3, 2, {"New": 1, "Resolved": 2})
    m = index.matches(CaseQuery(text="tokyo", statuses=frozenset({"Closed", "New"})))
    assert (m.total, m.unread, m.by_status) == (1, 0, {"Closed": 1})


def test_a_text_searched_in_one_scope_is_searched_again_in_another() -> None:
    index = _text_index()
    for statuses in (frozenset({"Closed"}), frozenset(), frozenset({"New"}), frozenset()):
        for text in ("link", "link d", "o"):
            query = CaseQuery(text=text, statuses=statuses, sort=BY_ID)
            assert _ids(index, query) == _having(text, statuses), (statuses, text)


def test_cases_that_tie_on_the_sort_column_follow_their_ids_whatever_order_they_came_in() -> None:
    """The store hands the cases over in its own order (rowid), not by id: ties need the id."""
    index = InboxIndex(
        [
            _key("CS-3", priority="P1"),
            _key("CS-1", priority="P2"),
            _key("CS-4", priority="P1"),
            _key("CS-2", priority="P1"),
        ]
    )
    assert _ids(index, CaseQuery(sort=(("priority", False),))) == ["CS-2", "CS-3", "CS-4", "CS-1"]
    assert _ids(index, CaseQuery(sort=(("priority", True),))) == ["CS-1", "CS-2", "CS-3", "CS-4"]


def test_a_status_filter_picks_its_cases_once_per_index_not_once_per_keystroke() -> None:
    index = InboxIndex(
        [_key("CS-1", status="New"), _key("CS-2", status="Closed"), _key("CS-3", status="New")]
    )
    new = frozenset({"New"})
    first = index.matches(CaseQuery(statuses=new, sort=BY_ID))
    assert first.ids == ["CS-1", "CS-3"]
    again = index.matches(CaseQuery(text=" ", statuses=new, sort=BY_ID))
    assert again.positions is first.positions


def test_a_search_in_a_scope_of_one_case_finds_only_what_that_case_has() -> None:
    """One case to try (the status filters below hold one each): its text is tested alone, not
    with the next case's (CS-01's next is CS-02, "tokyo"; CS-04's is CS-05, "oslo")."""
    index = _text_index()
    for statuses in (frozenset({"New"}), frozenset({"In Progress"})):
        for word in ("tokyo", "oslo", "cs-0", "link"):
            _typed(index, word, statuses)


def test_the_counts_per_status_add_up_to_the_total_with_a_status_called_question_mark() -> None:
    """A case without a status is counted as "?", with any whose status is "?" itself."""
    index = InboxIndex([_key("CS-1", status="?"), _key("CS-2"), _key("CS-3", status="New")])
    matches = index.matches(CaseQuery())
    assert matches.by_status == {"?": 2, "New": 1}
    assert sum(matches.by_status.values()) == matches.total == 3


def test_the_collector_walks_as_much_of_the_index_for_a_thousand_cases_as_for_ten() -> None:
    """Its cases are arrays of numbers and one tuple of strings (the ids), its orders arrays:
    after a pass of the collector, what it walks of the index does not grow with the cases (on
    100,000 cases each full pass, one every few keystrokes, had walked a tuple a case: 15-25 ms
    landing on a key)."""
    import gc

    def walked(n: int) -> int:
        index = InboxIndex(
            _key(f"CS-{i:04}", status=("New", "Closed")[i % 2], subject=f"s{i}", search=f"t{i}")
            for i in range(n)
        )
        for query in (CaseQuery(), CaseQuery(statuses=frozenset({"Closed"})), CaseQuery(text="1")):
            index.matches(query)
        gc.collect()  # the tuples of strings leave its care at this pass
        seen: set[int] = set()
        visits = 0  # the references the collector follows: each tracked object's referents
        todo: list[object] = [index.__dict__]
        while todo:
            x = todo.pop()
            if id(x) not in seen and gc.is_tracked(x):
                seen.add(id(x))
                referents = gc.get_referents(x)
                visits += len(referents)
                todo.extend(referents)
        return visits

    assert walked(1000) == walked(10)


def test_the_statuses_of_the_cases_are_each_once_and_a_question_mark_for_none() -> None:
    index = InboxIndex(
        [_key("CS-1", status="New"), _key("CS-2"), _key("CS-3", status="Escalated"),
         _key("CS-4", status="New")]
    )  # fmt: skip
    assert index.statuses() == {"New", "?", "Escalated"}
    assert InboxIndex([]).statuses() == frozenset()


def test_cases_left_out_or_picked_by_id_are_those_ids_exactly() -> None:
    """Snoozed cases are left out of the inbox, and the snoozed view shows them alone, by id:
    one id inside another (CS-1 in CS-11), an id with a NUL or outside the BMP, an id no case
    has."""
    index = InboxIndex(
        [_key("CS-1"), _key("CS-11"), _key("CS-\x001"), _key("CS-\U0001f600"), _key("CS-2")]
    )
    every = ["CS-\x001", "CS-1", "CS-11", "CS-2", "CS-\U0001f600"]  # by id (NUL first)
    assert _ids(index, CaseQuery(sort=BY_ID)) == every
    hidden = frozenset({"CS-1", "CS-\x001", "CS-9"})
    assert _ids(index, CaseQuery(hidden_ids=hidden, sort=BY_ID)) == [
        "CS-11",
        "CS-2",
        "CS-\U0001f600",
    ]
    only = frozenset({"CS-11", "CS-\U0001f600", "CS-9", "CS-\x001"})
    assert _ids(index, CaseQuery(only_ids=only, sort=BY_ID)) == [
        "CS-\x001",
        "CS-11",
        "CS-\U0001f600",
    ]
    assert _ids(index, CaseQuery(only_ids=frozenset(), sort=BY_ID)) == []
    assert index.matches(CaseQuery(sort=(("id", True),))).page(1, 2) == [
        ("CS-2", False), ("CS-11", False)
    ]  # fmt: skip


def test_a_service_site_or_account_is_picked_by_its_whole_value() -> None:
    """One value inside another (SVC-1 in SVC-11), a value with a NUL, one no case has, and
    priorities and types as sets."""
    index = InboxIndex(
        [
            _key("CS-1", service_id="SVC-1", site_id="ST-\x00", priority="P1", type="Incident"),
            _key("CS-2", service_id="SVC-11", site_id="ST-1", account_id="A", priority="P2"),
            _key("CS-3", service_id="SVC-1", account_id="AB", type="Request"),
            _key("CS-4", service_id=None, site_id="ST-\x00", account_id="A"),
        ]
    )
    assert _ids(index, CaseQuery(service_id="SVC-1", sort=BY_ID)) == ["CS-1", "CS-3"]
    assert _ids(index, CaseQuery(service_id="SVC-11", sort=BY_ID)) == ["CS-2"]
    assert _ids(index, CaseQuery(service_id="SVC-9", sort=BY_ID)) == []
    assert _ids(index, CaseQuery(site_id="ST-\x00", sort=BY_ID)) == ["CS-1", "CS-4"]
    assert _ids(index, CaseQuery(site_id="ST-", sort=BY_ID)) == []
    assert _ids(index, CaseQuery(account_id="A", sort=BY_ID)) == ["CS-2", "CS-4"]
    wanted = CaseQuery(priorities=frozenset({"P1", "P2", "P9"}), sort=BY_ID)
    assert _ids(index, wanted) == ["CS-1", "CS-2"]
    assert _ids(index, CaseQuery(types=frozenset({"Request"}), sort=BY_ID)) == ["CS-3"]


def test_a_value_with_a_nul_that_no_case_has_picks_no_case() -> None:
    """Its bytes are those of two neighbours' values side by side (``ST-1``, NUL, ``ST-2``):
    it names neither."""
    index = InboxIndex([_key("CS-1", site_id="ST-1"), _key("CS-2", site_id="ST-2")])
    assert _ids(index, CaseQuery(site_id="ST-1\x00ST-2", sort=BY_ID)) == []
    assert _ids(index, CaseQuery(only_ids=frozenset({"CS-1\x00CS-2"}), sort=BY_ID)) == []
    hidden = frozenset({"CS-1\x00CS-2"})
    assert _ids(index, CaseQuery(hidden_ids=hidden, sort=BY_ID)) == ["CS-1", "CS-2"]


def test_an_empty_value_or_id_is_found_beside_values_with_a_nul() -> None:
    """A value with a NUL is kept aside and leaves an empty place, as an empty value does: an
    empty site or id names the case that has it, not the place of one with a NUL."""
    index = InboxIndex(
        [
            _key("CS-\x00a", site_id="ST-\x00"),
            _key("", site_id=""),
            _key("CS-\x00b", site_id="ST-1"),
            _key("CS-1"),
        ]
    )
    assert _ids(index, CaseQuery(site_id="", sort=BY_ID)) == [""]
    assert _ids(index, CaseQuery(site_id="ST-\x00", sort=BY_ID)) == ["CS-\x00a"]
    assert _ids(index, CaseQuery(only_ids=frozenset({""}), sort=BY_ID)) == [""]
    hidden = frozenset({""})
    assert _ids(index, CaseQuery(hidden_ids=hidden, sort=BY_ID)) == ["CS-\x00a", "CS-\x00b", "CS-1"]


def test_an_id_or_value_with_a_lone_surrogate_is_found() -> None:
    """JSON can carry a lone surrogate (``"\\ud800"``): such an id is kept, shown and found."""
    index = InboxIndex(
        [
            _key("CS-\ud800", account_id="A-\udfff"),
            _key("CS-1", account_id="A"),
            _key("CS-\x00\ud800", site_id="ST-\x00\udfff"),  # with a NUL: kept aside
        ]
    )
    assert _ids(index, CaseQuery(sort=BY_ID)) == ["CS-\x00\ud800", "CS-1", "CS-\ud800"]
    assert _ids(index, CaseQuery(only_ids=frozenset({"CS-\ud800"}), sort=BY_ID)) == ["CS-\ud800"]
    assert _ids(index, CaseQuery(account_id="A-\udfff", sort=BY_ID)) == ["CS-\ud800"]
    assert _ids(index, CaseQuery(site_id="ST-\x00\udfff", sort=BY_ID)) == ["CS-\x00\ud800"]


def test_the_value_of_a_case_without_one_is_none() -> None:
    from expereo_tui.store.inbox_index import PRIORITY, SITE_ID
    from expereo_tui.store.inbox_index import STATUS as STATUS_FIELD

    index = InboxIndex([_key("CS-1", site_id="ST-9", status="New"), _key("CS-2", priority="P1")])
    place = {index.id_of(p): p for p in range(len(index))}
    assert [index.value_of(SITE_ID, place[i]) for i in ("CS-1", "CS-2")] == ["ST-9", None]
    assert [index.value_of(PRIORITY, place[i]) for i in ("CS-1", "CS-2")] == [None, "P1"]
    assert [index.value_of(STATUS_FIELD, place[i]) for i in ("CS-1", "CS-2")] == ["New", None]


def test_a_field_with_255_or_256_distinct_values_sorts_by_each_of_them() -> None:
    """A code is a byte while a field has fewer than 256 distinct values, wider from then on
    (no value wraps round: the 256th subject sorts after the 255th)."""
    index = InboxIndex(
        _key(
            f"CS-{i:03}",
            subject=f"s{255 - i:03}",
            priority=f"p{255 - i:03}",
            type=f"t{i:03}" if i else None,
        )
        for i in range(256)
    )  # 256 subjects and priorities; 255 types and a case without one
    by_id = [f"CS-{i:03}" for i in range(256)]
    assert _ids(index, CaseQuery(sort=(("subject", False),))) == by_id[::-1]
    assert _ids(index, CaseQuery(sort=(("subject", True),))) == by_id
    assert _ids(index, CaseQuery(sort=(("priority", False),))) == by_id[::-1]
    assert _ids(index, CaseQuery(sort=(("type", False),))) == by_id[1:] + ["CS-000"]
    assert _ids(index, CaseQuery(sort=(("type", True),))) == by_id[:0:-1] + ["CS-000"]


def test_codes_hold_65535_or_65536_distinct_values() -> None:
    """A code is two bytes while a field has fewer than 65,536 distinct values, four from then
    on: every value keeps its place (``_codes`` itself: building 65,536 cases takes ~0.3 s)."""
    from array import array

    from expereo_tui.store.inbox_index import SUBJECT, _codes, _Column

    for n in (65535, 65536):
        # case i's value is the (n - i)th smallest: its code is n - i
        seen = {f"{n - 1 - i:05}": i for i in range(n)}
        codes, values = _codes(array("I", range(n)), seen, SUBJECT)
        assert codes.tolist() == list(range(n, 0, -1)), n
        assert (values[0], values[1], values[n]) == (None, "00000", f"{n - 1:05}")
        column = _Column()  # a field only sorted by: its values ranked as bytes
        column.add(f"{n - 1 - i:05}" for i in range(n))
        codes, distinct = column.ranked()
        assert codes.tolist() == list(range(n, 0, -1)), n
        assert (distinct[0], distinct[-1]) == (b"00000", f"{n - 1:05}".encode())


def test_id_or_unread_after_another_sort_column_orders_only_its_ties() -> None:
    """A view's sort can name the id or the read state after another column
    (``sort = ["priority", "-id"]``): the first column still orders the cases."""
    index = InboxIndex(
        [
            _key("CS-1", priority="P2", unread=1),
            _key("CS-2", priority="P1"),
            _key("CS-3", priority="P2"),
            _key("CS-4", priority="P1", unread=1),
        ]
    )
    by_id_desc = CaseQuery(sort=(("priority", False), ("id", True)))
    assert _ids(index, by_id_desc) == ["CS-4", "CS-2", "CS-3", "CS-1"]
    unread_first = CaseQuery(sort=(("priority", True), ("unread", True)))
    assert _ids(index, unread_first) == ["CS-1", "CS-3", "CS-4", "CS-2"]


def test_a_search_finds_each_case_of_a_build_read_in_several_parts() -> None:
    """The build reads the cases a thousand or so at a time: the texts of one part and the next
    stay apart, each case keeps its own (a word in most texts, in one, a single byte)."""
    texts = {f"CS-{i:04}": f"cs-{i:04} {'tokyo' if i % 3 else 'oslo'}" for i in range(2100)}
    index = InboxIndex(_key(i, search=t) for i, t in texts.items())
    for word in ("cs-1025", "cs-2099", "cs-0000", "tokyo", "oslo", "9", "cs-10"):
        expected = [i for i, t in sorted(texts.items()) if word in t]
        assert _ids(index, CaseQuery(text=word, sort=BY_ID)) == expected, word
