"""When a snooze wakes (docs/usage.md, "Snooze"): ``in 30m``, ``2h``, ``09:00`` (the next
one), ``tomorrow`` (09:00), ``tomorrow 14:00``, an ISO time; always in the future.  Local time
is pinned to UTC here so the expected moments can be written by hand."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from expereo_tui.shift.timeparse import parse_until, parse_when


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def t(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "wakes"),
    [
        (t(18, 8, 59), t(18, 9)),  # a minute before: today's
        (t(18, 8, 59, 59), t(18, 9)),
        (t(18, 9), t(19, 9)),  # 09:00 at 09:00 is now, not the next one: tomorrow's
        (t(18, 9, 0, 1), t(19, 9)),
        (t(18, 10), t(19, 9)),  # the case: 09:00 at 10:00 wakes tomorrow
        (t(18, 23, 59), t(19, 9)),
        (t(18, 0, 0), t(18, 9)),
    ],
)
def test_a_time_of_day_is_the_next_one(now: datetime, wakes: datetime) -> None:
    assert parse_until("09:00", now) == wakes


def test_a_time_of_day_keeps_its_minutes() -> None:
    assert parse_until("9:05", t(18, 9, 4)) == t(18, 9, 5)
    assert parse_until("9:05", t(18, 9, 5)) == t(19, 9, 5)
    assert parse_until("  23:59 ", t(18, 10)) == t(18, 23, 59)


@pytest.mark.parametrize(
    ("text", "wakes"),
    [
        ("in 30m", t(18, 10, 30)),
        ("30m", t(18, 10, 30)),
        ("+30 min", t(18, 10, 30)),
        ("in 1 minute", t(18, 10, 1)),
        ("2h", t(18, 12)),
        ("in 2 hours", t(18, 12)),
        ("1d", t(19, 10)),
        ("3 days", t(21, 10)),
        ("IN   30M", t(18, 10, 30)),
    ],
)
def test_a_duration_counts_from_now(text: str, wakes: datetime) -> None:
    assert parse_until(text, t(18, 10)) == wakes


@pytest.mark.parametrize(
    ("text", "wakes"),
    [
        ("tomorrow", t(19, 9)),
        ("Tomorrow", t(19, 9)),
        ("tomorrow 14:00", t(19, 14)),
        ("tomorrow 0:00", t(19, 0)),
        ("tomorrow 23:59", t(19, 23, 59)),
    ],
)
def test_tomorrow_is_the_next_day(text: str, wakes: datetime) -> None:
    assert parse_until(text, t(18, 10)) == wakes


def test_tomorrow_late_at_night_is_the_next_calendar_day() -> None:
    assert parse_until("tomorrow", t(18, 23, 59)) == t(19, 9)
    assert parse_until("tomorrow", t(18, 0, 1)) == t(19, 9)


def test_an_iso_time_must_be_in_the_future() -> None:
    now = t(18, 10)
    assert parse_until("2026-11-18T10:00:01Z", now) == t(18, 10, 0, 1)
    assert parse_until("2026-11-18T12:00:00+01:00", now) == t(18, 11)
    with pytest.raises(ValueError, match="not in the future"):
        parse_until("2026-11-18T10:00:00Z", now)  # now is not the future
    with pytest.raises(ValueError, match="not in the future"):
        parse_until("2026-11-18T09:59:59Z", now)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "0m", "in 0h", "24:00", "9:60", "tomorrow 24:00", "tomorrow 9:60", "soon", "-5m"],
)
def test_what_is_not_a_future_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_until(text, t(18, 10))


def test_parse_when_reads_times_people_type() -> None:
    now = t(18, 10)
    assert parse_when("now", now) == now
    assert parse_when("-30m", now) == t(18, 9, 30)
    assert parse_when("-2h", now) == t(18, 8)
    assert parse_when("-1d", now) == t(17, 10)
    assert parse_when("14:00", now) == t(18, 14)  # today, even if later
    assert parse_when("yesterday 14:00", now) == t(17, 14)
    assert parse_when("today 09:30", now) == t(18, 9, 30)
    assert parse_when("2026-11-24T09:30Z", now) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    for bad in ("", "25:00", "12:60", "later"):
        with pytest.raises(ValueError):
            parse_when(bad, now)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty time"),
        ("0m", "not in the future"),
        ("24:00", "not a time of day"),
        ("23:60", "not a time of day"),
        ("25:61", "not a time of day"),
        ("tomorrow 24:00", "not a time of day"),
        ("soon", "cannot read 'soon'"),
    ],
)
def test_a_refused_snooze_time_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_until(text, t(18, 10))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty time"),
        ("24:00", "not a time of day"),
        ("23:60", "not a time of day"),
        ("yesterday 24:00", "not a time of day"),
        ("later", "cannot read 'later'"),
    ],
)
def test_a_refused_time_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_when(text, t(18, 10))


def test_the_last_minute_of_the_day_is_a_time_of_day() -> None:
    now = t(18, 10)
    assert parse_when("23:59", now) == t(18, 23, 59)
    assert parse_when("12:59", now) == t(18, 12, 59)
    assert parse_when("0:00", now) == t(18, 0)
    assert parse_until("23:59", now) == t(18, 23, 59)
    assert parse_until("tomorrow 12:59", now) == t(19, 12, 59)


def test_a_time_of_day_is_on_the_minute_whatever_the_seconds_now() -> None:
    now = datetime(2026, 11, 18, 10, 0, 30, 500_000, tzinfo=UTC)
    assert parse_when("14:00", now) == t(18, 14)
    assert parse_until("14:00", now) == t(18, 14)
    assert parse_until("tomorrow", now) == t(19, 9)


def test_iso_times_with_z_either_case_or_none_are_read() -> None:
    now = t(18, 10)
    assert parse_when("2026-11-24T09:30z", now) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    bare = parse_when("2026-11-24T09:30", now)  # no zone: local time (UTC here)
    assert bare.tzinfo is not None and bare == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert parse_until("2026-11-24T09:30", now) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
