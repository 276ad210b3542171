"""The simulator's own OpenAPI 3 description, generated from its routes and the shared pydantic
models (nothing here is typed by hand but the names of the write bodies and which read fields
carry which enumeration).  ``expereo-tui sim --openapi [FILE]`` writes it; the tests use it as
the reference that ``expereo-tui config check --openapi`` compares a portal spec against."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from starlette.routing import Route

from expereo_tui.api.models import (
    ALL_SCOPES,
    ALLOWED_PRIORITIES,
    ALLOWED_SUBJECTS,
    Account,
    ApiClientInfo,
    Case,
    CaseCreate,
    CaseMessage,
    CaseOrigin,
    CaseStatus,
    CaseSubject,
    CaseType,
    CaseUpdate,
    ErrorObject,
    Invoice,
    InvoiceLineDetail,
    MessageCreate,
    MessageType,
    PageLinks,
    PageMetadata,
    Priority,
    Service,
    Site,
)
from expereo_tui.api.schema import schemas as json_schemas
from expereo_tui.api.shapes import Model

from .app import Simulator
from .listing import fields_of, pascal, sort_pattern

#: the resource a path segment names → the model of one item of it
RESOURCES: dict[str, type[Model]] = {
    "api-clients": ApiClientInfo,
    "accounts": Account,
    "sites": Site,
    "services": Service,
    "cases": Case,
    "case-messages": CaseMessage,
    "invoices": Invoice,
    "invoice-line-details": InvoiceLineDetail,
}
#: the handler of a write route → the body it reads
WRITE_BODIES: dict[str, type[Model]] = {
    "_create_case": CaseCreate,
    "_update_case": CaseUpdate,
    "_add_message": MessageCreate,
}
#: string fields whose values come from a fixed set (the read models keep them ``str`` so that
#: unknown values survive; the spec still says which values exist)
ENUMS: dict[tuple[str, str], type[StrEnum]] = {
    ("Case", "status"): CaseStatus,
    ("Case", "type"): CaseType,
    ("Case", "priority"): Priority,
    ("Case", "subject"): CaseSubject,
    ("Case", "origin"): CaseOrigin,
    ("CaseMessage", "type"): MessageType,
    ("CaseCreate", "type"): CaseType,
    ("CaseCreate", "priority"): Priority,
    ("CaseCreate", "subject"): CaseSubject,
    ("CaseUpdate", "priority"): Priority,
}
CLOSE_ONLY = ["Closed"]  # PATCH status: a customer may only close ([assume])
ERROR_STATUSES = {
    "400": "Bad request (a bad page, sort or filter parameter names it)",
    "401": "Missing, invalid or expired token",
    "403": "The token lacks the route's scope (named in the error)",
    "404": "No such resource",
    "422": "Validation failed (source.pointer names the field)",
    "429": "Over the rate limit (Retry-After in seconds)",
}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


def _not_blank() -> list[tuple[str, str]]:
    """Text that must not be blank: the fields of ``CaseCreate``'s ``_not_blank`` validator, and
    a reply's message (checked by ``writes.add_message``)."""
    checked = CaseCreate.__checks__["_not_blank"].fields
    wire = CaseCreate.model_fields
    return [("CaseCreate", wire[f].alias or f) for f in checked] + [("MessageCreate", "message")]


def _schemas() -> dict[str, Any]:
    models = [*RESOURCES.values(), *WRITE_BODIES.values(), ErrorObject, PageMetadata, PageLinks]
    schemas = json_schemas(models, "#/components/schemas/{model}")
    for (model, field), enum in ENUMS.items():
        prop = schemas[model]["properties"][field]
        values = [e.value for e in enum]
        if "anyOf" in prop:  # str | None
            for option in prop["anyOf"]:
                if option.get("type") == "string":
                    option["enum"] = values
        else:
            prop["enum"] = values
    for option in schemas["CaseUpdate"]["properties"]["status"].get("anyOf", []):
        if option.get("type") == "string":
            option["enum"] = CLOSE_ONLY
    # an empty PATCH changes nothing and is refused (422)
    schemas["CaseUpdate"]["minProperties"] = 1
    for model, field in _not_blank():
        schemas[model]["properties"][field].update(minLength=1, pattern=r"\S")
    schemas["CaseCreate"]["oneOf"] = _by_case_type()
    schemas["Errors"] = {
        "type": "object",
        "properties": {
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorObject"}}
        },
        "required": ["errors"],
    }
    return schemas


def _by_case_type() -> list[dict[str, Any]]:
    """The per-type rules of a new case (the V1 document's table, ``expereo-api.md`` §5): the
    subjects and priorities of each type, and an Incident's start (never null) and end (the key
    is required: HC0011 without it; null means ongoing)."""
    out = []
    for ctype, subjects in ALLOWED_SUBJECTS.items():
        branch: dict[str, Any] = {
            "properties": {
                "type": {"const": str(ctype)},
                "subject": {"enum": list(subjects)},
                "priority": {
                    "anyOf": [{"enum": list(ALLOWED_PRIORITIES[ctype])}, {"type": "null"}]
                },
            }
        }
        if ctype == CaseType.INCIDENT:
            branch["properties"]["startOfIncident"] = {"type": "string", "format": "date-time"}
            branch["required"] = ["startOfIncident", "endOfIncident"]
        out.append(branch)
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_parameters(model: type[Model]) -> list[dict[str, Any]]:
    fields = fields_of(model.model_fields)
    names = [pascal(f) for f in fields]
    params: list[dict[str, Any]] = [
        {
            "name": "page[offset]",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        {
            "name": "page[limit]",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 25},
        },
        {
            "name": "sort",
            "in": "query",
            "description": "comma-separated PascalCase fields, '-' for descending",
            "schema": {"type": "string", "pattern": sort_pattern(fields)},
            "x-sort-fields": names,
        },
    ]
    params += [
        {"name": f"filter[{name}]", "in": "query", "schema": {"type": "string", "minLength": 1}}
        for name in names
    ]
    return params


def _operation(route: Route, method: str) -> dict[str, Any] | None:
    endpoint = route.endpoint
    scopes = getattr(endpoint, "scopes", None)
    if scopes is None:  # not an API route (control API, description, token endpoint)
        return None
    segments = [s for s in route.path.split("/") if s]
    params = [re.fullmatch(r"\{(\w+)\}", s) for s in segments]
    is_item = params[-1] is not None
    resource = segments[-2] if is_item else segments[-1]
    model = RESOURCES[resource]
    write = bool(getattr(endpoint, "write", False))
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{str(getattr(endpoint, 'handler_name', '')).strip('_')}",
        "security": [{"oauth2": [scopes[-1] if write else scopes[0]]}],
        "x-scopes": list(scopes),
        "parameters": [
            {
                "name": _camel(m.group(1)),
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
            for m in params
            if m
        ],
    }
    if method == "GET" and not is_item:
        op["parameters"] += _list_parameters(model)
        data: dict[str, Any] = {"type": "array", "items": _ref(model.__name__)}
        body: dict[str, Any] = {
            "type": "object",
            "properties": {
                "data": data,
                "metadata": _ref("PageMetadata"),
                "links": _ref("PageLinks"),
            },
            "required": ["data"],
        }
    else:
        body = {
            "type": "object",
            "properties": {"data": _ref(model.__name__)},
            "required": ["data"],
        }
    status = "201" if method == "POST" else "200"
    write_body = WRITE_BODIES.get(str(getattr(endpoint, "handler_name", "")))
    if write_body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(write_body.__name__)}},
        }
    op["responses"] = {
        status: {"description": "OK", "content": {"application/json": {"schema": body}}},
        **{
            code: {"description": text, "content": {"application/json": {"schema": _ref("Errors")}}}
            for code, text in ERROR_STATUSES.items()
        },
    }
    return op


def openapi_spec(sim: Simulator | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the simulator's ``/v2`` routes."""
    sim = sim or Simulator()
    paths: dict[str, dict[str, Any]] = {}
    for route in sim.app.routes:
        if not isinstance(route, Route) or not route.path.startswith("/v2/"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: "{" + _camel(m.group(1)) + "}", route.path)
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            op = _operation(route, method)
            if op is not None:
                paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "expereoOne customer API V2 (as simulated by expereo-tui)",
            "version": "2",
        },
        "servers": [{"url": "https://api.expereo.one"}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "https://auth.expereo.one/oauth2/token",
                            "scopes": {s: s for s in ALL_SCOPES},
                        }
                    },
                }
            },
        },
    }


def openapi_json(sim: Simulator | None = None) -> str:
    return json.dumps(openapi_spec(sim), indent=2, sort_keys=False) + "\n"
