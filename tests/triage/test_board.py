"""What the wall and the alerts count (docs/usage.md: the wall's "breached / at risk" tile and
the cases waiting on us): every expectation below is worked out by hand from the targets."""

from __future__ import annotations

import pytest

from expereo_tui.store.store import CaseActivity
from expereo_tui.triage.board import board
from expereo_tui.triage.labels import subject_label
from expereo_tui.triage.sla import Targets

from .rows import HOUR, MIN, T0, row

TARGETS = {"P1": Targets(first_response=30 * MIN, update_interval=HOUR, resolution=4 * HOUR)}
NOW = T0 + 50 * MIN


def test_board_counts_each_case_once_by_its_worst_clock() -> None:
    rows = [
        row("CS-A", created=0),  # no answer for 50 min: first response breached (-20 min)
        row("CS-B", created=25 * MIN),  # 25 of 30 min used: 5 min left, at risk
        row("CS-C", created=0),  # answered at 10 min: update clock 40 of 60 min, fine
        row("CS-D", status="Awaiting Customer", created=0, changed=45 * MIN),  # ours, fine
        row("CS-E", created=-186 * MIN),  # first response breached, resolution 4 min left
    ]
    answered = CaseActivity(first_provider_at=T0 + 10 * MIN, last_provider_at=T0 + 10 * MIN)
    activity = {
        "CS-A": CaseActivity(),
        # CS-B is not in the map: a case without activity counts as one with none
        "CS-C": answered,
        "CS-D": CaseActivity(
            first_provider_at=T0 + 45 * MIN,
            last_provider_at=T0 + 45 * MIN,
            transitions=((T0, "New"), (T0 + 45 * MIN, "Awaiting Customer")),
        ),
        "CS-E": CaseActivity(),
    }
    result = board(rows, activity, TARGETS, NOW)
    assert (result.breached, result.at_risk) == (2, 1)
    assert [(r.id, c.name, c.left) for r, c in result.alarming] == [
        ("CS-E", "first_response", -206 * MIN),
        ("CS-A", "first_response", -20 * MIN),
        ("CS-E", "resolution", 4 * MIN),
        ("CS-B", "first_response", 5 * MIN),
    ]


def test_an_empty_board_counts_nothing() -> None:
    result = board([], {}, TARGETS, NOW)
    assert (result.breached, result.at_risk, result.alarming) == (0, 0, ())


@pytest.mark.parametrize(
    ("subject", "label"),
    [
        ("ServiceDown", "Service down"),
        ("RfoRequest", "RFO request"),
        ("Rfo", "RFO"),
        ("PerformanceIssueReport", "Performance issue report"),
        ("Down", "Down"),
        ("already words", "already words"),
        ("", ""),
        (None, ""),
        ("   ", "   "),  # nothing to split: shown as it came
    ],
)
def test_subject_labels(subject: str | None, label: str) -> None:
    assert subject_label(subject) == label


def test_every_case_at_risk_counts() -> None:
    rows = [row(f"CS-{i}", created=25 * MIN) for i in range(3)]  # 5 of 30 min left each
    assert board(rows, {}, TARGETS, NOW).at_risk == 3
