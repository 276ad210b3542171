"""Models of the expereoOne API V2 resources, shared by the client and the simulator
(:mod:`~expereo_tui.api.shapes`: pydantic's rules, without pydantic's weight).

Read models are tolerant: unknown fields are kept (``extra="allow"``), documented fields may be
missing or null, and enumerated values the server sends that we do not know are kept as plain
strings.  Write models are strict (``extra="forbid"``): we never send a field the API does not
document.  See ``shared/docs/expereo-api.md`` and ``docs/api-assumptions.md``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from .shapes import UTC_MARK, CheckInfo, Fail, Field, Model, checks, to_camel
from .shapes import ModelError as ModelError  # re-exported: what a model raises
from .vocab import *  # noqa: F403  (re-exported: the vocabulary lives without pydantic)
from .vocab import ALLOWED_PRIORITIES, ALLOWED_SUBJECTS, CaseStatus, CaseType

# --------------------------------------------------------------------------------------------
# Base classes
# --------------------------------------------------------------------------------------------


#: a datetime read from the API: always timezone-aware (naive → UTC: [assume],
#: docs/api-assumptions.md)
UtcDateTime = Annotated[datetime, UTC_MARK]


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
    if type(value) is dict:  # most items are flat and ASCII: one quick look says so
        for key, item in value.items():
            kind = type(item)
            if type(key) is not str or not key.isascii() or kind is dict or kind is list:
                break
            if kind is str and not item.isascii():
                break
        else:
            return None
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


#: the key under which an item read from the API records what the client repaired in it (an
#: extra field: the store keeps it with the item; ``repairs_of`` reads it)
REPAIRS_KEY = "clientRepairs"


def repairs_of(item: Model | dict[str, Any] | None) -> list[str]:
    """What the client repaired in an item it read (empty: nothing)."""
    if isinstance(item, Model):
        found = (item.model_extra or {}).get(REPAIRS_KEY)
    elif isinstance(item, dict):
        found = item.get(REPAIRS_KEY)
    else:
        return []
    return [str(r) for r in found] if isinstance(found, list) else []


class ApiModel(Model, extra="allow"):
    """What we read from the API: camelCase on the wire, new fields tolerated and kept.

    Text that is not valid Unicode (a lone surrogate) anywhere in the item, kept extra fields
    included, makes the item invalid: the client skips it rather than store or show it."""

    #: envelopes (a page) leave the check to each of their items
    _check_text: ClassVar[bool] = True

    @classmethod
    def model_before(cls, data: Any) -> Any:
        bad = find_invalid_text(data) if cls._check_text else None
        if bad is not None:
            raise Fail(
                "invalid_text",
                f"invalid text (a lone surrogate or invalid UTF-8) in {bad}",
                {"field": bad},
            )
        return data

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready camelCase dict (extra fields included)."""
        return self.model_dump(mode="json", by_alias=True)


class WriteModel(Model, extra="forbid"):
    """What we send: camelCase on the wire, nothing undocumented."""


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

    @property
    def incident_end(self) -> datetime | None:
        """When the incident ended; None while it is ongoing.  An end equal to the start is
        how an ongoing incident is created (the HC0011 workaround, see :class:`CaseCreate`),
        so it reads as ongoing too, however the case was created."""
        end = self.end_of_incident
        return None if end is None or end == self.start_of_incident else end


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
    """Body of ``POST /v2/cases``, and the one home of the documented type → priority/subject
    and incident rules (the client, the simulator and the form all validate through it).

    ``type`` comes first: the validators of the fields after it read it.  For an Incident the
    wire body always carries ``endOfIncident`` (the API's HC0011 quirk); an ongoing incident
    sends it equal to ``startOfIncident``, the documentation's own workaround.  Use
    :meth:`to_wire`, not a bare ``model_dump``.
    """

    type: str
    subject: str
    service_id: str
    message: str
    priority: str | None = None
    start_of_incident: datetime | None = Field(default=None, validate_default=True)
    end_of_incident: datetime | None = None
    customer_reference: str | None = None
    sent_by: str | None = None

    @checks("type")
    def _known_type(cls, value: str, info: CheckInfo) -> str:
        if value not in ALLOWED_PRIORITIES:
            raise ValueError(f"type must be one of {', '.join(ALLOWED_PRIORITIES)}")
        return value

    @checks("subject", "service_id", "message")
    def _not_blank(cls, value: str, info: CheckInfo) -> str:
        if not value.strip():
            raise ValueError(f"{to_camel(info.field_name or '')} is required")
        return value

    @checks("subject")
    def _subject_of_type(cls, value: str, info: CheckInfo) -> str:
        ctype = info.data.get("type")
        if ctype in ALLOWED_SUBJECTS and value not in ALLOWED_SUBJECTS[ctype]:
            raise ValueError(
                f"subject {value} is not allowed for {CaseType(ctype).label}; "
                f"allowed: {', '.join(ALLOWED_SUBJECTS[ctype])}"
            )
        return value

    @checks("priority")
    def _priority_of_type(cls, value: str | None, info: CheckInfo) -> str | None:
        ctype = info.data.get("type")
        if value is not None and ctype in ALLOWED_PRIORITIES:
            if value not in ALLOWED_PRIORITIES[ctype]:
                raise ValueError(
                    f"priority {value} is not allowed for {CaseType(ctype).label}; "
                    f"allowed: {', '.join(ALLOWED_PRIORITIES[ctype])}"
                )
        return value

    @checks("start_of_incident")
    def _incident_has_start(cls, value: datetime | None, info: CheckInfo) -> datetime | None:
        if value is None and info.data.get("type") == CaseType.INCIDENT:
            raise ValueError("an Incident needs startOfIncident")
        return value

    @checks("end_of_incident")
    def _end_after_start(cls, value: datetime | None, info: CheckInfo) -> datetime | None:
        start = info.data.get("start_of_incident")
        if value is not None and start is not None:
            try:
                before = value < start
            except TypeError:  # one naive, one aware: the simulator reports the zone
                before = False
            if before:
                raise ValueError("endOfIncident must not be before startOfIncident")
        return value

    def to_wire(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.type == CaseType.INCIDENT:
            body.setdefault("endOfIncident", body.get("startOfIncident"))
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


class TokenResponse(ApiModel, camel=False):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = 3600
    scope: str | None = None


# --------------------------------------------------------------------------------------------
# Rule checks: create-case rules are the validators of ``CaseCreate`` (``write_problems`` names
# the broken fields); the update rules need the case's current type, so they are a function.
# --------------------------------------------------------------------------------------------


class RuleViolation(Model, extra="ignore", camel=False):
    """A broken case rule: the camelCase field it concerns and a message for a person."""

    field: str
    message: str


def write_problems(model: type[Model], body: dict[str, Any]) -> list[RuleViolation]:
    """Validate a camelCase write body with its write model and name each broken field.

    The rules live in the model's checks; this only turns its errors into
    :class:`RuleViolation` (empty list: the body is valid)."""
    try:
        model.model_validate(body)
    except ModelError as exc:
        out = []
        for err in exc.errors():
            loc = err.get("loc") or ("",)
            name = to_camel(str(loc[0]))
            if err["type"] == "missing" or (err["type"] == "string_type" and err["input"] is None):
                message = f"{name} is required"
            elif err["type"] == "extra_forbidden":
                message = f"{name} is not a field of this write"
            else:
                message = str(err["msg"]).removeprefix("Value error, ")
            out.append(RuleViolation(field=name, message=message))
        return out
    return []


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
