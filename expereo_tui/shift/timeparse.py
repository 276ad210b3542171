"""Times people type for an incident: ISO 8601, ``now``, ``-30m``, ``-2h``, ``-1d``,
``yesterday 14:00``, ``today 09:30`` or a bare ``14:00`` (today, local time)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_RELATIVE = re.compile(r"^-\s*(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CLOCK = re.compile(r"^(?:(today|yesterday)\s+)?(\d{1,2}):(\d{2})$")
HELP = "use now, -30m, -2h, -1d, 14:00, yesterday 14:00, or 2026-11-24T09:30Z"


def parse_when(text: str, now: datetime) -> datetime:
    """The moment ``text`` means, timezone-aware (``now`` must be aware); ValueError otherwise."""
    value = text.strip().lower()
    if not value:
        raise ValueError(f"empty time: {HELP}")
    if value == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    match = _CLOCK.match(value)
    if match:
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text.strip()!r} is not a time of day")
        local = now.astimezone()
        day = local - timedelta(days=1) if match.group(1) == "yesterday" else local
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read {text.strip()!r}: {HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # a bare date-time is local time
    return parsed


# -- when a snoozed case wakes (always in the future) -----------------------------------------
_IN = re.compile(r"^(?:in\s+|\+\s*)?(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)$")
_TOMORROW = re.compile(r"^tomorrow(?:\s+(\d{1,2}):(\d{2}))?$")
UNTIL_HELP = "use in 30m, 2h, 09:00, tomorrow, tomorrow 14:00 or 2026-11-24T09:30Z"
MORNING = 9  # "tomorrow" alone: 09:00 local


def parse_until(text: str, now: datetime) -> datetime:
    """The future moment ``text`` means for a snooze (``now`` must be aware): ``in 30m``,
    ``2h``, ``09:00`` (the next one), ``tomorrow`` (09:00), ``tomorrow 14:00`` or ISO 8601."""
    value = " ".join(text.strip().lower().split())
    if not value:
        raise ValueError(f"empty time: {UNTIL_HELP}")
    match = _IN.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)[0]
        if amount <= 0:
            raise ValueError(f"{text.strip()!r} is not in the future")
        return now + timedelta(**{_UNITS[unit]: amount})
    local = now.astimezone()
    match = _TOMORROW.match(value)
    clock = _CLOCK.match(value)
    if match:
        hour, minute = (
            (int(match.group(1)), int(match.group(2))) if match.group(1) else (MORNING, 0)
        )
        day = local + timedelta(days=1)
    elif clock and clock.group(1) is None:
        hour, minute = int(clock.group(2)), int(clock.group(3))
        day = local
    else:
        try:
            moment = parse_when(text, now)
        except ValueError:
            raise ValueError(f"cannot read {text.strip()!r}: {UNTIL_HELP}") from None
        if moment <= now:
            raise ValueError(f"{text.strip()!r} is not in the future")
        return moment
    if hour > 23 or minute > 59:
        raise ValueError(f"{text.strip()!r} is not a time of day")
    moment = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= now:  # 09:00 when it is 10:00: tomorrow's
        moment += timedelta(days=1)
    return moment
