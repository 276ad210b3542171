"""The API's vocabulary: scopes, case types, priorities, subjects, statuses and the documented
type → priority/subject table.  Plain enums and constants, no pydantic: the config, the store and
the first frame read them without importing the models (``models`` re-exports every name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "Scope",
    "ALL_SCOPES",
    "READ_ONLY_SCOPES",
    "CaseType",
    "Priority",
    "CaseSubject",
    "CaseStatus",
    "OPEN_STATUSES",
    "DONE_STATUSES",
    "is_open_status",
    "open_statuses",
    "CaseOrigin",
    "MessageType",
    "from_provider",
    "from_customer",
    "PROVIDER_WORD",
    "CUSTOMER_WORD",
    "ALLOWED_PRIORITIES",
    "ALLOWED_SUBJECTS",
    "subject_label",
    "DEFAULT_PRIORITY",
]

# --------------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------------


class Scope(StrEnum):
    """OAuth2 scopes of the customer API."""

    BASIC_READ = "customerapi/basic.read"
    SUPPORT_READ = "customerapi/support.read"
    SUPPORT_READ_WRITE = "customerapi/support.read-write"
    FINANCIAL_READ = "customerapi/financial.read"


ALL_SCOPES: tuple[str, ...] = tuple(s.value for s in Scope)
READ_ONLY_SCOPES: tuple[str, ...] = (
    Scope.BASIC_READ.value,
    Scope.SUPPORT_READ.value,
    Scope.FINANCIAL_READ.value,
)

# --------------------------------------------------------------------------------------------
# Enumerations.  Fields on read models are typed ``str`` so that unknown values survive; these
# StrEnums compare equal to the wire strings (``CaseStatus.NEW == "New"``).
# --------------------------------------------------------------------------------------------


class CaseType(StrEnum):
    INCIDENT = "Incident"
    NON_INCIDENT = "NonIncident"

    @property
    def label(self) -> str:
        """How a person reads the type (the API calls NonIncident a General Request)."""
        return "Incident" if self is CaseType.INCIDENT else "General Request"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


class CaseSubject(StrEnum):
    # Incident
    RFO_REQUEST = "RfoRequest"
    SERVICE_DEGRADATION = "ServiceDegradation"
    SERVICE_INTERMITTENT = "ServiceIntermittent"
    SERVICE_DOWN = "ServiceDown"
    # General Request (NonIncident)
    ACTIVATION_SUPPORT = "ActivationSupport"
    CHANGE_REQUEST = "ChangeRequest"
    ENGINEER_DISPATCH = "EngineerDispatch"
    INFORMATION_REQUEST = "InformationRequest"
    OTHER = "Other"
    SOFTWARE_UPDATE = "SoftwareUpdate"
    UTILIZATION_REPORT = "UtilizationReport"


class CaseStatus(StrEnum):
    NEW = "New"
    IN_PROGRESS = "In Progress"
    AWAITING_CUSTOMER = "Awaiting Customer"
    RESOLVED = "Resolved"
    CLOSED = "Closed"


OPEN_STATUSES: frozenset[str] = frozenset(
    {CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_CUSTOMER}
)
#: the statuses that end a case; any other status, unknown ones included, counts as open
DONE_STATUSES: frozenset[str] = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


def is_open_status(status: str | None) -> bool:
    """Open unless the API says Resolved or Closed: a status we do not know yet is open, so a
    case in a new state is never hidden from the open counts."""
    return status not in DONE_STATUSES


def open_statuses(present: Iterable[str]) -> frozenset[str]:
    """The statuses a filter for open cases must list: the documented open ones and every other
    status seen in the data (``present``, e.g. the store's status counts) that is not done."""
    return OPEN_STATUSES | frozenset(s for s in present if s != "?" and is_open_status(s))


class CaseOrigin(StrEnum):
    API = "API"
    PORTAL = "Portal"
    EMAIL = "Email"
    PHONE = "Phone"


class MessageType(StrEnum):
    """Who wrote a case message."""

    CUSTOMER = "Customer"
    EXPEREO = "Expereo"


#: the word a message ``type`` of each side contains, whatever its spelling (lower case)
PROVIDER_WORD = "expereo"
CUSTOMER_WORD = "customer"


def from_provider(message_type: str | None) -> bool:
    """Written by the provider, however ``type`` spells it (``Expereo``, ``EXPEREO``,
    ``Expereo Support``).  The documents only say ``type`` tells who wrote it (e.g.
    ``Customer``/``Expereo``).  The outbox recognises its own reply by text, sender and time
    unless this says the provider wrote it."""
    return message_type is not None and PROVIDER_WORD in message_type.casefold()


def from_customer(message_type: str | None) -> bool:
    """Written by the customer side, however ``type`` spells it (``Customer``, ``CUSTOMER``,
    ``Customer Portal``).  Whose turn it is, the SLA clocks and the send-time conflict check
    count every other message (the provider's, a ``System`` note) as not ours."""
    return (
        message_type is not None
        and CUSTOMER_WORD in message_type.casefold()
        and not from_provider(message_type)
    )


# The documented type → priorities / subjects table ([doc, V1 cases]).
ALLOWED_PRIORITIES: dict[str, tuple[str, ...]] = {
    CaseType.INCIDENT: ("P1", "P2", "P3", "P4", "P5"),
    CaseType.NON_INCIDENT: ("P3", "P4", "P5"),
}
ALLOWED_SUBJECTS: dict[str, tuple[str, ...]] = {
    CaseType.INCIDENT: ("RfoRequest", "ServiceDegradation", "ServiceIntermittent", "ServiceDown"),
    CaseType.NON_INCIDENT: (
        "ActivationSupport",
        "ChangeRequest",
        "EngineerDispatch",
        "InformationRequest",
        "Other",
        "SoftwareUpdate",
        "UtilizationReport",
    ),
}
DEFAULT_PRIORITY = "P3"  # [assume] server default on create, both types


def subject_label(value: str | None) -> str:
    """A subject as the screens show it: ``ServiceDown`` → ``Service down``, ``RfoRequest`` →
    ``RFO request``.  The store's search text holds it beside the API's word, so a search for
    what the screen shows finds it."""
    if not value:
        return ""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", value).split()
    out = " ".join([words[0]] + [w.lower() for w in words[1:]]) if words else value
    return out.replace("Rfo", "RFO")
