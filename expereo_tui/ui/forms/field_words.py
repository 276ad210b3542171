"""People's words for the API's field names, in the messages forms show.

Validation messages come from the write models and from the server with the wire's camelCase
names in them ("startOfIncident is required"); a form shows "start of incident is required"."""

from __future__ import annotations

import re

#: the wire name of each field a customer writes → what the form calls it
FIELD_WORDS = {
    "startOfIncident": "start of incident",
    "endOfIncident": "end of incident",
    "customerReference": "customer reference",
    "serviceId": "service",
    "siteId": "site",
    "caseId": "case",
    "sentBy": "sent by",
    "message": "message",
    "subject": "subject",
    "priority": "priority",
    "status": "status",
    "type": "type",
}
_CAMEL_FIELD = re.compile(
    r"(?<![\w/])(" + "|".join(k for k in FIELD_WORDS if k != k.lower()) + r")(?![\w])"
)


def field_label(field: str | None) -> str:
    """``startOfIncident`` → ``start of incident``; an unknown name is split at its capitals;
    a JSON pointer (``/startOfIncident``) is read as its last part."""
    name = (field or "").rsplit("/", 1)[-1]
    if name in FIELD_WORDS:
        return FIELD_WORDS[name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def in_words(message: str) -> str:
    """A message with every camelCase field name in people's words."""
    return _CAMEL_FIELD.sub(lambda m: FIELD_WORDS[m.group(1)], message)
