"""The words the screens use for times (ui/format.py), against hand-written expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from expereo_tui.ui.format import incident_span, local_time

START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lasted", "words"),
    [
        (timedelta(hours=3, minutes=30), "lasted 3h"),
        (timedelta(days=9), "lasted 1w"),
        (timedelta(seconds=4), "lasted <5s"),
        (timedelta(seconds=5), "lasted 5s"),
    ],
)
def test_an_ended_incident_says_how_long_it_lasted_however_long_ago(
    lasted: timedelta, words: str
) -> None:
    end = START + lasted
    for later in (timedelta(0), timedelta(weeks=30)):  # read now, or half a year on: the same
        now = (end + later).timestamp()
        assert incident_span(START, end, now) == (
            f"{local_time(START)} → {local_time(end)} ({words})"
        )


def test_an_ongoing_incident_says_how_long_since_it_started() -> None:
    now = (START + timedelta(hours=2, minutes=59)).timestamp()
    assert incident_span(START, None, now) == f"{local_time(START)} → ongoing (2h since start)"
