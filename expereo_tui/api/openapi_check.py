"""Compare an OpenAPI document (e.g. the one the portal offers for download) with what this
client relies on: paths, methods, query parameters, the fields of what it reads and sends, their
JSON types, enumeration values and required fields.

A pure comparison of two documents: no network, no credentials.  Findings are codes and fields;
``config_check.py`` writes the sentences.  A finding ``breaks`` when a feature cannot work (a path or a
parameter is gone, a field the client needs is renamed, the API requires a field the client
never sends, a value the client sends is no longer accepted); other differences are reported
but harmless (the client tolerates added fields and unknown values)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .models import (
    Account,
    Case,
    CaseCreate,
    CaseMessage,
    CaseStatus,
    CaseSubject,
    CaseType,
    CaseUpdate,
    Invoice,
    MessageCreate,
    MessageType,
    Priority,
    Service,
    Site,
)
from .shapes import Model


@dataclass(frozen=True)
class Need:
    """One call the client makes, and what it relies on in it."""

    feature: str
    method: str
    path: str  # template; parameter names do not matter ("/v2/cases/{}")
    response: type[Model]
    is_list: bool = False
    params: tuple[str, ...] = ()
    sort_fields: tuple[str, ...] = ()
    body: type[Model] | None = None
    optional: bool = False  # the app hides the feature when it is missing (invoices)


LIST = ("page[limit]",)
NEEDS: tuple[Need, ...] = (
    Need("inventory", "GET", "/v2/accounts", Account, True, LIST),
    Need("inventory", "GET", "/v2/sites", Site, True, LIST),
    Need("inventory", "GET", "/v2/services", Service, True, LIST),
    Need(
        "inbox",
        "GET",
        "/v2/cases",
        Case,
        True,
        (*LIST, "sort", "filter[CustomerReference]", "filter[ServiceId]"),
        ("LastModifiedDate", "CreatedDate"),
    ),
    Need("case", "GET", "/v2/cases/{}", Case),
    Need("thread", "GET", "/v2/cases/{}/case-messages", CaseMessage, True, LIST),
    Need("new case", "POST", "/v2/cases", Case, body=CaseCreate),
    Need("update case", "PATCH", "/v2/cases/{}", Case, body=CaseUpdate),
    Need("reply", "POST", "/v2/cases/{}/case-messages", CaseMessage, body=MessageCreate),
    Need("invoices", "GET", "/v2/invoices", Invoice, True, LIST, optional=True),
)

#: read fields that have a default in the (liberal) models but without which a feature does not
#: work: the thread's text, the incremental poll's watermark, the inbox's status
RELIED_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("CaseMessage", "message"),
        ("Case", "lastModifiedDate"),
        ("Case", "status"),
    }
)

#: values the client sends (must all be accepted) or reads with a meaning (should all exist)
SENT_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("CaseCreate", "type"): tuple(e.value for e in CaseType),
    ("CaseCreate", "subject"): tuple(e.value for e in CaseSubject),
    ("CaseCreate", "priority"): tuple(e.value for e in Priority),
    ("CaseUpdate", "priority"): tuple(e.value for e in Priority),
    ("CaseUpdate", "status"): (CaseStatus.CLOSED.value,),
}
READ_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Case", "status"): tuple(e.value for e in CaseStatus),
    ("Case", "type"): tuple(e.value for e in CaseType),
    ("Case", "priority"): tuple(e.value for e in Priority),
    ("CaseMessage", "type"): tuple(e.value for e in MessageType),
}


class Code(StrEnum):
    OK = "ok"
    MISSING_PATH = "missing_path"
    MISSING_METHOD = "missing_method"
    MISSING_PARAMETER = "missing_parameter"
    MISSING_SORT_FIELD = "missing_sort_field"
    MISSING_FIELD = "missing_field"  # a field the client reads or sends is not in the spec
    TYPE_CHANGED = "type_changed"
    REQUIRED_UNKNOWN = "required_unknown"  # the spec requires a body field the client lacks
    REQUIRED_OPTIONAL = "required_optional"  # the spec requires a field the client may omit
    VALUE_REFUSED = "value_refused"  # a value the client sends is not in the spec's enum
    VALUE_MISSING = "value_missing"  # a value the client reads is not in the spec's enum
    VALUE_ADDED = "value_added"  # the spec has values the client does not know
    SHAPE_UNKNOWN = "shape_unknown"  # no {data: ...} schema to compare fields with
    EXTRA_OPERATION = "extra_operation"
    EXTRA_FIELD = "extra_field"


@dataclass(frozen=True)
class Finding:
    code: Code
    breaks: bool
    feature: str
    method: str
    path: str
    name: str = ""  # the parameter, field or value concerned
    expected: str = ""
    found: str = ""
    optional: bool = False  # the feature is optional: the app hides it


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def breaking(self) -> list[Finding]:
        return [f for f in self.findings if f.breaks]

    @property
    def ok(self) -> bool:
        return not self.breaking


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


class _Spec:
    """Lookups in one OpenAPI document ($refs resolved within it)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.paths: dict[str, tuple[str, dict[str, Any]]] = {
            _template(p): (p, item)
            for p, item in (doc.get("paths") or {}).items()
            if isinstance(item, dict)
        }

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and depth < 20:
            node: Any = self.doc
            for part in ref[2:].split("/"):
                node = node.get(part) if isinstance(node, dict) else None
            return self.resolve(node, depth + 1)
        if "allOf" in schema and isinstance(schema["allOf"], list):  # merge object parts
            merged: dict[str, Any] = {"properties": {}, "required": []}
            for part in schema["allOf"]:
                sub = self.resolve(part, depth + 1)
                merged["properties"].update(sub.get("properties") or {})
                merged["required"] += list(sub.get("required") or [])
            return merged
        return schema

    def parameters(self, path_item: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for raw in [*(path_item.get("parameters") or []), *(op.get("parameters") or [])]:
            param = self.resolve(raw)
            if isinstance(param.get("name"), str):
                out[param["name"]] = param
        return out

    def data_schema(self, op: dict[str, Any], is_list: bool) -> dict[str, Any] | None:
        """The object schema of one item in a success response's ``data``."""
        responses = op.get("responses") or {}
        for status in ("200", "201", 200, 201):
            if status in responses:
                response = self.resolve(responses[status])
                break
        else:
            return None
        content = response.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        body = self.resolve((media or {}).get("schema"))
        data = self.resolve((body.get("properties") or {}).get("data"))
        if not data:
            return None
        if is_list or data.get("type") == "array":
            data = self.resolve(data.get("items"))
        return data if data.get("properties") else None

    def body_schema(self, op: dict[str, Any]) -> dict[str, Any] | None:
        body = self.resolve(op.get("requestBody"))
        content = body.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        schema = self.resolve((media or {}).get("schema"))
        return schema if schema.get("properties") else None


def _types(schema: dict[str, Any], spec: _Spec) -> set[str]:
    """The JSON types a property may have, null left out; integer counts as number."""
    schema = spec.resolve(schema)
    out: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            out |= _types(option, spec)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    out |= {"number" if k == "integer" else str(k) for k in kinds}
    if "$ref" not in schema and not out and schema.get("properties"):
        out.add("object")
    return out - {"null"}


def _enum(schema: dict[str, Any], spec: _Spec) -> list[str] | None:
    schema = spec.resolve(schema)
    if isinstance(schema.get("enum"), list):
        return [str(v) for v in schema["enum"] if v is not None]
    values: list[str] = []
    found = False
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or []:
            sub = _enum(option, spec)
            if sub is not None:
                found = True
                values += sub
    return values if found else None


def _client_schemas() -> dict[str, Any]:
    models: list[type[Model]] = []
    for need in NEEDS:
        models += [need.response] + ([need.body] if need.body else [])
    from .schema import schemas  # pydantic: only when a document is checked

    return schemas(models, "#/components/schemas/{model}")


def _adder(report: Report, need: Need) -> Any:
    """A function that records one finding about ``need``."""

    def add(code: Code, breaks: bool, name: str = "", expected: str = "", found: str = "") -> None:
        report.findings.append(
            Finding(
                code,
                breaks and not need.optional,
                need.feature,
                need.method,
                need.path,
                name=name,
                expected=expected,
                found=found,
                optional=need.optional,
            )
        )

    return add


def check_spec(doc: dict[str, Any]) -> Report:
    """What differs between ``doc`` and what the client relies on."""
    spec = _Spec(doc)
    ours = _Spec({"components": {"schemas": _client_schemas()}})
    mine = ours.doc["components"]["schemas"]
    report = Report()
    used: set[tuple[str, str]] = set()

    for need in NEEDS:
        add = _adder(report, need)
        entry = spec.paths.get(_template(need.path))
        if entry is None:
            add(Code.MISSING_PATH, True)
            continue
        path_item = entry[1]
        op = path_item.get(need.method.lower())
        if not isinstance(op, dict):
            add(Code.MISSING_METHOD, True, found=", ".join(sorted(k.upper() for k in path_item)))
            continue
        used.add((_template(need.path), need.method.lower()))
        before = len(report.findings)
        params = spec.parameters(path_item, op)
        for name in need.params:
            if name not in params:
                add(Code.MISSING_PARAMETER, True, name)
        sortable = params.get("sort", {}).get("x-sort-fields")
        if isinstance(sortable, list):
            for name in need.sort_fields:
                if name not in sortable:
                    add(Code.MISSING_SORT_FIELD, True, name)

        # what the client reads
        theirs = spec.data_schema(op, need.is_list)
        model_name = need.response.__name__
        if theirs is None:
            add(Code.SHAPE_UNKNOWN, False, model_name)
        else:
            _compare_read(spec, ours, theirs, mine[model_name], model_name, add)

        # what the client sends
        if need.body is not None:
            body = spec.body_schema(op)
            body_name = need.body.__name__
            if body is None:
                add(Code.SHAPE_UNKNOWN, False, body_name)
            else:
                _compare_body(spec, ours, body, mine[body_name], body_name, add)
        if len(report.findings) == before:
            add(Code.OK, False)

    for template, (raw, item) in spec.paths.items():
        for method in item:
            if (
                method in ("get", "post", "put", "patch", "delete")
                and (template, method) not in used
            ):
                report.findings.append(
                    Finding(Code.EXTRA_OPERATION, False, "", method.upper(), raw)
                )
    return report


def _compare_read(
    spec: _Spec, ours: _Spec, theirs: dict[str, Any], mine: dict[str, Any], model: str, add: Any
) -> None:
    props = theirs.get("properties") or {}
    required_by_client = set(mine.get("required") or []) | {
        name for (m, name) in RELIED_FIELDS if m == model
    }
    for name, prop in (mine.get("properties") or {}).items():
        if name not in props:
            add(Code.MISSING_FIELD, name in required_by_client, f"{model}.{name}")
            continue
        want, got = _types(prop, ours), _types(props[name], spec)
        if want and got and not (want & got):
            add(
                Code.TYPE_CHANGED,
                name in required_by_client,
                f"{model}.{name}",
                "/".join(sorted(want)),
                "/".join(sorted(got)),
            )
        values = _enum(props[name], spec)
        known = READ_ENUMS.get((model, name))
        if values is not None and known is not None:
            for value in known:
                if value not in values:
                    add(Code.VALUE_MISSING, False, f"{model}.{name}", value)
            added = [v for v in values if v not in known]
            if added:
                add(Code.VALUE_ADDED, False, f"{model}.{name}", found=", ".join(added))
    for name in props:
        if name not in (mine.get("properties") or {}):
            add(Code.EXTRA_FIELD, False, f"{model}.{name}")


def _compare_body(
    spec: _Spec, ours: _Spec, theirs: dict[str, Any], mine: dict[str, Any], model: str, add: Any
) -> None:
    props = theirs.get("properties") or {}
    my_props = mine.get("properties") or {}
    my_required = set(mine.get("required") or [])
    for name in theirs.get("required") or []:
        if name not in my_props:
            add(Code.REQUIRED_UNKNOWN, True, f"{model}.{name}")
        elif name not in my_required:
            add(Code.REQUIRED_OPTIONAL, False, f"{model}.{name}")
    for name, prop in my_props.items():
        if name not in props:
            add(Code.MISSING_FIELD, name in my_required, f"{model}.{name}")
            continue
        want, got = _types(prop, ours), _types(props[name], spec)
        if want and got and not (want & got):
            add(
                Code.TYPE_CHANGED,
                True,
                f"{model}.{name}",
                "/".join(sorted(want)),
                "/".join(sorted(got)),
            )
        values = _enum(props[name], spec)
        sent = SENT_ENUMS.get((model, name))
        if values is not None and sent is not None:
            for value in sent:
                if value not in values:
                    add(Code.VALUE_REFUSED, True, f"{model}.{name}", value)
