"""Whose turn it is, from the status and who wrote last."""

from __future__ import annotations

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
    answered = CaseActivity(**{**asked.__dict__, "last_customer_at": T0 + HOUR})
    assert whose_turn(case, answered) == Turn(PROVIDER, T0 + HOUR)


def test_closed_cases_are_nobodys_turn() -> None:
    assert whose_turn(row(status="Closed"), CaseActivity()) is None
    assert whose_turn(row(status="Resolved"), CaseActivity()) is None


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
