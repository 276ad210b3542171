"""Pydantic models of the expereoOne API V2 resources, shared by the client and the simulator.

Read models are tolerant: unknown fields are kept (``extra="allow"``), documented fields may be
missing or null, and enumerated values the server sends that we do not know are kept as plain
strings.  Write models are strict (``extra="forbid"``): we never send a field the API does not
document.  See ``shared/docs/expereo-api.md`` and ``docs/api-assumptions.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

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

# --------------------------------------------------------------------------------------------
# Base classes
# --------------------------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    """A timestamp without an offset is read as UTC ([assume], docs/api-assumptions.md)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


#: a datetime read from the API: always timezone-aware (naive → UTC)
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


def _is_valid_text(text: str) -> bool:
    """False for a lone surrogate (from a JSON ``\\ud800`` escape, or invalid UTF-8 decoded with
    ``surrogateescape``): such text cannot be written to SQLite or a terminal."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_invalid_text(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) in ``value`` that is not valid text,
    or None when all of it is."""
    if isinstance(value, str):
        return None if _is_valid_text(value) else (path or "<value>")
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not _is_valid_text(key):
                return here.encode("utf-8", "backslashreplace").decode("utf-8")
            found = find_invalid_text(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_invalid_text(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class ApiModel(BaseModel):
    """What we read from the API: camelCase on the wire, new fields tolerated and kept.

    Text that is not valid Unicode (a lone surrogate) anywhere in the item, kept extra fields
    included, makes the item invalid: the client skips it rather than store or show it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")
    #: envelopes (a page) leave the check to each of their items
    _check_text: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _valid_text_only(cls, data: Any) -> Any:
        bad = find_invalid_text(data) if cls._check_text else None
        if bad is not None:
            raise PydanticCustomError(
                "invalid_text",
                "invalid text (a lone surrogate or invalid UTF-8) in {field}",
                {"field": bad},
            )
        return data

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready camelCase dict (extra fields included)."""
        return self.model_dump(mode="json", by_alias=True)


class WriteModel(BaseModel):
    """What we send: camelCase on the wire, nothing undocumented."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


class Account(ApiModel):
    account_id: str
    name: str | None = None
    legal_name: str | None = None


class Site(ApiModel):
    site_id: str
    name: str | None = None
    city: str | None = None
    country: str | None = None
    account_id: str | None = None
    address: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Service(ApiModel):
    service_id: str
    service_name: str | None = None
    status: str | None = None  # order status, e.g. "In progress", "RFS"
    planned_delivery_date: date | None = None
    ready_for_service_date: date | None = None
    technical_note: str | None = None
    account_id: str | None = None
    site_id: str | None = None  # a service need not sit at a site
    service_type: str | None = None  # DIA, Broadband, 4G/5G, SD-WAN, ...
    bandwidth: str | None = None


class Case(ApiModel):
    id: str
    subject: str | None = None
    type: str | None = None
    status: str | None = None
    priority: str | None = None
    origin: str | None = None
    created_date: UtcDateTime | None = None
    last_modified_date: UtcDateTime | None = None
    customer_reference: str | None = None
    start_of_incident: UtcDateTime | None = None
    end_of_incident: UtcDateTime | None = None
    service_id: str | None = None
    site_id: str | None = None
    account_id: str | None = None


class CaseMessage(ApiModel):
    id: str | None = None
    case_id: str | None = None
    message: str = ""
    type: str | None = None  # MessageType: who wrote it
    timestamp: UtcDateTime | None = None
    sent_by: str | None = None


class Invoice(ApiModel):
    invoice_id: str
    invoice_reference: str | None = None
    invoice_date: date | None = None
    currency: str | None = None
    total_amount: float | None = None
    account_id: str | None = None


class InvoiceLineDetail(ApiModel):
    invoice_id: str | None = None
    invoice_currency: str | None = None
    invoice_date: date | None = None
    invoice_reference: str | None = None
    order_id_expereo: str | None = Field(default=None, alias="orderIDExpereo")
    order_name: str | None = None
    order_rfs_date: date | None = Field(default=None, alias="orderRFSDate")
    site_address: str | None = None
    sum_invoice_line_invoice_currency_amount: float | None = None


class ApiClientInfo(ApiModel):
    client_id: str
    name: str | None = None
    scopes: list[str] = Field(default_factory=list)
    created_date: UtcDateTime | None = None


# --------------------------------------------------------------------------------------------
# Write payloads
# --------------------------------------------------------------------------------------------


class CaseCreate(WriteModel):
    """Body of ``POST /v2/cases``.

    For an Incident, ``endOfIncident`` must be present on the wire even when null (the API's
    documented HC0011 quirk); use :meth:`to_wire` rather than a bare ``model_dump``.
    """

    subject: str
    type: str
    service_id: str
    message: str
    priority: str | None = None
    start_of_incident: datetime | None = None
    end_of_incident: datetime | None = None
    customer_reference: str | None = None
    sent_by: str | None = None

    def to_wire(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.type == CaseType.INCIDENT:
            body.setdefault("endOfIncident", None)
        return body


class CaseUpdate(WriteModel):
    """Body of ``PATCH /v2/cases/{caseId}``: what a customer may change ([assume])."""

    customer_reference: str | None = None
    priority: str | None = None
    status: str | None = None  # only "Closed" is accepted

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class MessageCreate(WriteModel):
    """Body of ``POST /v2/cases/{caseId}/case-messages``."""

    message: str
    sent_by: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --------------------------------------------------------------------------------------------
# Envelopes and errors
# --------------------------------------------------------------------------------------------

T = TypeVar("T")


class PageMetadata(ApiModel):
    offset: int = 0
    limit: int = 25
    has_more: bool = False
    total: int | None = None
    sort: list[str] = Field(default_factory=list)


class PageLinks(ApiModel):
    self_: str | None = Field(default=None, alias="self")
    next: str | None = None
    previous: str | None = None


class Page(ApiModel, Generic[T]):
    """The list envelope: ``{"data": [...], "metadata": {...}, "links": {...}}``."""

    _check_text: ClassVar[bool] = False

    data: list[T]
    metadata: PageMetadata = Field(default_factory=PageMetadata)
    links: PageLinks = Field(default_factory=PageLinks)


class ErrorSource(ApiModel):
    pointer: str | None = None
    parameter: str | None = None


class ErrorObject(ApiModel):
    """One entry of ``{"errors": [...]}`` ([assume] JSON:API-like)."""

    status: str | None = None
    code: str | None = None
    title: str | None = None
    detail: str | None = None
    source: ErrorSource | None = None

    @property
    def field(self) -> str | None:
        """The field this error is about, from ``source.pointer`` (``/subject`` → ``subject``)."""
        if self.source and self.source.pointer:
            return self.source.pointer.lstrip("/").split("/")[0] or None
        if self.source and self.source.parameter:
            return self.source.parameter
        return None


class TokenResponse(ApiModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = 3600
    scope: str | None = None

    model_config = ConfigDict(alias_generator=None, populate_by_name=True, extra="allow")


# --------------------------------------------------------------------------------------------
# The documented case rules, as a pure function shared by the client (validate before sending),
# the simulator (enforce) and the UI (validate as you type).
# --------------------------------------------------------------------------------------------


class RuleViolation(BaseModel):
    """A broken case rule: the camelCase field it concerns and a message for a person."""

    field: str
    message: str


def check_case_create(body: dict[str, Any]) -> list[RuleViolation]:
    """Check a camelCase create-case body against the documented rules.

    Returns every violation (empty when the body is valid).  The HC0011 quirk (an Incident whose
    body lacks the ``endOfIncident`` key) is reported with field ``endOfIncident``.
    """
    out: list[RuleViolation] = []
    for name in ("subject", "type", "serviceId", "message"):
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(RuleViolation(field=name, message=f"{name} is required"))
    ctype = body.get("type")
    if ctype is not None and ctype not in ALLOWED_PRIORITIES:
        out.append(
            RuleViolation(
                field="type", message=f"type must be one of {', '.join(ALLOWED_PRIORITIES)}"
            )
        )
        return out
    if ctype is None:
        return out
    priority = body.get("priority")
    if priority is not None and priority not in ALLOWED_PRIORITIES[ctype]:
        out.append(
            RuleViolation(
                field="priority",
                message=f"priority {priority} is not allowed for {CaseType(ctype).label}; "
                f"allowed: {', '.join(ALLOWED_PRIORITIES[ctype])}",
            )
        )
    subject = body.get("subject")
    if subject and subject not in ALLOWED_SUBJECTS[ctype]:
        out.append(
            RuleViolation(
                field="subject",
                message=f"subject {subject} is not allowed for {CaseType(ctype).label}; "
                f"allowed: {', '.join(ALLOWED_SUBJECTS[ctype])}",
            )
        )
    if ctype == CaseType.INCIDENT:
        if not body.get("startOfIncident"):
            out.append(
                RuleViolation(field="startOfIncident", message="an Incident needs startOfIncident")
            )
        if "endOfIncident" not in body:
            out.append(
                RuleViolation(
                    field="endOfIncident",
                    message="an Incident must carry endOfIncident (null is allowed)",
                )
            )
        start, end = body.get("startOfIncident"), body.get("endOfIncident")
        if isinstance(start, str) and isinstance(end, str) and start and end:
            try:
                s = datetime.fromisoformat(start.replace("Z", "+00:00"))
                e = datetime.fromisoformat(end.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                if e < s:
                    out.append(
                        RuleViolation(
                            field="endOfIncident",
                            message="endOfIncident must not be before startOfIncident",
                        )
                    )
    return out


def check_case_update(current_type: str | None, body: dict[str, Any]) -> list[RuleViolation]:
    """Check a camelCase PATCH body: only customerReference, priority (within the type's
    range) and status=Closed may change ([assume])."""
    out: list[RuleViolation] = []
    allowed = {"customerReference", "priority", "status"}
    for key in body:
        if key not in allowed:
            out.append(RuleViolation(field=key, message=f"{key} cannot be changed by a customer"))
    priority = body.get("priority")
    if priority is not None and current_type in ALLOWED_PRIORITIES:
        if priority not in ALLOWED_PRIORITIES[current_type]:
            out.append(
                RuleViolation(
                    field="priority",
                    message=f"priority {priority} is not allowed for "
                    f"{CaseType(current_type).label}; "
                    f"allowed: {', '.join(ALLOWED_PRIORITIES[current_type])}",
                )
            )
    status = body.get("status")
    if status is not None and status != CaseStatus.CLOSED:
        out.append(RuleViolation(field="status", message="status can only be set to Closed"))
    return out
