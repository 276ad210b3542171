"""List semantics of API V2: ``page[offset]``/``page[limit]``, ``sort`` (PascalCase, ``-`` for
descending), ``filter[Field]`` (exact match) and the data/metadata/links envelope."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URL, QueryParams

from expereo_tui.api.shapes import to_camel

DEFAULT_LIMIT = 25
MAX_LIMIT = 200


class BadQuery(ValueError):
    """A list query the API refuses with 400; ``parameter`` names the culprit."""

    def __init__(self, detail: str, parameter: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.parameter = parameter


def _field_map(fields: Sequence[str]) -> dict[str, str]:
    """PascalCase (case-insensitive) → camelCase for the fields a resource has."""
    return {(f[:1].upper() + f[1:]).lower(): f for f in fields}


def pascal(field: str) -> str:
    """The name a wire field has in ``sort`` and ``filter[...]`` (``lastModifiedDate`` →
    ``LastModifiedDate``)."""
    return field[:1].upper() + field[1:]


def sort_pattern(fields: Sequence[str]) -> str:
    """What ``sort`` accepts for a resource with these fields: comma-separated PascalCase names,
    each with an optional ``-`` for descending (the one rule: checked here, stated in the spec)."""
    one = "-?(?:" + "|".join(re.escape(pascal(f)) for f in fields) + ")"
    return f"^{one}(?:,{one})*$"


def _int_param(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadQuery(f"{name} must be an integer, got {raw!r}", name) from None


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")
    if isinstance(value, bool | int | float):
        return (0, value)
    return (0, str(value))


def list_response(
    items: list[dict[str, Any]], fields: Sequence[str], params: QueryParams, url: URL
) -> dict[str, Any]:
    """Filter, sort and page ``items``; raise :class:`BadQuery` for bad parameters."""
    known = _field_map(fields)
    offset = _int_param(params, "page[offset]", 0)
    limit = _int_param(params, "page[limit]", DEFAULT_LIMIT)
    if offset < 0:
        raise BadQuery("page[offset] must be 0 or more", "page[offset]")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"page[limit] must be between 1 and {MAX_LIMIT}, got {limit}", "page[limit]")
    selected = items
    for key, value in params.multi_items():
        if key.startswith("filter[") and key.endswith("]"):
            name = key[7:-1]
            field = known.get(name.lower())
            if field is None:
                raise BadQuery(f"unknown filter field {name!r}", key)
            if not value:
                raise BadQuery(f"{key} needs a value to match", key)
            selected = [
                it for it in selected if it.get(field) is not None and str(it.get(field)) == value
            ]
        elif key not in ("page[offset]", "page[limit]", "sort"):
            raise BadQuery(f"unknown query parameter {key!r}", key)
    sort = params.get("sort")
    if sort is not None and not re.fullmatch(sort_pattern(fields), sort):
        example = f"-{pascal(fields[0])}"
        raise BadQuery(f"sort must be field names, e.g. {example}; got {sort!r}", "sort")
    sort_spec = sort.split(",") if sort else []
    resolved: list[tuple[str, bool]] = []
    for spec in sort_spec:
        desc = spec.startswith("-")
        resolved.append((known[spec.lstrip("-").lower()], desc))
    if resolved:
        selected = list(selected)
        for field, desc in reversed(resolved):
            selected.sort(key=lambda it, f=field: _sort_key(it.get(f)), reverse=desc)
            if desc:  # keep None last either way
                selected.sort(key=lambda it, f=field: it.get(f) is None)
    total = len(selected)
    page = selected[offset : offset + limit]
    has_more = offset + limit < total

    def link(off: int) -> str:
        query = [
            (k, v) for k, v in params.multi_items() if k not in ("page[offset]", "page[limit]")
        ]
        query += [("page[offset]", str(off)), ("page[limit]", str(limit))]
        return str(url.replace(query=urlencode(query)))

    return {
        "data": page,
        "metadata": {
            "offset": offset,
            "limit": limit,
            "hasMore": has_more,
            "total": total,
            "sort": sort_spec,
        },
        "links": {
            "self": link(offset),
            "next": link(offset + limit) if has_more else None,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
        },
    }


def fields_of(model_fields: dict[str, Any]) -> list[str]:
    """camelCase wire names of a model's fields."""
    return [info.alias or to_camel(name) for name, info in model_fields.items()]
