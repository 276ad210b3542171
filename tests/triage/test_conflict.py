"""The send-time conflict check (docs/usage.md, "Before sending"): if the provider wrote or the
status changed since the draft was started, the send is stopped and the new messages shown.
Expectations are written by hand from that rule."""

from __future__ import annotations

import pytest

from expereo_tui.api.models import CaseMessage
from expereo_tui.triage.conflict import Conflict, conflict, is_fresh


def msg(i: int, who: str) -> CaseMessage:
    return CaseMessage(id=f"M-{i}", message=f"message {i}", type=who)


#: a thread of four: ours, theirs, ours, theirs
THREAD = [msg(0, "Customer"), msg(1, "Expereo"), msg(2, "Customer"), msg(3, "Expereo")]


def test_nothing_changed_is_no_conflict() -> None:
    assert conflict(THREAD, 4, "In Progress", "In Progress") is None
    assert conflict([], 0, None, None) is None


@pytest.mark.parametrize(
    ("then", "now"),
    [
        ("In Progress", "Awaiting Customer"),
        ("Awaiting Customer", "In Progress"),
        ("In Progress", "Resolved"),
        (None, "New"),  # a draft started before the status was known
        ("New", None),
    ],
)
def test_a_status_change_while_typing_is_a_conflict(then: str | None, now: str | None) -> None:
    found = conflict(THREAD, 4, then, now)
    assert found == Conflict(new_messages=(), status_change=(then, now))


def test_a_provider_message_after_the_draft_started_is_a_conflict() -> None:
    found = conflict(THREAD, 3, "In Progress", "In Progress")
    assert found == Conflict(new_messages=(THREAD[3],), status_change=None)


def test_only_messages_after_the_seen_ones_count() -> None:
    """One step either side of the seen count: the message at the boundary is old news."""
    assert conflict(THREAD, 4, "New", "New") is None  # saw all four
    two = conflict(THREAD, 1, "New", "New")  # saw only the first: two provider messages since
    assert two is not None and [m.id for m in two.new_messages] == ["M-1", "M-3"]
    one = conflict(THREAD, 2, "New", "New")
    assert one is not None and [m.id for m in one.new_messages] == ["M-3"]


def test_our_own_messages_are_no_conflict() -> None:
    ours = [msg(0, "Expereo"), msg(1, "Customer"), msg(2, "Customer")]
    assert conflict(ours, 1, "In Progress", "In Progress") is None


def test_a_message_of_unknown_author_counts_as_the_providers() -> None:
    """Anything not the customer's is the provider's side (System notes, a type missing)."""
    odd = [msg(0, "Customer"), CaseMessage(id="M-1", message="note", type=None)]
    found = conflict(odd, 1, "New", "New")
    assert found is not None and [m.id for m in found.new_messages] == ["M-1"]


def test_both_a_message_and_a_status_change_are_reported() -> None:
    found = conflict(THREAD, 3, "In Progress", "Awaiting Customer")
    assert found == Conflict((THREAD[3],), ("In Progress", "Awaiting Customer"))


@pytest.mark.parametrize(
    ("age", "fresh"),
    [(0.0, True), (9.9, True), (10.0, False), (10.1, False), (-1.0, False)],
)
def test_a_store_polled_under_ten_seconds_ago_needs_no_read(age: float, fresh: bool) -> None:
    assert is_fresh(1000.0 - age, 1000.0) is fresh


def test_a_store_never_polled_is_not_fresh() -> None:
    assert is_fresh(None, 1000.0) is False


def test_in_a_team_a_colleagues_reply_since_typing_started_is_a_conflict() -> None:
    """Team mode (docs/team.md): someone else on our side replied after the draft was started;
    my own replies (sent from another window, or this one) are not a conflict; alone, nothing
    changes."""

    def ours(i: int, by: str | None) -> CaseMessage:
        return CaseMessage(id=f"M-{i}", message=f"message {i}", type="Customer", sent_by=by)

    thread = [ours(0, "bob@noc"), ours(1, "alice@noc"), ours(2, "bob@noc"), ours(3, None)]
    found = conflict(thread, 1, "New", "New", me="alice@noc")
    assert found is not None and [m.id for m in found.new_messages] == ["M-2", "M-3"]
    assert conflict(thread, 3, "New", "New", me="bob@noc") is not None  # M-3: sender unknown
    assert conflict(thread[:3], 2, "New", "New", me="bob@noc") is None  # only mine since
    assert conflict(thread[:3], 2, "New", "New", me="alice@noc") is not None  # the boundary
    assert conflict(thread[:3], 3, "New", "New", me="alice@noc") is None  # seen all
    assert conflict(thread, 1, "New", "New") is None  # no team: our side is never a conflict
