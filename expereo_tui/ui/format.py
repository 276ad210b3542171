"""How domain values read on screen: relative times, priorities, types, subjects, directions."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text

from expereo_tui.api.vocab import CaseStatus, CaseType
from expereo_tui.ui import themes
from expereo_tui.ui.safe_text import safe

# Colour-blind-safe priority colours (blue/orange families, not red/green only); the label is
# always shown too, so colour is never the only signal.  The colours come from the theme
# (ui/themes.py): these map a domain value to its role there.
PRIORITY_ROLE = {p: f"priority-{p.lower()}" for p in ("P1", "P2", "P3", "P4", "P5")}
STATUS_ROLE = {  # "status-new", "status-in-progress", …: one role a status of api/vocab.py
    str(status): "status-" + status.value.lower().replace(" ", "-") for status in CaseStatus
}
SERVICE_STATUS_ROLE = {
    "RFS": "service-rfs",
    "In progress": "service-in-progress",
    "Ordered": "service-ordered",
    "Cancelled": "service-cancelled",
}


def role_style(roles: dict[str, str], value: str | None, default: str | Style = "") -> Style | str:
    """The theme's style for ``value`` (a priority, a status...), or ``default``."""
    role = roles.get(value or "")
    return themes.style(role) if role else default


def type_label(value: str | None) -> str:
    if value == CaseType.INCIDENT:
        return "Incident"
    if value == CaseType.NON_INCIDENT:
        return "General Request"
    return safe(value, one_line=True) or "?"  # a type the API added later, as it came


def priority_text(value: str | None) -> Text:
    return Text(safe(value, one_line=True) or "--", style=role_style(PRIORITY_ROLE, value))


SHORT_STATUS = {str(CaseStatus.AWAITING_CUSTOMER): "Awaiting you"}


def status_text(value: str | None, *, short: bool = False) -> Text:
    """The status in its colour; ``short`` for narrow columns ("Awaiting you": the provider
    waits for the customer)."""
    label = SHORT_STATUS.get(value or "", value) if short else value
    # a status the API invented after us is shown as it came, but as text, never as escapes
    return Text(safe(label, one_line=True) or "?", style=role_style(STATUS_ROLE, value))


def relative(moment: datetime | float | None, now: float) -> str:
    """Compact age: ``now``, ``45s``, ``4m``, ``3h``, ``2d``, ``5w``, ``1y``."""
    if moment is None:
        return ""
    stamp = moment.timestamp() if isinstance(moment, datetime) else moment
    seconds = max(0.0, now - stamp)
    for unit, size in (("y", 31_536_000), ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now" if seconds < 5 else f"{int(seconds)}s"


def ago(moment: datetime | float | None, now: float) -> str:
    """``4m ago``, or ``just now``."""
    rel = relative(moment, now)
    return "just now" if rel == "now" else f"{rel} ago" if rel else ""


def incident_span(start: datetime, end: datetime | None, now: float) -> str:
    """An incident's times: ``2026-11-18 09:00 → ongoing (3h since start)`` while it lasts,
    ``2026-11-18 09:00 → 2026-11-18 12:30 (lasted 3h)`` once it ended (its age since the start
    would keep growing on a case long closed)."""
    if end is None:
        return f"{local_time(start)} → ongoing ({relative(start, now)} since start)"
    lasted = relative(start, end.timestamp())
    return f"{local_time(start)} → {local_time(end)} (lasted {'<5s' if lasted == 'now' else lasted})"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
