"""Reply templates: text from the profile's config with ``{variables}`` filled from the store.

``{case_id}``, ``{subject}``, ``{service_id}``, ``{service_name}``, ``{site_name}``,
``{site_address}``, ``{priority}``, ``{start_of_incident}`` and ``{sent_by}``; ``{{`` and ``}}``
are literal braces.  An unknown variable (or a format spec, an index, an attribute) is refused
when the config loads (:func:`check_template`), so a template never fails half-way at reply time.
Values are inserted as plain text into the reply box, where the engineer can still edit them.
"""

from __future__ import annotations

import string
from datetime import UTC
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from expereo_tui.store.store import Store

VARIABLES = (
    "case_id",
    "subject",
    "service_id",
    "service_name",
    "site_name",
    "site_address",
    "priority",
    "start_of_incident",
    "sent_by",
)


def check_template(text: str) -> str | None:
    """None when ``text`` is a good template, else what is wrong with it (one line)."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone { or }
        return f"{exc} (write {{{{ or }}}} for a literal brace)"
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in VARIABLES:
            shown = name or "{}"
            return f"unknown variable {{{shown}}}; known: {', '.join(VARIABLES)}"
        if spec or conversion:
            return f"{{{name}}} takes no format or conversion"
    return None


def values_for(store: Store, case_id: str, sent_by: str) -> dict[str, str]:
    """Every variable's value for a case, from the local store ('' when unknown)."""
    case = store.cases.case(case_id)
    service = store.inventory.service(case.service_id) if case and case.service_id else None
    site = store.inventory.site(case.site_id) if case and case.site_id else None
    if site is None and service is not None and service.site_id:
        site = store.inventory.site(service.site_id)
    start = ""
    if case and case.start_of_incident:
        start = case.start_of_incident.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    address = (
        ", ".join(p for p in (site.address, site.postal_code, site.city, site.country) if p)
        if site
        else ""
    )
    return {
        "case_id": case_id,
        "subject": (case.subject or "") if case else "",
        "service_id": (case.service_id or "") if case else "",
        "service_name": (service.service_name or "") if service else "",
        "site_name": (site.name or "") if site else "",
        "site_address": address,
        "priority": (case.priority or "") if case else "",
        "start_of_incident": start,
        "sent_by": sent_by,
    }


def render(text: str, values: dict[str, str]) -> str:
    """The template with its variables filled (checked templates only)."""
    return text.format_map(values)
