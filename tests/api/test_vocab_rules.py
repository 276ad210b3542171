"""The API vocabulary's rules (api/vocab.py), against hand-written expectations: which statuses
are open (docs/usage.md: any status but Resolved and Closed, unknown ones included), who wrote
a message however its ``type`` is spelled, and a subject as the screens show it."""

from __future__ import annotations

import pytest

from expereo_tui.api.vocab import (
    from_customer,
    from_provider,
    is_open_status,
    open_statuses,
    subject_label,
)
from expereo_tui.store.schema import shown_subject


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        ("New", True),
        ("In Progress", True),
        ("Awaiting Customer", True),
        ("Escalated", True),  # one the API added since
        (None, True),
        ("Resolved", False),
        ("Closed", False),
        ("closed", True),  # not the API's word: unknown, so open
    ],
)
def test_a_case_is_open_unless_resolved_or_closed(status: str | None, is_open: bool) -> None:
    assert is_open_status(status) is is_open


def test_the_open_statuses_are_the_documented_ones_and_any_other_not_done() -> None:
    documented = {"New", "In Progress", "Awaiting Customer"}
    assert open_statuses([]) == documented
    present = ["Closed", "Escalated", "?", "Resolved", "New", "On Hold"]
    assert open_statuses(present) == documented | {"Escalated", "On Hold"}


@pytest.mark.parametrize(
    ("kind", "provider", "customer"),
    [
        ("Expereo", True, False),
        ("EXPEREO", True, False),
        ("Expereo Support", True, False),
        ("Customer", False, True),
        ("customer portal", False, True),
        ("Customer via Expereo", True, False),  # both words: the provider's
        ("System", False, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_who_wrote_a_message_however_its_type_is_spelled(
    kind: str | None, provider: bool, customer: bool
) -> None:
    assert (from_provider(kind), from_customer(kind)) == (provider, customer)


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        ("ServiceDown", "Service down"),
        ("ServiceDegradation", "Service degradation"),
        ("RfoRequest", "RFO request"),
        ("Other", "Other"),
        ("UtilizationReport", "Utilization report"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_subject_is_shown_in_words(subject: str | None, shown: str) -> None:
    assert subject_label(subject) == shown


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        ("ServiceDegradation", "Service degradation"),
        ("Ödeshög link down", None),  # already in words: nothing to add to the search text
        ("", None),
        (None, None),
    ],
)
def test_the_search_text_gets_the_subject_in_words_only_where_it_is_one_word(
    subject: str | None, words: str | None
) -> None:
    assert shown_subject(subject) == words
