"""Property tests where the rule is arithmetic (issue #29): SLA pauses before, inside and
across a clock's span, and whose turn over random message orders. The expected value is a
second computation from the rule, not the code's: time is counted minute by minute, and the
turn is replayed event by event."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from expereo_tui.store.store import CaseActivity
from expereo_tui.triage.sla import Targets, clocks
from expereo_tui.triage.turn import PROVIDER, US, Turn, whose_turn

from .rows import MIN, T0, row

BIG = {"P1": Targets(10_000 * MIN, 10_000 * MIN, 10_000 * MIN)}  # no level changes here
minute = st.integers(min_value=0, max_value=600)


@st.composite
def spans(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int]], int]:
    """(clock start, now, Awaiting Customer spans in order, when the case left the last one),
    all in whole minutes from the creation; spans anywhere: before, inside, across the start."""
    cuts = sorted(draw(st.lists(minute, min_size=2, max_size=6, unique=True)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    pauses = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
    now = draw(st.integers(min_value=cuts[-1], max_value=700))
    start = draw(st.integers(min_value=0, max_value=now))
    return start, now, pauses, cuts[-1]


def minutes_counted(start: int, now: int, pauses: list[tuple[int, int]]) -> int:
    """The rule, minute by minute: a minute counts if it is on the clock and not paused."""
    return sum(1 for m in range(start, now) if not any(a <= m < b for a, b in pauses))


@given(spans())
def test_the_update_clock_counts_every_minute_outside_awaiting_customer(
    case: tuple[int, int, list[tuple[int, int]], int],
) -> None:
    start, now, pauses, left_at = case
    transitions: list[tuple[float, str]] = [(T0, "New")]
    for a, b in pauses:
        transitions += [(T0 + a * MIN, "Awaiting Customer"), (T0 + b * MIN, "In Progress")]
    activity = CaseActivity(
        first_provider_at=T0 + start * MIN,
        last_provider_at=T0 + start * MIN,
        transitions=tuple(transitions),
    )
    case_row = row(created=0, status="In Progress", changed=left_at * MIN)
    (update,) = [c for c in clocks(case_row, activity, BIG, T0 + now * MIN) if c.name == "update_interval"]
    assert update.used == minutes_counted(start, now, pauses) * MIN


# -- whose turn: replayed from the events in time order


STATUSES = ["New", "In Progress", "Awaiting Customer", "Some Later Status"]
moment = st.integers(min_value=0, max_value=20)  # a narrow range: ties and close calls
messages = st.lists(st.tuples(moment, st.sampled_from(["Customer", "Expereo"])), max_size=6)


def replay(status: str, status_at: int, thread: list[tuple[int, str]]) -> Turn:
    """Walk the case's events in time order. Under Awaiting Customer the provider asking (its
    status change, or any message of theirs) makes it ours from then; a message of ours makes
    it theirs from then (at the same instant, the provider's ask comes first: we answered it).
    Any other open status: whoever did not write last owes the next message: ours since the
    provider's latest message when it is later than ours (a tie is ours: we answered), else
    theirs since our latest message, else since the creation."""
    if status != "Awaiting Customer":
        theirs = max((t for t, who in thread if who == "Expereo"), default=None)
        ours = max((t for t, who in thread if who == "Customer"), default=None)
        if theirs is not None and (ours is None or theirs > ours):
            return Turn(US, T0 + theirs * MIN)
        return Turn(PROVIDER, T0 + (ours if ours is not None else 0) * MIN)
    events = [(status_at, 0, "ask")] + [(t, 0 if who == "Expereo" else 1, who) for t, who in thread]
    turn = Turn(US, T0)  # from the creation
    for t, _, what in sorted(events):
        turn = Turn(PROVIDER, T0 + t * MIN) if what == "Customer" else Turn(US, T0 + t * MIN)
    return turn


@settings(max_examples=300)
@given(st.sampled_from(STATUSES), moment, messages)
def test_whose_turn_over_any_order_of_messages(
    status: str, status_at: int, thread: list[tuple[int, str]]
) -> None:
    provider = [t for t, who in thread if who == "Expereo"]
    ours = [t for t, who in thread if who == "Customer"]
    activity = CaseActivity(
        first_provider_at=T0 + min(provider) * MIN if provider else None,
        last_provider_at=T0 + max(provider) * MIN if provider else None,
        last_customer_at=T0 + max(ours) * MIN if ours else None,
        transitions=((T0, "New"), (T0 + status_at * MIN, status)),
    )
    case_row = row(created=0, status=status, changed=status_at * MIN)
    assert whose_turn(case_row, activity) == replay(status, status_at, thread)
