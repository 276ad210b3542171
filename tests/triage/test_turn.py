"""Whose turn it is, from the status and who wrote last."""

from __future__ import annotations

from dataclasses import replace

from expereo_tui.store.store import CaseActivity
from expereo_tui.triage.turn import PROVIDER, US, Turn, whose_turn

from .rows import HOUR, MIN, T0, row


def test_provider_owes_an_answer_since_our_message() -> None:
    activity = CaseActivity(
        first_provider_at=T0 + MIN, last_provider_at=T0 + MIN, last_customer_at=T0 + 10 * MIN
    )
    assert whose_turn(row(status="In Progress"), activity) == Turn(PROVIDER, T0 + 10 * MIN)
    assert whose_turn(row(status="New"), CaseActivity()) == Turn(PROVIDER, T0)


def test_awaiting_customer_is_our_turn_until_we_write() -> None:
    asked = CaseActivity(
        first_provider_at=T0 + MIN,
        last_provider_at=T0 + 20 * MIN,
        last_customer_at=T0 + 5 * MIN,
        transitions=((T0, "New"), (T0 + 20 * MIN, "Awaiting Customer")),
    )
    case = row(status="Awaiting Customer", changed=20 * MIN)
    assert whose_turn(case, asked) == Turn(US, T0 + 20 * MIN)
    answered = replace(asked, last_customer_at=T0 + HOUR)
    assert whose_turn(case, answered) == Turn(PROVIDER, T0 + HOUR)


def test_closed_cases_are_nobodys_turn() -> None:
    assert whose_turn(row(status="Closed"), CaseActivity()) is None
    assert whose_turn(row(status="Resolved"), CaseActivity()) is None


# -- Awaiting Customer: ours since the later of the status change and the provider's latest
# message; our message at or after that hands it back (docs/usage.md, "Whose turn").


def _awaiting(status_at: float, provider_at: float, ours_at: float | None) -> Turn | None:
    activity = CaseActivity(
        first_provider_at=T0 + MIN,
        last_provider_at=T0 + provider_at,
        last_customer_at=None if ours_at is None else T0 + ours_at,
        transitions=((T0, "New"), (T0 + status_at, "Awaiting Customer")),
    )
    return whose_turn(row(status="Awaiting Customer", changed=status_at), activity)


def test_under_awaiting_customer_the_providers_later_message_is_when_they_asked() -> None:
    """Status at 20 min, our note at 30, the provider asks again at 40: ours since 40."""
    assert _awaiting(20 * MIN, 40 * MIN, 30 * MIN) == Turn(US, T0 + 40 * MIN)
    assert _awaiting(20 * MIN, 40 * MIN, 39 * MIN) == Turn(US, T0 + 40 * MIN)  # a step before
    assert _awaiting(20 * MIN, 40 * MIN, 40 * MIN) == Turn(PROVIDER, T0 + 40 * MIN)
    assert _awaiting(20 * MIN, 40 * MIN, 41 * MIN) == Turn(PROVIDER, T0 + 41 * MIN)  # a step after
    assert _awaiting(20 * MIN, 40 * MIN, None) == Turn(US, T0 + 40 * MIN)


def test_under_awaiting_customer_a_later_status_change_is_when_they_asked() -> None:
    """The provider wrote at 40, set Awaiting Customer at 50: ours since 50."""
    assert _awaiting(50 * MIN, 40 * MIN, 45 * MIN) == Turn(US, T0 + 50 * MIN)
    assert _awaiting(50 * MIN, 40 * MIN, 49 * MIN) == Turn(US, T0 + 50 * MIN)
    assert _awaiting(50 * MIN, 40 * MIN, 50 * MIN) == Turn(PROVIDER, T0 + 50 * MIN)
    assert _awaiting(50 * MIN, 40 * MIN, 51 * MIN) == Turn(PROVIDER, T0 + 51 * MIN)


def test_other_open_statuses_go_to_whoever_did_not_write_last_either_side() -> None:
    """Provider at 30 after us at 20: ours (they asked); us at 31 after them: theirs; a status
    the API added later is open and follows the same rule."""
    provider_last = CaseActivity(
        first_provider_at=T0 + MIN, last_provider_at=T0 + 30 * MIN, last_customer_at=T0 + 20 * MIN
    )
    assert whose_turn(row(status="In Progress"), provider_last) == Turn(US, T0 + 30 * MIN)
    assert whose_turn(row(status="Some New Status"), provider_last) == Turn(US, T0 + 30 * MIN)
    ours_last = CaseActivity(
        first_provider_at=T0 + MIN, last_provider_at=T0 + 30 * MIN, last_customer_at=T0 + 31 * MIN
    )
    assert whose_turn(row(status="In Progress"), ours_last) == Turn(PROVIDER, T0 + 31 * MIN)
    unknown = CaseActivity(thread_known=False)
    assert whose_turn(row(status="In Progress"), unknown) is None


def test_awaiting_customer_not_yet_seen_by_the_poll_counts_from_the_last_change() -> None:
    """The poll last saw New; the case is Awaiting Customer since its change at 20 min."""
    seen_new = CaseActivity(
        first_provider_at=T0 + 5 * MIN,
        last_provider_at=T0 + 5 * MIN,
        transitions=((T0, "New"),),
    )
    case = row(status="Awaiting Customer", changed=20 * MIN)
    assert whose_turn(case, seen_new) == Turn(US, T0 + 20 * MIN)
    assert whose_turn(case, CaseActivity()) == Turn(US, T0 + 20 * MIN)  # no history at all


def test_awaiting_customer_without_a_last_change_is_ours_since_the_provider_wrote() -> None:
    from dataclasses import replace

    case = replace(row(status="Awaiting Customer", created=0), last_modified_date=None)
    wrote = CaseActivity(first_provider_at=T0 + 5 * MIN, last_provider_at=T0 + 7 * MIN)
    assert whose_turn(case, wrote) == Turn(US, T0 + 7 * MIN)
    assert whose_turn(case, CaseActivity()) == Turn(US, T0)  # since the creation


def test_awaiting_customer_without_a_creation_date_is_ours_since_the_last_change() -> None:
    from dataclasses import replace

    case = replace(row(status="Awaiting Customer", changed=20 * MIN), created_date=None)
    assert whose_turn(case, CaseActivity()) == Turn(US, T0 + 20 * MIN)


def test_the_provider_wrote_last_so_it_is_our_turn() -> None:
    """In Progress, and the provider's message ("please test") came after ours: ours."""
    activity = CaseActivity(
        first_provider_at=T0 + MIN, last_provider_at=T0 + HOUR, last_customer_at=T0 + 10 * MIN
    )
    assert whose_turn(row(status="In Progress"), activity) == Turn(US, T0 + HOUR)


def test_no_thread_is_not_known_unless_awaiting_customer() -> None:
    unknown = CaseActivity(thread_known=False)
    assert whose_turn(row(status="In Progress"), unknown) is None
    assert whose_turn(row(status="Awaiting Customer", changed=MIN), unknown) == Turn(US, T0 + MIN)
